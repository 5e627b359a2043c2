package tools

import (
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

func sampleCursor() cursorState {
	from := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	return cursorState{
		Project: 1, From: from, To: from.Add(time.Hour),
		Sev: []string{"error"}, Services: []string{"checkout"}, Search: "declined",
		Props: []client.PropertyFilter{{Key: "http.route", Type: "log_attribute", Operator: "exact", Value: []string{"/a", "/b"}}},
		Order: "latest", AfterTS: "2026-11-25T13:59:57.537123Z", AfterID: "01a21301-8961-72bd-8eac-bb39d8822369", Limit: 50, MaxBody: 300,
	}
}

func TestCursorRoundTrip(t *testing.T) {
	st := sampleCursor()
	got, err := decodeCursor(encodeCursor(st), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, st)
	}
}

func TestCursorRejectsTampering(t *testing.T) {
	bad := []string{
		"", "c1.", "c2.abc", "c1.!!!", "c1." + "eyJ9",
		encodeCursor(func() cursorState { s := sampleCursor(); s.Order = "sideways"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Limit = 5000; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.From = s.To; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.AfterID = ""; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.AfterID = "../../x"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.AfterTS = "yesterday"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Props[0].Operator = "drop table"; return s }()),
		// Checked as strictly as the arguments they stand for.
		encodeCursor(func() cursorState { s := sampleCursor(); s.Project = 0; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Project = -3; return s }()),
		encodeCursor(func() cursorState {
			s := sampleCursor()
			s.From, s.To = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
			return s
		}()),
		encodeCursor(func() cursorState {
			s := sampleCursor()
			s.From = testNow.Add(time.Hour)
			s.To = testNow.Add(2 * time.Hour)
			return s
		}()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Props[0].Type = "cohort"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Props[0].Type = "event"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Props[0].Key = ""; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Props[0].Value = nil; return s }()),
		encodeCursor(func() cursorState {
			s := sampleCursor()
			s.Props[0] = client.PropertyFilter{Key: "duration_ms", Type: "log_attribute", Operator: "gt", Value: "slow"}
			return s
		}()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Sev = []string{"loud"}; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Services = []string{" "}; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Format = "yaml"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.MaxBody = -1; return s }()),
		cursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(`{"p":1,"zz":1}`)),
	}
	for _, c := range bad {
		if _, err := decodeCursor(c, testNow); err == nil {
			t.Errorf("decodeCursor(%.40q) accepted a bad cursor", c)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(sampleCursor()))
	f.Add("c1.e30")
	f.Add("c1.eyJwIjoxfQ")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := decodeCursor(s, testNow)
		if err != nil {
			return
		}
		// Whatever decodes must be a query we can run and re-encode.
		if !st.From.Before(st.To) || st.Limit < 1 || st.Limit > maxQueryLimit || st.after() == "" {
			t.Fatalf("accepted an unusable cursor: %+v", st)
		}
		if _, err := decodeCursor(encodeCursor(st), testNow); err != nil {
			t.Fatalf("re-encoded cursor does not decode: %v", err)
		}
	})
}

// nextCursorOf is the next_cursor a text page prints.
func nextCursorOf(t *testing.T, out string) string {
	t.Helper()
	_, next := pageUUIDs(t, "text", out)
	if next == "" {
		t.Fatalf("no next_cursor in:\n%s", out)
	}
	return next
}

// TestCursorKeepsItsProject refuses a cursor with another project than
// the one it was made for, pinned or given as project_id, before sending.
func TestCursorKeepsItsProject(t *testing.T) {
	unpinned := newHarness(t, sandbox.KeyAllAccess, func(c *Config) { c.PinnedProject = 0 })
	next := nextCursorOf(t, unpinned.ok(NameQueryLogs, map[string]any{"project_id": sandbox.ProjectID, "limit": 2}))
	unpinned.sb.ResetRequests()
	msg := unpinned.fail(NameQueryLogs, map[string]any{"cursor": next, "project_id": sandbox.OtherProjectID})
	if !strings.HasPrefix(msg, "INVALID_ARGUMENT: ") || !strings.Contains(msg, "this cursor belongs to project 1, not 2") {
		t.Errorf("cursor of project 1 with project_id 2: %s", msg)
	}
	// The same project, or none, continues.
	unpinned.ok(NameQueryLogs, map[string]any{"cursor": next, "project_id": sandbox.ProjectID})
	unpinned.ok(NameQueryLogs, map[string]any{"cursor": next})

	// A server pinned to another project refuses the cursor outright.
	other := newHarness(t, sandbox.KeyAllAccess, func(c *Config) { c.PinnedProject = sandbox.OtherProjectID })
	msg = other.fail(NameQueryLogs, map[string]any{"cursor": next})
	if !strings.HasPrefix(msg, "INVALID_ARGUMENT: ") || !strings.Contains(msg, "another project") {
		t.Errorf("cursor of project 1 on a server pinned to 2: %s", msg)
	}
	for _, h := range []*harness{unpinned, other} {
		for _, r := range h.sb.Requests() {
			if strings.Contains(r.Path, "/projects/2/") {
				t.Errorf("a refused cursor reached PostHog: %s %s", r.Method, r.Path)
			}
		}
	}
}

// TestCursorHonoursANewLimit continues a query with another page size:
// PostHog is asked for that many rows, and that many are printed.
func TestCursorHonoursANewLimit(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	next := nextCursorOf(t, h.ok(NameQueryLogs, map[string]any{"limit": 3}))
	for _, format := range []string{"text", "json"} {
		h.sb.ResetRequests()
		out := h.ok(NameQueryLogs, map[string]any{"cursor": next, "limit": 7, "format": format})
		if ids, _ := pageUUIDs(t, format, out); len(ids) != 7 {
			t.Errorf("%s: cursor with limit 7 printed %d rows", format, len(ids))
		}
		reqs := h.sb.Requests()
		if len(reqs) != 1 {
			t.Fatalf("upstream requests: %v", h.upstreamPaths())
		}
		var body struct {
			Query struct {
				Limit int `json:"limit"`
			} `json:"query"`
		}
		if err := json.Unmarshal(reqs[0].Body, &body); err != nil || body.Query.Limit != 7 {
			t.Errorf("%s: PostHog was asked for limit %d, want 7 (%v)", format, body.Query.Limit, err)
		}
	}
}

// TestForgedCursorsAreNotSent: a cursor that decodes but asks what the
// arguments never could is refused locally, never blamed on PostHog.
func TestForgedCursorsAreNotSent(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	forged := map[string]cursorState{
		"project 0": func() cursorState { s := sampleCursor(); s.Project = 0; return s }(),
		"1970 to 9999": func() cursorState {
			s := sampleCursor()
			s.From, s.To = time.Unix(0, 0).UTC(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			return s
		}(),
		"cohort filter": func() cursorState { s := sampleCursor(); s.Props[0].Type = "cohort"; return s }(),
	}
	for name, st := range forged {
		msg := h.fail(NameQueryLogs, map[string]any{"cursor": encodeCursor(st)})
		if !strings.HasPrefix(msg, "INVALID_ARGUMENT: cursor is not valid") || strings.Contains(msg, "PostHog rejected") {
			t.Errorf("%s: %s", name, msg)
		}
	}
	if n := len(h.sb.Requests()); n != 0 {
		t.Errorf("forged cursors sent %d requests: %v", n, h.upstreamPaths())
	}
}

// TestCursorsOfEveryFilterShapeContinue: the strict check accepts every
// cursor query_logs itself writes.
func TestCursorsOfEveryFilterShapeContinue(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	for _, args := range []map[string]any{
		{"services": []string{noService}, "date_from": "-24h", "limit": 1},
		{"severity": []string{"warning", "ERROR"}, "services": []string{"checkout", "payments"}, "search": "a", "limit": 1, "date_from": "-24h"},
		{"date_from": "-24h", "limit": 1, "filters": []map[string]any{
			{"key": "k8s.namespace.name", "value": "shop"},
			{"key": "deployment.environment", "value": "production", "scope": "resource"},
			{"key": "http.method", "value": []string{"GET", "POST"}, "operator": "exact"},
			{"key": "duration_ms", "value": 1, "operator": "gt"},
			{"key": "duration_ms", "value": "100000", "operator": "lt"},
			{"key": "http.route", "operator": "is_set", "scope": "log"},
			{"key": "message", "value": "", "operator": "icontains"},
		}},
	} {
		out := h.ok(NameQueryLogs, args)
		h.ok(NameQueryLogs, map[string]any{"cursor": nextCursorOf(t, out)})
	}
}

// TestLongCursorsAreDeflated: a pattern's regex pivot repeats itself, and
// the cursor carrying it is read by the model; deflated, it round-trips
// exactly and is much shorter, and a forged deflate bomb is refused.
func TestLongCursorsAreDeflated(t *testing.T) {
	st := sampleCursor()
	token := `[^\s=:,;()\[\]{}<>"'/|&?]*[0-9@][^\s=:,;()\[\]{}<>"'/|&?]*`
	st.Props = []client.PropertyFilter{{Key: "message", Type: "log", Operator: "regex",
		Value: `^\s*failed\s+to\s+apply\s+` + token + `\s+to\s+order\s+` + token + `:\s+` + token + `\s*$`}}
	plain, _ := json.Marshal(st)
	c := encodeCursor(st)
	if !strings.HasPrefix(c, deflatedCursorPrefix) || len(c) > len(plain)*2/3 {
		t.Errorf("cursor of %d JSON bytes is %d characters (%.12s…), want deflated to under two thirds", len(plain), len(c), c)
	}
	got, err := decodeCursor(c, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, st)
	}
	var bomb strings.Builder
	w, _ := flate.NewWriter(&bomb, flate.BestCompression)
	_, _ = w.Write([]byte(`{"p":1,"q":"` + strings.Repeat("a", 1<<20) + `"}`))
	_ = w.Close()
	if _, err := decodeCursor(deflatedCursorPrefix+base64.RawURLEncoding.EncodeToString([]byte(bomb.String())), testNow); err == nil {
		t.Error("a cursor inflating to 1 MiB was accepted")
	}
}
