package tools

import (
	"context"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

// clientElicits reports whether the client of ctx declared the elicitation
// capability. mcp-go keeps a client's capabilities per session, from its
// initialize request: stdio has one session for the whole connection, but
// stateless Streamable HTTP makes a new session for every request, so over
// HTTP no capability is ever known and nothing is asked (the tool stays
// annotated destructive, which is what clients confirm on).
func clientElicits(ctx context.Context) bool {
	s, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo)
	return ok && s.GetClientCapabilities().Elicitation != nil
}

// confirmDelete asks the user, when the client can ask, to confirm the
// deletion of a view, naming it. It returns nil when the deletion may go
// ahead, and otherwise the result to answer (nothing was deleted).
func (e *env) confirmDelete(ctx context.Context, auth client.Auth, shortID string) *mcp.CallToolResult {
	srv := server.ServerFromContext(ctx)
	if srv == nil || !clientElicits(ctx) {
		return nil
	}
	v, err := e.client.GetView(ctx, auth, shortID)
	if err != nil {
		return viewError("get the view to delete", shortID, err)
	}
	var req mcp.ElicitationRequest
	// The name is the project's content: shown to the user, so sanitised.
	req.Params.Message = fmt.Sprintf("Delete the saved logs view %q (short_id %s)? This cannot be undone.",
		e.clean.String(v.Name), shortID)
	// Nothing to fill in: accept, decline or cancel is the answer.
	req.Params.RequestedSchema = map[string]any{"type": "object", "properties": map[string]any{}}
	res, err := srv.RequestElicitation(ctx, req)
	switch {
	case errors.Is(err, server.ErrElicitationNotSupported), errors.Is(err, server.ErrServerInitiatedRequestUnsupported),
		errors.Is(err, server.ErrNoActiveSession):
		// The transport cannot ask after all: today's behaviour.
		return nil
	case err != nil:
		return errorResult(codeDeclined, fmt.Sprintf("not deleted: could not ask the user to confirm (%s); call again to retry",
			e.clean.String(err.Error())))
	case res.Action == mcp.ElicitationResponseActionAccept:
		return nil
	}
	return errorResult(codeDeclined, "not deleted: declined by the user")
}
