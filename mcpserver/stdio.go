package mcpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/mark3labs/mcp-go/server"
)

// ServeStdio serves MCP over in/out for the one caller whose key is key
// (POSTHOG_PERSONAL_API_KEY) until in ends or ctx is cancelled. Each request
// resolves the caller from the cached introspection (see ConfiguredCaller):
// a problem with the key or the host is answered by every tool call, and
// retried, rather than ending the server. out carries nothing but
// JSON-RPC; diagnostics go to the Logger. mcp-go keeps one stdio session
// per process, so run at most one ServeStdio at a time.
func (s *Server) ServeStdio(ctx context.Context, key string, in io.Reader, out io.Writer) error {
	stdio := server.NewStdioServer(s.mcp)
	stdio.SetErrorLogger(slog.NewLogLogger(s.log.Handler(), slog.LevelError))
	stdio.SetContextFunc(func(ctx context.Context) context.Context {
		return withConfiguredKey(ctx, key)
	})
	err := stdio.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
