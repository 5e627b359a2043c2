package mcpserver

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Metrics counts tool calls, tool errors and upstream PostHog requests, and
// writes them in the Prometheus text exposition format. Labels carry tool
// names and status classes only: never a key, a project or an argument.
// It is safe for concurrent use; the zero value is not, use NewMetrics.
type Metrics struct {
	mu       sync.RWMutex
	tools    map[string]*toolStats
	upstream map[string]*upstreamStats

	rejections [numRejectReasons]atomic.Uint64
	// callsInFlight reports the tool calls running now (set by New).
	callsInFlight atomic.Pointer[func() int]
}

func (m *Metrics) setCallsInFlight(f func() int) { m.callsInFlight.Store(&f) }

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{tools: map[string]*toolStats{}, upstream: map[string]*upstreamStats{}}
}

// durationBuckets are the histogram upper bounds, in seconds: tool calls and
// upstream requests range from sub-millisecond (cached, in-memory) to the
// minute-long AI explanation.
var durationBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// histogram is a fixed-bucket, lock-free Prometheus histogram.
type histogram struct {
	buckets  [15]atomic.Uint64 // len(durationBuckets)+1; the last is +Inf
	sumNanos atomic.Uint64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(durationBuckets, s)
	h.buckets[i].Add(1)
	h.sumNanos.Add(uint64(max(d, 0)))
}

type toolStats struct {
	calls, errors atomic.Uint64
	duration      histogram
}

// upstreamStatusClasses label upstream requests: the HTTP status class, or
// "error" when no response came back (connection refused, reset, timeout).
var upstreamStatusClasses = []string{"1xx", "2xx", "3xx", "4xx", "5xx", "error"}

type upstreamStats struct {
	byClass  [6]atomic.Uint64 // indexed like upstreamStatusClasses
	duration histogram
}

// rejectReason names why the HTTP transport refused a request.
type rejectReason int

const (
	rejectHost rejectReason = iota
	rejectOrigin
	rejectBodyTooLarge
	rejectUnauthorized
	rejectForbidden
	rejectBadRequest
	rejectRateLimited
	numRejectReasons
)

var rejectReasonNames = [numRejectReasons]string{"host", "origin", "body_too_large", "unauthorized", "forbidden", "bad_request", "rate_limited"}

func (m *Metrics) reject(r rejectReason) { m.rejections[r].Add(1) }

func (m *Metrics) toolStatsFor(name string) *toolStats {
	m.mu.RLock()
	st := m.tools[name]
	m.mu.RUnlock()
	if st != nil {
		return st
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if st = m.tools[name]; st == nil {
		st = &toolStats{}
		m.tools[name] = st
	}
	return st
}

func (m *Metrics) upstreamStatsFor(tool string) *upstreamStats {
	m.mu.RLock()
	st := m.upstream[tool]
	m.mu.RUnlock()
	if st != nil {
		return st
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if st = m.upstream[tool]; st == nil {
		st = &upstreamStats{}
		m.upstream[tool] = st
	}
	return st
}

// ObserveTool records one finished tool call.
func (m *Metrics) ObserveTool(name string, d time.Duration, isError bool) {
	st := m.toolStatsFor(name)
	st.calls.Add(1)
	if isError {
		st.errors.Add(1)
	}
	st.duration.observe(d)
}

func (m *Metrics) observeUpstream(tool string, status int, d time.Duration) {
	class := len(upstreamStatusClasses) - 1 // "error"
	if status >= 100 && status < 600 {
		class = status/100 - 1
	}
	st := m.upstreamStatsFor(tool)
	st.byClass[class].Add(1)
	st.duration.observe(d)
}

// toolMiddleware times every tool call, counts isError results, and puts
// the tool name in the context so that upstream requests made by the call
// are attributed to it (see Transport).
func (m *Metrics) toolMiddleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		res, err := next(WithToolName(ctx, req.Params.Name), req)
		m.ObserveTool(req.Params.Name, time.Since(start), err != nil || res == nil || res.IsError)
		return res, err
	}
}

type toolNameKey struct{}

// WithToolName marks ctx as belonging to a call of the named tool, for the
// upstream metrics. The MCP server does it for every call; the `call`
// command uses it directly.
func WithToolName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, toolNameKey{}, name)
}

func toolNameFrom(ctx context.Context) string {
	if name, ok := ctx.Value(toolNameKey{}).(string); ok {
		return name
	}
	return "none"
}

// Transport wraps base (nil: a pooled transport suited to one busy
// upstream host) so that every upstream request is counted and timed by the
// tool that made it. Give the result to client.Options.Transport.
// The duration is the time to the response headers.
func (m *Metrics) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = NewUpstreamTransport()
	}
	return &meteredTransport{base: base, metrics: m}
}

