package mcpserver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// BenchmarkHTTPQueryLogs measures tools/call query_logs (50 rows) over
// Streamable HTTP against the in-process sandbox, from 32 concurrent
// callers: run with -cpu 2 -benchtime 5s to match the product target.
func BenchmarkHTTPQueryLogs(b *testing.B) { benchmarkHTTPQueryLogs(b, nil) }

// BenchmarkHTTPQueryLogsTraced is the same with OpenTelemetry tracing on
// (spans batched to an exporter that drops them).
func BenchmarkHTTPQueryLogsTraced(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	benchmarkHTTPQueryLogs(b, func(o *Options) { o.Metrics.EnableTracing(tp) })
}

func benchmarkHTTPQueryLogs(b *testing.B, edit func(*Options)) {
	f := newHTTPFixture(b, tools.Config{}, edit)
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"query_logs","arguments":{"date_from":"-1h","limit":50}}}`)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(16)
	b.ResetTimer()
	cpuBefore := processCPU()
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
	// CPU time (user+system) of the whole process per call, server and
	// in-process sandbox included: unlike ns/op, it barely moves when other
	// processes load the machine.
	b.ReportMetric(float64(processCPU()-cpuBefore)/float64(b.N), "cpu-ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
