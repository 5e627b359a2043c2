package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

var uuidInText = regexp.MustCompile(`uuid=([0-9a-f-]{36})`)

func TestQueryLogsCompactRows(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameQueryLogs, map[string]any{"services": []string{"checkout"}, "limit": 50})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "50 logs, latest first · window 2026-11-25T13:00:00Z → 2026-11-25T14:00:00Z (UTC) · more available") {
		t.Errorf("header: %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "same on every row: service.name=checkout") {
		t.Errorf("shared attributes line: %q", lines[1])
	}
	rows := 0
	var prev string
	for _, l := range lines[2:] {
		if !uuidInText.MatchString(l) {
			continue
		}
		rows++
		ts := l[:24]
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
			t.Errorf("row does not start with a UTC millisecond timestamp: %q", l)
		}
		if prev != "" && ts > prev {
			t.Errorf("rows not latest first: %s after %s", ts, prev)
		}
		prev = ts
		if strings.Contains(l, "service.name=") || strings.Contains(l, "00000000000000000000000000000000") {
			t.Errorf("row repeats a shared attribute or prints an unset trace id: %q", l)
		}
	}
	if rows != 50 {
		t.Errorf("%d rows printed, want 50", rows)
	}
	if !regexp.MustCompile(`next_cursor: c[12]\.`).MatchString(out) {
		t.Error("no next_cursor")
	}
	// The upstream request carries absolute UTC times and the nested filter form.
	reqs := h.sb.Requests()
	if len(reqs) != 1 || reqs[0].Path != "/api/projects/1/logs/query/" {
		t.Fatalf("upstream requests: %v", h.upstreamPaths())
	}
	var body struct {
		Query struct {
			DateRange    map[string]any `json:"dateRange"`
			ServiceNames []string       `json:"serviceNames"`
			Limit        int            `json:"limit"`
			OrderBy      string         `json:"orderBy"`
		} `json:"query"`
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	from, _ := body.Query.DateRange["date_from"].(string)
	if !strings.HasPrefix(from, "2026-11-25T13:00:00") || body.Query.Limit != 50 || body.Query.OrderBy != "latest" || !slices.Equal(body.Query.ServiceNames, []string{"checkout"}) {
		t.Errorf("upstream query: %s", reqs[0].Body)
	}
}

func TestQueryLogsMinutesAreMinutes(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameQueryLogs, map[string]any{"date_from": "-30m", "limit": 1})
	if !strings.Contains(out, "window 2026-11-25T13:30:00Z → 2026-11-25T14:00:00Z") {
		t.Errorf("-30m must mean 30 minutes:\n%s", out)
	}
	for _, bad := range []string{"-5x", "yesterday", "2026-13-45"} {
		h.sb.ResetRequests()
		msg := h.fail(NameQueryLogs, map[string]any{"date_from": bad})
		if !strings.HasPrefix(msg, "INVALID_ARGUMENT") || !strings.Contains(msg, "e.g.") {
			t.Errorf("date_from %q: %s", bad, msg)
		}
		if n := len(h.sb.Requests()); n != 0 {
			t.Errorf("invalid input sent %d requests upstream", n)
		}
	}
	msg := h.fail(NameQueryLogs, map[string]any{"date_from": "-1h", "date_to": "-2h"})
	if !strings.Contains(msg, "date_from") {
		t.Errorf("inverted window: %s", msg)
	}
}

func TestQueryLogsRejectsBadInputBeforeSending(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	cases := map[string]map[string]any{
		"severity":       {"severity": []string{"loud"}},
		"limit":          {"limit": 0},
		"big limit":      {"limit": 5000},
		"order":          {"order": "random"},
		"unknown":        {"servics": []string{"x"}},
		"operator":       {"filters": []map[string]any{{"key": "a", "value": "b", "operator": "like"}}},
		"cursor":         {"cursor": "c1.garbage"},
		"view":           {"view": "../../x"},
		"format":         {"format": "yaml"},
		"negative body":  {"max_body_chars": -1},
		"wrong project":  {"project_id": 99},
		"services empty": {"services": []string{""}},
	}
	for name, args := range cases {
		msg := h.fail(NameQueryLogs, args)
		if !strings.HasPrefix(msg, "INVALID_ARGUMENT: ") {
			t.Errorf("%s: %s", name, msg)
		}
	}
	if n := len(h.sb.Requests()); n != 0 {
		t.Errorf("bad input sent %d requests upstream: %v", n, h.upstreamPaths())
	}
}

