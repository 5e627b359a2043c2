// Command posthog-logs-mcp is an MCP server that lets AI agents
// investigate the logs stored in PostHog. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/mcpserver"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // runtime failure, or an isError tool result for `call`
	exitUsage = 2 // bad flags or configuration
)

func main() {
	mcpserver.TuneGC(os.Getenv)
	// A client that closes our stdout must end the session (exit 0), not
	// kill the process: with SIGPIPE ignored, the write fails with EPIPE
	// and the stdio transport ends cleanly.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal starts a graceful shutdown, which may wait for
		// in-flight calls; restoring the default handling lets a second
		// one (an operator's second Ctrl-C) end the process at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole command, minus the process plumbing, so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv)
	var help helpRequest
	if errors.As(err, &help) {
		fmt.Fprint(stdout, help.usage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "posthog-logs-mcp:", err)
		return exitUsage
	}
	if cfg.version {
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	}
	log := newLogger(stderr, cfg.logLevel, cfg.logFormat)

	if cfg.command == "sandbox" {
		return runSandbox(ctx, cfg, stdout, log)
	}

	a, err := newApp(cfg, log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "posthog-logs-mcp:", err)
		var u usageError
		if errors.As(err, &u) {
			return exitUsage
		}
		return exitError
	}
	defer a.close()

	switch {
	case cfg.command == "call":
		return a.runCall(ctx, stdout, stderr)
	case cfg.transport == "http":
		err = a.serveHTTP(ctx)
	default:
		err = a.serveStdio(ctx, stdin, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "posthog-logs-mcp:", err)
		return exitError
	}
	return exitOK
}

// versionLine is what --version prints: the version, the VCS revision the
// binary was built from (with "modified" when the tree had uncommitted
// changes) and its time, the Go version and the platform, so that a bug
// report names the exact build.
func versionLine() string {
	line := "posthog-logs-mcp " + versionString()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return line
	}
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	if rev := vcs["vcs.revision"]; rev != "" {
		line += " revision " + rev
		if vcs["vcs.modified"] == "true" {
			line += " (modified)"
		}
		if t := vcs["vcs.time"]; t != "" {
			line += " " + t
		}
	}
	return line + " " + bi.GoVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// versionString prefers the linker-set version, then the module version
// recorded by the build (by `go install module@version`, or derived from
// the VCS by `go build` in a checkout).
func versionString() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}
