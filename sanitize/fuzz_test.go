package sanitize

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzText: Text never panics, its output is always safe (see checkSafeText), it is idempotent,
// and it returns clean input unchanged.
func FuzzText(f *testing.F) {
	for _, s := range []string{realisticBody, dirtyBody, "\x1b]0;t\x07", "a\xffb", "\u202e\u200b", "\x1b[", "\x1b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Text(in)
		checkSafeText(t, in, out)
		if again := Text(out); again != out {
			t.Fatalf("Text not idempotent on %q: %q → %q", in, out, again)
		}
		if firstChange(in) == len(in) && out != in {
			t.Fatalf("Text changed clean %q into %q", in, out)
		}
	})
}

// FuzzSecrets: Secrets never panics, is idempotent, keeps valid UTF-8 valid, and masks an AWS
// access key id and a 40-character AWS secret key planted in arbitrary text.
func FuzzSecrets(f *testing.F) {
	for _, s := range []string{realisticBody, dirtyBody, "password=", `"password":"`, "Bearer ", "eyJ.eyJ.", "AKIA", "x://a:b@"} {
		f.Add(s, uint64(1))
	}
	f.Fuzz(func(t *testing.T, in string, seed uint64) {
		out := Secrets(in)
		if again := Secrets(out); again != out {
			t.Fatalf("Secrets not idempotent on %q: %q → %q", in, out, again)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("Secrets(%q) = %q: invalid UTF-8", in, out)
		}

		keyID, secretKey := plantedAWSSecrets(seed)
		if strings.Contains(Text(in), keyID[4:]) || strings.Contains(Text(in), secretKey) {
			return // the fuzzer wrote the secret itself; nothing to learn
		}
		planted := Text(in + " " + keyID + " aws_secret_access_key=" + secretKey + " " + in)
		masked := Secrets(planted)
		// Text may legitimately eat the bytes next to a dangling escape ("\x1b" + " A" is one
		// sequence), so each secret is checked when its shape survived Text intact.
		for _, planting := range []struct{ shape, secret string }{
			{" " + keyID + " ", keyID[4:]},
			{" aws_secret_access_key=" + secretKey + " ", secretKey},
		} {
			if strings.Contains(planted, planting.shape) && strings.Contains(masked, planting.secret) {
				t.Fatalf("secret %q survived in %q", planting.secret, masked)
			}
		}
		if again := Secrets(masked); again != masked {
			t.Fatalf("Secrets not idempotent on %q: %q → %q", planted, masked, again)
		}
	})
}

// plantedAWSSecrets derives an AWS access key id and secret access key from seed.
func plantedAWSSecrets(seed uint64) (keyID, secretKey string) {
	r := rand.New(rand.NewPCG(seed, 42))
	pick := func(alphabet string, n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	return "AKIA" + pick(upper, 16), pick(upper+"abcdefghijklmnopqrstuvwxyz01+/", 40)
}
