package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a running clock that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// hour10 is the UTC hour the live tests start their sandboxes in.
var hour10 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func liveSandbox(at time.Time, lines int) (*Sandbox, *fakeClock) {
	clock := newFakeClock(at)
	return New(Config{Clock: clock.Now, Lines: lines}), clock
}

// serve sends one request through ServeHTTP, no network involved.
func serve(t testing.TB, s *Sandbox, method, endpoint string, body any) response {
	t.Helper()
	encoded, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, logsPath(endpoint), strings.NewReader(string(encoded)))
	req.Header.Set("Authorization", "Bearer "+KeyFull)
	s.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func serveQuery(t testing.TB, s *Sandbox, fields map[string]any) queryResponse {
	t.Helper()
	resp := serve(t, s, "POST", "query", q(fields))
	if resp.status != http.StatusOK {
		t.Fatalf("query %v: %d %s", fields, resp.status, resp.body)
	}
	var out queryResponse
	resp.decode(t, &out)
	return out
}

func between(from, to time.Time) map[string]any {
	return map[string]any{"date_from": from.Format(time.RFC3339Nano), "date_to": to.Format(time.RFC3339Nano)}
}

// rowKeys reduces rows to what must be identical across processes.
func rowKeys(rows []rowJSON) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.UUID + " " + r.Timestamp + " " + r.ObservedTimestamp + " " + r.TraceID + " " + r.Body
	}
	return keys
}

// TestSameHourSameData: two sandboxes started at different instants of one
// UTC hour hold the same lines, uuids and incident, including the lines
// that arrived after the anchor, and a uuid printed by one is explained by
// the other.
func TestSameHourSameData(t *testing.T) {
	early, earlyClock := liveSandbox(hour10.Add(5*time.Minute+17*time.Second), 6000)
	late, _ := liveSandbox(hour10.Add(52*time.Minute+3*time.Second), 6000)
	if !early.Now().Equal(hour10.Add(30*time.Minute)) || !late.Now().Equal(early.Now()) {
		t.Fatalf("anchors %s and %s, want 10:30", early.Now(), late.Now())
	}
	if a, b := early.Incident(), late.Incident(); !a.SpikeStart.Equal(b.SpikeStart) || a.TraceID != b.TraceID || a.ErrorUUID != b.ErrorUUID || a.TraceID == "" {
		t.Fatalf("incidents differ:\n%+v\n%+v", a, b)
	}

	// The day so far, as the early process sees it, then the late one.
	window := between(hour10.Add(-23*time.Hour), hour10.Add(5*time.Minute))
	page := map[string]any{"dateRange": window, "orderBy": "earliest", "limit": 2000}
	a, b := serveQuery(t, early, page), serveQuery(t, late, page)
	if len(a.Results) != 2000 || !slices.Equal(rowKeys(a.Results), rowKeys(b.Results)) {
		t.Fatalf("first pages differ (%d and %d rows)", len(a.Results), len(b.Results))
	}

	// The lines after the anchor are made as the clock reaches them; the
	// early process, moved to the late one's time, makes the same ones.
	earlyClock.Set(hour10.Add(52*time.Minute + 3*time.Second))
	recent := map[string]any{"dateRange": between(hour10.Add(25*time.Minute), hour10.Add(53*time.Minute)), "limit": 2000}
	a, b = serveQuery(t, early, recent), serveQuery(t, late, recent)
	if len(a.Results) < 100 || !slices.Equal(rowKeys(a.Results), rowKeys(b.Results)) {
		t.Fatalf("live lines differ (%d and %d rows)", len(a.Results), len(b.Results))
	}
	newest := a.Results[0]
	if ts := parseRowTime(t, newest.Timestamp); ts.After(earlyClock.Now()) || ts.Before(earlyClock.Now().Add(-time.Minute)) {
		t.Fatalf("newest line at %s, clock at %s", newest.Timestamp, earlyClock.Now())
	}

	// A uuid from one process is explained by the other.
	for _, r := range []rowJSON{a.Results[len(a.Results)/2], newest} {
		resp := serve(t, late, "POST", "explainLogWithAI", map[string]any{"uuid": r.UUID, "timestamp": r.Timestamp})
		if resp.status != http.StatusOK {
			t.Fatalf("explain %s from the other process: %d %s", r.UUID, resp.status, resp.body)
		}
	}
}

