package tools

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// maxTraceServices bounds the services a trace cursor remembers.
const maxTraceServices = 64

// traceFilter selects one trace on PostHog's trace_id log column.
func traceFilter(id string) client.PropertyFilter {
	return client.PropertyFilter{Key: "trace_id", Type: "log", Operator: "exact", Value: id}
}

// traceOf returns the trace a trace-mode query follows.
func traceOf(st cursorState) string {
	for _, p := range st.Props {
		if p.Key == "trace_id" && p.Type == "log" && p.Operator == "exact" {
			if id, ok := p.Value.(string); ok && traceIDPattern.MatchString(id) {
				return id
			}
		}
	}
	return ""
}

func hasTraceFilter(st cursorState) bool { return traceOf(st) != "" }

func validTimestamp(ts string) bool {
	_, err := time.Parse(time.RFC3339Nano, ts)
	return err == nil
}

// queryTrace prints one page of a trace, earliest first, each line with
// its offset from the trace's first line (kept in the cursor, so later
// pages count from the same origin).
func (e *env) queryTrace(ctx context.Context, c *call, st cursorState, view string) *mcp.CallToolResult {
	auth := client.Auth{Key: c.caller.Key, ProjectID: st.Project}
	page, err := e.client.QueryLogs(ctx, auth, client.LogsQuery{
		Filters: client.Filters{From: st.From, To: st.To, Severities: st.Sev, Services: st.Services, Search: st.Search, Properties: st.Props},
		Order:   "earliest",
		Limit:   st.Limit,
		After:   st.after(),
	})
	if err != nil {
		return upstreamError("query the trace", err)
	}
	continued := st.AfterID != ""
	if st.TraceStart == "" && len(page.Results) > 0 {
		st.TraceStart = page.Results[0].Timestamp
	}
	t0, _ := time.Parse(time.RFC3339Nano, st.TraceStart)
	out := e.analyseLogsWith(st, page, view, func(i int, r *cleanRow) {
		if t, err := time.Parse(time.RFC3339Nano, page.Results[i].Timestamp); err == nil && !t0.IsZero() {
			r.Offset = traceOffset(t.Sub(t0))
		}
	})
	// The services crossed, in order of first appearance, over every page
	// shown so far (the cursor carries those of earlier pages): svcs[:upTo[k]]
	// when k rows are shown.
	svcs := slices.Clone(st.TraceSvcs)
	upTo := make([]int, len(out.rows)+1)
	upTo[0] = len(svcs)
	for i, r := range out.rows {
		if !slices.Contains(svcs, r.Service) && len(svcs) < maxTraceServices {
			svcs = append(svcs, r.Service)
		}
		upTo[i+1] = len(svcs)
	}
	id := traceOf(st)
	out.headline = func(k int, more bool) string {
		return traceTitle(id, st, k, svcs[:upTo[k]], continued, view, more)
	}
	out.cursorFor = func(k int) (string, bool) {
		if k == 0 || (k == len(out.rows) && !page.HasMore) {
			return "", false
		}
		next := st
		last := page.Results[k-1]
		next.TraceSvcs, next.AfterTS, next.AfterID = svcs[:upTo[k]], last.Timestamp, last.UUID
		return encodeCursor(next), true
	}
	if st.Format == "json" {
		out.modeFor = func(k int) any {
			return map[string]any{"trace_id": id, "services": svcs[:upTo[k]], "first_line": rowTimeOrEmpty(st.TraceStart)}
		}
	}
	if len(out.rows) == 0 {
		out.emptyText = "No lines of trace " + id + " in this window. Try: " + strings.Join(e.traceHints(st), "; ") + "."
	}
	out.fit(len(out.rows), false)
	if st.Format == "json" {
		return jsonResult(out.json())
	}
	return textResult(out.text())
}

// traceTitle is the first line of a trace page of k lines: the trace, the
// services crossed, the window.
func traceTitle(id string, st cursorState, k int, svcs []string, continued bool, view string, more bool) string {
	var b strings.Builder
	b.WriteString("trace ")
	b.WriteString(id)
	b.WriteString(" · ")
	b.WriteString(strconv.Itoa(k))
	if continued {
		b.WriteString(" more")
	}
	if k == 1 {
		b.WriteString(" line")
	} else {
		b.WriteString(" lines")
	}
	if len(svcs) > 0 {
		b.WriteString(" across ")
		b.WriteString(strings.Join(svcs, " → "))
	}
	b.WriteString(", earliest first")
	if st.TraceStart != "" {
		b.WriteString(", +s from its first line at ")
		b.WriteString(rowTime(st.TraceStart))
	}
	b.WriteString(" · window ")
	b.WriteString(timerange.Window{From: st.From, To: st.To}.String())
	b.WriteString(" (UTC)")
	if view != "" {
		b.WriteString(" · view ")
		b.WriteString(view)
	}
	if more {
		b.WriteString(" · more available")
	}
	return b.String()
}

// traceOffset prints a duration from the trace's first line: +0.184s.
func traceOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return sign + strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}

func rowTimeOrEmpty(ts string) string {
	if ts == "" {
		return ""
	}
	return rowTime(ts)
}

// traceHints are the next steps when a trace has no line in the window.
func (e *env) traceHints(st cursorState) []string {
	var hints []string
	if (timerange.Window{From: st.From, To: st.To}).Duration() < 7*24*time.Hour {
		hints = append(hints, `a wider window (date_from "-7d")`)
	}
	if len(st.Sev) > 0 || len(st.Services) > 0 || st.Search != "" || len(st.Props) > 1 {
		hints = append(hints, "drop the other filters: trace_id alone finds every line of the trace")
	}
	return append(hints, "copy the trace id exactly as query_logs printed it (trace_id=...)")
}
