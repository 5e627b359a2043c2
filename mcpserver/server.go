// Package mcpserver exposes the posthog-logs-mcp tools over MCP: over stdio
// for one local caller, and over Streamable HTTP for many callers that each
// bring their own PostHog key.
package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// Name is the server name announced to MCP clients.
const Name = "posthog-logs-mcp"

// instructions teach a model the intended workflow in a few lines; clients
// show them once per connection, so they must stay short.
const instructions = `Investigate production logs stored in PostHog. Summaries before raw rows:
list_services (where: services, error rates) → get_sparkline (when: spikes with exact windows) → get_log_patterns (what kinds of lines; compare "previous" shows what is new) → count_logs (how many, group_by service.version, k8s.pod.name, http.route) → query_logs on one pattern, trace or line (run the call a summary printed; follow next_cursor with only cursor) → explain_log on one uuid.
Every summary prints the ready next call, keeping your window and filters. list_attributes and get_attribute_values give exact filter keys and values; manage_views saves filters for the team.
Times are UTC. Relative times: -15m, -2h, -7d (m = minutes). Narrow the window and add services/severity filters before raising limits.`

// Options configures a Server.
type Options struct {
	// Toolset is the tool registry (required).
	Toolset *tools.Toolset
	// Client introspects keys (required); use the one the Toolset uses.
	Client *client.Client
	// Version is announced to clients; default "dev".
	Version string
	// PinnedProject is the project fixed by configuration (0: none). It must
	// match the Toolset's tools.Config.PinnedProject.
	PinnedProject int64
	// ServerKey is the server's own PostHog key (POSTHOG_PERSONAL_API_KEY),
	// optional in HTTP mode. Over HTTP it is used only for requests without
	// an Authorization header arriving on a loopback listener.
	ServerKey string
	// Metrics receives tool and upstream measurements; nil creates new ones.
	// Pass the same Metrics whose Transport the Client uses.
	Metrics *Metrics
	// Logger receives diagnostics (stderr in the command); nil discards.
	Logger *slog.Logger
	// IntrospectionTTL is how long a key's introspection is cached; default 5m.
	IntrospectionTTL time.Duration
	// MaxConcurrentCalls bounds the tool calls in flight (default
	// DefaultMaxConcurrentCalls); a call beyond it waits up to CallQueueWait
	// (default DefaultCallQueueWait) for a slot, then gets RATE_LIMITED.
	MaxConcurrentCalls int
	CallQueueWait      time.Duration
	// ShutdownGrace is how long running calls may go on once shutdown
	// begins (default DefaultShutdownGrace); calls still running then are
	// cancelled and answer CANCELLED.
	ShutdownGrace time.Duration
}

// DefaultShutdownGrace is the default of Options.ShutdownGrace: an AI
// explanation may take 90 s, but an orchestrator's kill timeout is
// usually 30 s.
const DefaultShutdownGrace = 30 * time.Second

// Server is the MCP server: the mcp-go server with the tools registered,
// the per-caller catalogue filter, metrics and key introspection.
type Server struct {
	opts    Options
	mcp     *server.MCPServer
	callers *callerResolver
	calls   *callGate
	metrics *Metrics
	log     *slog.Logger
}

// New builds the server. It does no I/O.
func New(opts Options) (*Server, error) {
	if opts.Toolset == nil {
		return nil, errors.New("mcpserver: Options.Toolset is required")
	}
	if opts.Client == nil {
		return nil, errors.New("mcpserver: Options.Client is required")
	}
	if opts.PinnedProject < 0 {
		return nil, fmt.Errorf("mcpserver: invalid pinned project %d", opts.PinnedProject)
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = DefaultShutdownGrace
	}
	s := &Server{
		opts:    opts,
		metrics: opts.Metrics,
		log:     opts.Logger,
		callers: newCallerResolver(opts.Client, opts.PinnedProject, opts.IntrospectionTTL, opts.Logger),
		calls:   newCallGate(opts.MaxConcurrentCalls, opts.CallQueueWait),
	}
	// Not server.WithToolFilter: it would also turn a call of a hidden tool
	// into JSON-RPC "tool not found" (see filterListedTools). Add hooks to
	// MCPServer().GetHooks() rather than passing server.WithHooks again.
	hooks := &server.Hooks{}
	hooks.AddAfterListTools(s.filterListedTools)
	s.metrics.setCallsInFlight(s.calls.running)
	s.mcp = server.NewMCPServer(Name, opts.Version,
		server.WithInstructions(instructions),
		server.WithToolCapabilities(false),
		server.WithPromptCapabilities(false),
		server.WithCompletions(),
		server.WithPromptCompletionProvider(opts.Toolset),
		server.WithHooks(hooks),
		// Outermost first: metrics see the result the recovery produces,
		// and the answer to a startup problem (callerMiddleware).
		server.WithToolHandlerMiddleware(s.metrics.toolMiddleware),
		server.WithToolHandlerMiddleware(s.calls.middleware),
		server.WithToolHandlerMiddleware(recoverToolPanics),
		server.WithToolHandlerMiddleware(s.callerMiddleware),
	)
	opts.Toolset.Register(s.mcp)
	for name := range s.mcp.ListTools() {
		// Series from zero before the first call, as Prometheus advises.
		s.metrics.toolStatsFor(name)
	}
	opts.Toolset.RegisterPrompts(s.mcp)
	return s, nil
}

// drain is the end of a transport's graceful shutdown: new calls are
// refused, running ones may finish until the grace period ends, and those
// still running then are cancelled and answer CANCELLED (given a few
// seconds to write their answer).
func (s *Server) drain() {
	if n := s.calls.running(); n > 0 {
		s.log.Info("waiting for running tool calls", "calls", n, "grace", s.opts.ShutdownGrace)
	}
	if n := s.calls.drain(s.opts.ShutdownGrace, drainSettle); n > 0 {
		s.log.Warn("shutdown grace period over: cancelled running tool calls", "calls", n)
	}
	s.calls.stopTimers()
}

// drainSettle bounds the wait for cancelled calls to answer.
const drainSettle = 5 * time.Second

// MCPServer returns the underlying mcp-go server (for in-process clients).
func (s *Server) MCPServer() *server.MCPServer { return s.mcp }

// Metrics returns the server's metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Caller resolves the caller for key and the requested project (0: the
// pinned one, else the key's single scoped project, else none) applying
// the project rules. Errors are *AuthError (missing or rejected key),
// *ProjectError, or *UnreachableError (returned with a caller that has no
// introspection); another failed introspection is not an error (Info is
// nil). See ConfiguredCaller for the server's own key.
func (s *Server) Caller(ctx context.Context, key string, project int64) (tools.Caller, error) {
	return s.callers.resolve(ctx, key, project, "")
}

// recoverToolPanics turns a panicking tool handler into an isError result:
// an agent gets an actionable message instead of a JSON-RPC internal error.
// The tools recover on their own; this is the net under them.
func recoverToolPanics(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if r := recover(); r != nil {
				res = mcp.NewToolResultError(fmt.Sprintf("INTERNAL: %s failed unexpectedly; this is a bug in posthog-logs-mcp, please report it", req.Params.Name))
				err = nil
			}
		}()
		return next(ctx, req)
	}
}
