package tools

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

// Scope is a PostHog API key scope a tool action needs.
type Scope string

// The two scopes the logs endpoints check.
const (
	ScopeRead  Scope = "logs:read"
	ScopeWrite Scope = "logs:write"
)

// Names of the nine tools, fixed because agents and docs refer to them.
const (
	NameQueryLogs          = "query_logs"
	NameListServices       = "list_services"
	NameGetSparkline       = "get_sparkline"
	NameListAttributes     = "list_attributes"
	NameGetAttributeValues = "get_attribute_values"
	NameExplainLog         = "explain_log"
	NameManageViews        = "manage_views"
	NameGetLogPatterns     = "get_log_patterns"
	NameCountLogs          = "count_logs"
)

// Config is what every tool needs to know about the running server.
type Config struct {
	// Client talks to PostHog (or the sandbox).
	Client *client.Client
	// PinnedProject, when non-zero, is the only project any call may touch;
	// the project_id argument then disappears from every schema.
	PinnedProject int64
	// ReadOnly removes every write (explain_log, manage_views writes),
	// whatever a key allows.
	ReadOnly bool
	// Enabled, when non-empty, keeps only the named tools.
	Enabled []string
	// Redact masks well-known secret shapes in log content (default on).
	Redact bool
	// MaxOutputChars bounds the characters of one tool result; 0 means
	// DefaultMaxOutputChars.
	MaxOutputChars int
	// Now returns the current time; nil means time.Now. Tests pin it.
	Now func() time.Time
	// Logger receives internal errors (never keys); nil means slog.Default().
	Logger *slog.Logger
	// WatchPoll is the first interval between polls of query_logs'
	// wait_seconds (then ×1.5, at most 5× it); 0 means 1 s. Tests shorten it.
	WatchPoll time.Duration
}

// DefaultMaxOutputChars keeps one tool result well under the 25k-token
// tool-output cap of common MCP clients.
const DefaultMaxOutputChars = 40000

// Access is what one caller may do: derived from the key's scopes, the
// read-only flag and whether a project is already known for the caller.
type Access struct {
	Read  bool
	Write bool
	// NeedProject is true when no project is pinned or implied by the key,
	// so the schemas must carry a required project_id.
	NeedProject bool
}

// Caller identifies who is calling a tool: their key and the project their
// calls go to (0 when project_id must come from the arguments).
type Caller struct {
	Key     string
	Project int64
	// Info is the key's introspection; nil when it could not be fetched, in
	// which case every tool is shown and PostHog's own 403 is the guard.
	Info *client.KeyInfo
}

type callerKey struct{}

// WithCaller returns a context carrying the caller of the tools.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// String, GoString and LogValue keep the key out of anything that prints
// or logs a Caller by mistake.
func (c Caller) String() string   { return fmt.Sprintf("Caller{project %d}", c.Project) }
func (c Caller) GoString() string { return c.String() }

// LogValue implements slog.LogValuer.
func (c Caller) LogValue() slog.Value { return slog.Int64Value(c.Project) }

// CallerFrom returns the caller stored by WithCaller.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// variant selects one of the schema shapes a tool can take.
type variant struct {
	write       bool // write actions offered (manage_views)
	needProject bool // project_id argument present and required
}

// tool is one entry of the registry.
type tool struct {
	name string
	// scope is the scope the tool needs at all (manage_views: read, with
	// per-action checks inside).
	scope Scope
	// define builds the tool's MCP definition for a schema variant.
	define func(v variant) mcp.Tool
	// handle runs one call; it never returns a Go error.
	handle func(ctx context.Context, e *env, c *call) *mcp.CallToolResult
}

// Toolset is the registry: every tool the configuration allows, with the
// definitions each caller may see precomputed.
type Toolset struct {
	env   *env
	tools []*tool
	// defs[name][variant] is the definition shown for that variant.
	defs map[string]map[variant]mcp.Tool
	// serviceNames caches service names for prompt argument completion.
	serviceNames serviceNames
}

// allTools lists every tool in the order of the catalogue.
func allTools() []*tool {
	return []*tool{
		queryLogsTool(),
		listServicesTool(),
		getSparklineTool(),
		listAttributesTool(),
		getAttributeValuesTool(),
		explainLogTool(),
		manageViewsTool(),
		getLogPatternsTool(),
		countLogsTool(),
	}
}

// ToolNames returns the names of every tool the server knows.
func ToolNames() []string {
	var names []string
	for _, t := range allTools() {
		names = append(names, t.name)
	}
	return names
}

// New builds the registry for cfg. It fails on an unknown name in Enabled.
func New(cfg Config) (*Toolset, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxOutputChars <= 0 {
		cfg.MaxOutputChars = DefaultMaxOutputChars
	}
	known := ToolNames()
	for _, n := range cfg.Enabled {
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("unknown tool %q in --tools; known tools: %s", n, strings.Join(known, ", "))
		}
	}
	ts := &Toolset{env: newEnv(cfg), defs: map[string]map[variant]mcp.Tool{}}
	for _, t := range allTools() {
		if len(cfg.Enabled) > 0 && !slices.Contains(cfg.Enabled, t.name) {
			continue
		}
		if cfg.ReadOnly && t.scope == ScopeWrite {
			continue
		}
		ts.tools = append(ts.tools, t)
		ts.defs[t.name] = map[variant]mcp.Tool{}
		for _, w := range []bool{false, true} {
			for _, p := range []bool{false, true} {
				v := variant{write: w && !cfg.ReadOnly, needProject: p && cfg.PinnedProject == 0}
				ts.defs[t.name][variant{write: w, needProject: p}] = t.define(v)
			}
		}
	}
	return ts, nil
}

