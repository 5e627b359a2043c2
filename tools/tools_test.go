package tools

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

func TestListServices(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameListServices, map[string]any{"date_from": "-24h"})
	lines := strings.Split(out, "\n")
	if !regexp.MustCompile(`^\d+ services with logs · window 2026-11-24T14:00:00Z → 2026-11-25T14:00:00Z \(UTC\)`).MatchString(lines[0]) {
		t.Errorf("header: %q", lines[0])
	}
	for _, svc := range []string{"checkout", "payments", "api-gateway", "auth", "inventory", "notifications"} {
		if !regexp.MustCompile(`(?m)^` + svc + `\s+[\d,]+\s+[\d,]+\s+[\d.]+%\s+[\d.]+%\s+[▁▂▃▄▅▆▇█]{10,}`).MatchString(out) {
			t.Errorf("no row with counts and a trend for %s:\n%s", svc, out)
		}
	}
	if !strings.Contains(out, "spike: checkout") {
		t.Errorf("the checkout error spike should show in its trend:\n%s", out)
	}
	narrow := h.ok(NameListServices, map[string]any{"name_search": "pay", "limit": 1})
	if !strings.Contains(narrow, "payments") || strings.Contains(narrow, "checkout ") {
		t.Errorf("name_search: %s", narrow)
	}
}

