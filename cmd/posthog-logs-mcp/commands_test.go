package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

func TestVersionAndUsage(t *testing.T) {
	tests := []struct {
		name       string
		env        []string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string
	}{
		{"version", environ(), []string{"--version"}, 0, "posthog-logs-mcp ", nil},
		{"--help", environ(), []string{"--help"}, 0, "posthog-logs-mcp: an MCP server", nil},
		{"-h", environ(), []string{"-h"}, 0, "posthog-logs-mcp: an MCP server", nil},
		{"help", environ(), []string{"help"}, 0, "posthog-logs-mcp: an MCP server", nil},
		{"help after flags", environ(), []string{"--read-only", "help"}, 0, "posthog-logs-mcp: an MCP server", nil},
		{"missing key", environ(), nil, 2, "", []string{"POSTHOG_PERSONAL_API_KEY", "--sandbox"}},
		{"missing key for call", environ(), []string{"call", "list_services", "{}"}, 2, "", []string{"POSTHOG_PERSONAL_API_KEY", "--sandbox"}},
		{"unknown flag", environ(), []string{"--frobnicate"}, 2, "", []string{"frobnicate"}},
		{"bad log format", environ(), []string{"--log-format", "xml"}, 2, "", []string{"--log-format"}},
		{"unknown command", environ(), []string{"dance"}, 2, "", []string{`unknown command "dance"`}},
		{"bad transport", environ(), []string{"--transport", "carrier-pigeon"}, 2, "", []string{"--transport"}},
		{"bad project id", environ("POSTHOG_PERSONAL_API_KEY=phx_x", "POSTHOG_PROJECT_ID=abc"), nil, 2, "", []string{"POSTHOG_PROJECT_ID"}},
		{"bad host", environ("POSTHOG_PERSONAL_API_KEY=phx_x", "POSTHOG_HOST=http://example.com"), nil, 2, "", []string{"POSTHOG_HOST"}},
		{"unknown tool in --tools", environ("POSTHOG_PERSONAL_API_KEY=phx_x"), []string{"--tools", "query_logs,rm_rf"}, 2, "", []string{"rm_rf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runBinary(t, tt.env, tt.args...)
			help := strings.Contains(tt.name, "help") || tt.name == "-h"
			if code != tt.wantCode || !strings.HasPrefix(stdout, tt.wantStdout) || (tt.wantStdout == "" && stdout != "") || (!help && strings.Count(stdout, "\n") > 1) {
				t.Fatalf("exit %d stdout %q stderr %q; want exit %d stdout %q", code, stdout, stderr, tt.wantCode, tt.wantStdout)
			}
			if help && (!strings.Contains(stdout, "--sandbox") && !strings.Contains(stdout, "-sandbox") || stderr != "") {
				t.Errorf("help: stdout lacks the flags, or stderr is not empty:\n%s\nstderr: %s", stdout, stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, "phx_x") {
				t.Errorf("stderr shows the key:\n%s", stderr)
			}
		})
	}
}

func TestCallWithInProcessSandbox(t *testing.T) {
	for _, args := range [][]string{
		{"--sandbox", "call", "list_services", "{}"},
		{"call", "--sandbox", "list_services", "{}"},
		{"call", "list_services", "{}", "--sandbox"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			stdout, stderr, code := runBinary(t, environ(), args...)
			if code != 0 || !strings.Contains(stdout, "checkout") || !strings.Contains(stdout, "payments") {
				t.Fatalf("exit %d stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, "SANDBOX") || !strings.Contains(stderr, "http://127.0.0.1:") {
				t.Fatalf("the sandbox must announce itself on stderr:\n%s", stderr)
			}
			if strings.Contains(stdout, "SANDBOX") {
				t.Fatalf("the banner went to stdout")
			}
		})
	}
}

func TestCallAgainstSandboxHost(t *testing.T) {
	sb := testSandbox(t)
	tests := []struct {
		name       string
		env        []string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"query", sandboxEnv(t, sandbox.KeyFull), []string{"call", "query_logs", `{"date_from":"-3h","services":["checkout"],"limit":3}`}, 0, "checkout", ""},
		{"no arguments", sandboxEnv(t, sandbox.KeyFull), []string{"call", "manage_views"}, 1, "", "action"},
		{"isError result", sandboxEnv(t, sandbox.KeyFull), []string{"call", "query_logs", `{"severity":["loud"]}`}, 1, "", "warn"},
		{"bad JSON", sandboxEnv(t, sandbox.KeyFull), []string{"call", "query_logs", `{severity`}, 2, "", "JSON object"},
		{"unknown tool", sandboxEnv(t, sandbox.KeyFull), []string{"call", "drop_table", `{}`}, 2, "", "query_logs"},
		{"hidden tool for a read-only key", sandboxEnv(t, sandbox.KeyReadOnly), []string{"call", "explain_log", `{"uuid":"0199a3c2-5b7e-7c1a-9d2e-8f6a1b2c3d4e","timestamp":"2026-01-01T00:00:00Z"}`}, 1, "", "explain_log"},
		{"--read-only hides writes", sandboxEnv(t, sandbox.KeyFull), []string{"--read-only", "call", "manage_views", `{"action":"delete","short_id":"abcdEFGH"}`}, 1, "", "delete"},
		{"pinned project outside the key", sandboxEnv(t, sandbox.KeyFull, "POSTHOG_PROJECT_ID=2"), []string{"call", "list_services", `{}`}, 1, "", "project 2"},
		{"rejected key", sandboxEnv(t, "phx_not_a_real_key_00000000000000"), []string{"call", "list_services", `{}`}, 1, "", "rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb.ResetRequests()
			stdout, stderr, code := runBinary(t, tt.env, tt.args...)
			if code != tt.wantCode || !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			if tt.wantCode != 0 && stdout != "" {
				t.Fatalf("a failure printed on stdout: %q", stdout)
			}
			if strings.Contains(stdout+stderr, "phx_") {
				t.Fatalf("output shows a key")
			}
			if tt.wantCode != 0 {
				for _, r := range sb.Requests() {
					if strings.Contains(r.Path, "/logs/") {
						t.Fatalf("a refused call reached PostHog: %s %s", r.Method, r.Path)
					}
				}
			}
		})
	}
	t.Run("pinned project error names both", func(t *testing.T) {
		_, stderr, _ := runBinary(t, sandboxEnv(t, sandbox.KeyFull, "POSTHOG_PROJECT_ID=2"), "call", "list_services", "{}")
		if !strings.Contains(stderr, "project 2") || !strings.Contains(stderr, "(1)") {
			t.Fatalf("stderr must name the pinned project and the key's projects:\n%s", stderr)
		}
	})
}

