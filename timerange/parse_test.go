package timerange

import (
	"strings"
	"testing"
	"time"
)

// testNow is the fixed "now" of the examples in the product spec.
var testNow = time.Date(2026, 11, 25, 14, 2, 11, 0, time.UTC)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		expr string
		want time.Time
	}{
		{"2026-11-25T14:00:00Z", time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"2026-11-25T14:00:00.123Z", time.Date(2026, 11, 25, 14, 0, 0, 123e6, time.UTC)},
		{"2026-11-25T14:00:00.123456789Z", time.Date(2026, 11, 25, 14, 0, 0, 123456789, time.UTC)},
		{"2026-11-25T16:00:00+02:00", time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"2026-11-25T09:30:00-0430", time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"2026-11-25T14:00:00", time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"2026-11-25 14:00:00", time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"2026-11-25t14:00:00z", time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"2026-11-25T14:00", time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"2026-11-25", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		{"  2026-11-25\n", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		{"now", testNow},
		{"NOW", testNow},
		{" Now ", testNow},
		{"-15m", testNow.Add(-15 * time.Minute)},
		{"15m", testNow.Add(-15 * time.Minute)},
		{"now-15m", testNow.Add(-15 * time.Minute)},
		{"now - 15m", testNow.Add(-15 * time.Minute)},
		{"-2h", testNow.Add(-2 * time.Hour)},
		{"-2H", testNow.Add(-2 * time.Hour)},
		{"-7d", testNow.Add(-7 * 24 * time.Hour)},
		{"-1w", testNow.Add(-7 * 24 * time.Hour)},
		{"-1W", testNow.Add(-7 * 24 * time.Hour)},
		{"-30s", testNow.Add(-30 * time.Second)},
		{"-30S", testNow.Add(-30 * time.Second)},
		{"-1h30m", testNow.Add(-90 * time.Minute)},
		{"1d12h", testNow.Add(-36 * time.Hour)},
		{"-0m", testNow},
		{"1764079200", time.Date(2025, 11, 25, 14, 0, 0, 0, time.UTC)},
		{"1764079200123", time.Date(2025, 11, 25, 14, 0, 0, 123e6, time.UTC)},
	}
	for _, tt := range tests {
		got, err := Parse(tt.expr, testNow)
		if err != nil {
			t.Errorf("Parse(%q): unexpected error %v", tt.expr, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Parse(%q) = %v, want %v in UTC", tt.expr, got, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		expr string
		// wantIn are fragments the message must contain, beyond the accepted examples.
		wantIn []string
	}{
		{"-5x", []string{`invalid time "-5x": unknown unit "x"; use s, m (minutes), h, d or w, e.g. "-15m", "2026-11-25T14:00:00Z" or "now"`}},
		{"-15M", []string{`unit "M"`, "m always means minutes"}},
		{"now-15M", []string{`unit "M"`}},
		{"-1y", []string{`unsupported unit "y"`, `"-365d"`}},
		{"-1q", []string{`unsupported unit "q"`}},
		{"-1mo", []string{`unsupported unit "mo"`}},
		{"-1dStart", []string{"Start/End"}},
		{"-15", []string{"missing unit"}},
		{"15", []string{"bare number", `"15m"`}},
		{"-", []string{"missing amount"}},
		{"--5m", []string{"whole number"}},
		{"-1.5h", []string{`unexpected "."`}},
		{"-m", []string{"whole number"}},
		{"now+5m", []string{"past offset"}},
		{"nowish", []string{"past offset"}},
		{"yesterday", []string{"not a recognised time"}},
		{"2026-13-01", []string{"month out of range"}},
		{"2026-02-30", []string{"day out of range"}},
		{"2026-11-25T25:00:00Z", []string{"hour out of range"}},
		{"20261125T140000Z", []string{"not a recognised time"}},
		{"", []string{"empty time"}},
		{"   ", []string{"empty time"}},
		{"1969-12-31T23:59:59Z", []string{"1970 to 3000"}},
		{"3001-01-01", []string{"1970 to 3000"}},
		{"99999999999999999999", []string{"1970 to 3000"}},
		{"-99999999999w", []string{"offset too large"}},
		{"-3000w", []string{"1970 to 3000"}},
		{strings.Repeat("1", 100) + "m", []string{"too long"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.expr, testNow)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want an error", tt.expr, got)
			continue
		}
		msg := err.Error()
		for _, want := range append(tt.wantIn, acceptedExamples) {
			if !strings.Contains(msg, want) {
				t.Errorf("Parse(%q) error %q does not contain %q", tt.expr, msg, want)
			}
		}
		if !got.IsZero() {
			t.Errorf("Parse(%q) returned %v with its error", tt.expr, got)
		}
	}
}

// The ambiguity this package exists to remove: a lower-case m is never months.
func TestParseMinutesNeverMonths(t *testing.T) {
	got, err := Parse("-30m", testNow)
	if err != nil || testNow.Sub(got) != 30*time.Minute {
		t.Fatalf("Parse(-30m) = %v, %v; want 30 minutes back", got, err)
	}
}
