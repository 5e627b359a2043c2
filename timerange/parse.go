package timerange

import (
	"strings"
	"time"
)

// maxExprLen bounds the input: no valid expression is anywhere near this long.
const maxExprLen = 64

// The instants Parse accepts. Anything outside is a typo or a unit mistake, not a log window.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(3001, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Parse resolves one time expression (see the package documentation for the grammar) against
// now and returns the instant in UTC. Errors explain what is wrong and show an accepted example.
func Parse(expr string, now time.Time) (time.Time, error) {
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return time.Time{}, invalid(expr, "empty time; use an absolute time, a date, a relative offset or now")
	}
	if len(trimmed) > maxExprLen {
		return time.Time{}, invalid(trimmed, "too long to be a time")
	}
	t, err := parseTrimmed(trimmed, now)
	if err != nil {
		return time.Time{}, err
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, invalid(trimmed, "outside the supported years 1970 to 3000")
	}
	return t.UTC(), nil
}

// parseTrimmed picks the form from the leading characters, then delegates.
func parseTrimmed(expr string, now time.Time) (time.Time, error) {
	if hasPrefixFold(expr, "now") {
		return parseAfterNow(expr, now)
	}
	if expr[0] == '-' || looksLikeUnsignedOffset(expr) {
		back, err := parseOffset(expr)
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-back), nil
	}
	if isAllDigits(expr) {
		return parseUnix(expr)
	}
	return parseAbsolute(expr)
}

// parseAfterNow handles "now" and "now-15m" (spaces around the minus are tolerated).
func parseAfterNow(expr string, now time.Time) (time.Time, error) {
	rest := strings.TrimSpace(expr[len("now"):])
	if rest == "" {
		return now, nil
	}
	if rest[0] != '-' {
		return time.Time{}, invalid(expr, `only a past offset may follow "now", as in "now-15m"`)
	}
	back, err := parseOffsetFor(expr, strings.TrimSpace(rest[1:]))
	if err != nil {
		return time.Time{}, err
	}
	return now.Add(-back), nil
}

// looksLikeUnsignedOffset reports whether expr is an offset written without its minus, such as
// "15m" or "1h30m": a short run of digits directly followed by a letter. Long digit runs followed
// by a letter are compact ISO dates ("20261125T14..."), not offsets.
func looksLikeUnsignedOffset(expr string) bool {
	digits := leadingDigits(expr)
	return digits > 0 && digits < 8 && digits < len(expr) && isLetter(expr[digits])
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

func isAllDigits(s string) bool { return s != "" && leadingDigits(s) == len(s) }

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func isLetter(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }
