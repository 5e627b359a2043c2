package tools

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

// fakeLive is a PostHog logs/query that speaks the live-tail contract
// (posthog-logs-api.md §15): with liveLogsCheckpoint it answers the lines
// observed at or after it (inclusive, so lines repeat), and every row
// carries the checkpoint up to which ingestion is complete. Lines become
// visible by poll count, not by time, so tests need no clock.
type fakeLive struct {
	mu       sync.Mutex
	lines    []fakeLine
	polls    int              // requests that carried a checkpoint
	queries  []map[string]any // every request's query object
	received []string         // the checkpoints polled from
}

type fakeLine struct {
	row    client.LogRow
	arrive int // visible from this poll on (0: before the watch)
}

func (f *fakeLive) add(arrive int, n int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		i := len(f.lines)
		ts := testNow.Add(-time.Minute + time.Duration(i)*time.Second)
		f.lines = append(f.lines, fakeLine{arrive: arrive, row: client.LogRow{
			UUID:               fmt.Sprintf("01a212a1-0000-7000-8000-%012d", i),
			Timestamp:          ts.Format("2006-01-02T15:04:05.000000Z"),
			ObservedTimestamp:  ts.Add(time.Second).Format("2006-01-02T15:04:05.000000Z"),
			Body:               fmt.Sprintf("%s %d", body, i),
			Level:              "info",
			ResourceAttributes: map[string]string{"service.name": "checkout"},
		}})
	}
}

