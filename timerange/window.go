package timerange

import (
	"fmt"
	"strings"
	"time"
)

// futureSkew tolerates clocks that disagree a little: a window may start up to this far after now.
const futureSkew = time.Minute

// defaultDefaultFrom is used when Resolve is given neither a from nor a default.
const defaultDefaultFrom = "-1h"

// Window is a resolved, half-open time window [From, To), both in UTC.
type Window struct {
	From, To time.Time
}

// Resolve turns the date_from/date_to arguments of a tool call into a Window.
//
// An empty from uses defaultFrom (itself "-1h" when empty); an empty to means now. From must be
// before To, and From may not lie in the future (beyond a minute of clock skew); To may. Both ends
// are truncated to milliseconds, the precision of FormatTime and of PostHog's timestamps, so the
// window echoed to the agent is exactly the one queried. Errors name the argument at fault.
func Resolve(from, to, defaultFrom string, now time.Time) (Window, error) {
	fromName := "date_from"
	if isBlank(from) {
		from, fromName = defaultFrom, "date_from (default)"
		if isBlank(from) {
			from = defaultDefaultFrom
		}
	}
	fromTime, err := Parse(from, now)
	if err != nil {
		return Window{}, fmt.Errorf("%s: %w", fromName, err)
	}
	toTime := now.UTC()
	if !isBlank(to) {
		if toTime, err = Parse(to, now); err != nil {
			return Window{}, fmt.Errorf("date_to: %w", err)
		}
	}
	w := Window{From: fromTime.Truncate(time.Millisecond), To: toTime.Truncate(time.Millisecond)}
	if w.From.After(now.Add(futureSkew)) {
		return Window{}, fmt.Errorf(`%s %s is in the future (now is %s); logs only exist in the past, e.g. date_from "-1h"`,
			fromName, formatCompact(w.From), formatCompact(now.UTC()))
	}
	if !w.From.Before(w.To) {
		example := `e.g. date_from "-1h" with date_to "now"`
		if w.From.After(w.To) && !isBlank(to) && fromName == "date_from" {
			// Most often the two were given the wrong way round.
			example = fmt.Sprintf("did you mean date_from %q with date_to %q?", strings.TrimSpace(to), strings.TrimSpace(from))
		}
		return Window{}, fmt.Errorf(`%s %s must be before date_to %s; %s`,
			fromName, formatCompact(w.From), formatCompact(w.To), example)
	}
	return w, nil
}

// String renders the window for humans and agents, e.g.
// "2026-11-25T13:02:11Z → 2026-11-25T14:02:11Z". Milliseconds are shown only when either end has
// a sub-second part, and then on both ends.
func (w Window) String() string {
	if w.From.Nanosecond() == 0 && w.To.Nanosecond() == 0 {
		return w.From.UTC().Format(secondLayout) + " → " + w.To.UTC().Format(secondLayout)
	}
	return FormatTime(w.From) + " → " + FormatTime(w.To)
}

// Duration is the length of the window.
func (w Window) Duration() time.Duration { return w.To.Sub(w.From) }

const (
	secondLayout = "2006-01-02T15:04:05Z07:00"
	milliLayout  = "2006-01-02T15:04:05.000Z07:00"
)

// FormatTime formats a timestamp for output: UTC, RFC 3339 with milliseconds, e.g.
// "2026-11-25T14:01:58.123Z".
func FormatTime(t time.Time) string { return t.UTC().Format(milliLayout) }

// formatCompact is RFC 3339 UTC at second precision, or milliseconds when there is a sub-second part.
func formatCompact(t time.Time) string {
	if t.Nanosecond() == 0 {
		return t.UTC().Format(secondLayout)
	}
	return FormatTime(t)
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }
