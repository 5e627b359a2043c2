package bench

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// The benchmarks below split one query_logs call into nested layers, each
// including the one before it:
//
//	DecodePage       the client's decoding of PostHog's page (the inherent cost; decode-ns/op)
//	ClientQueryLogs  + request building, resty, retries bookkeeping, metrics
//	ToolsetCall      + argument validation, time window, formatting, masking
//	QueryLogsCall    + JSON-RPC decoding, mcp-go dispatch and middleware, result framing
//
// so formatting and masking cost about ToolsetCall − ClientQueryLogs, and
// MCP framing about QueryLogsCall − ToolsetCall. No network is involved:
// PostHog is PageTransport answering from memory.

// sink keeps results alive so the compiler cannot drop the work.
var sink any

// BenchmarkQueryLogsCall is the whole server-side cost of one MCP
// tools/call query_logs for a 50-row page, the backend excluded. On one
// goroutine ns/op approximates CPU per call (target: ≤ 0.5 ms).
func BenchmarkQueryLogsCall(b *testing.B) {
	f := pageFixture(b)
	srv := pageStack(b, f).Server.MCPServer()
	msg, err := Request(1, "tools/call", CallParams(tools.NameQueryLogs, f.Args))
	if err != nil {
		b.Fatal(err)
	}
	ctx := CallerContext(context.Background())
	first, err := json.Marshal(srv.HandleMessage(ctx, msg))
	if err != nil {
		b.Fatal(err)
	}
	checkToolResponse(b, first)

	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		out, err := json.Marshal(srv.HandleMessage(ctx, msg))
		if err != nil {
			b.Fatal(err)
		}
		sink = out
		cpu.n++
	}
	cpu.report(b)
	b.ReportMetric(float64(len(first)), "resp-bytes")
}

// BenchmarkQueryLogsCallParallel runs BenchmarkQueryLogsCall's call on
// every core: calls/s ≈ 1e9 / (ns/op), the ceiling of the server alone
// before any HTTP transport.
func BenchmarkQueryLogsCallParallel(b *testing.B) {
	f := pageFixture(b)
	srv := pageStack(b, f).Server.MCPServer()
	msg, err := Request(1, "tools/call", CallParams(tools.NameQueryLogs, f.Args))
	if err != nil {
		b.Fatal(err)
	}
	ctx := CallerContext(context.Background())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := json.Marshal(srv.HandleMessage(ctx, msg)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkToolsetCall is the tools layer alone: arguments, the client
// request, decoding, formatting and masking, without JSON-RPC.
func BenchmarkToolsetCall(b *testing.B) {
	f := pageFixture(b)
	ts := pageStack(b, f).Toolset
	ctx := CallerContext(context.Background())
	if res := ts.Call(ctx, tools.NameQueryLogs, f.Args); res.IsError {
		b.Fatalf("query_logs failed: %s", ResultText(res))
	}
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		sink = ts.Call(ctx, tools.NameQueryLogs, f.Args)
		cpu.n++
	}
	cpu.report(b)
}

// BenchmarkClientQueryLogs is the PostHog client alone: building the
// request, resty, and decoding the page.
func BenchmarkClientQueryLogs(b *testing.B) {
	f := pageFixture(b)
	cl := pageStack(b, f).Client
	q := fixtureQuery(b, f)
	auth := client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(f.Body)))
	cpu := startCPU()
	for b.Loop() {
		page, err := cl.QueryLogs(ctx, auth, q)
		if err != nil {
			b.Fatal(err)
		}
		sink = page
		cpu.n++
	}
	cpu.report(b)
}

// BenchmarkDecodePage is the inherent cost: the client decoding PostHog's
// 50-row page. The client's decoder (a fast path with encoding/json as
// fallback) is not exported, so each iteration times client.QueryLogs on
// the page and on an empty page (same request, same transport): the
// difference, reported as decode-ns/op, is the decoding of the 50 rows.
// ns/op covers both calls and means nothing here.
func BenchmarkDecodePage(b *testing.B) {
	f := pageFixture(b)
	full := pageStack(b, f).Client
	empty := pageStack(b, &Fixture{Args: f.Args, Now: f.Now, Body: emptyPage}).Client
	q := fixtureQuery(b, f)
	auth := client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID}
	ctx := context.Background()
	call := func(cl *client.Client) time.Duration {
		start := time.Now()
		page, err := cl.QueryLogs(ctx, auth, q)
		if err != nil {
			b.Fatal(err)
		}
		sink = page
		return time.Since(start)
	}
	var fullTime, emptyTime time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		fullTime += call(full)
		emptyTime += call(empty)
		n++
	}
	b.ReportMetric(float64(fullTime-emptyTime)/float64(n), "decode-ns/op")
	b.ReportMetric(float64(emptyTime)/float64(n), "empty-page-ns/op")
}

// emptyPage is a logs/query/ response without rows.
var emptyPage = []byte(`{"results":[],"hasMore":false,"nextCursor":null,"maxExportableLogs":10000}`)

// BenchmarkDecodePageStdlib decodes the page with encoding/json into the
// client's types: the client's fallback path, and the reference its fast
// path is measured against.
func BenchmarkDecodePageStdlib(b *testing.B) {
	f := pageFixture(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(f.Body)))
	cpu := startCPU()
	for b.Loop() {
		var page client.LogsPage
		if err := json.Unmarshal(f.Body, &page); err != nil {
			b.Fatal(err)
		}
		sink = &page
		cpu.n++
	}
	cpu.report(b)
}

// BenchmarkRenderPage would time formatting and masking alone, but the
// tools package does not export its renderer; ToolsetCall − ClientQueryLogs
// measures the same thing.
func BenchmarkRenderPage(b *testing.B) {
	b.Skip("rendering is not reachable through the tools package's exported API; read it as BenchmarkToolsetCall − BenchmarkClientQueryLogs")
}

// cpuMeter reports the process CPU time per iteration (cpu-ns/op), which,
// unlike ns/op, does not grow when other processes compete for the cores,
// and includes the garbage collector's work on other threads.
type cpuMeter struct {
	start time.Duration
	n     int
}

func startCPU() *cpuMeter { return &cpuMeter{start: ProcessCPU()} }

func (m *cpuMeter) report(b *testing.B) {
	if used := ProcessCPU() - m.start; used > 0 && m.n > 0 {
		b.ReportMetric(float64(used)/float64(m.n), "cpu-ns/op")
	}
}

// fixtureQuery is the client query the tools send for the fixture's arguments.
func fixtureQuery(tb testing.TB, f *Fixture) client.LogsQuery {
	tb.Helper()
	from, err1 := time.Parse(time.RFC3339, f.Args["date_from"].(string))
	to, err2 := time.Parse(time.RFC3339, f.Args["date_to"].(string))
	if err1 != nil || err2 != nil {
		tb.Fatalf("fixture window: %v %v", err1, err2)
	}
	return client.LogsQuery{Filters: client.Filters{From: from, To: to}, Order: "latest", Limit: PageRows}
}

// checkToolResponse fails unless b is a successful tool result.
func checkToolResponse(tb testing.TB, b []byte) ToolResult {
	tb.Helper()
	res, err := DecodeToolResponse(b)
	if err != nil {
		tb.Fatalf("tools/call: %v\n%s", err, b)
	}
	if res.IsError {
		tb.Fatalf("tools/call returned a tool error: %s", res.Text)
	}
	return res
}
