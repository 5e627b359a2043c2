package timerange

import (
	"testing"
	"time"
)

// fuzzNow maps an arbitrary integer onto a "now" the server could plausibly see (1970..2200), so
// the fuzzer explores expressions rather than absurd clocks.
func fuzzNow(seconds int64) time.Time {
	const span = 230 * 365 * 24 * 3600
	if seconds < 0 {
		seconds = -(seconds + 1)
	}
	return time.Unix(seconds%span, 0).UTC()
}

// FuzzParse: Parse never panics, and success means a real instant in 1970..3000, in UTC.
func FuzzParse(f *testing.F) {
	for _, expr := range []string{"-15m", "now-1h30m", "2026-11-25T14:00:00.5+01:00", "2026-11-25", "1764079200123", "-15M", "now"} {
		f.Add(expr, testNow.Unix())
	}
	f.Fuzz(func(t *testing.T, expr string, nowSeconds int64) {
		got, err := Parse(expr, fuzzNow(nowSeconds))
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("Parse(%q) returned %v with error %v", expr, got, err)
			}
			return
		}
		if got.IsZero() || got.Year() < 1970 || got.Year() > 3000 || got.Location() != time.UTC {
			t.Fatalf("Parse(%q) = %v: outside 1970..3000 UTC", expr, got)
		}
	})
}

// FuzzResolve: Resolve never panics, and success means From < To, From not in the future.
func FuzzResolve(f *testing.F) {
	f.Add("-1h", "", "-1h", testNow.Unix())
	f.Add("2026-11-25T13:00:00Z", "2026-11-25T14:00:00Z", "-1h", testNow.Unix())
	f.Add("now", "now", "", testNow.Unix())
	f.Add("", "-2h", "-24h", testNow.Unix())
	f.Fuzz(func(t *testing.T, from, to, defaultFrom string, nowSeconds int64) {
		now := fuzzNow(nowSeconds)
		w, err := Resolve(from, to, defaultFrom, now)
		if err != nil {
			return
		}
		if !w.From.Before(w.To) || w.From.After(now.Add(futureSkew)) {
			t.Fatalf("Resolve(%q, %q, %q, %v) = %v: not an ordered past window", from, to, defaultFrom, now, w)
		}
		if w.Duration() <= 0 || w.String() == "" {
			t.Fatalf("Resolve(%q, %q) = %v: bad duration or rendering", from, to, w)
		}
	})
}
