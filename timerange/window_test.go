package timerange

import (
	"strings"
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name, from, to, def string
		wantFrom, wantTo    time.Time
	}{
		{"defaults", "", "", "-1h", testNow.Add(-time.Hour), testNow},
		{"empty default falls back to -1h", "", "", "", testNow.Add(-time.Hour), testNow},
		{"explicit default", " ", "", "-24h", testNow.Add(-24 * time.Hour), testNow},
		{"absolute", "2026-11-25T13:00:00Z", "2026-11-25T14:00:00Z", "-1h",
			time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"to in the future is kept", "-1h", "2026-11-26", "-1h",
			testNow.Add(-time.Hour), time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
		{"from within clock skew", "2026-11-25T14:02:40Z", "2026-11-25T15:00:00Z", "-1h",
			time.Date(2026, 11, 25, 14, 2, 40, 0, time.UTC), time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)},
		{"sub-millisecond cut", "2026-11-25T13:00:00.123456Z", "now", "-1h",
			time.Date(2026, 11, 25, 13, 0, 0, 123e6, time.UTC), testNow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Resolve(tt.from, tt.to, tt.def, testNow)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !w.From.Equal(tt.wantFrom) || !w.To.Equal(tt.wantTo) {
				t.Errorf("got %v, want %v → %v", w, tt.wantFrom, tt.wantTo)
			}
			if w.From.Location() != time.UTC || w.To.Location() != time.UTC {
				t.Errorf("window not in UTC: %#v", w)
			}
		})
	}
}

func TestResolveRejects(t *testing.T) {
	tests := []struct {
		name, from, to string
		wantIn         []string
	}{
		{"bad from", "-5x", "", []string{"date_from: ", `unknown unit "x"`}},
		{"bad to", "-1h", "-5x", []string{"date_to: ", `unknown unit "x"`}},
		{"from after to", "-5m", "-10m", []string{"date_from 2026-11-25T13:57:11Z must be before date_to 2026-11-25T13:52:11Z", `did you mean date_from "-10m" with date_to "-5m"?`}},
		{"empty window", "now", "now", []string{"must be before"}},
		{"future window", "2027-01-01", "", []string{"date_from 2027-01-01T00:00:00Z is in the future", "now is 2026-11-25T14:02:11Z", `"-1h"`}},
		{"future beyond skew", "2026-11-25T14:03:12Z", "2026-11-26", []string{"in the future"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Resolve(tt.from, tt.to, "-1h", testNow)
			if err == nil {
				t.Fatalf("got %v, want an error", w)
			}
			for _, want := range tt.wantIn {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestResolveBadDefaultIsNamed(t *testing.T) {
	_, err := Resolve("", "", "-1x", testNow)
	if err == nil || !strings.HasPrefix(err.Error(), "date_from (default): ") {
		t.Fatalf("got %v, want an error naming the default", err)
	}
}

func TestWindowString(t *testing.T) {
	tests := []struct {
		w    Window
		want string
	}{
		{Window{testNow.Add(-time.Hour), testNow}, "2026-11-25T13:02:11Z → 2026-11-25T14:02:11Z"},
		{Window{testNow.Add(-time.Hour), testNow.Add(5 * time.Millisecond)}, "2026-11-25T13:02:11.000Z → 2026-11-25T14:02:11.005Z"},
		{Window{testNow.In(time.FixedZone("X", 3600)), testNow.Add(time.Second)}, "2026-11-25T14:02:11Z → 2026-11-25T14:02:12Z"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	if d := (Window{testNow.Add(-90 * time.Minute), testNow}).Duration(); d != 90*time.Minute {
		t.Errorf("Duration() = %v, want 1h30m", d)
	}
}

func TestFormatTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 25, 14, 1, 58, 123456789, time.UTC), "2026-11-25T14:01:58.123Z"},
		{time.Date(2026, 11, 25, 14, 1, 58, 0, time.UTC), "2026-11-25T14:01:58.000Z"},
		{time.Date(2026, 11, 25, 15, 1, 58, 0, time.FixedZone("CET", 3600)), "2026-11-25T14:01:58.000Z"},
	}
	for _, tt := range tests {
		if got := FormatTime(tt.t); got != tt.want {
			t.Errorf("FormatTime(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}
