package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

var allToolNames = []string{"count_logs", "explain_log", "get_attribute_values", "get_log_patterns", "get_sparkline", "list_attributes", "list_services", "manage_views", "query_logs"}

func TestHTTPProtocolVersions(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	for _, version := range protocolVersions {
		t.Run(version, func(t *testing.T) {
			c := f.connect(t, version, bearer(sandbox.KeyFull))
			defer c.Close()
			if got := c.ProtocolVersion(); got != version {
				t.Fatalf("negotiated %q, want %q", got, version)
			}
			if names := toolNames(listTools(t, c)); !slices.Equal(names, allToolNames) {
				t.Fatalf("tools %v, want %v", names, allToolNames)
			}
			if text := mustCall(t, c, "list_services", map[string]any{"date_from": "-3h"}); !strings.Contains(text, "checkout") {
				t.Fatalf("list_services lacks checkout:\n%s", text)
			}
		})
	}
}

// TestEveryToolEndToEnd drives each tool, and each manage_views action,
// through a real MCP client, real HTTP and the real client against the sandbox.
func TestEveryToolEndToEnd(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	c := f.connect(t, "2025-11-25", bearer(sandbox.KeyFull))
	defer c.Close()
	auth := client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID}
	direct := newTestClient(t, f.sb.URL, nil)
	ctx := context.Background()

	page, err := direct.QueryLogs(ctx, auth, client.LogsQuery{Filters: client.Filters{From: f.sb.Now().Add(-3 * time.Hour), Services: []string{"checkout"}}, Limit: 1})
	if err != nil || len(page.Results) != 1 {
		t.Fatalf("direct query: %v", err)
	}
	row := page.Results[0]

	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"query_logs", map[string]any{"date_from": "-3h", "services": []string{"checkout"}, "limit": 5}, "checkout"},
		{"list_services", map[string]any{}, "checkout"},
		{"get_sparkline", map[string]any{"date_from": "-3h", "breakdown": "service"}, "checkout"},
		{"list_attributes", map[string]any{"date_from": "-3h"}, "http.route"},
		{"get_attribute_values", map[string]any{"key": "service.name", "date_from": "-3h"}, "payments"},
		{"explain_log", map[string]any{"uuid": row.UUID, "timestamp": row.Timestamp}, ""},
		{"manage_views", map[string]any{"action": "list"}, ""},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			if text := mustCall(t, c, tc.tool, tc.args); !strings.Contains(text, tc.want) {
				t.Fatalf("%s lacks %q:\n%s", tc.tool, tc.want, text)
			}
		})
	}

	t.Run("manage_views actions", func(t *testing.T) {
		views, err := direct.ListViews(ctx, auth, 100, 0)
		if err != nil || len(views.Results) == 0 {
			t.Fatalf("direct list: %v", err)
		}
		existing := views.Results[0]
		if text := mustCall(t, c, "manage_views", map[string]any{"action": "get", "short_id": existing.ShortID}); !strings.Contains(text, existing.Name) {
			t.Fatalf("get lacks the view's name %q:\n%s", existing.Name, text)
		}

		name := fmt.Sprintf("e2e view %d", time.Now().UnixNano())
		mustCall(t, c, "manage_views", map[string]any{"action": "create", "name": name, "severity": []string{"error"}, "services": []string{"checkout"}})
		created := findView(t, direct, auth, name)
		if !slices.Equal(created.Filters.SeverityLevels, []string{"error"}) || !slices.Equal(created.Filters.ServiceNames, []string{"checkout"}) {
			t.Fatalf("created view filters %+v", created.Filters)
		}
		if text := mustCall(t, c, "manage_views", map[string]any{"action": "list", "search": name}); !strings.Contains(text, created.ShortID) {
			t.Fatalf("list lacks the new view:\n%s", text)
		}

		mustCall(t, c, "manage_views", map[string]any{"action": "update", "short_id": created.ShortID, "name": name + " renamed"})
		updated, err := direct.GetView(ctx, auth, created.ShortID)
		if err != nil || updated.Name != name+" renamed" || !slices.Equal(updated.Filters.ServiceNames, []string{"checkout"}) {
			t.Fatalf("after update: %+v, %v (filters must be kept)", updated, err)
		}

		mustCall(t, c, "manage_views", map[string]any{"action": "delete", "short_id": created.ShortID})
		if _, err := direct.GetView(ctx, auth, created.ShortID); err == nil {
			t.Fatal("the view still exists after delete")
		}
	})
}

