package mcpserver

import (
	"context"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// The server's own key (stdio and the `call` command) is checked with
// PostHog when the first request needs it, and again whenever its cached
// introspection expires. A problem found that way (a rejected key, an
// unreachable host, a pinned project outside the key) never stops the
// server: an IDE would only show "server failed". tools/list then shows the
// full catalogue, and every tool call answers the problem as an isError
// result naming the setting to fix. Fixing the network needs no restart:
// an unreachable host is retried after failedIntrospectionTTL.

// ConfiguredCaller resolves the caller for the server's own key (the
// configured POSTHOG_PERSONAL_API_KEY and POSTHOG_PROJECT_ID). problem is
// nil when the caller may call tools, else the isError result every call
// must answer instead; the caller is then still usable for tools/list.
func (s *Server) ConfiguredCaller(ctx context.Context, key string) (caller tools.Caller, problem *mcp.CallToolResult) {
	caller, err := s.callers.resolve(ctx, key, 0, "")
	if err == nil {
		return caller, nil
	}
	host := s.opts.Client.BaseURL()
	var authErr *AuthError
	var projectErr *ProjectError
	var unreachable *UnreachableError
	switch {
	case errors.As(err, &authErr) && !authErr.Rejected:
		problem = mcp.NewToolResultError("AUTH_FAILED: no PostHog API key: set POSTHOG_PERSONAL_API_KEY to a personal API key with the logs:read scope, then restart the server")
	case errors.As(err, &authErr):
		problem = mcp.NewToolResultError(fmt.Sprintf(
			"AUTH_FAILED: PostHog at %s rejected the key in POSTHOG_PERSONAL_API_KEY (401). Set it to a valid personal API key "+
				"with the logs:read scope for this PostHog (a US key does not work on EU: POSTHOG_HOST chooses the region), then restart the server.", host))
	case errors.As(err, &projectErr):
		problem = mcp.NewToolResultError("PERMISSION_DENIED: " + projectErr.Msg + " (PostHog at " + host + ")")
	case errors.As(err, &unreachable):
		problem = mcp.NewToolResultError(fmt.Sprintf("UPSTREAM_ERROR: %s. The server checks again on a call %s later: no restart needed.", unreachable.Error(), failedIntrospectionTTL))
	default: // ctx ended while waiting for the introspection
		problem = mcp.NewToolResultError(fmt.Sprintf("CANCELLED: the call ended before PostHog at %s could check the key", host))
	}
	if caller.Key == "" {
		caller = tools.Caller{Key: key, Project: s.opts.PinnedProject}
	}
	return caller, problem
}

type configuredKeyCtx struct{}

// withConfiguredKey marks ctx as a session served with the server's own
// key: each request resolves its caller with ConfiguredCaller.
func withConfiguredKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, configuredKeyCtx{}, key)
}

type problemCtx struct{}

// withProblem marks ctx so that every tool call answers problem.
func withProblem(ctx context.Context, problem *mcp.CallToolResult) context.Context {
	return context.WithValue(ctx, problemCtx{}, problem)
}

// requestCaller returns ctx carrying the caller of one request (resolving
// it for sessions on the server's own key) and the problem, if any, that a
// tool call must answer instead of running.
func (s *Server) requestCaller(ctx context.Context) (context.Context, *mcp.CallToolResult) {
	if key, ok := ctx.Value(configuredKeyCtx{}).(string); ok {
		caller, problem := s.ConfiguredCaller(ctx, key)
		return tools.WithCaller(ctx, caller), problem
	}
	problem, _ := ctx.Value(problemCtx{}).(*mcp.CallToolResult)
	return ctx, problem
}

// callerMiddleware gives each tool call its caller, or answers the
// problem that keeps it from running.
func (s *Server) callerMiddleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ctx, problem := s.requestCaller(ctx)
		if problem != nil {
			return problem, nil
		}
		return next(ctx, req)
	}
}

// filterListedTools shows each caller only the tools its key and the flags
// allow. It filters tools/list only: a hidden tool that is called anyway
// reaches tools.Toolset.Call, which answers PERMISSION_DENIED naming the
// missing scope or flag, rather than mcp-go's JSON-RPC "tool not found"
// that a server.WithToolFilter would give.
func (s *Server) filterListedTools(ctx context.Context, _ any, _ *mcp.ListToolsRequest, res *mcp.ListToolsResult) {
	if res == nil {
		return
	}
	ctx, _ = s.requestCaller(ctx)
	res.Tools = s.opts.Toolset.Filter(ctx, res.Tools)
}
