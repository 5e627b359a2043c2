package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// startHTTPBinary runs the binary with --transport http on a free port and
// returns its base URL once it serves.
func startHTTPBinary(t *testing.T, env []string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--transport", "http", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urlPattern := regexp.MustCompile(`url=(http://\S+)/mcp`)
	scanner := bufio.NewScanner(stderr)
	var logs strings.Builder
	for scanner.Scan() {
		logs.WriteString(scanner.Text() + "\n")
		if m := urlPattern.FindStringSubmatch(scanner.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return cmd, m[1]
		}
	}
	t.Fatalf("the server never said where it listens:\n%s", logs.String())
	return nil, ""
}

func TestHTTPTransportBinary(t *testing.T) {
	cmd, base := startHTTPBinary(t, sandboxEnv(t, sandbox.KeyFull))

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("/healthz: %d %q", resp.StatusCode, body)
	}

	for _, tc := range []struct {
		name      string
		headers   map[string]string
		wantTools int
	}{
		// On loopback, a request without a key uses the server's own.
		{"server key on loopback", nil, 9},
		{"caller's own read-only key", map[string]string{"Authorization": "Bearer " + sandbox.KeyReadOnly}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := transport.NewStreamableHTTP(base+"/mcp", transport.WithHTTPHeaders(tc.headers))
			if err != nil {
				t.Fatal(err)
			}
			c := mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(mcp.ProtocolVersion20251125))
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var init mcp.InitializeRequest
			init.Params.ProtocolVersion = mcp.ProtocolVersion20251125
			init.Params.ClientInfo = mcp.Implementation{Name: "e2e-http", Version: "1"}
			if _, err := c.Initialize(ctx, init); err != nil {
				t.Fatal(err)
			}
			if n := len(listTools(t, c)); n != tc.wantTools {
				t.Fatalf("%d tools, want %d", n, tc.wantTools)
			}
			if text, isError, err := callTool(c, "list_services", map[string]any{}); err != nil || isError || !strings.Contains(text, "checkout") {
				t.Fatalf("list_services: %v %v %s", isError, err, text)
			}
		})
	}

	// Graceful shutdown on SIGTERM.
	stopWithSIGTERM(t, cmd, 20*time.Second)
}

func TestHTTPRefusesPublicListenWithServerKey(t *testing.T) {
	_, stderr, code := runBinary(t, sandboxEnv(t, sandbox.KeyFull), "--transport", "http", "--listen", "0.0.0.0:0")
	if code != 1 || !strings.Contains(stderr, "refusing to listen") {
		t.Fatalf("exit %d stderr:\n%s", code, stderr)
	}
	_, stderr, code = runBinary(t, environ(), "--sandbox", "--transport", "http", "--listen", "0.0.0.0:0")
	if code != 1 || !strings.Contains(stderr, "refusing to listen") {
		t.Fatalf("--sandbox: exit %d stderr:\n%s", code, stderr)
	}
}

func TestHTTPWithoutServerKeyRequiresCallerKeys(t *testing.T) {
	_, base := startHTTPBinary(t, environ("POSTHOG_HOST="+testSandbox(t).URL))
	req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestSecondSignalEndsShutdown: SIGTERM starts a graceful shutdown that
// waits for in-flight calls (up to --shutdown-grace); a second signal, an operator's
// second Ctrl-C, must end the process at once.
func TestSecondSignalEndsShutdown(t *testing.T) {
	upstreamURL, held := holdingPostHog(t)

	cmd, base := startHTTPBinary(t, environ("POSTHOG_HOST="+upstreamURL))
	go func() {
		req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_services","arguments":{}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer phx_some_key")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-held:
	case <-time.After(20 * time.Second):
		t.Fatal("the call never reached the upstream")
	}

	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		t.Fatal("exited at the first SIGTERM with a call in flight: the shutdown is not graceful")
	case <-time.After(500 * time.Millisecond):
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after a second SIGTERM")
	}
}
