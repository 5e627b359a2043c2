package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/mcpserver"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// runCall runs one tool once for the configured caller and prints its
// result: the text on stdout, or, for an isError result, on stderr with
// exit status 1.
func (a *app) runCall(ctx context.Context, stdout, stderr io.Writer) int {
	name := a.cfg.args[0]
	if !slices.Contains(tools.ToolNames(), name) {
		fmt.Fprintf(stderr, "posthog-logs-mcp: unknown tool %q; tools: %s\n", name, strings.Join(tools.ToolNames(), ", "))
		return exitUsage
	}
	args := map[string]any{}
	if len(a.cfg.args) == 2 {
		if err := json.Unmarshal([]byte(a.cfg.args[1]), &args); err != nil {
			fmt.Fprintf(stderr, "posthog-logs-mcp: the arguments must be one JSON object, e.g. '{\"date_from\":\"-1h\"}': %v\n", err)
			return exitUsage
		}
	}
	checkCtx, cancel := context.WithTimeout(ctx, startupIntrospectionTimeout)
	caller, problem := a.server.ConfiguredCaller(checkCtx, a.cfg.key)
	cancel()
	if problem != nil {
		fmt.Fprintln(stderr, resultText(problem))
		return exitError
	}
	ctx = mcpserver.WithToolName(tools.WithCaller(ctx, caller), name)
	res := a.toolset.Call(ctx, name, args)
	if res.IsError {
		fmt.Fprintln(stderr, resultText(res))
		return exitError
	}
	fmt.Fprintln(stdout, resultText(res))
	return exitOK
}

// resultText renders a tool result for a terminal: text content as is,
// anything else as JSON.
func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, t.Text)
			continue
		}
		if b, err := json.Marshal(c); err == nil {
			parts = append(parts, string(b))
		}
	}
	return strings.Join(parts, "\n")
}
