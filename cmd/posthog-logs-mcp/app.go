package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"go.opentelemetry.io/otel"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/mcpserver"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// startupIntrospectionTimeout bounds how long startup waits for PostHog to
// describe the key before going on with the full catalogue.
const startupIntrospectionTimeout = 10 * time.Second

// app is the wired server: client, tools, MCP server, and the in-process
// sandbox when --sandbox asked for one.
type app struct {
	cfg     *config
	log     *slog.Logger
	toolset *tools.Toolset
	server  *mcpserver.Server
	sandbox *sandbox.Server
	// stopTracing flushes the spans not yet exported (nil: no tracing).
	stopTracing func(context.Context) error
}

// newApp builds everything from cfg. It does no network I/O except
// starting the sandbox when asked: cold start must stay fast.
func newApp(cfg *config, log *slog.Logger, stderr io.Writer) (*app, error) {
	a := &app{cfg: cfg, log: log}
	if cfg.sandbox {
		if err := a.startSandbox(stderr); err != nil {
			return nil, err
		}
	}
	if cfg.key == "" && (cfg.command == "call" || cfg.transport == "stdio") {
		return nil, usagef("no PostHog API key: set %s to a personal API key with the logs:read scope "+
			"(PostHog → Settings → Personal API keys), or try the server on generated data with --sandbox", envKey)
	}
	metrics := mcpserver.NewMetrics()
	if cfg.tracing {
		tp, err := mcpserver.NewTracerProvider(context.Background(), versionString())
		if err != nil {
			a.close()
			return nil, fmt.Errorf("OpenTelemetry tracing (OTEL_EXPORTER_OTLP_*): %w", err)
		}
		// An unreachable collector must not flood stderr, nor stop the server.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("opentelemetry: " + err.Error()) }))
		metrics.EnableTracing(tp)
		a.stopTracing = tp.Shutdown
		log.Info("OpenTelemetry tracing on: a span per tool call and per PostHog request")
	}
	cl, err := client.New(client.Options{
		Host:      cfg.host,
		UserAgent: "posthog-logs-mcp/" + versionString(),
		Logger:    log.With("component", "client"),
		Transport: metrics.Transport(nil),
	})
	if err != nil {
		a.close()
		return nil, usagef("%s: %v", envHost, err)
	}
	ts, err := tools.New(tools.Config{
		Client:         cl,
		PinnedProject:  cfg.project,
		ReadOnly:       cfg.readOnly,
		Enabled:        cfg.tools,
		Redact:         !cfg.noRedact,
		MaxOutputChars: cfg.maxOutputChars,
		Logger:         log.With("component", "tools"),
	})
	if err != nil {
		a.close()
		return nil, usageError{err.Error()}
	}
	srv, err := mcpserver.New(mcpserver.Options{
		Toolset:       ts,
		Client:        cl,
		Version:       versionString(),
		PinnedProject: cfg.project,
		ServerKey:     cfg.key,
		Metrics:       metrics,
		Logger:        log,

		MaxConcurrentCalls: cfg.maxCalls,
		ShutdownGrace:      cfg.shutdownGrace,
	})
	if err != nil {
		a.close()
		return nil, err
	}
	a.toolset, a.server = ts, srv
	return a, nil
}

// startSandbox starts the fake PostHog in this process and points the
// configuration at it, saying loudly that the data is generated.
func (a *app) startSandbox(stderr io.Writer) error {
	if a.cfg.key != "" {
		a.log.Warn("--sandbox ignores " + envKey + ": the sandbox uses its own demo key")
	}
	sb, err := sandbox.Start(sandbox.Config{Logger: a.log.With("component", "sandbox")})
	if err != nil {
		return fmt.Errorf("start the sandbox: %w", err)
	}
	a.sandbox = sb
	a.cfg.host, a.cfg.key, a.cfg.project = sb.URL, sandbox.KeyFull, sandbox.ProjectID
	fmt.Fprintf(stderr, "\n"+
		"*********************************************************************\n"+
		"*  SANDBOX MODE: generated demo data, NOT your PostHog.\n"+
		"*  Fake PostHog Logs API at %s (project %d, full-access demo key)\n"+
		"*********************************************************************\n\n",
		sb.URL, sandbox.ProjectID)
	return nil
}

func (a *app) close() {
	if a.sandbox != nil {
		_ = a.sandbox.Close()
	}
	if a.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), tracingFlushTimeout)
		defer cancel()
		if err := a.stopTracing(ctx); err != nil {
			a.log.Warn("OpenTelemetry: spans not flushed on exit", "err", err)
		}
		a.stopTracing = nil
	}
}

// tracingFlushTimeout bounds the wait for the collector on exit.
const tracingFlushTimeout = 5 * time.Second

// startupCaller introspects the configured key and applies the project
// rules. A problem found by talking to PostHog (a rejected key, an
// unreachable host, a pinned project outside the key) does not stop the
// server: it is logged here, once, and every tool call answers it (see
// mcpserver.Server.ConfiguredCaller), which also retries the check.
func (a *app) startupCaller(ctx context.Context) (tools.Caller, *mcp.CallToolResult) {
	ctx, cancel := context.WithTimeout(ctx, startupIntrospectionTimeout)
	defer cancel()
	caller, problem := a.server.ConfiguredCaller(ctx, a.cfg.key)
	if problem != nil && ctx.Err() == nil {
		a.log.Error("every tool call will answer: " + resultText(problem))
		return caller, problem
	}
	a.log.Debug("caller ready", "key_id", mcpserver.KeyID(caller.Key), "project", caller.Project, "introspected", caller.Info != nil)
	return caller, nil
}

func (a *app) serveStdio(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	// In the background: an IDE's initialize must not wait for PostHog (up
	// to startupIntrospectionTimeout for a host that drops packets). The
	// first request shares the introspection in flight.
	go a.startupCaller(ctx)
	return a.server.ServeStdio(ctx, a.cfg.key, stdin, stdout)
}

func (a *app) serveHTTP(ctx context.Context) error {
	if err := mcpserver.CheckListenAddress(a.cfg.listen, a.cfg.key != ""); err != nil {
		return err
	}
	if a.cfg.key != "" {
		// The server's own key serves loopback requests without a key of
		// their own: check it now, to log a problem before the first request.
		a.startupCaller(ctx)
	} else {
		a.log.Info("no " + envKey + ": every caller must send its own key (Authorization: Bearer phx_...)")
	}
	return a.server.RunHTTP(ctx, mcpserver.HTTPConfig{Listen: a.cfg.listen, AllowedHosts: a.cfg.allowedHosts})
}
