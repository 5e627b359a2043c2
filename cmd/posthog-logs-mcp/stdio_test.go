package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

var protocolVersions = []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125, mcp.ProtocolVersion20260728}

// startStdio launches the binary as an IDE would and connects an MCP
// client speaking version.
func startStdio(t *testing.T, version string, env []string, args ...string) *mcpclient.Client {
	t.Helper()
	tr := transport.NewStdioWithOptions(binary, nil, args, transport.WithCommandFunc(
		func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env = env
			return cmd, nil
		}))
	c := mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(version))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e-stdio", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		stderr, _ := mcpclient.GetStderr(c)
		var b []byte
		if stderr != nil {
			b, _ = io.ReadAll(io.LimitReader(stderr, 4096))
		}
		t.Fatalf("initialize (%s): %v\nstderr: %s", version, err, b)
	}
	return c
}

func listTools(t *testing.T, c *mcpclient.Client) map[string]mcp.Tool {
	t.Helper()
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]mcp.Tool{}
	for _, tool := range res.Tools {
		out[tool.Name] = tool
	}
	return out
}

func callTool(c *mcpclient.Client, name string, args map[string]any) (string, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return "", false, err
	}
	var parts []string
	for _, content := range res.Content {
		if tc, ok := mcp.AsTextContent(content); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n"), res.IsError, nil
}

func actionEnum(t *testing.T, tool mcp.Tool) []string {
	t.Helper()
	raw, _ := json.Marshal(tool)
	var m struct {
		InputSchema struct {
			Properties struct {
				Action struct {
					Enum []string `json:"enum"`
				} `json:"action"`
			} `json:"properties"`
		} `json:"inputSchema"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.InputSchema.Properties.Action.Enum
}

func TestStdioProtocolVersions(t *testing.T) {
	for _, version := range protocolVersions {
		t.Run(version, func(t *testing.T) {
			c := startStdio(t, version, sandboxEnv(t, sandbox.KeyFull))
			if got := c.ProtocolVersion(); got != version {
				t.Fatalf("negotiated %q, want %q", got, version)
			}
			if n := len(listTools(t, c)); n != 9 {
				t.Fatalf("%d tools, want 9", n)
			}
			text, isError, err := callTool(c, "list_services", map[string]any{"date_from": "-3h"})
			if err != nil || isError || !strings.Contains(text, "checkout") {
				t.Fatalf("list_services: %v %v\n%s", isError, err, text)
			}
		})
	}
}

func TestStdioWithInProcessSandbox(t *testing.T) {
	c := startStdio(t, mcp.ProtocolVersion20251125, environ(), "--sandbox")
	for _, tool := range []struct {
		name string
		args map[string]any
	}{
		{"list_services", map[string]any{}},
		{"query_logs", map[string]any{"date_from": "-3h", "severity": []string{"error"}, "limit": 5}},
		{"get_sparkline", map[string]any{"date_from": "-3h"}},
		{"list_attributes", map[string]any{}},
		{"get_attribute_values", map[string]any{"key": "service.name"}},
		{"manage_views", map[string]any{"action": "list"}},
	} {
		text, isError, err := callTool(c, tool.name, tool.args)
		if err != nil || isError || text == "" {
			t.Fatalf("%s: %v %v\n%s", tool.name, isError, err, text)
		}
	}
}

func TestStdioScopesAndReadOnly(t *testing.T) {
	sb := testSandbox(t)
	tests := []struct {
		name      string
		key       string
		args      []string
		wantWrite bool
	}{
		{"full key", sandbox.KeyFull, nil, true},
		{"read-only key", sandbox.KeyReadOnly, nil, false},
		{"--read-only with the full key", sandbox.KeyFull, []string{"--read-only"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startStdio(t, mcp.ProtocolVersion20250618, sandboxEnv(t, tt.key), tt.args...)
			cat := listTools(t, c)
			if _, ok := cat["explain_log"]; ok != tt.wantWrite {
				t.Fatalf("explain_log listed = %v, want %v", ok, tt.wantWrite)
			}
			views := cat["manage_views"]
			enum := actionEnum(t, views)
			readOnly := views.Annotations.ReadOnlyHint != nil && *views.Annotations.ReadOnlyHint
			if tt.wantWrite {
				if len(enum) != 5 || readOnly {
					t.Fatalf("enum %v readOnlyHint %v", enum, readOnly)
				}
				return
			}
			if !slices.Equal(enum, []string{"list", "get"}) || !readOnly {
				t.Fatalf("enum %v readOnlyHint %v, want [list get], read-only", enum, readOnly)
			}
			sb.ResetRequests()
			// Hidden, yet callable: the answer names what is missing
			// rather than a JSON-RPC "tool not found".
			text, isError, err := callTool(c, "explain_log", map[string]any{"uuid": "0199a3c2-5b7e-7c1a-9d2e-8f6a1b2c3d4e", "timestamp": "2026-01-01T00:00:00Z"})
			want := "needs logs:write"
			if slices.Contains(tt.args, "--read-only") {
				want = "--read-only"
			}
			if err != nil || !isError || !strings.HasPrefix(text, "PERMISSION_DENIED") || !strings.Contains(text, want) {
				t.Fatalf("hidden explain_log: err %v isError %v: %s", err, isError, text)
			}
			_, isError, err = callTool(c, "manage_views", map[string]any{"action": "create", "name": "x"})
			if err == nil && !isError {
				t.Fatal("manage_views create succeeded")
			}
			for _, r := range sb.Requests() {
				if strings.Contains(r.Path, "/logs/") {
					t.Fatalf("a hidden tool reached PostHog: %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

// TestStdoutIsOnlyJSONRPC drives the binary over raw pipes, with debug
// logging on, and checks every stdout line is a JSON-RPC message.
func TestStdoutIsOnlyJSONRPC(t *testing.T) {
	cmd := exec.Command(binary, "--log-level", "debug")
	cmd.Env = sandboxEnv(t, sandbox.KeyFull)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	requests := []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_services","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"query_logs","arguments":{"severity":["loud"]}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"query_logs","arguments":{"date_from":"-3h","limit":20}}}`,
		`this is not json`,
	}
	for _, r := range requests {
		if _, err := io.WriteString(stdin, r+"\n"); err != nil {
			t.Fatal(err)
		}
	}

	answered := map[float64]bool{}
	lines := 0
	scanner := bufio.NewScanner(stdout)
	scanner.Buffer(make([]byte, 1<<20), 4<<20)
	deadline := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for len(answered) < 6 && scanner.Scan() {
		lines++
		var msg map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &msg); err != nil || msg["jsonrpc"] != "2.0" {
			t.Fatalf("stdout line %d is not JSON-RPC: %q", lines, scanner.Text())
		}
		if id, ok := msg["id"].(float64); ok {
			answered[id] = true
		}
	}
	if len(answered) < 6 {
		t.Fatalf("answers for %v only; stderr:\n%s", answered, stderr.String())
	}
	_ = stdin.Close()
	// After stdin closes, whatever is left on stdout must be JSON-RPC too.
	rest, _ := io.ReadAll(stdout)
	for _, line := range strings.Split(strings.TrimSpace(string(rest)), "\n") {
		if line != "" && !json.Valid([]byte(line)) {
			t.Fatalf("trailing stdout line is not JSON: %q", line)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after stdin closed: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), sandbox.KeyFull) {
		t.Fatal("the key reached the logs")
	}
}

