package mcpserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracing.
//
// When OpenTelemetry is configured (OTEL_EXPORTER_OTLP_ENDPOINT), every
// tool call is a span, "tools/call <tool>", and every HTTP request it sends
// to PostHog is a client span under it, whose W3C traceparent goes to
// PostHog with the request. Spans carry the tool name, the result's error
// code, the HTTP method, the route template (the project id replaced by
// {id}) and the status: never a key, a project id or an argument. When it
// is not configured, nothing is set up and the hot path skips tracing with
// a nil check.

// tracerName is the instrumentation scope of our spans.
const tracerName = "github.com/posthog-logs-mcp/posthog-logs-mcp/mcpserver"

// TracingEnabled reports whether the environment asks for traces: an OTLP
// endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT, or the traces-only
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and neither OTEL_SDK_DISABLED=true
// nor OTEL_TRACES_EXPORTER=none turns it off.
func TracingEnabled(getenv func(string) string) bool {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return false
	}
	return !strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") &&
		!strings.EqualFold(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")), "none")
}

// NewTracerProvider returns a tracer provider that batches spans to the
// OTLP/HTTP endpoint the standard OTEL_* variables describe (endpoint,
// headers, timeout, compression, sampler, batch sizes and resource
// attributes are read from the process environment by the SDK and the
// exporter themselves); use it when TracingEnabled. service.name is
// posthog-logs-mcp unless OTEL_SERVICE_NAME says otherwise. It does no
// network I/O; call Shutdown on exit to flush the spans still buffered.
func NewTracerProvider(ctx context.Context, version string) (*sdktrace.TracerProvider, error) {
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", Name),
			attribute.String("service.version", version),
		),
		// After ours: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		_ = exporter.Shutdown(ctx)
		return nil, err
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res)), nil
}

// EnableTracing makes m trace tool calls and upstream requests with tp.
// Call it before m serves anything (before the first call and request).
func (m *Metrics) EnableTracing(tp trace.TracerProvider) {
	m.tracer = tp.Tracer(tracerName)
}

// traceContext propagates W3C trace context (traceparent, tracestate) to
// PostHog.
var traceContext propagation.TraceContext

// Span attributes. The tool and error code ones follow the OpenTelemetry
// conventions for MCP; the HTTP ones the HTTP client conventions.
const (
	attrMethodName = attribute.Key("mcp.method.name")
	attrToolName   = attribute.Key("gen_ai.tool.name")
	attrIsError    = attribute.Key("mcp.tool.is_error")
	attrErrorType  = attribute.Key("error.type")
	attrHTTPMethod = attribute.Key("http.request.method")
	attrURLTmpl    = attribute.Key("url.template")
	attrHTTPStatus = attribute.Key("http.response.status_code")
)

// extractTraceContext continues the caller's trace (a traceparent header
// on the MCP request), when tracing is on.
func (m *Metrics) extractTraceContext(ctx context.Context, h http.Header) context.Context {
	if m.tracer == nil || h.Get("Traceparent") == "" {
		return ctx
	}
	return traceContext.Extract(ctx, propagation.HeaderCarrier(h))
}

func (m *Metrics) startToolSpan(ctx context.Context, tool string) (context.Context, trace.Span) {
	return m.tracer.Start(ctx, "tools/call "+tool,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attrMethodName.String("tools/call"), attrToolName.String(tool)))
}

func endToolSpan(span trace.Span, res *mcp.CallToolResult, err error) {
	defer span.End()
	switch {
	case err != nil || res == nil:
		// The message of a Go error may quote arguments: it stays out.
		span.SetAttributes(attrIsError.Bool(true), attrErrorType.String("_OTHER"))
		span.SetStatus(codes.Error, "")
	case res.IsError:
		code := resultErrorCode(res)
		span.SetAttributes(attrIsError.Bool(true), attrErrorType.String(code))
		span.SetStatus(codes.Error, code)
	default:
		span.SetAttributes(attrIsError.Bool(false))
	}
}

// resultErrorCode is the stable code that starts an isError result
// ("RATE_LIMITED: ..."), or "_OTHER" when the text does not start with
// one: nothing else of the message (which may echo arguments) is kept.
func resultErrorCode(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		text, ok := c.(mcp.TextContent)
		if !ok {
			continue
		}
		code, _, found := strings.Cut(text.Text, ":")
		if found && isErrorCode(code) {
			return code
		}
		break
	}
	return "_OTHER"
}

func isErrorCode(s string) bool {
	if len(s) < 2 || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && r != '_' && (r < '0' || r > '9') {
			return false
		}
	}
	return s[0] >= 'A' && s[0] <= 'Z'
}

// startUpstreamSpan starts the client span of an upstream request and
// returns a copy of req carrying it, with traceparent set (a RoundTripper
// must not modify the request it is given).
func (m *Metrics) startUpstreamSpan(req *http.Request) (*http.Request, trace.Span) {
	route := routeTemplate(req.URL.Path)
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	ctx, span := m.tracer.Start(req.Context(), method+" "+route,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrHTTPMethod.String(method), attrURLTmpl.String(route)))
	req = req.Clone(ctx)
	traceContext.Inject(ctx, propagation.HeaderCarrier(req.Header))
	return req, span
}

func endUpstreamSpan(span trace.Span, status int, err error) {
	defer span.End()
	if err != nil {
		// The error's text holds the URL and its query: only its kind is kept.
		span.SetAttributes(attrErrorType.String(transportErrorType(err)))
		span.SetStatus(codes.Error, "")
		return
	}
	span.SetAttributes(attrHTTPStatus.Int(status))
	if status >= 400 {
		span.SetAttributes(attrErrorType.String(httpStatusText(status)))
		span.SetStatus(codes.Error, "")
	}
}

func transportErrorType(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	default:
		return "connection"
	}
}

// httpStatusText is the status code as error.type wants it ("503").
func httpStatusText(status int) string {
	var b [3]byte
	b[0], b[1], b[2] = byte('0'+status/100%10), byte('0'+status/10%10), byte('0'+status%10)
	return string(b[:])
}

// routeTemplate is path with what identifies a project or a saved view
// replaced by a placeholder: /api/projects/{id}/logs/query/,
// /api/projects/{id}/logs/views/{short_id}/. Any other segment that is not
// a plain word (a digit, a dot, an escape) becomes {id} too: a span must
// never carry what a caller sent.
func routeTemplate(path string) string {
	segments := strings.Split(path, "/")
	for i, s := range segments {
		if s == "" {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segments[i-1]
		}
		switch {
		case prev == "projects" || prev == "environments":
			segments[i] = "{id}"
		case prev == "views":
			segments[i] = "{short_id}"
		case !isRouteWord(s):
			segments[i] = "{id}"
		}
	}
	return strings.Join(segments, "/")
}

func isRouteWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '@' && i == 0) {
			return false
		}
	}
	return true
}
