package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

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
			if strings.Join(names, ",") != "count_logs,get_attribute_values,get_log_patterns,get_sparkline,list_attributes,list_services,manage_views,query_logs" {
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

func TestCallerNeverPrintsItsKey(t *testing.T) {
	c := Caller{Key: sandbox.KeyFull, Project: 7}
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("call", "caller", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String()} {
		if strings.Contains(s, sandbox.KeyFull) || strings.Contains(s, "phx_") {
			t.Errorf("key printed: %s", s)
		}
	}
}

func TestCancelledCallSaysSo(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	h.sb.InjectFault("logs/query/", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 5 * time.Second}, 1)
	ctx, cancel := context.WithCancel(h.ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	res := h.ts.Call(ctx, NameQueryLogs, json.RawMessage(`{"limit":5}`))
	if text := resultText(t, res); !res.IsError || !strings.HasPrefix(text, "CANCELLED") {
		t.Errorf("a cancelled call: %s", text)
	}
}