// secretShapes match unmasked secrets of the kinds the sandbox plants.
var secretShapes = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ|ph[xc]_[A-Za-z0-9]{20,}|sk_live_[A-Za-z0-9]{8,}|AKIA[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{30,}|://[^/\s:@]+:[^@\s\[]+@`)

func TestQueryLogsUntrustedContent(t *testing.T) {
	// A whole day at full body length contains every planted secret and
	// escape sequence of the sandbox.
	args := map[string]any{"date_from": "-24h", "limit": 1000, "max_body_chars": 0, "format": "json"}
	raw := newHarness(t, sandbox.KeyFull, func(c *Config) { c.Redact = false; c.MaxOutputChars = 1 << 30 }).ok(NameQueryLogs, args)
	if !secretShapes.MatchString(raw) {
		t.Fatal("with --no-redact the sandbox's secrets should be visible; the test would prove nothing")
	}
	for _, search := range []string{"Bearer", "sk_live", "AKIA", "ghp_", "postgres://", "phx_", "\x1b", "password"} {
		h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = 1 << 30 })
		for _, format := range []string{"text", "json"} {
			out := h.ok(NameQueryLogs, map[string]any{"date_from": "-24h", "limit": 200, "max_body_chars": 0, "search": search, "format": format})
			if m := secretShapes.FindString(out); m != "" {
				t.Errorf("search %q (%s): unmasked secret %q in output", search, format, m)
			}
			for _, r := range out {
				if r == 0x1b || (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200b || r == 0xfeff {
					t.Errorf("search %q (%s): control or invisible character U+%04X in output", search, format, r)
					break
				}
			}
		}
	}
}

func TestQueryLogsCutsLongBodies(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = 1 << 30 })
	out := h.ok(NameQueryLogs, map[string]any{"date_from": "-24h", "limit": 1000, "max_body_chars": 120})
	if !strings.Contains(out, "(…[+N]: N more characters of the body; max_body_chars=0 shows whole bodies)") {
		t.Fatal("no explanation of the cut marker in a day of logs that has long bodies")
	}
	cut := 0
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, " …[+"); i >= 0 && uuidInText.MatchString(l) {
			var n int
			if _, err := fmt.Sscanf(l[i:], " …[+%d]", &n); err != nil || n <= 0 {
				t.Errorf("bad cut marker in %q", l)
			}
			// The row's body (after time, level, service) is at most 120
			// characters before the marker; newlines print as " ⏎ ".
			m := regexp.MustCompile(`^\S+ [A-Z]+ +\S+  (.*) …\[\+\d+\]`).FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("row layout: %q", l)
			}
			if body := strings.ReplaceAll(m[1], " ⏎ ", "\n"); utf8.RuneCountInString(body) > 120 {
				t.Errorf("body of %d characters with max_body_chars=120: %q", utf8.RuneCountInString(body), l)
			}
			cut++
		}
	}
	if cut == 0 {
		t.Fatal("no row carries a cut marker")
	}
}

