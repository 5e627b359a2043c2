package tools

import "testing"

func TestContainsToken(t *testing.T) {
	tests := []struct {
		body, v string
		want    bool
	}{
		{"login failed for user u_53530 via password", "u_53530", true},
		{"login failed for user u_53530 via password", "u_5353", false},
		{"GET /api/pay 500 in 12ms", "500", true},
		{"took 1500ms", "500", false},
		{"POST /api/pay", "POST", true},
		{"POSTED", "POST", false},
		{"a 200 then 200", "200", true},
		{"x2000 then 200", "200", true},
		{"", "abc", false},
	}
	for _, tc := range tests {
		if got := containsToken(tc.body, tc.v); got != tc.want {
			t.Errorf("containsToken(%q, %q) = %v, want %v", tc.body, tc.v, got, tc.want)
		}
	}
}

func TestRowTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-25T14:02:03.123456Z":      "2026-11-25T14:02:03.123Z",
		"2026-11-25T14:02:03Z":             "2026-11-25T14:02:03.000Z",
		"2026-11-25T15:02:03.123456+01:00": "2026-11-25T14:02:03.123Z",
		"2026-11-25T14:02:03.1234567Z":     "2026-11-25T14:02:03.123Z",
		"not a time\x1b[31m":               "not a time",
	} {
		if got := rowTime(in); got != want {
			t.Errorf("rowTime(%q) = %q, want %q", in, got, want)
		}
	}
}
