package mcpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// ServeStdio serves MCP over in/out for one caller fixed at startup (see
// Caller) until in ends or ctx is cancelled. out carries nothing but
// JSON-RPC; diagnostics go to the Logger. mcp-go keeps one stdio session
// per process, so run at most one ServeStdio at a time.
func (s *Server) ServeStdio(ctx context.Context, caller tools.Caller, in io.Reader, out io.Writer) error {
	stdio := server.NewStdioServer(s.mcp)
	stdio.SetErrorLogger(slog.NewLogLogger(s.log.Handler(), slog.LevelError))
	stdio.SetContextFunc(func(ctx context.Context) context.Context {
		return tools.WithCaller(ctx, caller)
	})
	err := stdio.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
