package sanitize

import "unicode/utf8"

// Sanitizer applies the product's policy to every string printed from a log: Text always, and
// Secrets unless Redact is false (the --no-redact flag).
type Sanitizer struct {
	Redact bool
}

// String returns s safe to print. Escape sequences are stripped before secrets are looked for,
// so a key split by an escape code ("AKIA\x1b[0m...") is still recognised.
func (z Sanitizer) String(s string) string {
	s = Text(s)
	if z.Redact {
		s = Secrets(s)
	}
	return s
}

// Attribute returns an attribute's key and value safe to print. Keys are
// names chosen by the program that logged, so they only lose control
// characters; a value is masked whole when its key names a secret
// (db.password, x-api-key, http.request.header.authorization, ...), since
// a bare password has no recognisable shape, and otherwise treated as
// String treats any text.
func (z Sanitizer) Attribute(key, value string) (string, string) {
	key = Text(key)
	if z.Redact && value != "" && (isSecretKey(key) || hasSuffixFold(key, "authorization") || hasSuffixFold(key, "cookie")) {
		return key, redacted
	}
	return key, z.String(value)
}

// Truncate cuts s to at most max runes (no cut when max <= 0) without splitting a rune, and
// reports how many runes were cut. Invalid bytes count as one rune each.
func Truncate(s string, max int) (string, int) {
	if max <= 0 || len(s) <= max {
		return s, 0
	}
	runes := 0
	for i := range s {
		if runes == max {
			return s[:i], utf8.RuneCountInString(s[i:])
		}
		runes++
	}
	return s, 0
}
