package tools

import (
	"context"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// BenchmarkRenderLogs measures what query_logs adds to the decoded page:
// sanitising, masking, attribute analysis and formatting of 50 rows.
func BenchmarkRenderLogs(b *testing.B) {
	sb := testSandbox(b)
	cl, err := client.New(client.Options{Host: sb.URL})
	if err != nil {
		b.Fatal(err)
	}
	st := cursorState{Project: 1, From: testNow.Add(-time.Hour), To: testNow, Order: "latest", Limit: 50, MaxBody: defaultMaxBodyChars}
	page, err := cl.QueryLogs(context.Background(), client.Auth{Key: sandbox.KeyFull, ProjectID: 1},
		client.LogsQuery{Filters: client.Filters{From: st.From, To: st.To}, Order: st.Order, Limit: st.Limit})
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv(Config{Redact: true, MaxOutputChars: DefaultMaxOutputChars, Now: func() time.Time { return testNow }})
	b.ReportAllocs()
	for b.Loop() {
		// Text rendering leaves the page untouched, so it can be reused.
		out := e.renderLogs(st, page, "")
		_ = out.text()
	}
}