// TestColdStart measures process start to a served tools/list over stdio
// (introspection against a local sandbox included, so it is an upper bound).
func TestColdStart(t *testing.T) {
	env := sandboxEnv(t, sandbox.KeyFull)
	var best time.Duration
	for i := range 5 {
		start := time.Now()
		cmd := exec.Command(binary)
		cmd.Env = env
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"cold","version":"1"}}}`)
		fmt.Fprintln(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		fmt.Fprintln(stdin, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
		scanner := bufio.NewScanner(stdout)
		scanner.Buffer(make([]byte, 1<<20), 4<<20)
		for scanner.Scan() {
			if strings.Contains(scanner.Text(), `"id":2`) {
				break
			}
		}
		elapsed := time.Since(start)
		_ = stdin.Close()
		_ = cmd.Wait()
		if i == 0 || elapsed < best {
			best = elapsed
		}
	}
	t.Logf("cold start to tools/list (best of 5, local introspection included): %s", best)
	if best > 500*time.Millisecond {
		t.Fatalf("cold start %s", best)
	}
}

// TestStdioStartsDespitePostHogProblems: a problem found by talking to
// PostHog never stops the stdio server (an IDE would only show "server
// failed"): it starts, logs the reason, and every tool call answers it,
// naming the setting to fix and the host it tried.
func TestStdioStartsDespitePostHogProblems(t *testing.T) {
	sb := testSandbox(t)
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"rejected key", environ("POSTHOG_HOST="+sb.URL, "POSTHOG_PERSONAL_API_KEY=phx_revoked_0000000000000000000000"),
			[]string{"AUTH_FAILED", "POSTHOG_PERSONAL_API_KEY", sb.URL}},
		{"refused connection", environ("POSTHOG_HOST=http://127.0.0.1:1", "POSTHOG_PERSONAL_API_KEY="+sandbox.KeyFull),
			[]string{"UPSTREAM_ERROR", "PostHog at http://127.0.0.1:1 could not be reached", "POSTHOG_HOST"}},
		{"unknown host name", environ("POSTHOG_HOST=https://nonexistent.invalid", "POSTHOG_PERSONAL_API_KEY="+sandbox.KeyFull),
			[]string{"UPSTREAM_ERROR", "PostHog at https://nonexistent.invalid could not be reached", "POSTHOG_HOST"}},
		{"pinned project outside the key", sandboxEnv(t, sandbox.KeyFull, "POSTHOG_PROJECT_ID=2"),
			[]string{"PERMISSION_DENIED", "project 2", "POSTHOG_PROJECT_ID", "(1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startStdio(t, mcp.ProtocolVersion20251125, tt.env)
			if n := len(listTools(t, c)); n != 9 {
				t.Fatalf("%d tools listed, want 9", n)
			}
			for _, name := range []string{"list_services", "query_logs"} {
				text, isError, err := callTool(c, name, map[string]any{})
				if err != nil || !isError {
					t.Fatalf("%s: err %v isError %v: %s", name, err, isError, text)
				}
				for _, w := range tt.want {
					if !strings.Contains(text, w) {
						t.Errorf("%s answer lacks %q: %s", name, w, text)
					}
				}
			}
		})
	}
}