func findView(t *testing.T, direct *client.Client, auth client.Auth, name string) client.View {
	t.Helper()
	views, err := direct.ListViews(context.Background(), auth, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views.Results {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no view named %q", name)
	return client.View{}
}

// TestQueryLogsUpstreamRequest checks what PostHog actually receives.
func TestQueryLogsUpstreamRequest(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	c := f.connect(t, "2025-06-18", bearer(sandbox.KeyFull))
	defer c.Close()
	f.sb.ResetRequests()
	mustCall(t, c, "query_logs", map[string]any{"date_from": "-2h", "date_to": "-90m", "severity": []string{"WARNING", "Error", "critical"}, "limit": 3})

	reqs := upstreamRequests(f.sb, "/logs/query/")
	if len(reqs) == 0 {
		t.Fatal("no upstream query request")
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/api/projects/1/logs/query/" || r.Auth != "Bearer "+sandbox.KeyFull {
		t.Fatalf("upstream %s %s auth %q", r.Method, r.Path, r.Auth)
	}
	var body struct {
		Query struct {
			DateRange struct {
				DateFrom string `json:"date_from"`
				DateTo   string `json:"date_to"`
			} `json:"dateRange"`
			SeverityLevels []string `json:"severityLevels"`
		} `json:"query"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	from, errFrom := time.Parse(time.RFC3339Nano, body.Query.DateRange.DateFrom)
	to, errTo := time.Parse(time.RFC3339Nano, body.Query.DateRange.DateTo)
	if errFrom != nil || errTo != nil {
		t.Fatalf("dateRange is not absolute: %s", r.Body)
	}
	if d := to.Sub(from); d < 29*time.Minute || d > 31*time.Minute {
		t.Fatalf("window %s → %s is %s, want 30m (m = minutes)", from, to, d)
	}
	if since := time.Since(from); since < 119*time.Minute || since > 121*time.Minute {
		t.Fatalf("date_from %s is %s ago, want 2h", from, since)
	}
	slices.Sort(body.Query.SeverityLevels)
	if want := []string{"error", "fatal", "warn"}; !slices.Equal(body.Query.SeverityLevels, want) {
		t.Fatalf("severityLevels %v, want %v", body.Query.SeverityLevels, want)
	}
}

// TestScopesAndReadOnly: a read-only key, or --read-only with a full key,
// sees no writes, over HTTP and in-process.
func TestScopesAndReadOnly(t *testing.T) {
	tests := []struct {
		name      string
		readOnly  bool
		key       string
		wantWrite bool
	}{
		{"full key", false, sandbox.KeyFull, true},
		{"read-only key", false, sandbox.KeyReadOnly, false},
		{"--read-only with the full key", true, sandbox.KeyFull, false},
		{"OAuth token", false, sandbox.TokenOAuth, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHTTPFixture(t, tools.Config{ReadOnly: tt.readOnly}, nil)
			c := f.connect(t, "2025-11-25", bearer(tt.key))
			defer c.Close()
			checkCatalogue(t, listTools(t, c), tt.wantWrite)

			// The same through an in-process client carrying the caller in ctx.
			caller, err := f.server.Caller(context.Background(), tt.key, 0)
			if err != nil {
				t.Fatal(err)
			}
			ip, err := mcpclient.NewInProcessClient(f.server.MCPServer())
			if err != nil {
				t.Fatal(err)
			}
			defer ip.Close()
			ctx := tools.WithCaller(context.Background(), caller)
			if err := ip.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := ip.Initialize(ctx, initRequest("2025-11-25")); err != nil {
				t.Fatal(err)
			}
			res, err := ip.ListTools(ctx, mcp.ListToolsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			inProcess := map[string]mcp.Tool{}
			for _, tool := range res.Tools {
				inProcess[tool.Name] = tool
			}
			checkCatalogue(t, inProcess, tt.wantWrite)
		})
	}
}

func checkCatalogue(t *testing.T, cat map[string]mcp.Tool, wantWrite bool) {
	t.Helper()
	if _, ok := cat["explain_log"]; ok != wantWrite {
		t.Fatalf("explain_log listed=%v, want %v (tools %v)", ok, wantWrite, toolNames(cat))
	}
	views, ok := cat["manage_views"]
	if !ok {
		t.Fatal("manage_views missing")
	}
	enum := actionEnum(t, views)
	readOnlyHint := views.Annotations.ReadOnlyHint != nil && *views.Annotations.ReadOnlyHint
	if wantWrite {
		if !slices.Equal(enum, []string{"list", "get", "create", "update", "delete"}) || readOnlyHint {
			t.Fatalf("manage_views enum %v readOnlyHint %v", enum, readOnlyHint)
		}
		if views.Annotations.DestructiveHint == nil || !*views.Annotations.DestructiveHint {
			t.Fatal("manage_views with delete must be destructive")
		}
	} else if !slices.Equal(enum, []string{"list", "get"}) || !readOnlyHint {
		t.Fatalf("manage_views enum %v readOnlyHint %v, want [list get] and read-only", enum, readOnlyHint)
	}
	if len(cat) != 8 && !wantWrite || len(cat) != 9 && wantWrite {
		t.Fatalf("catalogue %v", toolNames(cat))
	}
}

// TestHiddenToolsSendNothingUpstream: a call the caller may not make is
// refused before any PostHog request.
func TestHiddenToolsSendNothingUpstream(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	for _, version := range protocolVersions {
		t.Run(version, func(t *testing.T) {
			c := f.connect(t, version, bearer(sandbox.KeyReadOnly))
			defer c.Close()
			f.sb.ResetRequests()

			// Hidden from tools/list, yet the call is answered with what is
			// missing, not with JSON-RPC "tool not found".
			text, isError, err := callTool(c, "explain_log", map[string]any{"uuid": "0199a3c2-5b7e-7c1a-9d2e-8f6a1b2c3d4e", "timestamp": "2026-01-01T00:00:00Z"})
			if err != nil || !isError || !strings.HasPrefix(text, "PERMISSION_DENIED") || !strings.Contains(text, "needs logs:write") {
				t.Fatalf("explain_log for a read-only key: err %v isError %v: %s", err, isError, text)
			}
			_, isError, err = callTool(c, "manage_views", map[string]any{"action": "create", "name": "nope"})
			if err == nil && !isError {
				t.Fatal("manage_views create succeeded for a read-only key")
			}
			_, isError, err = callTool(c, "manage_views", map[string]any{"action": "delete", "short_id": "abcdEFGH"})
			if err == nil && !isError {
				t.Fatal("manage_views delete succeeded for a read-only key")
			}
			for _, r := range f.sb.Requests() {
				if strings.Contains(r.Path, "/logs/") {
					t.Errorf("hidden tool reached PostHog: %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

// TestToolsHiddenByFlagsAnswerWhy: a tool that --read-only or --tools
// removed is absent from tools/list, and calling it names the flag.
func TestToolsHiddenByFlagsAnswerWhy(t *testing.T) {
	tests := []struct {
		name, tool, want string
		cfg              tools.Config
	}{
		{"--read-only", "explain_log", "disabled on this server (--read-only)", tools.Config{ReadOnly: true}},
		{"--tools", "get_sparkline", "disabled on this server (--tools)", tools.Config{Enabled: []string{"query_logs"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHTTPFixture(t, tt.cfg, nil)
			c := f.connect(t, "2025-06-18", bearer(sandbox.KeyFull))
			defer c.Close()
			if _, listed := listTools(t, c)[tt.tool]; listed {
				t.Fatalf("%s is listed", tt.tool)
			}
			text, isError, err := callTool(c, tt.tool, map[string]any{})
			if err != nil || !isError || !strings.HasPrefix(text, "PERMISSION_DENIED") || !strings.Contains(text, tt.want) {
				t.Fatalf("%s: err %v isError %v: %s", tt.tool, err, isError, text)
			}
		})
	}
}

// TestConcurrentCallersNeverMix runs two callers with different keys at
// once and checks every upstream request carried its own caller's key.
func TestConcurrentCallersNeverMix(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	f.sb.ResetRequests()
	keys := map[string]string{"fullmarker": sandbox.KeyFull, "readmarker": sandbox.KeyReadOnly}
	wantTools := map[string]int{"fullmarker": 9, "readmarker": 8}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for marker, key := range keys {
		for i := range 4 {
			wg.Go(func() {
				c, err := f.tryConnect(protocolVersions[i%len(protocolVersions)], bearer(key))
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				for range 3 {
					res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
					if err != nil {
						errs <- err
						return
					}
					if len(res.Tools) != wantTools[marker] {
						errs <- fmt.Errorf("%s sees %d tools, want %d", marker, len(res.Tools), wantTools[marker])
					}
					if _, isError, err := callTool(c, "query_logs", map[string]any{"search": marker, "date_from": "-1h", "limit": 1}); err != nil || isError {
						errs <- fmt.Errorf("%s query_logs: %v %v", marker, isError, err)
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := 0
	for _, r := range upstreamRequests(f.sb, "/logs/query/") {
		for marker, key := range keys {
			if strings.Contains(string(r.Body), marker) {
				seen++
				if r.Auth != "Bearer "+key {
					t.Fatalf("a %s request carried %q", marker, r.Auth)
				}
			}
		}
	}
	if seen != 2*4*3 {
		t.Fatalf("saw %d marked upstream queries, want 24", seen)
	}
}

// TestHTTPRefusals covers the transport's own answers end to end.
func TestHTTPRefusals(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	tests := []struct {
		name       string
		header     map[string]string
		body       string
		wantStatus int
	}{
		{"missing key", nil, initializeBody, 401},
		{"bad key", bearer("phx_this_key_does_not_exist_000000"), initializeBody, 401},
		{"project outside the key", map[string]string{"Authorization": "Bearer " + sandbox.KeyFull, ProjectHeader: "2"}, initializeBody, 403},
		{"project of the key", map[string]string{"Authorization": "Bearer " + sandbox.KeyFull, ProjectHeader: "1"}, initializeBody, 200},
		{"foreign host", map[string]string{"Authorization": "Bearer " + sandbox.KeyFull, "Host": "attacker.example"}, initializeBody, 403},
		{"foreign origin", map[string]string{"Authorization": "Bearer " + sandbox.KeyFull, "Origin": "https://attacker.example"}, initializeBody, 403},
		{"body over 1 MiB", bearer(sandbox.KeyFull), `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.http.URL+"/mcp", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			for k, v := range tt.header {
				if k == "Host" {
					req.Host = v
				}
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if resp.StatusCode == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without a Bearer challenge")
			}
		})
	}
	t.Run("MCP client with a bad key", func(t *testing.T) {
		if _, err := f.tryConnect("2025-06-18", bearer("phx_this_key_does_not_exist_000000")); err == nil {
			t.Fatal("connected with a bad key")
		}
	})
}