// TestAnchorIsTheHour: every instant of an hour gives the same anchor, and
// the incident is between 1.5 and 2.5 hours old.
func TestAnchorIsTheHour(t *testing.T) {
	for _, offset := range []time.Duration{0, time.Second, 29 * time.Minute, 30 * time.Minute, 59*time.Minute + 59*time.Second + 999*time.Millisecond} {
		at := hour10.Add(offset)
		s, _ := liveSandbox(at, 500)
		if !s.Now().Equal(hour10.Add(30 * time.Minute)) {
			t.Errorf("started at %s: anchor %s", at, s.Now())
		}
		inc := s.Incident()
		if age := at.Sub(inc.SpikeStart); age < 90*time.Minute || age > 150*time.Minute {
			t.Errorf("started at %s: the spike began %s before", at, age)
		}
		if age := at.Sub(inc.DeployAt); age < 100*time.Minute || age > 160*time.Minute {
			t.Errorf("started at %s: the deploy was %s before", at, age)
		}
	}
	if s, _ := liveSandbox(hour10.Add(time.Hour), 500); !s.Now().Equal(hour10.Add(90 * time.Minute)) {
		t.Errorf("the next hour anchors at %s", s.Now())
	}
	pinned := New(Config{Now: testNow, Lines: 500, Clock: func() time.Time { return hour10 }})
	if !pinned.Now().Equal(testNow) || !pinned.Clock().Equal(testNow) {
		t.Errorf("a pinned Now gives anchor %s and clock %s", pinned.Now(), pinned.Clock())
	}
}

// TestLinesArrive plays live tail as PostHog's UI does: a query, then polls
// with the checkpoint of the first row. Moving the clock brings new lines,
// before the anchor (the generated day) and after it (live minutes).
func TestLinesArrive(t *testing.T) {
	for _, start := range []time.Duration{10 * time.Minute, 29*time.Minute + 50*time.Second, 40 * time.Minute} {
		t.Run(start.String(), func(t *testing.T) {
			s, clock := liveSandbox(hour10.Add(start), 20000)
			tail := map[string]any{"dateRange": map[string]any{"date_from": "-10M"}, "limit": 100}
			first := serveQuery(t, s, tail)
			if len(first.Results) == 0 {
				t.Fatal("no lines in the last 10 minutes")
			}
			seen := map[string]bool{}
			for _, r := range first.Results {
				seen[r.UUID] = true
				if parseRowTime(t, r.ObservedTimestamp).After(clock.Now()) {
					t.Fatalf("row %s observed at %s, after the clock %s", r.UUID, r.ObservedTimestamp, clock.Now())
				}
			}
			checkpoint := *first.Results[0].LiveLogsCheckpoint
			if want := clock.Now().Add(-ingestLag).Format("2006-01-02T15:04:05.000000"); checkpoint != want {
				t.Fatalf("checkpoint %q, want %q (naive UTC, 2 s behind the clock)", checkpoint, want)
			}

			fresh := 0
			for range 6 {
				clock.Add(5 * time.Second)
				poll := serveQuery(t, s, map[string]any{"dateRange": tail["dateRange"], "limit": 100, "liveLogsCheckpoint": checkpoint})
				cp := checkpointTime(t, checkpoint)
				for _, r := range poll.Results {
					if parseRowTime(t, r.ObservedTimestamp).Before(cp) {
						t.Fatalf("row observed at %s before the checkpoint %s", r.ObservedTimestamp, checkpoint)
					}
					if *r.LiveLogsCheckpoint != *poll.Results[0].LiveLogsCheckpoint {
						t.Fatal("rows of one response carry different checkpoints")
					}
					if !seen[r.UUID] {
						seen[r.UUID], fresh = true, fresh+1
					}
				}
				if len(poll.Results) > 0 {
					checkpoint = *poll.Results[0].LiveLogsCheckpoint
				}
			}
			if fresh < 5 {
				t.Fatalf("only %d new lines in 30 s of polling", fresh)
			}
		})
	}
}

func checkpointTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, ok := parseCheckpoint(s)
	if !ok {
		t.Fatalf("checkpoint %q does not parse", s)
	}
	return ts
}

// TestLateIngestion: a line observed long after its timestamp is hidden
// until then, and live tail's checkpoint (on observed_timestamp) catches it
// although it is stamped before the checkpoint.
func TestLateIngestion(t *testing.T) {
	s, clock := liveSandbox(hour10.Add(45*time.Minute), 20000)
	var late *logRow
	rows := s.rowsFor(ProjectID, clock.Now())
	for i := len(rows) - 1; i >= 0; i-- {
		if r := &rows[i]; r.observed()-r.micros > ms(30_000) {
			late = r
			break
		}
	}
	if late == nil {
		t.Fatal("no late-ingested line")
	}
	stamped, observed := time.UnixMicro(late.micros).UTC(), time.UnixMicro(late.observed()).UTC()
	lookup := map[string]any{"dateRange": between(stamped, stamped), "limit": 100}
	has := func(resp queryResponse) bool {
		return slices.ContainsFunc(resp.Results, func(r rowJSON) bool { return r.UUID == formatUUID(late.uuid) })
	}

	clock.Set(observed.Add(-time.Second))
	if has(serveQuery(t, s, lookup)) {
		t.Fatalf("line observed at %s shown at %s", observed, clock.Now())
	}
	cp := clock.Now().Add(-ingestLag).Format("2006-01-02T15:04:05.000000")
	clock.Set(observed)
	if !has(serveQuery(t, s, lookup)) {
		t.Fatal("line not shown once observed")
	}
	tail := serveQuery(t, s, map[string]any{"dateRange": map[string]any{"date_from": "-1h"}, "limit": 2000, "liveLogsCheckpoint": cp})
	if !has(tail) {
		t.Fatalf("live tail from %s misses the line stamped %s, observed %s", cp, stamped, observed)
	}
}

