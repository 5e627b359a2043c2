package mcpserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

func TestRouteTemplate(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/api/projects/4242/logs/query/", "/api/projects/{id}/logs/query/"},
		{"/api/environments/7/logs/explainLogWithAI/", "/api/environments/{id}/logs/explainLogWithAI/"},
		{"/api/projects/1/logs/views/", "/api/projects/{id}/logs/views/"},
		{"/api/projects/1/logs/views/aBcDeF/", "/api/projects/{id}/logs/views/{short_id}/"},
		{"/api/projects/1/logs/group-by/", "/api/projects/{id}/logs/group-by/"},
		{"/api/projects/1/logs/patterns_diff/", "/api/projects/{id}/logs/patterns_diff/"},
		{"/api/personal_api_keys/@current/", "/api/personal_api_keys/@current/"},
		{"/oauth/introspect", "/oauth/introspect"},
		// Whatever else identifies something, or could be a caller's text.
		{"/api/things/123/x.y/phx_abc123/", "/api/things/{id}/{id}/{id}/"},
		{"/api/a@b/", "/api/{id}/"},
	} {
		if got := routeTemplate(tc.path); got != tc.want {
			t.Errorf("routeTemplate(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestResultErrorCode(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"RATE_LIMITED: server busy, retry in a few seconds", "RATE_LIMITED"},
		{"INVALID_ARGUMENT: severity \"loud\" is not one of ...", "INVALID_ARGUMENT"},
		{"no code here: phx_secret", "_OTHER"},
		{"lower: x", "_OTHER"},
		{"A: too short", "_OTHER"},
		{"", "_OTHER"},
	} {
		if got := resultErrorCode(mcp.NewToolResultError(tc.text)); got != tc.want {
			t.Errorf("resultErrorCode(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestTracingEnabled(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
		{map[string]string{"OTEL_SERVICE_NAME": "x"}, false},
	} {
		if got := TracingEnabled(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("TracingEnabled(%v) = %v", tc.env, got)
		}
	}
}

func TestNewTracerProvider(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_SERVICE_NAME", "")
	tp, err := NewTracerProvider(context.Background(), "v1.2.3")
	if err != nil || tp == nil {
		t.Fatalf("NewTracerProvider: %v, %v", tp, err)
	}
	// Nothing was traced: shutting down sends nothing and does not wait.
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestTracingSpans: over real HTTP, each tool call is a server span, each
// upstream request a client span under it whose traceparent reaches
// PostHog, and no span carries the key, the project id or an argument.
func TestTracingSpans(t *testing.T) {
	sb := testSandbox(t)
	// In front of the sandbox: records the traceparent of every request.
	target, _ := url.Parse(sb.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	traceparents := map[string][]string{} // path → traceparent headers
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparents[r.URL.Path] = append(traceparents[r.URL.Path], r.Header.Get("Traceparent"))
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	defer upstream.Close()

	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	metrics := NewMetrics()
	metrics.EnableTracing(tp)
	cl := newTestClient(t, upstream.URL, metrics)
	ts, err := tools.New(tools.Config{Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Toolset: ts, Client: cl, Version: "test", Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	defer hs.Close()
	f := &httpFixture{sb: sb, server: s, http: hs}
	// The caller's own trace, which the tool spans continue.
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	headers := bearer(sandbox.KeyFull)
	headers["traceparent"] = "00-" + callerTrace + "-00f067aa0ba902b7-01"
	c := f.connect(t, mcp.ProtocolVersion20251125, headers)
	defer c.Close()

	const secretArgument = "needle-in-the-arguments"
	mustCall(t, c, "query_logs", map[string]any{"date_from": "-1h", "limit": 5, "search": secretArgument})
	if _, isError, err := callTool(c, "query_logs", map[string]any{"severity": []string{"loud-" + secretArgument}}); err != nil || !isError {
		t.Fatalf("bad severity: isError=%v err=%v", isError, err)
	}

	spans := exporter.GetSpans()
	var toolSpans []tracetest.SpanStub
	for _, sp := range spans {
		if sp.Name == "tools/call query_logs" {
			toolSpans = append(toolSpans, sp)
		}
	}
	if len(toolSpans) != 2 {
		t.Fatalf("want 2 tool spans, got %d of %d spans: %v", len(toolSpans), len(spans), spanNames(spans))
	}
	ok, bad := toolSpans[0], toolSpans[1]
	if ok.SpanKind != trace.SpanKindServer || attr(ok, "gen_ai.tool.name") != "query_logs" ||
		attr(ok, "mcp.method.name") != "tools/call" || attr(ok, "mcp.tool.is_error") != "false" || ok.Status.Code == codes.Error {
		t.Errorf("successful call's span: %+v", ok.Attributes)
	}
	if ok.SpanContext.TraceID().String() != callerTrace || ok.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("tool span is not in the caller's trace: trace %v parent %v", ok.SpanContext.TraceID(), ok.Parent.SpanID())
	}
	if attr(bad, "mcp.tool.is_error") != "true" || attr(bad, "error.type") != "INVALID_ARGUMENT" || bad.Status.Code != codes.Error {
		t.Errorf("failed call's span: %+v %+v", bad.Attributes, bad.Status)
	}

	// The query is a child of the first call's span, and PostHog saw it.
	const route = "/api/projects/{id}/logs/query/"
	var query *tracetest.SpanStub
	for i, sp := range spans {
		if sp.Name == "POST "+route {
			query = &spans[i]
		}
	}
	if query == nil {
		t.Fatalf("no upstream query span among %v", spanNames(spans))
	}
	if query.Parent.SpanID() != ok.SpanContext.SpanID() || query.SpanContext.TraceID() != ok.SpanContext.TraceID() {
		t.Errorf("upstream span's parent %v, want the tool span %v", query.Parent.SpanID(), ok.SpanContext.SpanID())
	}
	if query.SpanKind != trace.SpanKindClient || attr(*query, "http.request.method") != "POST" ||
		attr(*query, "url.template") != route || attr(*query, "http.response.status_code") != "200" {
		t.Errorf("upstream span: %+v", query.Attributes)
	}
	want := "00-" + query.SpanContext.TraceID().String() + "-" + query.SpanContext.SpanID().String() + "-01"
	mu.Lock()
	var seen []string
	for path, tps := range traceparents {
		if strings.HasSuffix(path, "/logs/query/") {
			seen = append(seen, tps...)
		}
	}
	mu.Unlock()
	if len(seen) != 1 || seen[0] != want {
		t.Errorf("PostHog saw traceparent %q, want [%q]", seen, want)
	}

	// Nothing the caller sent, nor which project, is in any span.
	for _, sp := range spans {
		texts := []string{sp.Name, sp.Status.Description}
		for _, kv := range sp.Attributes {
			texts = append(texts, string(kv.Key), kv.Value.Emit())
		}
		for _, ev := range sp.Events {
			texts = append(texts, ev.Name)
			for _, kv := range ev.Attributes {
				texts = append(texts, kv.Value.Emit())
			}
		}
		for _, text := range texts {
			if strings.Contains(text, sandbox.KeyFull[:12]) || strings.Contains(text, secretArgument) ||
				strings.Contains(text, "/"+strconv.FormatInt(sandbox.ProjectID, 10)+"/") {
				t.Errorf("span %q carries %q", sp.Name, text)
			}
		}
	}
}

func spanNames(spans tracetest.SpanStubs) []string {
	names := make([]string, len(spans))
	for i, sp := range spans {
		names[i] = sp.Name
	}
	return names
}

func attr(sp tracetest.SpanStub, key string) string {
	for _, kv := range sp.Attributes {
		if kv.Key == attribute.Key(key) {
			return kv.Value.Emit()
		}
	}
	return ""
}
