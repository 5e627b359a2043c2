package mcpserver

import (
	"context"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// TestExplainReportsProgressWhileWaiting: a client that sent a progress
// token gets notifications/progress while PostHog's AI is slow, over
// Streamable HTTP and over stdio, and over HTTP they are streamed mid-call:
// the first one arrives before PostHog has even answered (the sandbox holds
// the explanation for slow, so anything received sooner was streamed).
func TestExplainReportsProgressWhileWaiting(t *testing.T) {
	const slow = 3 * time.Second
	sb := testSandbox(t)
	direct := newTestClient(t, sb.URL, nil)
	auth := client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID}
	page, err := direct.QueryLogs(context.Background(), auth, client.LogsQuery{Filters: client.Filters{From: sb.Now().Add(-3 * time.Hour), Services: []string{"checkout"}}, Limit: 1})
	if err != nil || len(page.Results) != 1 {
		t.Fatalf("direct query: %v", err)
	}
	row := page.Results[0]

	for _, tc := range []struct {
		name    string
		version string
		connect func(t *testing.T, version string) *mcpclient.Client
	}{
		{"HTTP", mcp.ProtocolVersion20250618, httpConnect},
		{"HTTP", mcp.ProtocolVersion20251125, httpConnect},
		{"stdio", mcp.ProtocolVersion20251125, func(t *testing.T, version string) *mcpclient.Client {
			return stdioClient(t, newTestServer(t, sb.URL, tools.Config{}, nil), sandbox.KeyFull, version)
		}},
	} {
		t.Run(tc.name+"/"+tc.version, func(t *testing.T) {
			c := tc.connect(t, tc.version)
			progress := recordProgress(c, "explain-1")
			sb.InjectFault("logs/explainLogWithAI/", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: slow}, 1)
			t.Cleanup(sb.ClearFaults)

			var req mcp.CallToolRequest
			req.Params.Name = "explain_log"
			req.Params.Arguments = map[string]any{"uuid": row.UUID, "timestamp": row.Timestamp}
			req.Params.Meta = &mcp.Meta{ProgressToken: "explain-1"}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			type outcome struct {
				res *mcp.CallToolResult
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := c.CallTool(ctx, req)
				done <- outcome{res, err}
			}()

			select {
			case <-progress.first:
				if waited := time.Since(start); tc.name == "HTTP" && waited >= slow {
					t.Errorf("first progress after %s, not before PostHog answered (%s): not streamed mid-call", waited, slow)
				}
			case o := <-done:
				t.Fatalf("the result came before any progress: %+v %v", o.res, o.err)
			}
			o := <-done
			if o.err != nil || o.res.IsError {
				t.Fatalf("explain_log: err=%v result=%+v", o.err, o.res)
			}
			progress.mu.Lock()
			defer progress.mu.Unlock()
			first := progress.got[0]
			if msg, _ := first["message"].(string); !strings.Contains(msg, "PostHog's AI") || first["total"] != float64(90) {
				t.Fatalf("first progress %v", first)
			}
		})
	}
}

func httpConnect(t *testing.T, version string) *mcpclient.Client {
	f := newHTTPFixture(t, tools.Config{}, nil)
	c := f.connect(t, version, bearer(sandbox.KeyFull))
	t.Cleanup(func() { _ = c.Close() })
	return c
}
