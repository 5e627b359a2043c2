package mcpserver

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// downTransport fails every request with a refused dial while down is set.
type downTransport struct {
	down atomic.Bool
	base http.RoundTripper
}

func (d *downTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.down.Load() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errConnRefused}
	}
	return d.base.RoundTrip(r)
}

var errConnRefused = &net.AddrError{Err: "connection refused", Addr: "127.0.0.1"}

// TestConfiguredKeyProblemsAnswerEveryCall: a problem found by talking to
// PostHog does not stop a stdio server; tools/list still works and every
// tool call answers it, naming the setting to fix and the host.
func TestConfiguredKeyProblemsAnswerEveryCall(t *testing.T) {
	sb := testSandbox(t)
	tests := []struct {
		name   string
		key    string
		pinned int64
		want   []string
	}{
		{"rejected key", "phx_not_a_key_the_sandbox_knows_000000", 0,
			[]string{"AUTH_FAILED", "POSTHOG_PERSONAL_API_KEY", sb.URL}},
		{"pinned project outside the key", sandbox.KeyFull, sandbox.OtherProjectID,
			[]string{"PERMISSION_DENIED", "project 2", "POSTHOG_PROJECT_ID", "(1)", sb.URL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, sb.URL, tools.Config{PinnedProject: tt.pinned}, nil)
			c := stdioClient(t, s, tt.key, "2025-11-25")
			if n := len(listTools(t, c)); n != 9 {
				t.Fatalf("%d tools listed, want the full catalogue of 9", n)
			}
			for _, name := range []string{"list_services", "query_logs", "manage_views"} {
				text, isError, err := callTool(c, name, map[string]any{"action": "list"})
				if err != nil || !isError {
					t.Fatalf("%s: err %v isError %v: %s", name, err, isError, text)
				}
				for _, w := range tt.want {
					if !strings.Contains(text, w) {
						t.Errorf("%s answer lacks %q: %s", name, w, text)
					}
				}
				if strings.Contains(text, tt.key) {
					t.Fatalf("the key is in the answer: %s", text)
				}
			}
		})
	}
}

// TestUnreachablePostHogIsRetried: while PostHog cannot be reached, every
// call says so (over stdio and over HTTP); once it can, calls work again
// without a restart.
func TestUnreachablePostHogIsRetried(t *testing.T) {
	sb := testSandbox(t)
	down := &downTransport{base: http.DefaultTransport}
	down.down.Store(true)
	cl, err := client.New(client.Options{Host: sb.URL, MaxRetries: -1, Transport: down})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tools.New(tools.Config{Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Toolset: ts, Client: cl})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	clk.nanos.Store(time.Now().UnixNano())
	s.callers.now = clk.now

	stdio := stdioClient(t, s, sandbox.KeyFull, "2025-06-18")
	f := &httpFixture{sb: sb, server: s, http: httptest.NewServer(s.HTTPHandler(HTTPConfig{}))}
	t.Cleanup(f.http.Close)
	remote := f.connect(t, "2025-11-25", bearer(sandbox.KeyReadOnly))
	defer remote.Close()

	for name, c := range map[string]*mcpclient.Client{"stdio": stdio, "http": remote} {
		if n := len(listTools(t, c)); n != 9 {
			t.Fatalf("%s: %d tools listed while PostHog is down, want all 9", name, n)
		}
		text, isError, err := callTool(c, "list_services", map[string]any{})
		if err != nil || !isError || !strings.HasPrefix(text, "UPSTREAM_ERROR") ||
			!strings.Contains(text, "PostHog at "+sb.URL+" could not be reached") || !strings.Contains(text, "POSTHOG_HOST") {
			t.Fatalf("%s: list_services while PostHog is down: err %v isError %v: %s", name, err, isError, text)
		}
	}

	down.down.Store(false)
	clk.advance(failedIntrospectionTTL + time.Second)
	text := mustCall(t, stdio, "list_services", map[string]any{"date_from": "-3h"})
	if !strings.Contains(text, "checkout") {
		t.Fatalf("stdio after recovery: %s", text)
	}
	mustCall(t, remote, "list_services", map[string]any{"date_from": "-3h"})
}
