package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// holdingPostHog answers key introspection and holds every other request
// until the test ends; held receives one value per held request.
func holdingPostHog(t *testing.T) (url string, held <-chan struct{}) {
	t.Helper()
	heldCh := make(chan struct{}, 8)
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/personal_api_keys/@current/" {
			_, _ = io.WriteString(w, `{"label":"k","scopes":["logs:read"],"scoped_teams":[1]}`)
			return
		}
		heldCh <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, `{"detail":"Not found."}`, http.StatusNotFound)
	}))
	t.Cleanup(upstream.Close)
	t.Cleanup(func() { close(release) })
	return upstream.URL, heldCh
}

func waitHeld(t *testing.T, held <-chan struct{}) {
	t.Helper()
	select {
	case <-held:
	case <-time.After(20 * time.Second):
		t.Fatal("the call never reached the upstream")
	}
}

// waitExit waits for the process and returns its exit code (-1: killed by
// a signal).
func waitExit(t *testing.T, cmd *exec.Cmd, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			return 0
		}
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode()
		}
		t.Fatalf("wait: %v", err)
	case <-time.After(timeout):
		t.Fatalf("still running after %s", timeout)
	}
	return 0
}

const listServicesCall = `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"list_services","arguments":{}}}`

// TestHTTPShutdownGrace: a call still running when --shutdown-grace ends
// is answered CANCELLED (HTTP 200, isError), and the exit code is 0.
func TestHTTPShutdownGrace(t *testing.T) {
	url, held := holdingPostHog(t)
	cmd, base := startHTTPBinary(t, environ("POSTHOG_HOST="+url), "--shutdown-grace", "1s")
	answer := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(listServicesCall))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer phx_some_key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- resp.Status + " " + string(b)
	}()
	waitHeld(t, held)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case a := <-answer:
		if !strings.HasPrefix(a, "200") || !strings.Contains(a, "CANCELLED: server shutting down, retry") || !strings.Contains(a, `"isError":true`) {
			t.Fatalf("running call at the end of the grace period got %s", a)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the running call got no answer")
	}
	if code := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

// stdioProcess runs the binary over stdio with raw pipes.
func stdioProcess(t *testing.T, env []string, args ...string) (*exec.Cmd, io.WriteCloser, *bufio.Reader, io.Closer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = in.Close() })
	r := bufio.NewReader(out)
	send(t, in, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	readID(t, r, `"id":1`)
	send(t, in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return cmd, in, r, out
}

func send(t *testing.T, w io.Writer, line string) {
	t.Helper()
	if _, err := io.WriteString(w, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// readID returns the next stdout line containing id.
func readID(t *testing.T, r *bufio.Reader, id string) string {
	t.Helper()
	lines := make(chan string, 1)
	go func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				lines <- "read error: " + err.Error()
				return
			}
			if strings.Contains(line, id) {
				lines <- line
				return
			}
		}
	}()
	select {
	case l := <-lines:
		return l
	case <-time.After(20 * time.Second):
		t.Fatalf("no answer %s", id)
	}
	return ""
}

// TestStdioShutdownGrace: the same over stdio.
func TestStdioShutdownGrace(t *testing.T) {
	url, held := holdingPostHog(t)
	cmd, in, out, _ := stdioProcess(t, environ("POSTHOG_HOST="+url, "POSTHOG_PERSONAL_API_KEY=phx_some_key", "POSTHOG_PROJECT_ID=1"), "--shutdown-grace", "1s")
	send(t, in, listServicesCall)
	waitHeld(t, held)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if a := readID(t, out, `"id":5`); !strings.Contains(a, "CANCELLED: server shutting down, retry") || !strings.Contains(a, `"isError":true`) {
		t.Fatalf("running call at the end of the grace period got %s", a)
	}
	if code := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

// TestStdioClientClosesStdout: a client that closes the server's stdout
// (and keeps stdin open) ends the process with exit 0, not SIGPIPE.
func TestStdioClientClosesStdout(t *testing.T) {
	cmd, in, _, out := stdioProcess(t, sandboxEnv(t, sandbox.KeyFull))
	_ = out.Close()
	for i := range 3 {
		send(t, in, `{"jsonrpc":"2.0","id":`+string(rune('7'+i))+`,"method":"tools/list"}`)
	}
	if code := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d after the client closed stdout, want 0 (-1: killed by a signal)", code)
	}
}

// TestStdioLongLine: a line over the 1 MiB cap is answered with a
// JSON-RPC error, and the next request is served.
func TestStdioLongLine(t *testing.T) {
	sb := testSandbox(t)
	cmd, in, out, _ := stdioProcess(t, sandboxEnv(t, sandbox.KeyFull))
	go func() {
		_, _ = io.WriteString(in, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"query_logs","arguments":{"search":"`+strings.Repeat("x", 8<<20)+"\"}}}\n")
	}()
	if a := readID(t, out, `"id":2`); !strings.Contains(a, `"error"`) || !strings.Contains(a, "message too large") {
		t.Fatalf("answer to an 8 MB line: %.300s", a)
	}
	send(t, in, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`)
	if a := readID(t, out, `"id":3`); !strings.Contains(a, `"tools"`) {
		t.Fatalf("tools/list after the long line: %.300s", a)
	}
	for _, r := range sb.Requests() {
		// The sandbox records a body up to its own 1 MiB cap.
		if strings.HasSuffix(r.Path, "logs/query/") && len(r.Body) >= 1<<20 {
			t.Fatalf("the long search was sent to PostHog (%d bytes)", len(r.Body))
		}
	}
	_ = in.Close()
	if code := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}
