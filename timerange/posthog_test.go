package timerange

import (
	"strings"
	"testing"
)

func TestToPostHog(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-15m", "-15M"},
		{"15m", "-15M"},
		{"now-15m", "-15M"},
		{"-2h", "-2h"},
		{"-2H", "-2h"},
		{"-7d", "-7d"},
		{"-1w", "-1w"},
		{"-30s", "-30s"},
		{"-1h30m", "-90M"},
		{"-1d24h", "-2d"},
		{"-1m30s", "-90s"},
		{"-6d24h", "-1w"},
		{"", ""},
		{"now", ""},
		{" NOW ", ""},
		{"2026-11-25", "2026-11-25T00:00:00Z"},
		{"2026-11-25T16:00:00+02:00", "2026-11-25T14:00:00Z"},
		{"2026-11-25 14:00:00.250", "2026-11-25T14:00:00.250Z"},
		{"1764079200", "2025-11-25T14:00:00Z"},
	}
	for _, tt := range tests {
		got, err := ToPostHog(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ToPostHog(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestToPostHogRejects(t *testing.T) {
	for _, in := range []string{"-15M", "-5x", "yesterday", "now+1h", "-1y"} {
		got, err := ToPostHog(in)
		if err == nil || !strings.Contains(err.Error(), acceptedExamples) {
			t.Errorf("ToPostHog(%q) = %q, %v; want an error with examples", in, got, err)
		}
	}
}

func TestFromPostHog(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-15M", "-15m"},
		{"-1m", "-30d"},
		{"-2m", "-60d"},
		{"-1q", "-90d"},
		{"-1y", "-365d"},
		{"-2h", "-2h"},
		{"-7d", "-7d"},
		{"-1w", "-1w"},
		{"-30s", "-30s"},
		{"-1dStart", "-1d"},
		{"-1mEnd", "-30d"},
		{" -15M ", "-15m"},
		{"2026-11-25T14:00:00Z", "2026-11-25T14:00:00Z"},
		{"2026-11-25", "2026-11-25"},
		{"", ""},
		{"all", "all"},
		{"-1x", "-1x"},
		{"-M", "-M"},
		{"-1h30M", "-1h30M"},
		{"-9999999999999y", "-9999999999999y"},
	}
	for _, tt := range tests {
		if got := FromPostHog(tt.in); got != tt.want {
			t.Errorf("FromPostHog(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