func TestGetSparklineFindsTheDeploySpike(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameGetSparkline, map[string]any{"date_from": "-6h", "services": []string{"checkout"}})
	if !strings.HasPrefix(out, "log volume by severity · 2026-11-25T08:00:00Z → 2026-11-25T14:00:00Z (UTC)") {
		t.Errorf("header: %s", out)
	}
	m := regexp.MustCompile(`spike: error (\d\d:\d\dZ) → (\d\d:\d\dZ)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no error spike found:\n%s", out)
	}
	// The sandbox's spike runs from Now-2h to Now-1h45m: 12:00 to 12:15.
	if m[1] < "11:50Z" || m[1] > "12:05Z" || m[2] < "12:10Z" || m[2] > "12:25Z" {
		t.Errorf("spike window %s → %s, want about 12:00Z → 12:15Z", m[1], m[2])
	}
	q := regexp.MustCompile(`spike: error .*\n  → query_logs (\{.*\})`).FindStringSubmatch(out)
	if q == nil {
		t.Fatal("no query_logs suggestion")
	}
	// The suggestion is a valid query_logs call that finds the errors.
	var args map[string]any
	if err := json.Unmarshal([]byte(q[1]), &args); err != nil {
		t.Fatal(err)
	}
	logs := h.ok(NameQueryLogs, args)
	if !strings.Contains(logs, "ERROR") || !strings.Contains(logs, "service.name=checkout") {
		t.Errorf("suggested query did not return the spike's errors:\n%.600s", logs)
	}
	byService := h.ok(NameGetSparkline, map[string]any{"breakdown": "service", "format": "json"})
	var chart chartJSON
	if err := json.Unmarshal([]byte(byService), &chart); err != nil {
		t.Fatal(err)
	}
	if chart.Breakdown != "service" || len(chart.Series) < 6 || len(chart.Buckets) < 20 {
		t.Errorf("json chart: %d series, %d buckets", len(chart.Series), len(chart.Buckets))
	}
}

func TestAttributes(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameListAttributes, map[string]any{})
	if !regexp.MustCompile(`(?m)^log \(\d+\): .*http\.route`).MatchString(out) || !regexp.MustCompile(`(?m)^resource \(\d+\): .*k8s\.pod\.name`).MatchString(out) {
		t.Errorf("list_attributes:\n%s", out)
	}
	vals := h.ok(NameGetAttributeValues, map[string]any{"key": "service.name"})
	if !strings.Contains(vals, "service.name (resource attribute)") || !strings.Contains(vals, "checkout") {
		t.Errorf("scope of service.name should be inferred as resource:\n%s", vals)
	}
	reqs := h.sb.Requests()
	last := reqs[len(reqs)-1]
	if last.Query.Get("attribute_type") != "resource" || last.Query.Get("key") != "service.name" || !strings.Contains(last.Query.Get("dateRange"), "date_from") {
		t.Errorf("values request: %v", last.Query)
	}
	routes := h.ok(NameGetAttributeValues, map[string]any{"key": "http.route", "services": []string{"checkout"}, "limit": 5})
	if !regexp.MustCompile(`(?m)^\s*[\d,]+\s+/`).MatchString(routes) || !strings.Contains(routes, "next: query_logs") {
		t.Errorf("values with counts:\n%s", routes)
	}
	if msg := h.fail(NameGetAttributeValues, map[string]any{}); !strings.Contains(msg, "key is required") {
		t.Error(msg)
	}
}

func TestExplainLog(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	var page logsJSON
	if err := json.Unmarshal([]byte(h.ok(NameQueryLogs, map[string]any{"severity": []string{"error"}, "limit": 1, "format": "json"})), &page); err != nil {
		t.Fatal(err)
	}
	var row cleanRow
	if err := json.Unmarshal(page.Rows[0], &row); err != nil {
		t.Fatal(err)
	}
	out := h.ok(NameExplainLog, map[string]any{"uuid": row.UUID, "timestamp": row.Timestamp})
	for _, want := range []string{"(severity: ", "probable causes:", "actions:", "key fields:"} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
	h.sb.ResetRequests()
	if msg := h.fail(NameExplainLog, map[string]any{"uuid": "../../etc", "timestamp": row.Timestamp}); !strings.HasPrefix(msg, "INVALID_ARGUMENT") {
		t.Error(msg)
	}
	if len(h.sb.Requests()) != 0 {
		t.Error("a malformed uuid reached PostHog")
	}
	if msg := h.fail(NameExplainLog, map[string]any{"uuid": "0199a3c2-5b7e-7c1a-9d2e-8f6a1b2c3d4e", "timestamp": row.Timestamp}); !strings.HasPrefix(msg, "NOT_FOUND") {
		t.Error(msg)
	}

	noAI := newHarness(t, sandbox.KeyNoAIConsent, nil)
	msg := noAI.fail(NameExplainLog, map[string]any{"uuid": row.UUID, "timestamp": row.Timestamp})
	if !strings.HasPrefix(msg, "AI_CONSENT_REQUIRED") || !strings.Contains(msg, "still works") {
		t.Errorf("no-consent message: %s", msg)
	}
}

// TestViewsReadModifyWriteParity creates a view, reads it, passes what get
// printed back to update unchanged, and checks nothing moved.
func TestViewsReadModifyWriteParity(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	list := h.ok(NameManageViews, map[string]any{"action": "list"})
	if !regexp.MustCompile(`(?m)^\d+ saved views`).MatchString(list) || !strings.Contains(list, "short_id") {
		t.Errorf("list:\n%s", list)
	}
	created := h.ok(NameManageViews, map[string]any{
		"action": "create", "name": "checkout errors", "pinned": true,
		"date_from": "-15m", "severity": []string{"ERROR", "warning"}, "services": []string{"checkout"}, "search": "declined",
		"filters": []map[string]any{{"key": "http.route", "value": "/api/pay"}, {"key": "k8s.namespace.name", "value": "prod"}},
	})
	id := regexp.MustCompile(`view ([A-Za-z0-9]{8}) `).FindStringSubmatch(created)
	if id == nil {
		t.Fatalf("create:\n%s", created)
	}
	// PostHog stores its own grammar: our -15m (minutes) is its -15M.
	var stored struct {
		Filters struct {
			DateRange   map[string]string `json:"dateRange"`
			FilterGroup json.RawMessage   `json:"filterGroup"`
		} `json:"filters"`
	}
	reqs := h.sb.Requests()
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Filters.DateRange["date_from"] != "-15M" || !strings.Contains(string(stored.Filters.FilterGroup), "log_resource_attribute") {
		t.Errorf("stored filters: %s", reqs[len(reqs)-1].Body)
	}

	get := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id[1]})
	filters := regexp.MustCompile(`(?m)^filters: (\{.*\})$`).FindStringSubmatch(get)
	if filters == nil {
		t.Fatalf("get:\n%s", get)
	}
	var q map[string]any
	if err := json.Unmarshal([]byte(filters[1]), &q); err != nil {
		t.Fatal(err)
	}
	if q["date_from"] != "-15m" || q["search"] != "declined" {
		t.Errorf("get in our vocabulary: %s", filters[1])
	}
	q["action"], q["short_id"], q["name"] = "update", id[1], "checkout errors (renamed)"
	h.ok(NameManageViews, q)
	again := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id[1]})
	if !strings.Contains(again, "filters: "+filters[1]) || !strings.Contains(again, "renamed") {
		t.Errorf("update with get's output changed the filters:\nbefore %s\nafter:\n%s", filters[1], again)
	}
	// A partial update keeps every other filter.
	h.ok(NameManageViews, map[string]any{"action": "update", "short_id": id[1], "severity": []string{"fatal"}})
	partial := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id[1]})
	if !strings.Contains(partial, `"severity":["fatal"]`) || !strings.Contains(partial, `"search":"declined"`) {
		t.Errorf("partial update:\n%s", partial)
	}
	// The view drives query_logs.
	if out := h.ok(NameQueryLogs, map[string]any{"view": id[1], "date_from": "-24h"}); !strings.Contains(out, "view "+id[1]) {
		t.Errorf("query_logs with view:\n%.300s", out)
	}
	h.ok(NameManageViews, map[string]any{"action": "delete", "short_id": id[1]})
	if msg := h.fail(NameManageViews, map[string]any{"action": "get", "short_id": id[1]}); !strings.HasPrefix(msg, "NOT_FOUND") {
		t.Error(msg)
	}
	h.sb.ResetRequests()
	for _, bad := range []string{"../x", "a?b=c", "abc", "abcdefghi"} {
		if msg := h.fail(NameManageViews, map[string]any{"action": "delete", "short_id": bad}); !strings.HasPrefix(msg, "INVALID_ARGUMENT") {
			t.Errorf("short_id %q: %s", bad, msg)
		}
	}
	if len(h.sb.Requests()) != 0 {
		t.Error("malformed short_ids reached PostHog")
	}
}

func TestReadOnlyAccess(t *testing.T) {
	for name, h := range map[string]*harness{
		"read-only key":           newHarness(t, sandbox.KeyReadOnly, nil),
		"full key in --read-only": newHarness(t, sandbox.KeyFull, func(c *Config) { c.ReadOnly = true }),
	} {
		c, _ := CallerFrom(h.ctx)
		cat := h.ts.Catalogue(h.ts.AccessFor(c))
		for _, tool := range cat {
			if tool.Name == NameExplainLog {
				t.Errorf("%s: explain_log visible", name)
			}
			if tool.Name == NameManageViews {
				schema := string(tool.RawInputSchema)
				if strings.Contains(schema, `"create"`) || !strings.Contains(schema, `"enum":["list","get"]`) || !*tool.Annotations.ReadOnlyHint {
					t.Errorf("%s: manage_views offers writes: %s", name, schema)
				}
			}
		}
		h.sb.ResetRequests()
		if msg := h.fail(NameManageViews, map[string]any{"action": "create", "name": "x"}); !strings.HasPrefix(msg, "PERMISSION_DENIED") {
			t.Errorf("%s: %s", name, msg)
		}
		if msg := h.fail(NameExplainLog, map[string]any{"uuid": "0199a3c2-5b7e-7c1a-9d2e-8f6a1b2c3d4e", "timestamp": "2026-11-25T13:00:00Z"}); !strings.HasPrefix(msg, "PERMISSION_DENIED") {
			t.Errorf("%s: %s", name, msg)
		}
		if len(h.sb.Requests()) != 0 {
			t.Errorf("%s: hidden actions sent requests upstream: %v", name, h.upstreamPaths())
		}
		h.ok(NameManageViews, map[string]any{"action": "list"})
	}
}

func TestUpstreamFaultsBecomeToolErrors(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	h.sb.InjectFault("logs/query/", sandbox.Fault{Kind: sandbox.FaultThrottle}, 1)
	h.ok(NameQueryLogs, map[string]any{"limit": 5}) // retried after the 429
	cases := []struct {
		fault sandbox.FaultKind
		code  string
	}{
		{sandbox.FaultGarbage, "UPSTREAM_ERROR"},
		{sandbox.FaultBadGateway, "UPSTREAM_ERROR"},
		{sandbox.FaultUnavailable, "UPSTREAM_ERROR"},
		{sandbox.FaultReset, "UPSTREAM_ERROR"},
	}
	for _, tc := range cases {
		h.sb.InjectFault("logs/services/", sandbox.Fault{Kind: tc.fault}, 100)
		msg := h.fail(NameListServices, map[string]any{})
		if !strings.HasPrefix(msg, tc.code) || strings.Contains(msg, "<html") || strings.Contains(msg, sandbox.KeyFull) {
			t.Errorf("fault %v: %s", tc.fault, msg)
		}
		h.sb.ClearFaults()
	}
	bad := newHarness(t, sandbox.KeyFull, nil)
	bad.ctx = WithCaller(context.Background(), Caller{Key: "phx_not_a_real_key_000000000000", Project: 1})
	if msg := bad.fail(NameListServices, map[string]any{}); !strings.HasPrefix(msg, "AUTH_FAILED") || strings.Contains(msg, "phx_not_a_real") {
		t.Errorf("bad key: %s", msg)
	}
}

// TestThroughMCPClient drives the registry through mcp-go's in-process
// client on both protocol versions IDEs speak.
func TestThroughMCPClient(t *testing.T) {
	h := newHarness(t, sandbox.KeyReadOnly, nil)
	caller, _ := CallerFrom(h.ctx)
	s := server.NewMCPServer("test", "0", server.WithToolCapabilities(false), server.WithToolFilter(h.ts.Filter))
	h.ts.Register(s)
	for _, version := range []string{"2025-06-18", "2025-11-25"} {
		t.Run(version, func(t *testing.T) {
			c, err := mcpclient.NewInProcessClientWithOptions(s, mcpclient.WithProtocolVersion(version))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(WithCaller(context.Background(), caller), 30*time.Second)
			defer cancel()
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			init, err := c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{ProtocolVersion: version, ClientInfo: mcp.Implementation{Name: "t", Version: "1"}}})
			if err != nil {
				t.Fatal(err)
			}
			if init.ProtocolVersion != version {
				t.Errorf("negotiated %s, want %s", init.ProtocolVersion, version)
			}
			list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			slices.Sort(names)
			if strings.Join(names, ",") != "get_attribute_values,get_sparkline,list_attributes,list_services,manage_views,query_logs" {
				t.Errorf("read-only catalogue: %v", names)
			}
			res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: NameQueryLogs, Arguments: map[string]any{"limit": 3}}})
			if err != nil || res.IsError {
				t.Fatalf("query_logs: %v %+v", err, res)
			}
			res, err = c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: NameExplainLog, Arguments: map[string]any{}}})
			if err == nil && !res.IsError {
				t.Error("a hidden tool was callable")
			}
		})
	}
}

// TestEveryStoredViewRuns runs query_logs with each of the sandbox's
// saved views: their filters (numbers, is_set, relative PostHog dates)
// must translate to our vocabulary and back.
func TestEveryStoredViewRuns(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	list := h.ok(NameManageViews, map[string]any{"action": "list"})
	ids := regexp.MustCompile(`(?m)^([A-Za-z0-9]{8})  `).FindAllStringSubmatch(list, -1)
	if len(ids) < 3 {
		t.Fatalf("expected the sandbox's views:\n%s", list)
	}
	for _, id := range ids {
		out := h.ok(NameQueryLogs, map[string]any{"view": id[1], "limit": 5})
		if !strings.Contains(out, "view "+id[1]) {
			t.Errorf("view %s: %s", id[1], out)
		}
		get := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id[1]})
		if !strings.Contains(get, "filters: {") {
			t.Errorf("get %s: %s", id[1], get)
		}
	}
}
