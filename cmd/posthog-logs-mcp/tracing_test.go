package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// TestTracesReachTheCollectorOnExit: with OTEL_EXPORTER_OTLP_ENDPOINT set,
// the spans of a call reach the OTLP collector before the process exits,
// named by route template and without the key.
func TestTracesReachTheCollectorOnExit(t *testing.T) {
	var mu sync.Mutex
	var exports [][]byte
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" {
			mu.Lock()
			exports = append(exports, body)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	stdout, stderr, code := runBinary(t, environ("OTEL_EXPORTER_OTLP_ENDPOINT="+collector.URL), "--sandbox", "call", "list_services", "{}")
	if code != 0 || !bytes.Contains([]byte(stdout), []byte("checkout")) {
		t.Fatalf("exit %d stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	mu.Lock()
	all := bytes.Join(exports, nil)
	mu.Unlock()
	if len(exports) == 0 {
		t.Fatalf("no spans reached the collector; stderr:\n%s", stderr)
	}
	// The OTLP protobuf holds strings verbatim.
	for _, want := range []string{"posthog-logs-mcp", "POST /api/projects/{id}/logs/services/", "url.template"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("exported spans lack %q", want)
		}
	}
	if bytes.Contains(all, []byte(sandbox.KeyFull[:12])) {
		t.Errorf("exported spans carry the key")
	}
}

// TestTracingDisabledBySDKVariable: OTEL_SDK_DISABLED=true wins over the
// endpoint: nothing is exported.
func TestTracingDisabledBySDKVariable(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	collector := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
	}))
	defer collector.Close()
	_, stderr, code := runBinary(t, environ("OTEL_EXPORTER_OTLP_ENDPOINT="+collector.URL, "OTEL_SDK_DISABLED=true"), "--sandbox", "call", "list_services", "{}")
	mu.Lock()
	defer mu.Unlock()
	if code != 0 || requests != 0 {
		t.Fatalf("exit %d, %d requests to the collector; stderr:\n%s", code, requests, stderr)
	}
}