// TestSandboxCommand runs `posthog-logs-mcp sandbox` and uses what it prints.
func TestSandboxCommand(t *testing.T) {
	cmd := exec.Command(binary, "sandbox", "--listen", "127.0.0.1:0")
	cmd.Env = environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	var printed strings.Builder
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		printed.WriteString(scanner.Text() + "\n")
		if strings.Contains(scanner.Text(), "Ctrl-C") {
			break
		}
	}
	out := printed.String()
	for _, want := range []string{"SANDBOX", "Project id: 1", "curl", sandbox.KeyFull, sandbox.KeyReadOnly, sandbox.KeyOtherProject, sandbox.KeyNoAIConsent, "logs:read"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	base := regexp.MustCompile(`Base URL:\s+(http://\S+)`).FindStringSubmatch(out)
	if base == nil {
		t.Fatalf("no base URL in:\n%s", out)
	}
	req, _ := http.NewRequest("GET", base[1]+"/api/personal_api_keys/@current/", nil)
	req.Header.Set("Authorization", "Bearer "+sandbox.KeyReadOnly)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Scopes []string `json:"scopes"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(info.Scopes) != 1 || info.Scopes[0] != "logs:read" {
		t.Fatalf("introspection on the printed URL: %d %+v", resp.StatusCode, info)
	}

	stopWithSIGTERM(t, cmd, 10*time.Second)
}

// TestVersionNamesTheBuild: --version prints the module version, and the
// VCS revision the binary was built from when the build could stamp it (a
// plain git checkout; a git worktree, whose .git is a file, cannot).
func TestVersionNamesTheBuild(t *testing.T) {
	stdout, stderr, code := runBinary(t, environ(), "--version")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "posthog-logs-mcp ") || !strings.Contains(stdout, runtime.Version()) ||
		!strings.Contains(stdout, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Fatalf("--version: %q", stdout)
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Logf("not a git checkout (%v): revision not checked", err)
		return
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(root)), ".git")); err != nil || !fi.IsDir() {
		t.Log("a git worktree: the go command stamps no revision there, not checked")
		return
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	if rev := strings.TrimSpace(string(head)); !strings.Contains(stdout, "revision "+rev) {
		t.Fatalf("--version %q lacks revision %s", stdout, rev)
	}
}

// TestLogFormatJSON: --log-format json writes one JSON object per log line
// on stderr, for log collectors.
func TestLogFormatJSON(t *testing.T) {
	_, stderr, code := runBinary(t, environ("POSTHOG_HOST=http://127.0.0.1:1", "POSTHOG_PERSONAL_API_KEY=phx_unused_00000000000000000000000"),
		"--log-format", "json", "call", "list_services", "{}")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the host is unreachable)\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil || entry["level"] != "WARN" || entry["msg"] == nil || entry["time"] == nil {
		t.Fatalf("first stderr line is not a JSON log entry (%v): %q", err, lines[0])
	}
	if !strings.HasPrefix(lines[len(lines)-1], "UPSTREAM_ERROR") {
		t.Fatalf("the result is not the last line: %q", stderr)
	}
}
