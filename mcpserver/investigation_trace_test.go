package mcpserver

import (
	"strings"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// followTrace follows the trace id printed with the pattern's lines
// across services, earliest first.
func (inv *investigation) followTrace(rows string, inc sandbox.Incident) {
	inv.t.Helper()
	m := printedTrace.FindStringSubmatch(rows)
	if m == nil {
		inv.t.Fatalf("no trace id printed with the pattern's lines:\n%s", rows)
	}
	trace := inv.call("query_logs", map[string]any{"trace_id": m[1], "max_body_chars": 120, "include_attributes": false})
	crossed := 0
	for _, svc := range inc.TraceServices {
		if strings.Contains(trace, svc) {
			crossed++
		}
	}
	if crossed < 3 || !strings.Contains(trace, "+0.000s") || !strings.Contains(trace, "failed to apply promotion") {
		inv.t.Errorf("trace %s should cross %v from +0.000s to the promotion error:\n%s", m[1], inc.TraceServices, trace)
	}
}

// around reads the lines of the same service just before and after one
// error line, the anchor marked.
func (inv *investigation) around(uuid, timestamp string) {
	inv.t.Helper()
	ctx := inv.call("query_logs", map[string]any{"around": map[string]any{"uuid": uuid, "timestamp": timestamp, "before": 2, "after": 2, "same": "pod"}, "max_body_chars": 120, "include_attributes": false})
	if !strings.Contains(ctx, uuid) || strings.Count(ctx, "\n20") < 3 {
		inv.t.Errorf("around %s should show the anchor and its neighbours:\n%s", uuid, ctx)
	}
}
