package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// window is an inclusive time range in Unix microseconds.
type window struct{ from, to int64 }

const defaultWindow = time.Hour

// parseDateRange resolves a dateRange object. PostHog's model forbids
// extra keys, and its logs endpoints turn every dateRange problem into a
// 400 parse_error. When raw is absent or null, required decides between
// that error and the default last hour.
func parseDateRange(raw json.RawMessage, now time.Time, required bool) (window, *apiError) {
	if isNull(raw) {
		if required {
			return window{}, errParse("1 validation error for DateRange: field required (dateRange must be an object with date_from and date_to)")
		}
		return window{from: now.Add(-defaultWindow).UnixMicro(), to: now.UnixMicro()}, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return window{}, errParse("1 validation error for DateRange: Input should be a valid dictionary")
	}
	for k := range fields {
		if k != "date_from" && k != "date_to" && k != "explicitDate" {
			return window{}, errParse(fmt.Sprintf("1 validation error for DateRange\n%s\n  Extra inputs are not permitted", k))
		}
	}
	explicit := false
	if v, ok := fields["explicitDate"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &explicit); err != nil {
			return window{}, errParse("1 validation error for DateRange\nexplicitDate\n  Input should be a valid boolean")
		}
	}
	from, err := dateField(fields, "date_from", now, false, explicit)
	if err != nil {
		return window{}, err
	}
	to, err := dateField(fields, "date_to", now, true, explicit)
	if err != nil {
		return window{}, err
	}
	if from.IsZero() {
		from = now.Add(-defaultWindow)
	}
	if to.IsZero() {
		to = now
	}
	return window{from: from.UnixMicro(), to: to.UnixMicro()}, nil
}

// dateField parses one of date_from/date_to; a zero time means absent.
func dateField(fields map[string]json.RawMessage, name string, now time.Time, isEnd, explicit bool) (time.Time, *apiError) {
	raw, ok := fields[name]
	if !ok || isNull(raw) {
		return time.Time{}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, errParse(fmt.Sprintf("1 validation error for DateRange\n%s\n  Input should be a valid string", name))
	}
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseDate(s, now, isEnd && !explicit)
	if err != nil {
		return time.Time{}, errParse(fmt.Sprintf("1 validation error for DateRange\n%s\n  %v", name, err))
	}
	return t, nil
}

var relativeDate = regexp.MustCompile(`^-(\d+)([sMhdwmqy])(Start|End)?$`)

// parseDate accepts PostHog's date grammar: ISO 8601 / RFC 3339 (a time
// without zone is UTC), YYYY-MM-DD, "now", and relative -N<unit> with
// units s (seconds), M (minutes), h, d, w, m (months), q, y and an optional
// Start/End suffix. A bare date as an end bound means the end of that day.
func parseDate(s string, now time.Time, dayEnd bool) (time.Time, error) {
	now = now.UTC()
	if s == "now" {
		return now, nil
	}
	if m := relativeDate.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return time.Time{}, errors.New("relative date out of range")
		}
		t := shiftBack(now, n, m[2])
		switch m[3] {
		case "Start":
			t = unitStart(t, m[2])
		case "End":
			t = unitStart(t, m[2])
			t = shiftBack(t, -1, m[2]).Add(-time.Microsecond)
		}
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if dayEnd {
			return t.AddDate(0, 0, 1).Add(-time.Microsecond), nil
		}
		return t, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q: use ISO 8601, YYYY-MM-DD or a relative date like -1h", s)
}

// shiftBack moves t back by n units (forward when n is negative).
func shiftBack(t time.Time, n int, unit string) time.Time {
	switch unit {
	case "s":
		return t.Add(-time.Duration(n) * time.Second)
	case "M":
		return t.Add(-time.Duration(n) * time.Minute)
	case "h":
		return t.Add(-time.Duration(n) * time.Hour)
	case "d":
		return t.AddDate(0, 0, -n)
	case "w":
		return t.AddDate(0, 0, -7*n)
	case "m":
		return t.AddDate(0, -n, 0)
	case "q":
		return t.AddDate(0, -3*n, 0)
	default: // "y"
		return t.AddDate(-n, 0, 0)
	}
}

// unitStart truncates t to the start of its unit (weeks start on Sunday,
// PostHog's default).
func unitStart(t time.Time, unit string) time.Time {
	y, mo, d := t.Date()
	switch unit {
	case "s":
		return t.Truncate(time.Second)
	case "M":
		return t.Truncate(time.Minute)
	case "h":
		return t.Truncate(time.Hour)
	case "d":
		return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	case "w":
		return time.Date(y, mo, d-int(t.Weekday()), 0, 0, 0, 0, time.UTC)
	case "m":
		return time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
	case "q":
		return time.Date(y, mo-(mo-1)%3, 1, 0, 0, 0, 0, time.UTC)
	default:
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	}
}

func isNull(raw json.RawMessage) bool {
	trimmed := bytes.TrimSpace(raw)
	return len(trimmed) == 0 || string(trimmed) == "null"
}
