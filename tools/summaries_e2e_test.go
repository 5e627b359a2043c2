package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// mcpSession is a real MCP client (mcp-go's in-process transport) on the
// registry, over the sandbox's real HTTP.
type mcpSession struct {
	t   *testing.T
	c   *mcpclient.Client
	ctx context.Context
}

func newMCPSession(t *testing.T, version string) *mcpSession {
	t.Helper()
	h := newHarness(t, sandbox.KeyFull, nil)
	caller, _ := CallerFrom(h.ctx)
	s := server.NewMCPServer("test", "0", server.WithToolCapabilities(false), server.WithToolFilter(h.ts.Filter))
	h.ts.Register(s)
	c, err := mcpclient.NewInProcessClientWithOptions(s, mcpclient.WithProtocolVersion(version))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(WithCaller(context.Background(), caller), 2*time.Minute)
	t.Cleanup(cancel)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{ProtocolVersion: version, ClientInfo: mcp.Implementation{Name: "t", Version: "1"}}}); err != nil {
		t.Fatal(err)
	}
	return &mcpSession{t: t, c: c, ctx: ctx}
}

// call runs a tool with arguments given as JSON text, exactly as printed.
func (m *mcpSession) call(name, args string) (string, bool) {
	m.t.Helper()
	var a map[string]any
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		m.t.Fatalf("%s arguments are not JSON: %v\n%s", name, err, args)
	}
	res, err := m.c.CallTool(m.ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: name, Arguments: a}})
	if err != nil {
		m.t.Fatalf("%s: %v", name, err)
	}
	return resultText(m.t, res), res.IsError
}

func (m *mcpSession) ok(name, args string) string {
	m.t.Helper()
	text, isErr := m.call(name, args)
	if isErr {
		m.t.Fatalf("%s %s failed: %s", name, args, text)
	}
	return text
}

// countOf runs count_logs with a printed call's arguments: the exact
// number of lines that call selects.
func (m *mcpSession) countOf(args string) int64 {
	m.t.Helper()
	text := m.ok(NameCountLogs, withArg(args, "format", "json"))
	var out struct{ Count int64 }
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		m.t.Fatalf("count_logs json: %v\n%s", err, text)
	}
	return out.Count
}

// rowsOf pages query_logs with a printed call's arguments and counts rows.
func (m *mcpSession) rowsOf(args string) int64 {
	m.t.Helper()
	var out struct {
		Shown      int64  `json:"shown"`
		NextCursor string `json:"next_cursor"`
	}
	text := m.ok(NameQueryLogs, withArg(withArg(args, "limit", 1000), "format", "json"))
	var n int64
	for {
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			m.t.Fatalf("query_logs json: %v\n%s", err, text)
		}
		n += out.Shown
		if out.NextCursor == "" {
			return n
		}
		text = m.ok(NameQueryLogs, `{"cursor":"`+out.NextCursor+`"}`)
		out.NextCursor = ""
	}
}

func withArg(args, key string, v any) string {
	var a map[string]any
	_ = json.Unmarshal([]byte(args), &a)
	a[key] = v
	b, _ := json.Marshal(a)
	return string(b)
}

var (
	patternLine = regexp.MustCompile(`^  \s*(~?)([\d,]+)\s+[\d,]+ err`)
	printedCall = regexp.MustCompile(`^\s*→ query_logs (\{.*\})(  \(approximate.*)?$`)
)

type printedPattern struct {
	count       int64
	estimated   bool
	call        string
	approximate bool
}

// printedPatterns reads get_log_patterns' text: each pattern's count and
// the query_logs call printed under it.
func printedPatterns(t *testing.T, text string) []printedPattern {
	t.Helper()
	var out []printedPattern
	for _, line := range strings.Split(text, "\n") {
		if m := patternLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
			out = append(out, printedPattern{count: n, estimated: m[1] == "~"})
			continue
		}
		if m := printedCall.FindStringSubmatch(line); m != nil && len(out) > 0 {
			out[len(out)-1].call = m[1]
			out[len(out)-1].approximate = m[2] != ""
		}
	}
	return out
}

