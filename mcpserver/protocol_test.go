package mcpserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// TestInvalidProtocolVersionHeader: a header naming no version we speak
// is refused as such (400), listing the versions we do speak, for every
// method and whether or not the body names a version.
func TestInvalidProtocolVersionHeader(t *testing.T) {
	url, _ := newFakePostHog(t)
	s := newTestServer(t, url.URL, tools.Config{}, nil)
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	defer hs.Close()
	for _, version := range []string{"garbage", "2099-01-01", "2025-06-18x", strings.Repeat("v", 200)} {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(toolsList))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+fakeKeyFull)
		req.Header.Set("MCP-Protocol-Version", version)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var msg mcp.JSONRPCError
		if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(body, &msg) != nil {
			t.Fatalf("%q: %d %s; want 400 with a JSON-RPC error", version, resp.StatusCode, body)
		}
		for _, want := range []string{"invalid Mcp-Protocol-Version header", "2025-11-25", "2025-06-18"} {
			if !strings.Contains(msg.Error.Message, want) {
				t.Errorf("%q: message %q lacks %q", version, msg.Error.Message, want)
			}
		}
		if strings.ContainsRune(msg.Error.Message, 0x1b) || strings.Contains(msg.Error.Message, "_meta") {
			t.Errorf("%q: message %q", version, msg.Error.Message)
		}
	}
}

// TestMCPMethods: GET and HEAD agree (405 with Allow: the server opens no
// SSE stream), other methods too; POST and DELETE are served.
func TestMCPMethods(t *testing.T) {
	url, _ := newFakePostHog(t)
	s := newTestServer(t, url.URL, tools.Config{}, nil)
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	defer hs.Close()
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodOptions} {
		for _, key := range []string{"", fakeKeyFull} {
			req, _ := http.NewRequest(method, hs.URL+"/mcp", nil)
			req.Header.Set("Accept", "text/event-stream")
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST, DELETE" {
				t.Errorf("%s (key %v): %d, Allow %q; want 405, Allow: POST, DELETE", method, key != "", resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, hs.URL+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+fakeKeyFull)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("DELETE: %d", resp.StatusCode)
	}
}

// TestCancelledRequestGetsAnAnswer: a request its caller cancels gets a
// JSON-RPC error with its id, not an empty HTTP 200.
func TestCancelledRequestGetsAnAnswer(t *testing.T) {
	upstream, ph := newBlockingPostHog(t)
	s := newTestServer(t, upstream.URL, tools.Config{}, nil)
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	defer hs.Close()
	type answer struct {
		code int
		body string
	}
	done := make(chan answer, 1)
	go func() {
		code, body := postMCP(t, hs.URL, "phx_caller_key", toolCallBody(`"req-7"`))
		done <- answer{code, body}
	}()
	select {
	case <-ph.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the call never reached PostHog")
	}
	if code, body := postMCP(t, hs.URL, "phx_caller_key", `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"req-7"}}`); code != http.StatusAccepted {
		t.Fatalf("cancellation: %d %s", code, body)
	}
	var a answer
	select {
	case a = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled request got no answer")
	}
	var msg mcp.JSONRPCError
	if err := json.Unmarshal([]byte(a.body), &msg); err != nil || a.code != http.StatusOK {
		t.Fatalf("cancelled request: %d %q; want a JSON-RPC error", a.code, a.body)
	}
	if msg.ID.Value() != "req-7" || msg.Error.Code != mcp.REQUEST_INTERRUPTED {
		t.Fatalf("cancelled request: %s", a.body)
	}
}
