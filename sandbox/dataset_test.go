package sandbox

import (
	"slices"
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
	before := hourAnchor(time.Now())
	got := New(Config{Lines: 500}).Now()
	if after := hourAnchor(time.Now()); !got.Equal(before) && !got.Equal(after) {
		t.Errorf("zero Now anchored at %s, want %s", got, after)
	}
}

// TestIncidentStory checks what an investigation must be able to find: the
// promotion error is new (nothing like it before the deploy), confined to
// checkout's service.version 2.14.0, and each of its traces crosses
// services in a sensible order.
func TestIncidentStory(t *testing.T) {
	srv := shared(t)
	inc := srv.Incident()
	if !inc.DeployAt.Equal(testNow.Add(-130*time.Minute)) || !inc.SpikeStart.Equal(testNow.Add(-2*time.Hour)) || !inc.SpikeEnd.Equal(testNow.Add(-105*time.Minute)) {
		t.Fatalf("incident times %+v", inc)
	}
	rollback := inc.SpikeEnd.UnixMicro()
	rows := srv.rows
	promoErrors := 0
	for i := range rows {
		r := &rows[i]
		version, _ := r.res.lookup("service.version")
		if r.res.service == "checkout" {
			bad := r.micros >= inc.DeployAt.UnixMicro() && r.micros < rollback
			if (version == inc.Version) != bad || (!bad && version != inc.PreviousVersion) {
				t.Fatalf("checkout line at %s carries version %s", formatTimestamp(r.micros), version)
			}
		}
		if !strings.Contains(r.body, inc.ErrorText) {
			continue
		}
		promoErrors++
		if r.res.service != "checkout" || version != inc.Version || r.sev != sevError || !r.hasTrace() ||
			r.micros < inc.SpikeStart.UnixMicro() || r.micros >= rollback {
			t.Fatalf("promotion error outside the bad release: %s %s %s at %s", r.res.service, version, severityNames[r.sev], formatTimestamp(r.micros))
		}
		var trace []*logRow
		for j := max(0, i-400); j < min(len(rows), i+400); j++ {
			if rows[j].traceID == r.traceID {
				trace = append(trace, &rows[j])
			}
		}
		var services []string
		pods := map[string]*resource{}
		for _, line := range trace {
			if !slices.Contains(services, line.res.service) {
				services = append(services, line.res.service)
				pods[line.res.service] = line.res
			}
			if pods[line.res.service] != line.res {
				t.Fatalf("trace %x: %s lines from two pods", r.traceID, line.res.service)
			}
		}
		first, last := trace[0], trace[len(trace)-1]
		if len(services) < 4 || services[0] != "auth" || last.res.service != "api-gateway" ||
			last.micros-first.micros > ms(1_000) || last.micros-first.micros < ms(10) {
			t.Fatalf("trace %x: services %v over %dµs, last line from %s", r.traceID, services, last.micros-first.micros, last.res.service)
		}
	}
	if promoErrors < 100 {
		t.Errorf("only %d promotion errors", promoErrors)
	}

	search := func(from, to time.Time) int {
		return count(t, srv, map[string]any{"dateRange": between(from, to), "searchTerm": "percentOff"})
	}
	if before := search(inc.DeployAt.Add(-6*time.Hour), inc.DeployAt); before != 0 {
		t.Errorf("%d promotion errors before the deploy", before)
	}
	if during := search(inc.SpikeStart, inc.SpikeEnd); during != promoErrors {
		t.Errorf("%d promotion errors found by search in the spike, %d in the data", during, promoErrors)
	}

	if len(inc.TraceServices) < 4 || len(inc.TraceID) != 32 || inc.ErrorAt.Before(inc.SpikeStart) {
		t.Fatalf("incident trace %+v", inc)
	}
	resp := call(t, srv, "POST", KeyFull, logsPath("explainLogWithAI"), map[string]any{"uuid": inc.ErrorUUID, "timestamp": inc.ErrorAt.Format(time.RFC3339Nano)})
	if resp.status != 200 || !strings.Contains(string(resp.body), "checkout") {
		t.Fatalf("explain the incident's error: %d %s", resp.status, resp.body)
	}
}

// TestObservedTimestamps: every line is observed after its timestamp, a
// few of them minutes late.
func TestObservedTimestamps(t *testing.T) {
	rows := shared(t).rows
	late := 0
	for i := range rows {
		delay := rows[i].observed() - rows[i].micros
		if delay <= 0 || delay > maxIngestDelay.Microseconds() {
			t.Fatalf("line observed %dµs after its timestamp", delay)
		}
		if delay > ms(10_000) {
			late++
		}
	}
	if share := float64(late) / float64(len(rows)); share < 0.002 || share > 0.008 {
		t.Errorf("%.2f%% of lines ingested late, want about 0.4%%", 100*share)
	}
}