// TestPatternCallsReturnTheirLines: every query_logs call get_log_patterns
// prints runs verbatim through an MCP client and selects exactly the
// pattern's lines (count_logs with the same arguments agrees, and paging
// query_logs finds that many rows).
func TestPatternCallsReturnTheirLines(t *testing.T) {
	for _, version := range []string{"2025-06-18", "2025-11-25"} {
		t.Run(version, func(t *testing.T) {
			m := newMCPSession(t, version)
			for _, args := range []string{
				`{"date_from":"-3h","services":["checkout"],"severity":["error"]}`,
				`{"date_from":"-2h","limit":8,"filters":[{"key":"k8s.namespace.name","value":"shop"}]}`,
			} {
				text := m.ok(NameGetLogPatterns, args)
				if strings.HasPrefix(text, "UNSUPPORTED") {
					t.Fatalf("the sandbox lacks logs/patterns: %s", text)
				}
				pats := printedPatterns(t, text)
				if len(pats) == 0 {
					t.Fatalf("no patterns in:\n%s", text)
				}
				for i, p := range pats {
					if p.call == "" {
						t.Errorf("pattern %d has no printed call:\n%s", i, text)
						continue
					}
					if out := m.ok(NameQueryLogs, p.call); !strings.Contains(out, "logs") {
						t.Errorf("pattern %d call printed: %s", i, out)
					}
					if p.approximate || p.estimated {
						continue // only exact counts can be held to equality
					}
					if got := m.countOf(p.call); got != p.count {
						t.Errorf("pattern %d promises %d lines, its call selects %d: %s", i, p.count, got, p.call)
					}
					if i < 3 && p.count <= 2000 {
						if got := m.rowsOf(p.call); got != p.count {
							t.Errorf("pattern %d promises %d lines, query_logs pages %d rows", i, p.count, got)
						}
					}
				}
				if len(text) > 8000 {
					t.Errorf("%s printed %d characters", args, len(text))
				}
			}
		})
	}
}

// TestPatternsCompareCallsReturnTheirLines does the same with a baseline:
// new, more and less patterns pivot in the current window, gone ones in
// the baseline.
func TestPatternsCompareCallsReturnTheirLines(t *testing.T) {
	m := newMCPSession(t, "2025-11-25")
	text, isErr := m.call(NameGetLogPatterns, `{"date_from":"2026-11-25T12:00:00Z","date_to":"2026-11-25T12:30:00Z","services":["checkout"],"compare":"previous"}`)
	if isErr {
		t.Fatal(text)
	}
	if !strings.Contains(text, "vs baseline 2026-11-25T11:30:00Z → 2026-11-25T12:00:00Z") || !strings.Contains(text, "new (") {
		t.Fatalf("comparison:\n%s", text)
	}
	for i, p := range printedPatterns(t, text) {
		if p.call == "" || p.approximate || p.estimated {
			continue
		}
		if got := m.countOf(p.call); got != p.count {
			t.Errorf("entry %d promises %d lines, its call selects %d: %s", i, p.count, got, p.call)
		}
	}
}

var groupCall = regexp.MustCompile(`(?m)^→ query_logs (\{.*\})$`)

// TestCountGroupCallsReturnTheirLines: count_logs' per-group calls run
// verbatim and select exactly that group's lines.
func TestCountGroupCallsReturnTheirLines(t *testing.T) {
	m := newMCPSession(t, "2025-06-18")
	total := m.ok(NameCountLogs, `{"date_from":"-3h","services":["checkout"]}`)
	if !strings.HasSuffix(total, "lines · window 2026-11-25T11:00:00Z → 2026-11-25T14:00:00Z (UTC)\n") {
		t.Errorf("count: %s", total)
	}
	text, isErr := m.call(NameCountLogs, `{"date_from":"-3h","services":["checkout"],"severity":["error"],"group_by":["service.version",{"key":"k8s.pod.name","scope":"resource"}]}`)
	if isErr {
		t.Fatal(text)
	}
	calls := groupCall.FindAllStringSubmatch(text, -1)
	if len(calls) == 0 {
		t.Fatalf("no drill-down calls:\n%s", text)
	}
	var out groupsJSON
	js := m.ok(NameCountLogs, `{"date_from":"-3h","services":["checkout"],"severity":["error"],"group_by":["service.version",{"key":"k8s.pod.name","scope":"resource"}],"format":"json"}`)
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		t.Fatal(err)
	}
	for i, c := range calls {
		m.ok(NameQueryLogs, c[1])
		if got := m.countOf(c[1]); got != out.Groups[i].Lines {
			t.Errorf("group %d has %d lines, its call selects %d: %s", i, out.Groups[i].Lines, got, c[1])
		}
	}
}

// TestOlderPostHogIsUnsupported: a PostHog without the summary endpoints
// (404) gives UNSUPPORTED results that name the way on.
func TestOlderPostHogIsUnsupported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"type":"invalid_request","code":"not_found","detail":"Not found."}`))
	}))
	defer srv.Close()
	cl, err := client.New(client.Options{Host: srv.URL, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := New(Config{Client: cl, PinnedProject: 1, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithCaller(context.Background(), Caller{Key: "phx_test", Project: 1})
	for _, c := range []struct{ tool, args, want string }{
		{NameGetLogPatterns, `{}`, "UNSUPPORTED: this PostHog does not offer log patterns (an older deployment). Go on with query_logs"},
		{NameGetLogPatterns, `{"compare":"day_before"}`, "UNSUPPORTED: this PostHog does not offer log patterns"},
		{NameCountLogs, `{"group_by":["service"]}`, "UNSUPPORTED: this PostHog cannot count by group"},
	} {
		res := ts.Call(ctx, c.tool, json.RawMessage(c.args))
		if text := resultText(t, res); !res.IsError || !strings.HasPrefix(text, c.want) {
			t.Errorf("%s %s: %s", c.tool, c.args, text)
		}
	}
}
