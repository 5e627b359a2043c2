package mcpserver

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"go.opentelemetry.io/otel/trace"
)

// Metrics counts tool calls, tool errors and upstream PostHog requests in a
// Prometheus registry of its own (tests build many servers in one process),
// with the standard go_* and process_* collectors beside them; Handler
// serves it as /metrics. Labels carry tool names, status classes and
// rejection reasons only: never a key, a project or an argument. With
// EnableTracing it also traces tool calls and upstream requests.
// It is safe for concurrent use; the zero value is not, use NewMetrics.
type Metrics struct {
	registry *prometheus.Registry

	toolCalls, toolErrors *prometheus.CounterVec
	toolDuration          *prometheus.HistogramVec
	upstreamRequests      *prometheus.CounterVec
	upstreamDuration      *prometheus.HistogramVec

	// The hot path uses label children resolved once per tool, not a
	// label lookup per call.
	mu       sync.RWMutex
	tools    map[string]*toolStats
	upstream map[string]*upstreamStats

	rejections [numRejectReasons]prometheus.Counter
	// callsInFlight reports the tool calls running now (set by New).
	callsInFlight atomic.Pointer[func() int]

	// tracer is nil unless EnableTracing was called: no tracing, no cost.
	tracer trace.Tracer
}

func (m *Metrics) setCallsInFlight(f func() int) { m.callsInFlight.Store(&f) }

// metricsNamespace prefixes every series of ours.
const metricsNamespace = "posthog_logs_mcp"

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		tools:    map[string]*toolStats{},
		upstream: map[string]*upstreamStats{},
		toolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "tool_calls_total",
			Help: "Tool calls, by tool.",
		}, []string{"tool"}),
		toolErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "tool_errors_total",
			Help: "Tool calls that ended with an isError result, by tool.",
		}, []string{"tool"}),
		toolDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "tool_call_duration_seconds",
			Help: "Tool call duration, by tool.", Buckets: durationBuckets,
		}, []string{"tool"}),
		upstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Name: "upstream_requests_total",
			Help: "HTTP requests sent to PostHog, by tool and status class (error: no response).",
		}, []string{"tool", "status"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Name: "upstream_request_duration_seconds",
			Help: "Time to PostHog's response headers, by tool.", Buckets: durationBuckets,
		}, []string{"tool"}),
	}
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metricsNamespace, Name: "http_rejected_total",
		Help: "HTTP requests refused before reaching MCP, by reason.",
	}, []string{"reason"})
	for r, name := range rejectReasonNames {
		m.rejections[r] = rejected.WithLabelValues(name)
	}
	inFlight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: metricsNamespace, Name: "tool_calls_in_flight",
		Help: "Tool calls running now.",
	}, func() float64 {
		if f := m.callsInFlight.Load(); f != nil {
			return float64((*f)())
		}
		return 0
	})
	m.registry.MustRegister(
		m.toolCalls, m.toolErrors, m.toolDuration,
		m.upstreamRequests, m.upstreamDuration,
		rejected, inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// durationBuckets are the histogram upper bounds, in seconds: tool calls and
// upstream requests range from sub-millisecond (cached, in-memory) to the
// minute-long AI explanation.
var durationBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

type toolStats struct {
	calls, errors prometheus.Counter
	duration      prometheus.Observer
}

// upstreamStatusClasses label upstream requests: the HTTP status class, or
// "error" when no response came back (connection refused, reset, timeout).
var upstreamStatusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx", "error"}

type upstreamStats struct {
	tool string
	// byClass children are made on first use: a series per class that
	// never happens would only be noise.
	byClass  [len(upstreamStatusClasses)]atomic.Pointer[prometheus.Counter]
	duration prometheus.Observer
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

func (m *Metrics) reject(r rejectReason) { m.rejections[r].Inc() }

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
		st = &toolStats{
			calls:    m.toolCalls.WithLabelValues(name),
			errors:   m.toolErrors.WithLabelValues(name),
			duration: m.toolDuration.WithLabelValues(name),
		}
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
		st = &upstreamStats{tool: tool, duration: m.upstreamDuration.WithLabelValues(tool)}
		m.upstream[tool] = st
	}
	return st
}

// ObserveTool records one finished tool call.
func (m *Metrics) ObserveTool(name string, d time.Duration, isError bool) {
	st := m.toolStatsFor(name)
	st.calls.Inc()
	if isError {
		st.errors.Inc()
	}
	st.duration.Observe(d.Seconds())
}

func (m *Metrics) observeUpstream(tool string, status int, d time.Duration) {
	class := len(upstreamStatusClasses) - 1 // "error"
	if status >= 100 && status < 600 {
		class = status/100 - 1
	}
	st := m.upstreamStatsFor(tool)
	c := st.byClass[class].Load()
	if c == nil {
		// Racing first uses resolve the same child.
		child := m.upstreamRequests.WithLabelValues(st.tool, upstreamStatusClasses[class])
		c = &child
		st.byClass[class].Store(c)
	}
	(*c).Inc()
	st.duration.Observe(d.Seconds())
}

// toolMiddleware times every tool call, counts isError results, traces the
// call when tracing is on, and puts the tool name in the context so that
// upstream requests made by the call are attributed to it (see Transport).
func (m *Metrics) toolMiddleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		ctx = WithToolName(ctx, req.Params.Name)
		var span trace.Span
		if m.tracer != nil {
			ctx, span = m.startToolSpan(ctx, req.Params.Name)
		}
		res, err := next(ctx, req)
		isError := err != nil || res == nil || res.IsError
		m.ObserveTool(req.Params.Name, time.Since(start), isError)
		if span != nil {
			endToolSpan(span, res, err)
		}
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
// tool that made it, and traced when tracing is on (call EnableTracing
// first). Give the result to client.Options.Transport.
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
	var span trace.Span
	if t.metrics.tracer != nil {
		req, span = t.metrics.startUpstreamSpan(req)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	t.metrics.observeUpstream(toolNameFrom(req.Context()), status, time.Since(start))
	if span != nil {
		endUpstreamSpan(span, status, err)
	}
	return resp, err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the base transport.
func (t *meteredTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Handler serves the metrics to a Prometheus scrape (/metrics), in the
// format the scraper asks for.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// WritePrometheus writes every metric in the Prometheus text format (0.0.4).
func (m *Metrics) WritePrometheus(w io.Writer) error {
	families, err := m.registry.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}