// AccessFor derives what a caller may do from its key and the configuration.
func (ts *Toolset) AccessFor(c Caller) Access {
	a := Access{Read: true, Write: !ts.env.cfg.ReadOnly, NeedProject: c.Project == 0}
	if c.Info != nil {
		a.Read = c.Info.Allows(string(ScopeRead))
		a.Write = a.Write && c.Info.Allows(string(ScopeWrite))
	}
	return a
}

// Catalogue returns the tool definitions a caller with access a may see.
func (ts *Toolset) Catalogue(a Access) []mcp.Tool {
	var out []mcp.Tool
	for _, t := range ts.tools {
		if def, ok := ts.visible(t, a); ok {
			out = append(out, def)
		}
	}
	return out
}

func (ts *Toolset) visible(t *tool, a Access) (mcp.Tool, bool) {
	switch {
	case !a.Read:
		return mcp.Tool{}, false
	case t.scope == ScopeWrite && !a.Write:
		return mcp.Tool{}, false
	}
	return ts.defs[t.name][variant{write: a.Write, needProject: a.NeedProject}], true
}

// Register adds every tool to s. Handlers read the caller from the context
// (see WithCaller); a call without a caller is refused. Tools that --tools
// or --read-only removed are registered too, so that calling one gets
// Call's PERMISSION_DENIED naming the flag; Filter keeps them out of
// tools/list.
func (ts *Toolset) Register(s *server.MCPServer) {
	for _, t := range allTools() {
		def, ok := ts.defs[t.name][variant{write: true, needProject: true}]
		if !ok {
			def = t.define(variant{})
		}
		s.AddTool(def, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return ts.Call(requestProgress(ctx, s, req), t.name, req.GetRawArguments()), nil
		})
	}
}

// Filter shows each caller only the tools its key and the configuration
// allow, in the schema variant that fits it. It is meant for tools/list
// only: a hidden tool that is called anyway must reach Call, which answers
// PERMISSION_DENIED naming the missing scope or flag (as a
// server.WithToolFilter would not: mcp-go then answers "tool not found").
func (ts *Toolset) Filter(ctx context.Context, listed []mcp.Tool) []mcp.Tool {
	c, ok := CallerFrom(ctx)
	if !ok {
		return nil
	}
	a := ts.AccessFor(c)
	out := make([]mcp.Tool, 0, len(listed))
	for _, l := range listed {
		for _, t := range ts.tools {
			if t.name != l.Name {
				continue
			}
			if def, ok := ts.visible(t, a); ok {
				out = append(out, def)
			}
		}
	}
	return out
}

// Call runs one tool for the caller in ctx with raw JSON-decoded
// arguments. It is what the MCP handlers and the `call` command use; it
// never panics and always returns a result (isError on failure).
func (ts *Toolset) Call(ctx context.Context, name string, rawArgs any) (res *mcp.CallToolResult) {
	defer func() {
		if r := recover(); r != nil {
			// The panic value may hold log content or request data: it goes
			// to the server's log, not to the model.
			ts.env.log.Error("tool panicked", "tool", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res = errorResult(codeInternal, fmt.Sprintf("internal error in %s; this is a bug in posthog-logs-mcp, please report it", name))
		}
	}()
	c, ok := CallerFrom(ctx)
	if !ok {
		return errorResult(codeAuth, "no PostHog API key for this call; send Authorization: Bearer phx_... or set POSTHOG_PERSONAL_API_KEY")
	}
	var t *tool
	for _, cand := range ts.tools {
		if cand.name == name {
			t = cand
		}
	}
	a := ts.AccessFor(c)
	if t == nil {
		for _, known := range allTools() {
			if known.name == name {
				flag := "--tools"
				if ts.env.cfg.ReadOnly && known.scope == ScopeWrite {
					flag = "--read-only"
				}
				return errorResult(codePermission, fmt.Sprintf("tool %s is disabled on this server (%s)", name, flag))
			}
		}
		return errorResult(codeNotFound, fmt.Sprintf("unknown tool %s", echoQ(name)))
	}
	if _, ok := ts.visible(t, a); !ok {
		return errorResult(codePermission, fmt.Sprintf("tool %s is not available to this key (needs %s%s)", name, t.scope, readOnlyNote(ts.env.cfg.ReadOnly)))
	}
	cl, err := newCall(rawArgs, c, a)
	if err != nil {
		return invalidArgs(err)
	}
	res = t.handle(ctx, ts.env, cl)
	if res.IsError && errors.Is(ctx.Err(), context.Canceled) {
		// Not PostHog's slowness: the client gave up on the call.
		return errorResult(codeCancelled, "the call was cancelled by the client before PostHog answered")
	}
	return res
}

func readOnlyNote(readOnly bool) string {
	if readOnly {
		return "; the server runs with --read-only"
	}
	return ""
}
