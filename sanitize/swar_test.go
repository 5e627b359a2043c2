package sanitize

import (
	"math/rand/v2"
	"testing"
)

// The word-wise tests must agree with the obvious byte-wise ones on every kind of byte.
func TestSWARMatchesBytewise(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	interesting := []byte{0x00, '\t', '\n', 0x1b, 0x1f, ' ', '!', '_', '=', ':', 'A', 'B', 'b', 'J', '~', 0x7f, 0x80, 0xc2, 0xff}
	for n := 0; n < 200000; n++ {
		var word [8]byte
		for i := range word {
			if r.IntN(2) == 0 {
				word[i] = interesting[r.IntN(len(interesting))]
			} else {
				word[i] = byte(r.IntN(256))
			}
		}
		s := string(word[:])
		w := load8(s)

		printable := true
		for _, c := range word {
			printable = printable && 0x20 <= c && c < 0x7f
		}
		if got := isPrintableASCII8(w); got != printable {
			t.Fatalf("isPrintableASCII8(%q) = %v, want %v", s, got, printable)
		}
		candidates := anchorCandidates8(w)
		for i, c := range word {
			if secretAnchor[c] && candidates>>(8*i+7)&1 == 0 {
				t.Fatalf("anchorCandidates8(%q) misses the anchor at byte %d", s, i)
			}
		}
	}
}

// nextMaskBytewise is the obvious form of nextMask, as a reference.
func nextMaskBytewise(s string, from, floor int) (mask, bool) {
	for i := from; i < len(s); i++ {
		if secretAnchor[s[i]] {
			if m, ok := maskAt(s, i, floor); ok {
				return m, true
			}
		}
	}
	return mask{}, false
}

func TestNextMaskMatchesBytewise(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	pieces := []string{"a", "Z", "0", " ", "=", ":", "_", "//", "@", `"`, "password", "Bearer ", "bearer1234567",
		"eyJ", ".", "AKIA", "IOSFODNN7EXAMPLE", "phx_", "abcdefghijklmnopqrstu", "sk_live_", "ghp_", "x://u:p@h"}
	for n := 0; n < 5000; n++ {
		s := ""
		for k := r.IntN(30); k > 0; k-- {
			s += pieces[r.IntN(len(pieces))]
		}
		for from := 0; from <= len(s); from++ {
			got, gotOK := nextMask(s, from, from)
			want, wantOK := nextMaskBytewise(s, from, from)
			if got != want || gotOK != wantOK {
				t.Fatalf("nextMask(%q, %d) = %v %v, bytewise %v %v", s, from, got, gotOK, want, wantOK)
			}
		}
	}
}
