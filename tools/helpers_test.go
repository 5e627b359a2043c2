package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/goleak"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// testNow anchors the sandbox data and the tools' clock, so windows and
// spikes land at known times.
var testNow = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)

var (
	sandboxOnce sync.Once
	sandboxSrv  *sandbox.Server
	sandboxErr  error
)

// testSandbox is shared by the tests of this package (building the data
// set once keeps the suite fast); tests that inject faults or read the
// request log must not run in parallel.
func testSandbox(t testing.TB) *sandbox.Server {
	t.Helper()
	sandboxOnce.Do(func() {
		sandboxSrv, sandboxErr = sandbox.Start(sandbox.Config{Now: testNow})
	})
	if sandboxErr != nil {
		t.Fatal(sandboxErr)
	}
	sandboxSrv.ClearFaults()
	sandboxSrv.ResetRequests()
	return sandboxSrv
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sandboxSrv != nil {
		sandboxSrv.Close()
	}
	// Tools start goroutines (waits, caches, concurrent upstream requests):
	// none may outlive the tests.
	http.DefaultClient.CloseIdleConnections()
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		code = 1
	}
	os.Exit(code)
}

// harness is a toolset wired to the sandbox for one key.
type harness struct {
	t   testing.TB
	sb  *sandbox.Server
	ts  *Toolset
	ctx context.Context
}

func newHarness(t testing.TB, key string, mod func(*Config)) *harness {
	t.Helper()
	sb := testSandbox(t)
	cl, err := client.New(client.Options{Host: sb.URL, RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Client: cl, PinnedProject: sandbox.ProjectID, Redact: true, Now: func() time.Time { return testNow }}
	if mod != nil {
		mod(&cfg)
	}
	ts, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.Introspect(context.Background(), key)
	if err != nil {
		t.Fatalf("introspect: %v", err)
	}
	caller := Caller{Key: key, Project: cfg.PinnedProject, Info: info}
	sb.ResetRequests()
	return &harness{t: t, sb: sb, ts: ts, ctx: WithCaller(context.Background(), caller)}
}

// call runs a tool and returns its text and whether it is an error.
func (h *harness) call(name string, args any) (string, bool) {
	h.t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		h.t.Fatal(err)
	}
	res := h.ts.Call(h.ctx, name, json.RawMessage(raw))
	if res == nil {
		h.t.Fatalf("%s returned nil", name)
	}
	return resultText(h.t, res), res.IsError
}

// ok runs a tool that must succeed.
func (h *harness) ok(name string, args any) string {
	h.t.Helper()
	text, isErr := h.call(name, args)
	if isErr {
		h.t.Fatalf("%s %v failed: %s", name, args, text)
	}
	return text
}

// fail runs a tool that must fail, and returns its message.
func (h *harness) fail(name string, args any) string {
	h.t.Helper()
	text, isErr := h.call(name, args)
	if !isErr {
		h.t.Fatalf("%s %v succeeded, want an error:\n%s", name, args, text)
	}
	return text
}

func resultText(t testing.TB, res *mcp.CallToolResult) string {
	t.Helper()
	var b strings.Builder
	for _, c := range res.Content {
		tc, ok := c.(mcp.TextContent)
		if !ok {
			t.Fatalf("non-text content %T", c)
		}
		b.WriteString(tc.Text)
	}
	return b.String()
}

// upstreamPaths lists the paths the sandbox received since the last reset.
func (h *harness) upstreamPaths() []string {
	var out []string
	for _, r := range h.sb.Requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
