package mcpserver

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// BenchmarkHTTPQueryLogs measures tools/call query_logs (50 rows) over
// Streamable HTTP against the in-process sandbox, from 32 concurrent
// callers: run with -cpu 2 -benchtime 5s to match the product target.
func BenchmarkHTTPQueryLogs(b *testing.B) {
	f := newHTTPFixture(b, tools.Config{}, nil)
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"query_logs","arguments":{"date_from":"-1h","limit":50}}}`)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", f.http.URL+"/mcp", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Authorization", "Bearer "+sandbox.KeyFull)
			req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}
