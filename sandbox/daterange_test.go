package sandbox

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 30, 15, 0, time.UTC) // a Wednesday
	tests := []struct {
		in     string
		dayEnd bool
		want   time.Time
	}{
		{"2026-11-25T13:00:00Z", false, time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)},
		{"2026-11-25T13:00:00.123456Z", false, time.Date(2026, 11, 25, 13, 0, 0, 123456000, time.UTC)},
		{"2026-11-25T15:00:00+02:00", false, time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)},
		{"2026-11-25T13:00:00", false, time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)},
		{"2026-11-25", false, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		{"2026-11-25", true, time.Date(2026, 11, 25, 23, 59, 59, 999999000, time.UTC)},
		{"-30s", false, now.Add(-30 * time.Second)},
		{"-30M", false, now.Add(-30 * time.Minute)},
		{"-2h", false, now.Add(-2 * time.Hour)},
		{"-1d", false, now.AddDate(0, 0, -1)},
		{"-1w", false, now.AddDate(0, 0, -7)},
		{"-30m", false, now.AddDate(0, -30, 0)},
		{"-1q", false, now.AddDate(0, -3, 0)},
		{"-1y", false, now.AddDate(-1, 0, 0)},
		{"-1dStart", false, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"-1dEnd", false, time.Date(2026, 11, 24, 23, 59, 59, 999999000, time.UTC)},
		{"-0wStart", false, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)},
		{"-1hStart", false, time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)},
		{"now", false, now},
	}
	for _, tt := range tests {
		got, err := parseDate(tt.in, now, tt.dayEnd)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseDate(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"yesterday", "-1x", "1h", "2026-13-01", "-h"} {
		if _, err := parseDate(bad, now, false); err == nil {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
}

func TestParseDateRange(t *testing.T) {
	now := testNow
	tests := []struct {
		name     string
		raw      string
		required bool
		want     window
		wantErr  bool
	}{
		{"absent, optional", "", false, window{now.Add(-time.Hour).UnixMicro(), now.UnixMicro()}, false},
		{"absent, required", "", true, window{}, true},
		{"null, required", "null", true, window{}, true},
		{"open end", `{"date_from":"-2h"}`, true, window{now.Add(-2 * time.Hour).UnixMicro(), now.UnixMicro()}, false},
		{"explicit nulls", `{"date_from":null,"date_to":null,"explicitDate":null}`, true, window{now.Add(-time.Hour).UnixMicro(), now.UnixMicro()}, false},
		{"explicit date keeps a bare date_to at midnight", `{"date_from":"2026-11-24","date_to":"2026-11-25","explicitDate":true}`, true,
			window{time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC).UnixMicro(), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC).UnixMicro()}, false},
		{"extra key", `{"date_from":"-1h","timezone":"UTC"}`, true, window{}, true},
		{"wrong type", `{"date_from":5}`, true, window{}, true},
		{"not an object", `"-1h"`, true, window{}, true},
	}
	for _, tt := range tests {
		got, err := parseDateRange(json.RawMessage(tt.raw), now, tt.required)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("%s: got %+v, %v", tt.name, got, err)
		}
		if err != nil && err.status != 400 {
			t.Errorf("%s: status %d", tt.name, err.status)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", "quote \" backslash \\", "ctl \x00\x1b[31m\x07\n\t\r", "bidi \u202e zero \u200b", "sep \u2028\u2029", "bad \xff utf8", "<html>&"} {
		encoded := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(encoded, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, encoded, err)
		}
		if want := string([]rune(s)); back != want && s != "bad \xff utf8" {
			t.Errorf("round trip %q -> %q", s, back)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	for _, ts := range []time.Time{testNow, testNow.Add(123456 * time.Microsecond), time.Date(999, 1, 2, 3, 4, 5, 6000, time.UTC), time.Date(2026, 12, 31, 23, 59, 59, 999999000, time.UTC)} {
		if got, want := string(appendTimestamp(nil, ts.UnixMicro())), ts.Format(timestampLayout); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
