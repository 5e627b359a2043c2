package timerange

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// absoluteLayouts are tried in order. Go's parser accepts fractional seconds after the seconds
// field even when the layout does not show them. Layouts without a zone parse as UTC.
var absoluteLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseAbsolute parses RFC 3339 (T, t or a space between date and time; z or Z), a zone-less
// timestamp (UTC) or a bare date (midnight UTC).
func parseAbsolute(expr string) (time.Time, error) {
	normal := strings.ToUpper(expr)
	if len(normal) > 10 && normal[10] == ' ' {
		normal = normal[:10] + "T" + normal[11:]
	}
	var rangeProblem string
	for _, layout := range absoluteLayouts {
		t, err := time.Parse(layout, normal)
		if err == nil {
			return t, nil
		}
		// A message (e.g. "month out of range") means the shape matched but a field is wrong:
		// that is more useful to report than "not a recognised time".
		var parseErr *time.ParseError
		if rangeProblem == "" && errors.As(err, &parseErr) && parseErr.Message != "" {
			rangeProblem = strings.TrimPrefix(parseErr.Message, ": ")
		}
	}
	if rangeProblem != "" {
		return time.Time{}, invalid(expr, rangeProblem+"; use a real date and time in RFC 3339 or YYYY-MM-DD")
	}
	return time.Time{}, invalid(expr, `not a recognised time; use RFC 3339, a date (YYYY-MM-DD), "now", an offset such as "-2h" or unix seconds`)
}

// parseUnix interprets a run of digits as unix seconds (up to 11 digits) or milliseconds (12 or
// more). Shorter runs are refused: "15" is far more likely a forgotten unit than 1970-01-01T00:00:15Z.
func parseUnix(expr string) (time.Time, error) {
	if len(expr) < 9 {
		return time.Time{}, invalid(expr, `a bare number needs a unit, as in "`+expr+`m" (`+useUnits+`), or must be unix seconds (10 digits) or milliseconds (13 digits)`)
	}
	n, err := strconv.ParseInt(expr, 10, 64)
	if err != nil {
		return time.Time{}, invalid(expr, "outside the supported years 1970 to 3000")
	}
	if len(expr) <= 11 {
		return time.Unix(n, 0), nil
	}
	return time.UnixMilli(n), nil
}
