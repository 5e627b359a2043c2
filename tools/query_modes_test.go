package tools

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

var (
	traceInText  = regexp.MustCompile(`trace_id=([0-9a-f]{32})`)
	cursorInText = regexp.MustCompile(`next_cursor: (c[12]\.\S+)`)
	// A printed row: optional anchor mark, timestamp, optional offset.
	printedRow = regexp.MustCompile(`(?m)^(▶ )?(\d{4}-\d\d-\d\dT[\d:.]+Z) (?:([+-]\d+\.\d{3}s) )?(\S+) .*uuid=([0-9a-f-]{36})$`)
)

type printed struct {
	anchor    bool
	timestamp string
	offset    string
	uuid      string
}

func printedRows(t *testing.T, out string) []printed {
	t.Helper()
	var rows []printed
	for _, m := range printedRow.FindAllStringSubmatch(out, -1) {
		rows = append(rows, printed{anchor: m[1] != "", timestamp: m[2], offset: m[3], uuid: m[5]})
	}
	return rows
}

// directClient talks to the test sandbox without the tools, to compute
// what an answer must contain.
func directClient(t *testing.T, h *harness) (*client.Client, client.Auth) {
	t.Helper()
	cl, err := client.New(client.Options{Host: h.sb.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cl, client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID}
}

// allRows reads every row of a query, page by page.
func allRows(t *testing.T, h *harness, q client.LogsQuery) []client.LogRow {
	t.Helper()
	cl, auth := directClient(t, h)
	var out []client.LogRow
	for {
		page, err := cl.QueryLogs(context.Background(), auth, q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Results...)
		if !page.HasMore || len(page.Results) == 0 {
			return out
		}
		last := page.Results[len(page.Results)-1]
		q.After = client.AfterCursor(last.Timestamp, last.UUID)
	}
}

// multiServiceTrace finds a trace of the sandbox that crosses services.
func multiServiceTrace(t *testing.T, h *harness) (string, []client.LogRow) {
	t.Helper()
	out := h.ok(NameQueryLogs, map[string]any{"services": []string{"api-gateway"}, "search": "POST /api/checkout", "date_from": "-3h", "limit": 30})
	for _, m := range traceInText.FindAllStringSubmatch(out, -1) {
		rows := allRows(t, h, client.LogsQuery{Order: "earliest", Filters: client.Filters{
			From: testNow.Add(-24 * time.Hour), To: testNow, Properties: []client.PropertyFilter{traceFilter(m[1])}}})
		services := map[string]bool{}
		for _, r := range rows {
			services[r.Service()] = true
		}
		if len(services) > 1 {
			return m[1], rows
		}
	}
	t.Fatal("no trace of the sandbox crosses services")
	return "", nil
}

func TestQueryLogsTrace(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	id, want := multiServiceTrace(t, h)
	h.sb.ResetRequests()
	out := h.ok(NameQueryLogs, map[string]any{"trace_id": strings.ToUpper(id)})

	var svcs []string
	for _, r := range want {
		if !slices.Contains(svcs, r.Service()) {
			svcs = append(svcs, r.Service())
		}
	}
	title := strings.SplitN(out, "\n", 2)[0]
	wantTitle := "trace " + id + " · " + itoa(len(want)) + " lines across " + strings.Join(svcs, " → ") + ", earliest first, +s from its first line at " + rowTime(want[0].Timestamp) +
		" · window 2026-11-24T14:00:00Z → 2026-11-25T14:00:00Z (UTC)"
	if title != wantTitle {
		t.Errorf("title\n got %q\nwant %q", title, wantTitle)
	}
	rows := printedRows(t, out)
	if len(rows) != len(want) {
		t.Fatalf("%d rows printed, want %d:\n%s", len(rows), len(want), out)
	}
	t0, _ := time.Parse(time.RFC3339Nano, want[0].Timestamp)
	for i, r := range rows {
		ts, _ := time.Parse(time.RFC3339Nano, want[i].Timestamp)
		if r.uuid != want[i].UUID || r.offset != traceOffset(ts.Sub(t0)) {
			t.Errorf("row %d: %+v, want uuid %s offset %s", i, r, want[i].UUID, traceOffset(ts.Sub(t0)))
		}
	}
	if rows[0].offset != "+0.000s" {
		t.Errorf("first offset %q", rows[0].offset)
	}
	if strings.Contains(out, "trace_id="+id) {
		t.Errorf("the trace id is repeated on rows or in the shared line:\n%s", out)
	}
	// One request: the trace_id log column, earliest first, the last 24 h.
	reqs := h.sb.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests: %v", h.upstreamPaths())
	}
	body := string(reqs[0].Body)
	for _, part := range []string{`"key":"trace_id"`, `"type":"log"`, `"value":"` + id + `"`, `"orderBy":"earliest"`, `"date_from":"2026-11-24T14:00:00Z"`} {
		if !strings.Contains(body, part) {
			t.Errorf("upstream body lacks %s: %s", part, body)
		}
	}

	// Combined with the common filters: one service of the trace.
	out = h.ok(NameQueryLogs, map[string]any{"trace_id": id, "services": []string{svcs[1]}})
	var ofService []string
	for _, r := range want {
		if r.Service() == svcs[1] {
			ofService = append(ofService, r.UUID)
		}
	}
	var shown []string
	for _, r := range printedRows(t, out) {
		shown = append(shown, r.uuid)
	}
	if !slices.Equal(shown, ofService) || !strings.Contains(out, " across "+svcs[1]+", earliest first") {
		t.Errorf("trace of one service: %v, want %v:\n%s", shown, ofService, out)
	}

	// JSON carries the offsets and the services.
	out = h.ok(NameQueryLogs, map[string]any{"trace_id": id, "format": "json"})
	var j struct {
		Rows []struct {
			Offset string `json:"offset"`
		} `json:"rows"`
		Mode struct {
			TraceID  string   `json:"trace_id"`
			Services []string `json:"services"`
		} `json:"mode"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatal(err)
	}
	if j.Mode.TraceID != id || !slices.Equal(j.Mode.Services, svcs) || len(j.Rows) != len(want) || j.Rows[0].Offset != "+0.000s" {
		t.Errorf("json: %s", out)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestQueryLogsTracePaging follows a trace one line per page through the
// printed cursors: every line once, offsets from the trace's first line,
// the services named so far.
func TestQueryLogsTracePaging(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	id, want := multiServiceTrace(t, h)
	out := h.ok(NameQueryLogs, map[string]any{"trace_id": id, "limit": 1})
	var got []printed
	var lastTitle string
	for page := 0; ; page++ {
		if page > len(want)+1 {
			t.Fatal("cursors do not end")
		}
		got = append(got, printedRows(t, out)...)
		lastTitle = strings.SplitN(out, "\n", 2)[0]
		m := cursorInText.FindStringSubmatch(out)
		if m == nil {
			break
		}
		if !strings.Contains(out, `(to continue, call query_logs with only {"cursor": next_cursor})`) {
			t.Fatalf("no continuation instruction:\n%s", out)
		}
		out = h.ok(NameQueryLogs, map[string]any{"cursor": m[1]})
	}
	if len(got) != len(want) {
		t.Fatalf("paged %d rows, want %d", len(got), len(want))
	}
	t0, _ := time.Parse(time.RFC3339Nano, want[0].Timestamp)
	for i := range want {
		ts, _ := time.Parse(time.RFC3339Nano, want[i].Timestamp)
		if got[i].uuid != want[i].UUID || got[i].offset != traceOffset(ts.Sub(t0)) {
			t.Errorf("page %d: %+v, want %s %s", i, got[i], want[i].UUID, traceOffset(ts.Sub(t0)))
		}
	}
	var svcs []string
	for _, r := range want {
		if !slices.Contains(svcs, r.Service()) {
			svcs = append(svcs, r.Service())
		}
	}
	if !strings.Contains(lastTitle, "1 more line across "+strings.Join(svcs, " → ")+",") {
		t.Errorf("last page title should name every service met so far: %q", lastTitle)
	}
}

func TestQueryLogsTraceEmptyAndInvalid(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameQueryLogs, map[string]any{"trace_id": "0123456789abcdef0123456789abcdef"})
	if !strings.Contains(out, "No lines of trace 0123456789abcdef0123456789abcdef in this window. Try: a wider window (date_from \"-7d\")") {
		t.Errorf("empty trace:\n%s", out)
	}
	h.sb.ResetRequests()
	for name, args := range map[string]map[string]any{
		"short":          {"trace_id": "abc"},
		"not hex":        {"trace_id": strings.Repeat("g", 32)},
		"latest":         {"trace_id": strings.Repeat("a", 32), "order": "latest"},
		"with around":    {"trace_id": strings.Repeat("a", 32), "around": map[string]any{"uuid": "01a212a1-6788-711a-a726-4987accff2c8", "timestamp": "2026-11-25T12:00:00Z"}},
		"with wait":      {"trace_id": strings.Repeat("a", 32), "wait_seconds": 5},
		"with cursor":    {"trace_id": strings.Repeat("a", 32), "cursor": "c1.x"},
		"wait too long":  {"wait_seconds": 121},
		"wait negative":  {"wait_seconds": -1},
		"wait with to":   {"wait_seconds": 5, "date_to": "-5m"},
		"wait plain cur": {"wait_seconds": 5, "cursor": encodeCursor(cursorState{Project: 1, From: testNow.Add(-time.Hour), To: testNow, Order: "latest", AfterTS: "2026-11-25T13:00:00Z", AfterID: "01a212a1-6788-711a-a726-4987accff2c8", Limit: 5})},
	} {
		if msg := h.fail(NameQueryLogs, args); !strings.HasPrefix(msg, "INVALID_ARGUMENT: ") {
			t.Errorf("%s: %s", name, msg)
		}
	}
	if n := len(h.sb.Requests()); n != 0 {
		t.Errorf("bad input sent %d requests: %v", n, h.upstreamPaths())
	}
}

// anchorRow picks an error line of checkout in the sandbox's incident.
func anchorRow(t *testing.T, h *harness) client.LogRow {
	t.Helper()
	cl, auth := directClient(t, h)
	page, err := cl.QueryLogs(context.Background(), auth, client.LogsQuery{Limit: 1, Filters: client.Filters{
		From: testNow.Add(-3 * time.Hour), To: testNow, Services: []string{"checkout"}, Search: "failed to apply promotion"}})
	if err != nil || len(page.Results) != 1 {
		t.Fatalf("anchor: %v", err)
	}
	return page.Results[0]
}

func TestQueryLogsAround(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	a := anchorRow(t, h)
	at, _ := time.Parse(time.RFC3339Nano, a.Timestamp)
	// What grep -C would show: the service's lines in time order.
	all := allRows(t, h, client.LogsQuery{Order: "earliest", Limit: 1000, Filters: client.Filters{
		From: at.Add(-time.Hour), To: at.Add(time.Hour), Services: []string{"checkout"}}})
	idx := slices.IndexFunc(all, func(r client.LogRow) bool { return r.UUID == a.UUID })
	if idx < 10 || idx+10 >= len(all) {
		t.Fatalf("anchor at %d of %d: too close to the window's edge for this test", idx, len(all))
	}
	want := all[idx-10 : idx+11]

	out := h.ok(NameQueryLogs, map[string]any{"around": map[string]any{"uuid": a.UUID, "timestamp": rowTime(a.Timestamp)}})
	rows := printedRows(t, out)
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), out)
	}
	for i, r := range rows {
		if r.uuid != want[i].UUID || r.anchor != (i == 10) {
			t.Errorf("row %d: %+v, want %s (anchor %v)", i, r, want[i].UUID, i == 10)
		}
	}
	if n := strings.Count(out, "▶ "); n != 1 {
		t.Errorf("%d anchor marks", n)
	}
	if title := strings.SplitN(out, "\n", 2)[0]; !strings.HasPrefix(title, "around "+rowTime(a.Timestamp)+" (▶) · 10 before, 10 after · same service.name=checkout · window "+
		rowTime(at.Add(-time.Hour).Format(time.RFC3339Nano))) {
		t.Errorf("title: %q", title)
	}

	// Both printed continuations run verbatim and go on where the rows end.
	earlier := regexp.MustCompile(`earlier lines: query_logs (\{"cursor": "c[12]\.[^"]+"\})`).FindStringSubmatch(out)
	later := cursorInText.FindStringSubmatch(out)
	if earlier == nil || later == nil {
		t.Fatalf("continuations missing:\n%s", out)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(earlier[1]), &args); err != nil {
		t.Fatal(err)
	}
	before := printedRows(t, h.ok(NameQueryLogs, args))
	if len(before) == 0 || before[0].uuid != all[idx-11].UUID || before[1].uuid != all[idx-12].UUID {
		t.Errorf("earlier cursor: %+v, want %s then %s", before[:min(2, len(before))], all[idx-11].UUID, all[idx-12].UUID)
	}
	after := printedRows(t, h.ok(NameQueryLogs, map[string]any{"cursor": later[1], "limit": 2}))
	if len(after) != 2 || after[0].uuid != all[idx+11].UUID || after[1].uuid != all[idx+12].UUID {
		t.Errorf("next cursor: %+v, want %s then %s", after, all[idx+11].UUID, all[idx+12].UUID)
	}
}

func TestQueryLogsAroundSame(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	a := anchorRow(t, h)
	for _, tc := range []struct {
		same, key, value string
	}{
		{"pod", "k8s.pod.name", a.ResourceAttributes["k8s.pod.name"]},
		{"host", "host.name", a.ResourceAttributes["host.name"]},
		{"trace", "trace_id", a.TraceID},
		{"none", "", ""},
	} {
		out := h.ok(NameQueryLogs, map[string]any{"format": "json", "around": map[string]any{
			"uuid": a.UUID, "timestamp": a.Timestamp, "same": tc.same, "before": 4, "after": 4}})
		var j struct {
			Rows []struct {
				UUID     string            `json:"uuid"`
				Service  string            `json:"service"`
				TraceID  string            `json:"trace_id"`
				Resource map[string]string `json:"resource_attributes"`
				Anchor   bool              `json:"anchor"`
			} `json:"rows"`
			Shared *struct {
				Resource map[string]string `json:"resource_attributes"`
			} `json:"same_on_every_row"`
			Mode struct {
				Same   string `json:"same"`
				Before int    `json:"before"`
			} `json:"mode"`
		}
		if err := json.Unmarshal([]byte(out), &j); err != nil {
			t.Fatal(err)
		}
		anchors, services := 0, map[string]bool{}
		for _, r := range j.Rows {
			if r.Anchor {
				anchors++
				if r.UUID != a.UUID {
					t.Errorf("%s: anchor %s, want %s", tc.same, r.UUID, a.UUID)
				}
			}
			services[r.Service] = true
			switch tc.key {
			case "trace_id":
				if r.TraceID != a.TraceID {
					t.Errorf("same trace: row of trace %q", r.TraceID)
				}
			case "":
			default:
				v := r.Resource[tc.key]
				if v == "" && j.Shared != nil {
					v = j.Shared.Resource[tc.key]
				}
				if v != tc.value {
					t.Errorf("same %s: row with %s=%q, want %q", tc.same, tc.key, v, tc.value)
				}
			}
		}
		if anchors != 1 {
			t.Errorf("same %s: %d anchors in %s", tc.same, anchors, out)
		}
		if tc.same == "none" && (len(j.Rows) != 9 || len(services) < 2) {
			t.Errorf("same none: %d rows from %d services", len(j.Rows), len(services))
		}
	}

	// Just the line: before and after 0.
	out := h.ok(NameQueryLogs, map[string]any{"around": map[string]any{"uuid": a.UUID, "timestamp": a.Timestamp, "before": 0, "after": 0}})
	if rows := printedRows(t, out); len(rows) != 1 || !rows[0].anchor {
		t.Errorf("before/after 0:\n%s", out)
	}
	// A timestamp half a second off still finds the line (as explain_log allows).
	at, _ := time.Parse(time.RFC3339Nano, a.Timestamp)
	out = h.ok(NameQueryLogs, map[string]any{"around": map[string]any{"uuid": strings.ToUpper(a.UUID), "timestamp": at.Add(500 * time.Millisecond).Format(time.RFC3339Nano), "before": 1, "after": 1}})
	if rows := printedRows(t, out); len(rows) != 3 || !rows[1].anchor || rows[1].uuid != a.UUID {
		t.Errorf("sloppy timestamp:\n%s", out)
	}
}

func TestQueryLogsAroundErrors(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	a := anchorRow(t, h)
	msg := h.fail(NameQueryLogs, map[string]any{"around": map[string]any{"uuid": "01a212a1-0000-7000-8000-000000000000", "timestamp": a.Timestamp}})
	if !strings.HasPrefix(msg, "NOT_FOUND: no line with uuid 01a212a1-0000-7000-8000-000000000000 within a second of ") || !strings.Contains(msg, "check:") {
		t.Errorf("missing anchor: %s", msg)
	}
	// The gateway line has no pod of checkout... but every sandbox line has a
	// pod; a line without a trace id shows the same-trace error.
	cl, auth := directClient(t, h)
	page, err := cl.QueryLogs(context.Background(), auth, client.LogsQuery{Limit: 1, Filters: client.Filters{
		From: testNow.Add(-3 * time.Hour), To: testNow, Search: "rollback started"}})
	if err != nil || len(page.Results) != 1 || page.Results[0].TraceID != "" {
		t.Fatalf("a line without trace: %v", err)
	}
	noTrace := page.Results[0]
	msg = h.fail(NameQueryLogs, map[string]any{"around": map[string]any{"uuid": noTrace.UUID, "timestamp": noTrace.Timestamp, "same": "trace"}})
	if !strings.Contains(msg, `the anchor line has no trace id; use same "service" or "none"`) {
		t.Errorf("no trace: %s", msg)
	}
	msg = h.fail(NameQueryLogs, map[string]any{"around": map[string]any{"uuid": a.UUID, "timestamp": a.Timestamp}, "date_from": "-10m"})
	if !strings.Contains(msg, "does not contain the anchor line") {
		t.Errorf("window without the anchor: %s", msg)
	}
	h.sb.ResetRequests()
	for name, around := range map[string]map[string]any{
		"uuid":       {"uuid": "nope", "timestamp": a.Timestamp},
		"no time":    {"uuid": a.UUID},
		"relative":   {"uuid": a.UUID, "timestamp": "-1h"},
		"before 101": {"uuid": a.UUID, "timestamp": a.Timestamp, "before": 101},
		"after -1":   {"uuid": a.UUID, "timestamp": a.Timestamp, "after": -1},
		"same":       {"uuid": a.UUID, "timestamp": a.Timestamp, "same": "cluster"},
		"unknown":    {"uuid": a.UUID, "timestamp": a.Timestamp, "context": 3},
	} {
		if msg := h.fail(NameQueryLogs, map[string]any{"around": around}); !strings.HasPrefix(msg, "INVALID_ARGUMENT: ") {
			t.Errorf("%s: %s", name, msg)
		}
	}
	if msg := h.fail(NameQueryLogs, map[string]any{"around": map[string]any{"uuid": a.UUID, "timestamp": a.Timestamp}, "order": "latest"}); !strings.Contains(msg, "drop order") {
		t.Errorf("order: %s", msg)
	}
	if n := len(h.sb.Requests()); n != 0 {
		t.Errorf("bad input sent %d requests: %v", n, h.upstreamPaths())
	}
}

// TestQueryLogsAroundBudget: when the output budget cuts the lines after
// the anchor, next_cursor continues exactly after the last line shown.
func TestQueryLogsAroundBudget(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = 6000 })
	a := anchorRow(t, h)
	out := h.ok(NameQueryLogs, map[string]any{"around": map[string]any{"uuid": a.UUID, "timestamp": a.Timestamp, "before": 5, "after": 100}, "max_body_chars": 0})
	if len(out) > 6000 || !strings.Contains(out, "next_cursor continues at row") {
		t.Fatalf("budget (%d chars):\n%s", len(out), out)
	}
	rows := printedRows(t, out)
	at, _ := time.Parse(time.RFC3339Nano, a.Timestamp)
	all := allRows(t, h, client.LogsQuery{Order: "earliest", Limit: 1000, Filters: client.Filters{
		From: at.Add(-time.Hour), To: at.Add(time.Hour), Services: []string{"checkout"}}})
	last := slices.IndexFunc(all, func(r client.LogRow) bool { return r.UUID == rows[len(rows)-1].uuid })
	next := printedRows(t, h.ok(NameQueryLogs, map[string]any{"cursor": cursorInText.FindStringSubmatch(out)[1], "limit": 1}))
	if len(next) != 1 || next[0].uuid != all[last+1].UUID {
		t.Errorf("after the budget cut: %+v, want %s", next, all[last+1].UUID)
	}
}
