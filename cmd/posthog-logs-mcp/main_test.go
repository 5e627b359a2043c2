package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// binary is the command built once for every test that executes it.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "posthog-logs-mcp-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "posthog-logs-mcp")
	// -buildvcs=auto: --version's revision comes from the VCS stamp, and
	// some machines set GOFLAGS=-buildvcs=false.
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	if sharedSandbox != nil {
		_ = sharedSandbox.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	// The tests drive the binary and in-process servers and clients: none
	// may leave a goroutine behind.
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		code = 1
	}
	os.Exit(code)
}

var (
	sharedSandboxOnce sync.Once
	sharedSandbox     *sandbox.Server
	sharedSandboxErr  error
)

// testSandbox is a sandbox in the test process, shared by the tests that
// point the binary at it with POSTHOG_HOST (so they can read Requests()).
func testSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	sharedSandboxOnce.Do(func() { sharedSandbox, sharedSandboxErr = sandbox.Start(sandbox.Config{}) })
	if sharedSandboxErr != nil {
		t.Fatal(sharedSandboxErr)
	}
	return sharedSandbox
}

// environ is the test process environment without any POSTHOG_ variable,
// plus extra ("NAME=value").
func environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POSTHOG_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// sandboxEnv points the binary at the shared sandbox with key.
func sandboxEnv(t *testing.T, key string, extra ...string) []string {
	return environ(append([]string{"POSTHOG_HOST=" + testSandbox(t).URL, "POSTHOG_PERSONAL_API_KEY=" + key}, extra...)...)
}

// runBinary runs the command to completion.
func runBinary(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// stopWithSIGTERM sends SIGTERM and fails unless the process exits cleanly
// within timeout.
func stopWithSIGTERM(t *testing.T, cmd *exec.Cmd, timeout time.Duration) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(timeout):
		t.Fatalf("no exit within %s of SIGTERM", timeout)
	}
}
