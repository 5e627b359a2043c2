package timerange

import (
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// unitDuration maps our (lower-cased) units to their length. "m" is minutes, always.
var unitDuration = map[string]time.Duration{
	"s": time.Second,
	"m": time.Minute,
	"h": time.Hour,
	"d": day,
	"w": 7 * day,
}

// parseOffset parses a relative expression such as "-15m", "15m" or "-1h30m" and returns how far
// back from now it points.
func parseOffset(expr string) (time.Duration, error) {
	return parseOffsetFor(expr, strings.TrimPrefix(expr, "-"))
}

// parseOffsetFor parses body, the offset without its minus sign; expr is the whole input, quoted
// in errors.
func parseOffsetFor(expr, body string) (time.Duration, error) {
	components, err := splitOffset(expr, body)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, c := range components {
		if c.amount > int64(math.MaxInt64/c.unit) || total > math.MaxInt64-time.Duration(c.amount)*c.unit {
			return 0, invalid(expr, offsetTooLarge)
		}
		total += time.Duration(c.amount) * c.unit
	}
	return total, nil
}

// offsetComponent is one "<amount><unit>" piece of an offset, e.g. the "30m" of "-1h30m".
type offsetComponent struct {
	amount int64
	unit   time.Duration
	// letter is the unit as written after lower-casing (one of s m h d w).
	letter string
}

// splitOffset cuts body ("1h30m") into its components, validating every unit.
func splitOffset(expr, body string) ([]offsetComponent, error) {
	if body == "" {
		return nil, invalid(expr, "missing amount after the minus; "+useUnits)
	}
	var components []offsetComponent
	for body != "" {
		digits := leadingDigits(body)
		if digits == 0 {
			return nil, invalid(expr, "expected a whole number before "+quoteCut(body)+"; "+useUnits)
		}
		amount, ok := parseAmount(body[:digits])
		if !ok {
			return nil, invalid(expr, offsetTooLarge)
		}
		body = body[digits:]
		letters := 0
		for letters < len(body) && isLetter(body[letters]) {
			letters++
		}
		if letters == 0 {
			if body == "" {
				return nil, invalid(expr, "missing unit after the number; "+useUnits)
			}
			return nil, invalid(expr, "unexpected "+quoteCut(body[:1])+"; write whole numbers with a unit ("+useUnits+")")
		}
		unit, err := checkUnit(expr, body[:letters])
		if err != nil {
			return nil, err
		}
		lower := strings.ToLower(body[:letters])
		components = append(components, offsetComponent{amount: amount, unit: unit, letter: lower})
		body = body[letters:]
	}
	return components, nil
}

// checkUnit validates a unit as written, explaining the PostHog-style units we refuse.
func checkUnit(expr, unit string) (time.Duration, error) {
	if unit == "M" {
		return 0, invalid(expr, `unit "M" is ambiguous: PostHog writes minutes as M and months as m, but here m always means minutes (write "-15m"); `+useUnits)
	}
	lower := strings.ToLower(unit)
	if d, ok := unitDuration[lower]; ok {
		return d, nil
	}
	switch {
	case lower == "q" || lower == "y" || lower == "mo" || lower == "mon" || lower == "month" || lower == "months":
		return 0, invalid(expr, "unsupported unit "+quoteCut(unit)+" (months, quarters and years are not units here, a year is \"-365d\"); "+useUnits)
	case len(lower) > 1 && (strings.HasSuffix(lower, "start") || strings.HasSuffix(lower, "end")):
		return 0, invalid(expr, "PostHog's Start/End suffixes are not supported; "+useUnits)
	}
	return 0, invalid(expr, "unknown unit "+quoteCut(unit)+"; "+useUnits)
}

// parseAmount parses a run of digits, refusing values too large for any sane offset.
func parseAmount(digits string) (int64, bool) {
	var n int64
	for i := 0; i < len(digits); i++ {
		if n > (math.MaxInt64-9)/10 {
			return 0, false
		}
		n = n*10 + int64(digits[i]-'0')
	}
	return n, true
}

// quoteCut quotes a fragment of the input for an error message, escaping anything unprintable.
func quoteCut(s string) string {
	if len(s) > 16 {
		s = s[:16] + "..."
	}
	return strconv.Quote(s)
}

const offsetTooLarge = `offset too large: times before 1970 are not supported; use something like "-52w"`
