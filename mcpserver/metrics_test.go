package mcpserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	m.ObserveTool("query_logs", 3*time.Millisecond, false)
	m.ObserveTool("query_logs", 2*time.Second, true)
	m.ObserveTool(`we"ird\name`, time.Millisecond, false)
	m.observeUpstream("query_logs", 200, 20*time.Millisecond)
	m.observeUpstream("query_logs", 503, time.Millisecond)
	m.observeUpstream("query_logs", 0, time.Millisecond)
	m.reject(rejectUnauthorized)

	var b strings.Builder
	if err := m.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`posthog_logs_mcp_tool_calls_total{tool="query_logs"} 2`,
		`posthog_logs_mcp_tool_errors_total{tool="query_logs"} 1`,
		`posthog_logs_mcp_tool_call_duration_seconds_bucket{tool="query_logs",le="0.005"} 1`,
		`posthog_logs_mcp_tool_call_duration_seconds_bucket{tool="query_logs",le="2.5"} 2`,
		`posthog_logs_mcp_tool_call_duration_seconds_bucket{tool="query_logs",le="+Inf"} 2`,
		`posthog_logs_mcp_tool_call_duration_seconds_sum{tool="query_logs"} 2.003`,
		`posthog_logs_mcp_tool_call_duration_seconds_count{tool="query_logs"} 2`,
		`posthog_logs_mcp_tool_calls_total{tool="we\"ird\\name"} 1`,
		`posthog_logs_mcp_upstream_requests_total{status="2xx",tool="query_logs"} 1`,
		`posthog_logs_mcp_upstream_requests_total{status="5xx",tool="query_logs"} 1`,
		`posthog_logs_mcp_upstream_requests_total{status="error",tool="query_logs"} 1`,
		`posthog_logs_mcp_upstream_request_duration_seconds_count{tool="query_logs"} 3`,
		`posthog_logs_mcp_http_rejected_total{reason="unauthorized"} 1`,
		"# TYPE posthog_logs_mcp_tool_call_duration_seconds histogram",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
	// Every sample line is "name{labels} value" or "name value".
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "# ") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i <= 0 || !(strings.HasPrefix(line, "posthog_logs_mcp_") || strings.HasPrefix(line, "go_") || strings.HasPrefix(line, "process_")) {
			t.Errorf("malformed sample %q", line)
		}
	}
}

func TestMeteredTransportAttributesRequestsToTools(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer upstream.Close()
	m := NewMetrics()
	hc := &http.Client{Transport: m.Transport(nil)}
	for _, tool := range []string{"list_services", "list_services", ""} {
		ctx := context.Background()
		if tool != "" {
			ctx = WithToolName(ctx, tool)
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", upstream.URL, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var b strings.Builder
	_ = m.WritePrometheus(&b)
	for _, want := range []string{
		`posthog_logs_mcp_upstream_requests_total{status="4xx",tool="list_services"} 2`,
		`posthog_logs_mcp_upstream_requests_total{status="4xx",tool="none"} 1`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}
}

func TestToolMiddlewareCountsErrorsAndRecovers(t *testing.T) {
	m := NewMetrics()
	handlers := map[string]func(context.Context) (*mcp.CallToolResult, error){
		"ok":      func(context.Context) (*mcp.CallToolResult, error) { return mcp.NewToolResultText("fine"), nil },
		"iserror": func(context.Context) (*mcp.CallToolResult, error) { return mcp.NewToolResultError("bad"), nil },
		"goerror": func(context.Context) (*mcp.CallToolResult, error) { return nil, errors.New("boom") },
		"panics":  func(context.Context) (*mcp.CallToolResult, error) { panic("kaboom") },
		"sees-name": func(ctx context.Context) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(toolNameFrom(ctx)), nil
		},
	}
	for name, h := range handlers {
		wrapped := m.toolMiddleware(recoverToolPanics(func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) { return h(ctx) }))
		var req mcp.CallToolRequest
		req.Params.Name = name
		res, err := wrapped(context.Background(), req)
		switch name {
		case "panics":
			if err != nil || res == nil || !res.IsError || !strings.Contains(res.Content[0].(mcp.TextContent).Text, "INTERNAL") {
				t.Errorf("panic became %+v, %v; want an isError result", res, err)
			}
		case "sees-name":
			if res.Content[0].(mcp.TextContent).Text != "sees-name" {
				t.Errorf("handler saw tool name %q", res.Content[0].(mcp.TextContent).Text)
			}
		}
	}
	var b strings.Builder
	_ = m.WritePrometheus(&b)
	for name, wantErrors := range map[string]int{"ok": 0, "iserror": 1, "goerror": 1, "panics": 1, "sees-name": 0} {
		want := `posthog_logs_mcp_tool_errors_total{tool="` + name + `"} ` + string(rune('0'+wantErrors))
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q", want)
		}
	}
}