// NewUpstreamTransport returns an HTTP transport for talking to one PostHog
// host under concurrent load: unlike http.DefaultTransport it keeps enough
// idle connections per host that concurrent callers reuse them instead of
// opening a new TLS connection per request.
func NewUpstreamTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	// A page of logs is tens of kilobytes: read it in a few large reads
	// rather than net/http's default 4 KiB ones (system calls are a
	// sizeable share of a call's CPU).
	t.ReadBufferSize = 64 << 10
	return t
}

type meteredTransport struct {
	base    http.RoundTripper
	metrics *Metrics
}

func (t *meteredTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	t.metrics.observeUpstream(toolNameFrom(req.Context()), status, time.Since(start))
	return resp, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the base transport.
func (t *meteredTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// WritePrometheus writes every metric in the Prometheus text format (0.0.4).
func (m *Metrics) WritePrometheus(w io.Writer) error {
	var b strings.Builder
	m.mu.RLock()
	toolNames := sortedKeys(m.tools)
	upstreamNames := sortedKeys(m.upstream)
	tools := make([]*toolStats, len(toolNames))
	for i, n := range toolNames {
		tools[i] = m.tools[n]
	}
	upstream := make([]*upstreamStats, len(upstreamNames))
	for i, n := range upstreamNames {
		upstream[i] = m.upstream[n]
	}
	m.mu.RUnlock()

	header(&b, "posthog_logs_mcp_tool_calls_total", "counter", "Tool calls, by tool.")
	for i, n := range toolNames {
		fmt.Fprintf(&b, "posthog_logs_mcp_tool_calls_total{tool=%s} %d\n", quote(n), tools[i].calls.Load())
	}
	header(&b, "posthog_logs_mcp_tool_errors_total", "counter", "Tool calls that ended with an isError result, by tool.")
	for i, n := range toolNames {
		fmt.Fprintf(&b, "posthog_logs_mcp_tool_errors_total{tool=%s} %d\n", quote(n), tools[i].errors.Load())
	}
	header(&b, "posthog_logs_mcp_tool_call_duration_seconds", "histogram", "Tool call duration, by tool.")
	for i, n := range toolNames {
		writeHistogram(&b, "posthog_logs_mcp_tool_call_duration_seconds", "tool="+quote(n), &tools[i].duration)
	}
	header(&b, "posthog_logs_mcp_upstream_requests_total", "counter", "HTTP requests sent to PostHog, by tool and status class (error: no response).")
	for i, n := range upstreamNames {
		for c, class := range upstreamStatusClasses {
			if v := upstream[i].byClass[c].Load(); v > 0 {
				fmt.Fprintf(&b, "posthog_logs_mcp_upstream_requests_total{tool=%s,status=%s} %d\n", quote(n), quote(class), v)
			}
		}
	}
	header(&b, "posthog_logs_mcp_upstream_request_duration_seconds", "histogram", "Time to PostHog's response headers, by tool.")
	for i, n := range upstreamNames {
		writeHistogram(&b, "posthog_logs_mcp_upstream_request_duration_seconds", "tool="+quote(n), &upstream[i].duration)
	}
	header(&b, "posthog_logs_mcp_http_rejected_total", "counter", "HTTP requests refused before reaching MCP, by reason.")
	for r, name := range rejectReasonNames {
		fmt.Fprintf(&b, "posthog_logs_mcp_http_rejected_total{reason=%s} %d\n", quote(name), m.rejections[r].Load())
	}
	if f := m.callsInFlight.Load(); f != nil {
		header(&b, "posthog_logs_mcp_tool_calls_in_flight", "gauge", "Tool calls running now.")
		fmt.Fprintf(&b, "posthog_logs_mcp_tool_calls_in_flight %d\n", (*f)())
	}
	header(&b, "go_goroutines", "gauge", "Number of goroutines that currently exist.")
	fmt.Fprintf(&b, "go_goroutines %d\n", runtime.NumGoroutine())
	_, err := io.WriteString(w, b.String())
	return err
}

func header(b *strings.Builder, name, kind, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

func writeHistogram(b *strings.Builder, name, labels string, h *histogram) {
	var cumulative uint64
	for i, le := range durationBuckets {
		cumulative += h.buckets[i].Load()
		fmt.Fprintf(b, "%s_bucket{%s,le=\"%s\"} %d\n", name, labels, formatFloat(le), cumulative)
	}
	// The count is the sum of the buckets, so a scrape racing with
	// observations still shows a consistent histogram.
	count := cumulative + h.buckets[len(durationBuckets)].Load()
	fmt.Fprintf(b, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, labels, count)
	fmt.Fprintf(b, "%s_sum{%s} %s\n", name, labels, formatFloat(float64(h.sumNanos.Load())/1e9))
	fmt.Fprintf(b, "%s_count{%s} %d\n", name, labels, count)
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return fmt.Sprintf("%g", f)
}

// quote renders a label value with the escapes the text format requires.
func quote(s string) string {
	return `"` + labelEscaper.Replace(s) + `"`
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
