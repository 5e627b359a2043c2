package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/mcpserver"
)

// Environment variables read by the command. The key is never a flag: flags
// show up in process listings and shell history.
const (
	envKey     = "POSTHOG_PERSONAL_API_KEY"
	envHost    = "POSTHOG_HOST"
	envProject = "POSTHOG_PROJECT_ID"
)

// config is everything the command line and environment say.
type config struct {
	command string   // "" (serve), "call" or "sandbox"
	args    []string // the subcommand's positional arguments

	transport      string
	listen         string
	listenSet      bool
	readOnly       bool
	tools          []string
	noRedact       bool
	maxOutputChars int
	sandbox        bool
	version        bool
	logLevel       slog.Level
	logFormat      string
	allowedHosts   []string
	shutdownGrace  time.Duration
	maxCalls       int
	tracing        bool // OTEL_EXPORTER_OTLP_ENDPOINT is set

	key     string
	host    string
	project int64
}

// usageError is a configuration mistake: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// helpRequest is returned for -h, --help and the help command: the usage
// goes to stdout with exit status 0, since it is what was asked for.
type helpRequest struct{ usage string }

func (helpRequest) Error() string { return "help requested" }

const usageHeader = `posthog-logs-mcp: an MCP server for the logs stored in PostHog.

Usage:
  posthog-logs-mcp [flags]                         serve MCP (stdio by default)
  posthog-logs-mcp [flags] call TOOL '{"json":"args"}'  run one tool and print its result
  posthog-logs-mcp sandbox [--listen 127.0.0.1:8090]    serve a local fake PostHog Logs API
  posthog-logs-mcp help                             print this help

Environment:
  POSTHOG_PERSONAL_API_KEY  personal API key (phx_...) with logs:read (logs:write to explain logs and edit views)
  POSTHOG_HOST              us (default), eu, or the URL or host name of a self-hosted PostHog (https assumed)
  POSTHOG_PROJECT_ID        pin every call to this project

Flags (before or after the subcommand):
`

// parseConfig reads flags from args (flags may come before or after the
// subcommand and its arguments) and the environment through getenv.
// Problems are returned, never printed: the caller prints a usageError on
// stderr, and a helpRequest's usage on stdout.
func parseConfig(args []string, getenv func(string) string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("posthog-logs-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	help := func() error {
		var b strings.Builder
		b.WriteString(usageHeader)
		fs.SetOutput(&b)
		fs.PrintDefaults()
		return helpRequest{b.String()}
	}
	var toolsFlag, allowedHosts, logLevel string
	fs.StringVar(&c.transport, "transport", "stdio", "MCP transport: stdio or http")
	fs.StringVar(&c.listen, "listen", mcpserver.DefaultListen, "address for --transport http (and for the sandbox command, default 127.0.0.1:8090)")
	fs.BoolVar(&c.readOnly, "read-only", false, "remove every write (explain_log, manage_views create/update/delete) whatever the key allows")
	fs.StringVar(&toolsFlag, "tools", "", "comma-separated tools to keep (default: all)")
	fs.BoolVar(&c.noRedact, "no-redact", false, "do not mask secrets (tokens, keys, passwords) found in log content")
	fs.IntVar(&c.maxOutputChars, "max-output-chars", 0, "bound on the characters of one tool result (default 40000)")
	fs.BoolVar(&c.sandbox, "sandbox", false, "run against an in-process SANDBOX with generated data instead of PostHog")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.StringVar(&logLevel, "log-level", "info", "log level on stderr: debug, info, warn, error")
	fs.DurationVar(&c.shutdownGrace, "shutdown-grace", mcpserver.DefaultShutdownGrace, "on SIGTERM, how long running tool calls may go on before they are answered CANCELLED")
	fs.IntVar(&c.maxCalls, "max-concurrent-calls", mcpserver.DefaultMaxConcurrentCalls, "tool calls served at once; more wait up to 2 s, then get RATE_LIMITED")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format on stderr: text, or json (one object a line, for log collectors)")
	fs.StringVar(&allowedHosts, "allowed-hosts", "", "extra comma-separated host names accepted in Host/Origin headers (http transport); * accepts any")

	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, help()
			}
			return nil, usagef("%v (run posthog-logs-mcp --help for usage)", err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}
	fs.Visit(func(f *flag.Flag) { c.listenSet = c.listenSet || f.Name == "listen" })

	if len(positional) > 0 {
		c.command, c.args = positional[0], positional[1:]
	}
	switch c.command {
	case "help":
		return nil, help()
	case "":
	case "call":
		if len(c.args) < 1 || len(c.args) > 2 {
			return nil, usagef("usage: posthog-logs-mcp call TOOL '{\"json\":\"args\"}'")
		}
	case "sandbox":
		if len(c.args) > 0 {
			return nil, usagef("the sandbox command takes no arguments besides --listen")
		}
	default:
		return nil, usagef("unknown command %q (commands: call, sandbox, help; run posthog-logs-mcp --help for usage)", c.command)
	}
	if c.transport != "stdio" && c.transport != "http" {
		return nil, usagef("--transport must be stdio or http, not %q", c.transport)
	}
	if c.shutdownGrace <= 0 {
		return nil, usagef("--shutdown-grace must be positive (e.g. 30s)")
	}
	if c.maxCalls < 1 {
		return nil, usagef("--max-concurrent-calls must be at least 1")
	}
	if c.maxOutputChars < 0 {
		return nil, usagef("--max-output-chars must be positive")
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return nil, usagef("--log-format must be text or json, not %q", c.logFormat)
	}
	if err := c.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return nil, usagef("--log-level must be debug, info, warn or error, not %q", logLevel)
	}
	c.tools = splitList(toolsFlag)
	c.allowedHosts = splitList(allowedHosts)

	c.tracing = mcpserver.TracingEnabled(getenv)
	c.key = strings.TrimSpace(getenv(envKey))
	c.host = strings.TrimSpace(getenv(envHost))
	if v := strings.TrimSpace(getenv(envProject)); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, usagef("%s must be a positive integer project id, not %q", envProject, v)
		}
		c.project = id
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// newLogger logs to stderr: stdout belongs to JSON-RPC in stdio mode.
func newLogger(stderr io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}
