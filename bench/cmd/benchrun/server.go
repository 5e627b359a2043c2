package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// buildServer compiles cmd/posthog-logs-mcp into dir, as a user would
// install it, and returns the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root (run benchrun inside the repository, or pass -bin): %w", err)
	}
	bin := filepath.Join(dir, "posthog-logs-mcp")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/posthog-logs-mcp")
	cmd.Dir = strings.TrimSpace(string(out))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/posthog-logs-mcp: %w", err)
	}
	return bin, nil
}

// extraServerEnv is added to every server process's environment (-server-env),
// for experiments such as GOGC=400.
var extraServerEnv []string

// serverEnv is the environment of a server process talking to the PostHog
// at host; key may be empty (HTTP callers then bring their own).
func serverEnv(host, key string) []string {
	env := []string{
		"POSTHOG_HOST=" + host,
		"POSTHOG_PROJECT_ID=" + strconv.FormatInt(sandbox.ProjectID, 10),
	}
	if key != "" {
		env = append(env, "POSTHOG_PERSONAL_API_KEY="+key)
	}
	// The caller's own POSTHOG_* settings must not leak into a measurement.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POSTHOG_") {
			env = append(env, kv)
		}
	}
	// Last, so that they win over the inherited environment.
	return append(env, extraServerEnv...)
}

// freeLoopbackAddr returns a loopback address with a port free right now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitHealthy polls url until it answers 200 or the timeout passes.
func waitHealthy(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New(res.Status)
			}
			return fmt.Errorf("%s not healthy after %s: %w", url, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