func TestQueryLogsBudgetCutsAtRowBoundary(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = 5000 })
	out := h.ok(NameQueryLogs, map[string]any{"limit": 200})
	if len(out) > 5000 {
		t.Errorf("output %d chars over the 5,000 budget", len(out))
	}
	m := regexp.MustCompile(`showing (\d+) of 200 rows \(output budget 5,000 chars\); next_cursor continues at row (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no budget note:\n%s", out)
	}
	if got := len(uuidInText.FindAllString(out, -1)); fmt.Sprint(got) != m[1] {
		t.Errorf("note says %s rows, %d printed", m[1], got)
	}
}

// TestCursorWalkIsLossless follows next_cursor under a tiny budget, in
// both orders and both formats, and compares with one direct query of the
// same window: every row once, in order.
func TestCursorWalkIsLossless(t *testing.T) {
	window := map[string]any{"date_from": "2026-11-25T13:20:00Z", "date_to": "2026-11-25T13:50:00Z"}
	for _, order := range []string{"latest", "earliest"} {
		want := directUUIDs(t, order, window)
		if len(want) < 300 {
			t.Fatalf("only %d rows in the window; the walk would prove little", len(want))
		}
		for _, format := range []string{"text", "json"} {
			h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = 3000 })
			args := map[string]any{"order": order, "limit": 37, "format": format, "max_body_chars": 0}
			for k, v := range window {
				args[k] = v
			}
			var got []string
			for page := 0; page < 2000; page++ {
				out := h.ok(NameQueryLogs, args)
				if len(out) > 3000 {
					t.Fatalf("%s/%s page %d: %d chars, over the 3,000 budget", order, format, page, len(out))
				}
				uuids, next := pageUUIDs(t, format, out)
				got = append(got, uuids...)
				if next == "" {
					break
				}
				args = map[string]any{"cursor": next}
				if page%3 == 1 {
					args["limit"] = 5 // changing the page size mid-walk is allowed
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s/%s: walked %d rows, direct query has %d (first difference at %d)", order, format, len(got), len(want), firstDiff(got, want))
			}
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func pageUUIDs(t *testing.T, format, out string) ([]string, string) {
	t.Helper()
	if format == "json" {
		var page struct {
			Rows []struct {
				UUID string `json:"uuid"`
			} `json:"rows"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("json output: %v\n%s", err, out)
		}
		var ids []string
		for _, r := range page.Rows {
			ids = append(ids, r.UUID)
		}
		return ids, page.NextCursor
	}
	var ids []string
	for _, m := range uuidInText.FindAllStringSubmatch(out, -1) {
		ids = append(ids, m[1])
	}
	next := ""
	if m := regexp.MustCompile(`next_cursor: (c[12]\.\S+)`).FindStringSubmatch(out); m != nil {
		next = m[1]
	}
	return ids, next
}

// directUUIDs asks the sandbox for the whole window in one request.
func directUUIDs(t *testing.T, order string, window map[string]any) []string {
	t.Helper()
	sb := testSandbox(t)
	cl, err := client.New(client.Options{Host: sb.URL})
	if err != nil {
		t.Fatal(err)
	}
	from, _ := time.Parse(time.RFC3339, window["date_from"].(string))
	to, _ := time.Parse(time.RFC3339, window["date_to"].(string))
	page, err := cl.QueryLogs(context.Background(), client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID},
		client.LogsQuery{Filters: client.Filters{From: from, To: to}, Order: order, Limit: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if page.HasMore {
		t.Fatal("window too large for one direct query")
	}
	var ids []string
	for _, r := range page.Results {
		ids = append(ids, r.UUID)
	}
	return ids
}

func TestQueryLogsEmptyResultHints(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	tests := []struct {
		name      string
		args      map[string]any
		want, not []string
	}{
		{"misspelt service", map[string]any{"services": []string{"checkout-api"}},
			[]string{"No logs matched", `service "checkout-api" has no logs in the last 24h (closest: "checkout")`, "list_services"},
			[]string{"wider window"}},
		{"explicit wrong scope", map[string]any{"filters": []map[string]any{{"key": "k8s.pod.name", "value": "nope", "scope": "log"}}},
			[]string{`k8s.pod.name was sent as a log attribute; if list_attributes lists it under resource, set "scope": "resource"`, `date_from "-24h"`},
			nil},
		{"scope inferred from the prefix", map[string]any{"filters": []map[string]any{{"key": "service.tier", "value": "gold"}}, "date_from": "-24h"},
			[]string{`service.tier was sent as a resource attribute; if list_attributes lists it under log, set "scope": "log"`},
			[]string{`date_from "-24h"`}},
		{"search", map[string]any{"search": "no such text anywhere", "severity": []string{"fatal"}},
			[]string{"try a shorter term", "drop the severity filter"},
			[]string{"get_attribute_values"}},
	}
	for _, tc := range tests {
		out := h.ok(NameQueryLogs, tc.args)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: missing hint %q in:\n%s", tc.name, w, out)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out, n) {
				t.Errorf("%s: hint %q does not apply:\n%s", tc.name, n, out)
			}
		}
	}
}

