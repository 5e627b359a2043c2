package timerange

import (
	"strconv"
	"strings"
	"time"
)

// Saved views store dateRange values in PostHog's grammar, where M is minutes and m is months.
// These conversions are the only place the two grammars meet.

// ourToPostHogUnit maps our units to PostHog's.
var ourToPostHogUnit = map[string]string{"s": "s", "m": "M", "h": "h", "d": "d", "w": "w"}

// postHogUnits is PostHog's relative grammar, in units of our grammar. Months, quarters and
// years become whole days: good enough for a saved view's window, and never ambiguous.
var postHogUnits = map[byte]struct {
	ours   string
	factor int64
}{
	's': {"s", 1}, 'M': {"m", 1}, 'h': {"h", 1}, 'd': {"d", 1}, 'w': {"w", 1},
	'm': {"d", 30}, 'q': {"d", 90}, 'y': {"d", 365},
}

// ToPostHog converts one of our expressions into PostHog's grammar for storing in a saved view:
// "-15m" → "-15M", "-2h" → "-2h"; combined offsets ("-1h30m") become one unit ("-90M"); absolute
// times are normalised to RFC 3339 UTC; "now" and "" become "" (PostHog's null, meaning now).
func ToPostHog(expr string) (string, error) {
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" || strings.EqualFold(trimmed, "now") {
		return "", nil
	}
	if body, ok := offsetBody(trimmed); ok {
		if len(trimmed) > maxExprLen {
			return "", invalid(trimmed, "too long to be a time")
		}
		components, err := splitOffset(trimmed, body)
		if err != nil {
			return "", err
		}
		if _, err := parseOffsetFor(trimmed, body); err != nil {
			return "", err
		}
		if len(components) == 1 {
			c := components[0]
			return "-" + strconv.FormatInt(c.amount, 10) + ourToPostHogUnit[c.letter], nil
		}
		return "-" + largestExactUnit(components), nil
	}
	// Absolute forms do not depend on now; any instant will do.
	t, err := Parse(trimmed, minTime)
	if err != nil {
		return "", err
	}
	return formatCompact(t), nil
}

// offsetBody returns the offset part of a relative expression ("15m" for "-15m", "now-15m" or
// "15m") and whether expr is relative at all.
func offsetBody(expr string) (string, bool) {
	switch {
	case hasPrefixFold(expr, "now"):
		rest := strings.TrimSpace(expr[len("now"):])
		if rest == "" || rest[0] != '-' {
			return "", false
		}
		return strings.TrimSpace(rest[1:]), true
	case expr[0] == '-':
		return expr[1:], true
	case looksLikeUnsignedOffset(expr):
		return expr, true
	}
	return "", false
}

// largestExactUnit expresses the sum of components in the largest PostHog unit that divides it
// exactly, since PostHog has no combined offsets.
func largestExactUnit(components []offsetComponent) string {
	var total time.Duration
	for _, c := range components {
		total += time.Duration(c.amount) * c.unit
	}
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"w", 7 * day}, {"d", day}, {"h", time.Hour}, {"M", time.Minute}} {
		if total%u.size == 0 {
			return strconv.FormatInt(int64(total/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(total/time.Second), 10) + "s"
}

// FromPostHog converts a dateRange value read from PostHog (a saved view) into our grammar:
// "-15M" → "-15m", "-1m" (a month) → "-30d", "-1q" → "-90d", "-1y" → "-365d", "-1dStart" → "-1d"
// (the Start/End alignment is dropped). Anything else, absolute times included, is returned
// trimmed but otherwise unchanged, for Parse to accept or explain.
func FromPostHog(expr string) string {
	trimmed := strings.TrimSpace(expr)
	body := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(trimmed, "-"), "Start"), "End")
	digits := leadingDigits(body)
	if digits == 0 || digits != len(body)-1 || digits > 12 {
		return trimmed
	}
	unit, ok := postHogUnits[body[digits]]
	if !ok {
		return trimmed
	}
	amount, _ := strconv.ParseInt(body[:digits], 10, 64)
	return "-" + strconv.FormatInt(amount*unit.factor, 10) + unit.ours
}
