package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// progressFunc reports how far a long call has come (MCP
// notifications/progress); message is shown to the user by some clients.
type progressFunc func(progress, total float64, message string)

type progressKey struct{}

// withProgress returns a context whose calls report progress through fn.
func withProgress(ctx context.Context, fn progressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// progressFrom returns the context's progress reporter, or one that
// does nothing when the client asked for no progress.
func progressFrom(ctx context.Context) progressFunc {
	if fn, ok := ctx.Value(progressKey{}).(progressFunc); ok && fn != nil {
		return fn
	}
	return func(float64, float64, string) {}
}

// requestProgress wires the request's progress token, if the client sent
// one, to notifications/progress on the client's session.
func requestProgress(ctx context.Context, s *server.MCPServer, req mcp.CallToolRequest) context.Context {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil || s == nil {
		return ctx
	}
	token := req.Params.Meta.ProgressToken
	return withProgress(ctx, func(progress, total float64, message string) {
		params := map[string]any{"progressToken": token, "progress": progress}
		if total > 0 {
			params["total"] = total
		}
		if message != "" {
			params["message"] = message
		}
		// A client that went away only misses a notification.
		_ = s.SendNotificationToClient(ctx, "notifications/progress", params)
	})
}