func TestHealthzAndMetrics(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	c := f.connect(t, "2025-11-25", bearer(sandbox.KeyFull))
	defer c.Close()
	mustCall(t, c, "list_services", map[string]any{})
	_, _, _ = callTool(c, "query_logs", map[string]any{"severity": []string{"loud"}})

	get := func(path string) (int, string) {
		resp, err := http.Get(f.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`posthog_logs_mcp_tool_calls_total{tool="list_services"} 1`,
		`posthog_logs_mcp_tool_calls_total{tool="query_logs"} 1`,
		`posthog_logs_mcp_tool_errors_total{tool="query_logs"} 1`,
		`posthog_logs_mcp_upstream_requests_total{status="2xx",tool="list_services"} 1`,
		`posthog_logs_mcp_upstream_requests_total{status="2xx",tool="introspect"} 1`,
		`posthog_logs_mcp_upstream_request_duration_seconds_count{tool="list_services"} 1`,
		`posthog_logs_mcp_tool_calls_in_flight 0`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, k := range sandbox.DemoKeys() {
		if strings.Contains(body, k.Token) || strings.Contains(body, k.Token[:12]) {
			t.Fatalf("/metrics mentions a key")
		}
	}
}

// TestProjectIDArgumentFollowsTheCaller: a key for every project needs
// project_id in the schemas unless the caller names a project.
func TestProjectIDArgumentFollowsTheCaller(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	open := f.connect(t, "2025-11-25", bearer(sandbox.KeyAllAccess))
	defer open.Close()
	if !hasProperty(t, listTools(t, open)["query_logs"], "project_id") {
		t.Fatal("an all-projects key without a project must get project_id")
	}
	mustCall(t, open, "list_services", map[string]any{"project_id": 1})

	chosen := f.connect(t, "2025-11-25", map[string]string{"Authorization": "Bearer " + sandbox.KeyAllAccess, ProjectHeader: "1"})
	defer chosen.Close()
	if hasProperty(t, listTools(t, chosen)["query_logs"], "project_id") {
		t.Fatal("X-PostHog-Project-Id must remove project_id")
	}
	implied := f.connect(t, "2025-11-25", bearer(sandbox.KeyReadOnly))
	defer implied.Close()
	if hasProperty(t, listTools(t, implied)["query_logs"], "project_id") {
		t.Fatal("a key scoped to one project must not need project_id")
	}
}

// TestBatchesCannotReachHiddenTools: JSON-RPC batches are refused as a
// whole, so one cannot smuggle a hidden tool's call inside a batch.
func TestBatchesCannotReachHiddenTools(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	f.sb.ResetRequests()
	call := `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"manage_views","arguments":{"action":"create","name":"smuggled","filters":{}}}}`
	batch := "[" + fmt.Sprintf(call, 1) + "," + fmt.Sprintf(call, 2) + "]"
	for _, version := range protocolVersions {
		req, _ := http.NewRequest("POST", f.http.URL+"/mcp", strings.NewReader(batch))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+sandbox.KeyReadOnly)
		req.Header.Set("Mcp-Protocol-Version", version)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `"result"`) {
			t.Fatalf("%s: a batch was served: %s", version, body)
		}
	}
	for _, r := range f.sb.Requests() {
		if strings.Contains(r.Path, "/logs/") {
			t.Errorf("a batched call reached PostHog: %s %s", r.Method, r.Path)
		}
	}
}
