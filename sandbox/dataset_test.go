package sandbox

import (
	"strings"
	"testing"
	"time"
)

// TestDataSet checks the facts the package documents about its data.
func TestDataSet(t *testing.T) {
	srv := shared(t)
	rows := srv.rows
	if len(rows) != defaultLines {
		t.Fatalf("%d rows, want %d", len(rows), defaultLines)
	}
	start, end := testNow.Add(-24*time.Hour).UnixMicro(), testNow.UnixMicro()
	uuids := make(map[[16]byte]bool, len(rows))
	traceServices := map[[16]byte]map[string]bool{}
	long := 0
	for i := range rows {
		r := &rows[i]
		if r.micros < start || r.micros >= end {
			t.Fatalf("row at %s outside the day before Now", formatTimestamp(r.micros))
		}
		if i > 0 && compareRows(rows[i-1], rows[i]) >= 0 {
			t.Fatal("rows not sorted by (timestamp, uuid)")
		}
		if uuids[r.uuid] {
			t.Fatalf("duplicate uuid %s", formatUUID(r.uuid))
		}
		uuids[r.uuid] = true
		if r.hasTrace() {
			if traceServices[r.traceID] == nil {
				traceServices[r.traceID] = map[string]bool{}
			}
			traceServices[r.traceID][r.res.service] = true
		}
		if len(r.body) > 2000 {
			long++
		}
		if r.bodyLower != strings.ToLower(r.body) {
			t.Fatal("bodyLower out of sync")
		}
	}
	crossing := 0
	for _, services := range traceServices {
		if len(services) >= 3 {
			crossing++
		}
	}
	if crossing < 500 {
		t.Errorf("only %d traces cross three services", crossing)
	}
	if share := float64(long) / float64(len(rows)); share < 0.007 || share > 0.015 {
		t.Errorf("%.2f%% of bodies over 2,000 chars, want about 1%%", 100*share)
	}

	day := dateRange(-24*time.Hour, 0)
	for _, needle := range []string{"Bearer eyJ", "phx_", "sk_live_", "AKIA", "ghp_", "postgres://checkout_app:", "\x1b[", "\u202e", "\u200b", "ignore all previous instructions"} {
		if n := count(t, srv, map[string]any{"dateRange": day, "searchTerm": needle}); n == 0 {
			t.Errorf("no body contains %q", needle)
		}
	}
	for _, key := range []string{"http.route", "http.method", "http.status_code", "user.id", "duration_ms"} {
		if n := count(t, srv, map[string]any{"dateRange": day, "filterGroup": nested(filter("log_attribute", key, "is_set", nil))}); n < 1000 {
			t.Errorf("attribute %s on only %d rows", key, n)
		}
	}
}

func TestLinesConfig(t *testing.T) {
	for _, lines := range []int{500, 5000} {
		s := New(Config{Now: testNow, Lines: lines})
		if len(s.rows) != lines {
			t.Errorf("Lines %d gave %d rows", lines, len(s.rows))
		}
	}
	if got := New(Config{}).Now(); time.Since(got) > time.Minute {
		t.Errorf("zero Now anchored at %s", got)
	}
}
