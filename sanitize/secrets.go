package sanitize

import (
	"math/bits"
	"strings"
)

const (
	redacted    = "[REDACTED]"
	redactedJWT = "[REDACTED:jwt]"
)

// anchorBytes are the bytes secretAnchor marks.
const anchorBytes = "_=:ABbJ"

// secretAnchor marks the bytes at which a secret shape can be recognised. Every shape contains one
// at a fixed place (the "_" of "phx_", the "J" of "eyJ", the "=" of "password=", ...), so clean
// text costs a few word operations per eight bytes and a few comparisons per anchor. nextMask
// tests the same bytes word-wise; keep the two in sync.
var secretAnchor = func() (table [256]bool) {
	for _, b := range []byte(anchorBytes) {
		table[b] = true
	}
	return table
}()

// mask says that s[start:end] is a secret to be replaced by label.
type mask struct {
	start, end int
	label      string
}

// Secrets returns s with well-known secret shapes masked, keeping a short non-secret prefix so a
// reader knows what was there:
//
//	Bearer tokens                      "Bearer abc123..."      → "Bearer [REDACTED]"
//	JWTs                               "eyJ...eyJ...sig"        → "[REDACTED:jwt]"
//	PostHog keys phx_ phc_ pha_ phs_   "phx_<20+ chars>"        → "phx_[REDACTED]"
//	Stripe keys                        "sk_live_..."            → "sk_live_[REDACTED]" (also sk_test_, rk_live_, rk_test_)
//	AWS access key ids                 "AKIA<16>" / "ASIA<16>"  → "AKIA[REDACTED]"
//	GitHub tokens                      "ghp_<36>", "github_pat_..." → "ghp_[REDACTED]", "github_pat_[REDACTED]"
//	passwords in URLs                  "scheme://user:pw@host"  → "scheme://user:[REDACTED]@host"
//	tokens as URL user names           "https://<token>@host"   → "https://[REDACTED]@host"
//	secret key=value pairs             "password=hunter2"       → "password=[REDACTED]"
//	secret JSON members                `"api_key": "abc"`       → `"api_key": "[REDACTED]"`
//
// Secret keys are those ending in password, passwd, secret, passphrase, token, api_key, apikey,
// secret_key, private_key or access_key (case-insensitive, "-" same as "_"). When nothing matches,
// s itself is returned.
func Secrets(s string) string {
	m, found := nextMask(s, 0, 0)
	if !found {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(redactedJWT))
	last := 0
	for found {
		b.WriteString(s[last:m.start])
		b.WriteString(m.label)
		last = m.end
		m, found = nextMask(s, last, last)
	}
	b.WriteString(s[last:])
	return b.String()
}

// nextMask finds the first secret at or after from. Shapes that look backwards from their anchor
// never reach before floor, the end of the previous mask, so masks never overlap and a second pass
// over the output sees the same keys and boundaries (Secrets is idempotent).
func nextMask(s string, from, floor int) (mask, bool) {
	i := from
	// Eight bytes at a time: find the anchors of a word at once and visit only those (maskAt
	// rejects the rare false candidate).
	for ; i+8 <= len(s); i += 8 {
		for anchors := anchorCandidates8(load8(s[i:])); anchors != 0; anchors &= anchors - 1 {
			if m, ok := maskAt(s, i+bits.TrailingZeros64(anchors)/8, floor); ok {
				return m, true
			}
		}
	}
	for ; i < len(s); i++ {
		if secretAnchor[s[i]] {
			if m, ok := maskAt(s, i, floor); ok {
				return m, true
			}
		}
	}
	return mask{}, false
}

// maskAt tries the shapes anchored at s[i]. Every mask it returns ends after i, so scanning
// always makes progress.
func maskAt(s string, i, floor int) (mask, bool) {
	switch s[i] {
	case '_':
		return maskUnderscoreKey(s, i, floor)
	case 'J':
		return maskJWT(s, i, floor)
	case 'A':
		return maskAWSKey(s, i, floor)
	case 'B', 'b':
		return maskBearer(s, i, floor)
	case ':':
		if strings.HasPrefix(s[i+1:], "//") {
			return maskURLPassword(s, i+3)
		}
		return maskJSONMember(s, i, floor)
	case '=':
		return maskKeyValue(s, i, floor)
	}
	return mask{}, false
}

// boundaryBefore reports whether a shape may start at start: at the beginning, right after the
// previous mask, or after a byte that cannot be part of a word.
func boundaryBefore(s string, start, floor int) bool {
	return start == floor || !isAlnum(s[start-1])
}

// runOf returns the end of the run of bytes satisfying ok that starts at i.
func runOf(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

func isAlnum(b byte) bool {
	return ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9')
}

func isUpperAlnum(b byte) bool { return ('A' <= b && b <= 'Z') || ('0' <= b && b <= '9') }

func isWordByte(b byte) bool { return isAlnum(b) || b == '_' }

// isBase64URL covers the segments of a JWT.
func isBase64URL(b byte) bool { return isAlnum(b) || b == '_' || b == '-' }

// isTokenByte covers RFC 6750 bearer tokens (before any "=" padding).
func isTokenByte(b byte) bool {
	return isAlnum(b) || b == '-' || b == '.' || b == '_' || b == '~' || b == '+' || b == '/'
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' }
