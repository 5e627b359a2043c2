package bench

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/mcpserver"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// Stack is the server wired as the command wires it (metered client,
// tools with secret masking, MCP server with its middleware), talking to
// PostHog through a RoundTripper chosen by the benchmark.
type Stack struct {
	Client  *client.Client
	Toolset *tools.Toolset
	Server  *mcpserver.Server
}

// NewStack builds a Stack whose upstream requests go to rt and whose clock
// reads now. pinned is the project fixed by configuration (0: none; callers
// then pass project_id), sandbox.ProjectID for the measurements.
func NewStack(rt http.RoundTripper, now time.Time, pinned int64) (*Stack, error) {
	// The command's collector settings, so CPU per call is the server's.
	mcpserver.TuneGC(os.Getenv)
	metrics := mcpserver.NewMetrics()
	cl, err := client.New(client.Options{
		// Never dialled: rt answers every request.
		Host:      "http://127.0.0.1",
		Transport: metrics.Transport(rt),
	})
	if err != nil {
		return nil, err
	}
	ts, err := tools.New(tools.Config{
		Client:        cl,
		PinnedProject: pinned,
		Redact:        true,
		Now:           func() time.Time { return now },
	})
	if err != nil {
		return nil, err
	}
	srv, err := mcpserver.New(mcpserver.Options{
		Toolset:       ts,
		Client:        cl,
		PinnedProject: pinned,
		Metrics:       metrics,
	})
	if err != nil {
		return nil, err
	}
	return &Stack{Client: cl, Toolset: ts, Server: srv}, nil
}

// Caller is the caller every in-process measurement uses: the sandbox's
// full demo key, already introspected, on the sandbox's project.
func Caller() tools.Caller {
	return tools.Caller{
		Key:     sandbox.KeyFull,
		Project: sandbox.ProjectID,
		Info:    &client.KeyInfo{Label: "bench", Scopes: []string{"logs:read", "logs:write"}, Teams: []int64{sandbox.ProjectID}},
	}
}

// CallerContext returns ctx carrying Caller, as the transports do.
func CallerContext(ctx context.Context) context.Context {
	return tools.WithCaller(ctx, Caller())
}