func (f *fakeLive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/logs/query/") {
		http.NotFound(w, r)
		return
	}
	var body struct {
		Query map[string]any `json:"query"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	q := body.Query
	f.queries = append(f.queries, q)
	cp, live := q["liveLogsCheckpoint"].(string)
	var cpTime time.Time
	if live {
		f.polls++
		f.received = append(f.received, cp)
		var err error
		if cpTime, err = time.Parse(time.RFC3339Nano, cp); err != nil {
			http.Error(w, "bad checkpoint", 500)
			return
		}
	}
	var rows []client.LogRow
	var complete time.Time
	for _, l := range f.lines {
		if l.arrive > f.polls {
			continue
		}
		obs, _ := time.Parse(time.RFC3339Nano, l.row.ObservedTimestamp)
		if obs.After(complete) {
			complete = obs
		}
		if live && obs.Before(cpTime) {
			continue
		}
		rows = append(rows, l.row)
	}
	if q["orderBy"] != "earliest" {
		slices.Reverse(rows)
	}
	if after, ok := q["after"].(string); ok && after != "" {
		raw, _ := base64.StdEncoding.DecodeString(after)
		var pos struct{ Timestamp, UUID string }
		_ = json.Unmarshal(raw, &pos)
		i := slices.IndexFunc(rows, func(r client.LogRow) bool { return r.UUID == pos.UUID })
		rows = rows[i+1:]
	}
	limit := 1000
	if l, ok := q["limit"].(float64); ok {
		limit = int(l)
	}
	hasMore := len(rows) > limit
	rows = rows[:min(limit, len(rows))]
	for i := range rows {
		rows[i].LiveLogsCheckpoint = complete.Format(time.RFC3339Nano)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"results": rows, "hasMore": hasMore})
}

func newLiveHarness(t *testing.T, maxOutput int) (*fakeLive, func(args map[string]any) (string, bool)) {
	t.Helper()
	f := &fakeLive{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cl, err := client.New(client.Options{Host: srv.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := New(Config{Client: cl, PinnedProject: 1, Now: func() time.Time { return testNow }, WatchPoll: time.Millisecond, MaxOutputChars: maxOutput})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithCaller(context.Background(), Caller{Key: "phx_test", Project: 1})
	return f, func(args map[string]any) (string, bool) {
		raw, _ := json.Marshal(args)
		res := ts.Call(ctx, NameQueryLogs, json.RawMessage(raw))
		return resultText(t, res), res.IsError
	}
}

func TestQueryLogsWatchReturnsNewLines(t *testing.T) {
	f, call := newLiveHarness(t, 0)
	f.add(0, 1, "before the watch")
	f.add(2, 2, "arrived")
	out, isErr := call(map[string]any{"wait_seconds": 60})
	if isErr {
		t.Fatal(out)
	}
	rows := printedRows(t, out)
	if len(rows) != 2 || rows[0].uuid != f.lines[1].row.UUID || rows[1].uuid != f.lines[2].row.UUID {
		t.Fatalf("new lines:\n%s", out)
	}
	if !strings.HasPrefix(out, "2 new lines, earliest first, after ") || !strings.Contains(out, " (2 polls) · ingested since 2026-11-25T13:59:01.000Z · window from 2026-11-25T13:00:00.000Z (UTC)") {
		t.Errorf("title:\n%s", out)
	}
	// First an ordinary query (no checkpoint, open end), then polls from
	// its row's checkpoint.
	if _, ok := f.queries[0]["liveLogsCheckpoint"]; ok {
		t.Errorf("first query carries a checkpoint: %v", f.queries[0])
	}
	for i, q := range f.queries {
		if dr, _ := q["dateRange"].(map[string]any); dr["date_to"] != nil {
			t.Errorf("query %d closes the window: %v", i, dr)
		}
	}
	if len(f.received) != 2 || !strings.HasPrefix(f.received[0], "2026-11-25T13:59:01") {
		t.Errorf("checkpoints polled: %v", f.received)
	}

	// The printed cursor keeps watching from PostHog's newest checkpoint;
	// the line it repeats (inclusive checkpoint) is not new.
	next := cursorInText.FindStringSubmatch(out)
	if next == nil || !strings.Contains(out, "next_cursor keeps watching (60 s; pass wait_seconds with it to change)") {
		t.Fatalf("no watch cursor:\n%s", out)
	}
	again, isErr := call(map[string]any{"cursor": next[1], "wait_seconds": 0})
	if isErr || !strings.HasPrefix(again, "no new matching lines in 0 s (1 poll)") || len(printedRows(t, again)) != 0 {
		t.Errorf("continued watch:\n%s", again)
	}
	if last := f.received[len(f.received)-1]; !strings.HasPrefix(last, "2026-11-25T13:59:03") {
		t.Errorf("continued from checkpoint %s, want PostHog's newest (13:59:03)", last)
	}

	// Lines that arrive while nobody watches are found by the cursor.
	f.add(4, 1, "later")
	third, _ := call(map[string]any{"cursor": cursorInText.FindStringSubmatch(again)[1], "wait_seconds": 30})
	if rows := printedRows(t, third); len(rows) != 1 || rows[0].uuid != f.lines[3].row.UUID {
		t.Errorf("third watch:\n%s", third)
	}
}

// TestQueryLogsWatchLossless: more new lines than the output budget
// holds come out over several cursors, each once.
func TestQueryLogsWatchLossless(t *testing.T) {
	f, call := newLiveHarness(t, 4000)
	f.add(0, 1, "before the watch")
	f.add(1, 40, strings.Repeat("a new line with a long body ", 6))
	out, isErr := call(map[string]any{"wait_seconds": 60, "limit": 25})
	if isErr {
		t.Fatal(out)
	}
	var got []string
	cuts := 0
	for i := 0; i < 40; i++ {
		if strings.Contains(out, "rows (output budget 4,000 chars); next_cursor continues at row") {
			cuts++
		}
		if len(out) > 4000 {
			t.Errorf("output of %d bytes over the 4,000 budget", len(out))
		}
		for _, r := range printedRows(t, out) {
			got = append(got, r.uuid)
		}
		if strings.HasPrefix(out, "no new matching lines") {
			break
		}
		next := cursorInText.FindStringSubmatch(out)
		if next == nil {
			t.Fatalf("no cursor:\n%s", out)
		}
		out, _ = call(map[string]any{"cursor": next[1], "wait_seconds": 0})
	}
	var want []string
	for _, l := range f.lines[1:] {
		want = append(want, l.row.UUID)
	}
	if cuts < 2 {
		t.Errorf("the budget cut %d pages: the test proves nothing", cuts)
	}
	if !slices.Equal(got, want) {
		t.Errorf("watched %d lines %v\nwant %d %v", len(got), got, len(want), want)
	}
}

// TestQueryLogsWatchJSON: the JSON answer names what the watch did.
func TestQueryLogsWatchJSON(t *testing.T) {
	f, call := newLiveHarness(t, 0)
	f.add(0, 1, "before the watch")
	f.add(1, 1, "arrived")
	out, _ := call(map[string]any{"wait_seconds": 5, "format": "json"})
	var j struct {
		Rows       []json.RawMessage `json:"rows"`
		NextCursor string            `json:"next_cursor"`
		Mode       struct {
			Watch struct {
				NewLines int    `json:"new_lines"`
				Polls    int    `json:"polls"`
				Check    string `json:"checkpoint"`
			} `json:"watch"`
		} `json:"mode"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatal(err)
	}
	if len(j.Rows) != 1 || j.NextCursor == "" || j.Mode.Watch.NewLines != 1 || j.Mode.Watch.Polls != 1 || !strings.HasPrefix(j.Mode.Watch.Check, "2026-11-25T13:59:01") {
		t.Errorf("json: %s", out)
	}
}