func TestCheckpointParsing(t *testing.T) {
	s := shared(t).Sandbox
	window := map[string]any{"date_from": iso(-time.Hour)}
	all := serveQuery(t, s, map[string]any{"dateRange": window, "limit": 2000})
	for _, cp := range []string{"2026-11-25T13:30:00", "2026-11-25T13:30:00.000000", "2026-11-25T13:30:00Z", "2026-11-25T14:30:00+01:00", "2026-11-25 13:30:00"} {
		got := serveQuery(t, s, map[string]any{"dateRange": window, "limit": 2000, "liveLogsCheckpoint": cp})
		want := 0
		for _, r := range all.Results {
			if r.ObservedTimestamp >= "2026-11-25T13:30:00.000000Z" {
				want++
			}
		}
		if len(got.Results) != want || want == 0 {
			t.Errorf("checkpoint %q: %d rows, want %d", cp, len(got.Results), want)
		}
	}
	for _, cp := range []string{"-1h", "now", "yesterday", "2026-13-01T00:00:00", "1764000000"} {
		if resp := serve(t, s, "POST", "query", q(map[string]any{"dateRange": window, "liveLogsCheckpoint": cp})); resp.status != http.StatusInternalServerError {
			t.Errorf("checkpoint %q: %d %s, want 500", cp, resp.status, resp.body)
		}
	}
}

// TestLiveMinutesAnyOrder: publishing minute by minute, second by second
// or in one jump gives the same rows, sorted, with unique uuids.
func TestLiveMinutesAnyOrder(t *testing.T) {
	start, end := hour10.Add(31*time.Minute), hour10.Add(38*time.Minute+20*time.Second)
	stepped, clock := liveSandbox(start, 20000)
	for clock.Now().Before(end) {
		clock.Add(7 * time.Second)
		stepped.rowsFor(ProjectID, clock.Now())
	}
	jumped, _ := liveSandbox(end, 20000)
	a, b := stepped.rowsFor(ProjectID, end), jumped.rowsFor(ProjectID, end)
	if len(a) != len(b) || len(a) <= len(stepped.rows) {
		t.Fatalf("%d and %d rows (%d generated before the anchor)", len(a), len(b), len(stepped.rows))
	}
	uuids := make(map[[16]byte]bool, len(a))
	for i := range a {
		if a[i].uuid != b[i].uuid || a[i].body != b[i].body || a[i].observedDelta != b[i].observedDelta {
			t.Fatalf("row %d differs: %s and %s", i, formatUUID(a[i].uuid), formatUUID(b[i].uuid))
		}
		if i > 0 && compareRows(a[i-1], a[i]) >= 0 {
			t.Fatalf("rows %d and %d out of order", i-1, i)
		}
		if uuids[a[i].uuid] {
			t.Fatalf("duplicate uuid %s", formatUUID(a[i].uuid))
		}
		uuids[a[i].uuid] = true
	}
	if perMinute := float64(len(a)-len(stepped.rows)) / end.Sub(hour10.Add(30*time.Minute)).Minutes(); perMinute < 20000.0/1440/2 || perMinute > 20000.0/1440*2 {
		t.Errorf("%.1f live lines a minute, want about %.1f", perMinute, 20000.0/1440)
	}
}

// TestLiveConcurrent: requests racing while the clock moves (run with -race).
func TestLiveConcurrent(t *testing.T) {
	s, clock := liveSandbox(hour10.Add(35*time.Minute), 5000)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				if w == 0 {
					clock.Add(3 * time.Second)
				}
				endpoint := []string{"query", "count", "sparkline"}[i%3]
				resp := serve(t, s, "POST", endpoint, q(map[string]any{"dateRange": map[string]any{"date_from": "-5M"}, "limit": 50}))
				if resp.status != http.StatusOK {
					t.Errorf("%s: %d %s", endpoint, resp.status, resp.body)
					return
				}
			}
		}()
	}
	wg.Wait()
}