func TestQueryLogsJSONMatchesText(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	args := map[string]any{"services": []string{"payments"}, "limit": 20}
	text := h.ok(NameQueryLogs, args)
	args["format"] = "json"
	js := h.ok(NameQueryLogs, args)
	ids, next := pageUUIDs(t, "json", js)
	tids, tnext := pageUUIDs(t, "text", text)
	if !slices.Equal(ids, tids) || (next == "") != (tnext == "") || len(ids) != 20 {
		t.Errorf("json and text disagree: %d vs %d rows", len(ids), len(tids))
	}
	var page logsJSON
	if err := json.Unmarshal([]byte(js), &page); err != nil {
		t.Fatal(err)
	}
	if page.Shared == nil || page.Shared.Resource["service.name"] != "payments" || page.Window.From != "2026-11-25T13:00:00Z" {
		t.Errorf("json page header: %+v", page)
	}
}

// TestQueryLogsOutputRatio measures the text of 50 rows against PostHog's
// raw JSON for the same rows (product target: at most 40%).
func TestQueryLogsOutputRatio(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	text := h.ok(NameQueryLogs, map[string]any{"limit": 50})
	reqs := h.sb.Requests()
	if len(reqs) != 1 {
		t.Fatal("expected one upstream request")
	}
	rawPage := rawResultsJSON(t, h.sb.URL, reqs[0].Body)
	ratio := float64(len(text)) / float64(len(rawPage))
	t.Logf("50 rows: query_logs text %d chars, PostHog JSON results %d chars: %.1f%%", len(text), len(rawPage), 100*ratio)
	if ratio > 0.40 {
		t.Errorf("text is %.1f%% of the raw JSON, over the 40%% target", 100*ratio)
	}
}

// rawResultsJSON replays a query body against the sandbox and returns the
// "results" array exactly as PostHog serialises it.
func rawResultsJSON(t *testing.T, base string, body []byte) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/projects/1/logs/query/", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+sandbox.KeyFull)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var page struct {
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	return page.Results
}

// TestFollowATrace takes a trace id printed on a row and follows the
// request across services with it, even when the model adds scope "log".
func TestFollowATrace(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameQueryLogs, map[string]any{"services": []string{"checkout"}, "limit": 20})
	m := regexp.MustCompile(`trace_id=([0-9a-f]{32})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no trace id printed:\n%s", out)
	}
	for _, scope := range []string{"", "log"} {
		f := map[string]any{"key": "trace_id", "value": m[1]}
		if scope != "" {
			f["scope"] = scope
		}
		trace := h.ok(NameQueryLogs, map[string]any{"filters": []map[string]any{f}, "order": "earliest", "date_from": "-2h"})
		services := map[string]bool{}
		for _, row := range regexp.MustCompile(`(?m)^\S+ [A-Z]+ +(\S+)  `).FindAllStringSubmatch(trace, -1) {
			services[row[1]] = true
		}
		if len(services) < 2 || !strings.Contains(trace, "same on every row: trace_id="+m[1]) || strings.Count(trace, m[1]) != 1 {
			t.Errorf("scope %q: the trace should span services: %v\n%s", scope, services, trace)
		}
	}
}

// TestRefusedLocallyIsNotBlamedOnPostHog: what the client refuses before
// sending says "not sent", never "PostHog rejected".
func TestRefusedLocallyIsNotBlamedOnPostHog(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	for name, f := range map[string]map[string]any{
		"list value with icontains": {"key": "http.route", "value": []string{"/a", "/b"}, "operator": "icontains"},
		"invalid regex":             {"key": "http.route", "value": "((", "operator": "regex"},
	} {
		for _, tool := range []string{NameQueryLogs, NameListServices, NameGetSparkline} {
			msg := h.fail(tool, map[string]any{"filters": []map[string]any{f}})
			if !strings.HasPrefix(msg, "INVALID_ARGUMENT: not sent: ") || strings.Contains(msg, "PostHog rejected") || !strings.Contains(msg, "filters[0]") {
				t.Errorf("%s, %s: %s", tool, name, msg)
			}
		}
	}
	if n := len(h.sb.Requests()); n != 0 {
		t.Errorf("refused filters sent %d requests: %v", n, h.upstreamPaths())
	}
}
