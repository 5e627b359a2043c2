package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// request is one call of a tool whose arguments decode into A, with the
// common arguments already checked and resolved. What is resolved follows
// from what A embeds:
//
//   - projectArgs: auth (the key and the project the call goes to);
//   - filterArgs: filters (the common filters, window included) and win;
//   - windowArgs (without filterArgs): win;
//   - formatArg: json.
//
// A tool-specific check runs first when *A has a check() error method, so
// a handler starts with arguments that are all valid.
type request[A any] struct {
	args    A
	call    *call
	auth    client.Auth
	filters client.Filters
	win     timerange.Window
	json    bool
}

// The small interfaces through which the wrapper finds the common
// arguments; the embedded argument types implement them.
type (
	hasProject interface{ projectArg() projectArgs }
	hasWindow  interface{ windowArg() windowArgs }
	hasFilters interface{ commonFilters() filterArgs }
	hasFormat  interface{ formatValue() string }
	// checker validates the tool's own arguments (limits, enums) and may
	// keep normalised values in unexported fields.
	checker interface{ check() error }
	// permitter refuses an action the caller's key may not take (a
	// per-action scope) before the project is even asked for.
	permitter interface {
		permit(c *call, readOnly bool) *mcp.CallToolResult
	}
	// resolvesItself marks arguments whose project and filters may come
	// from elsewhere (query_logs: a cursor or a saved view), so the
	// handler resolves them itself.
	resolvesItself interface{ resolvesItself() }
)

func (p projectArgs) projectArg() projectArgs  { return p }
func (w windowArgs) windowArg() windowArgs     { return w }
func (f filterArgs) commonFilters() filterArgs { return f }
func (f formatArg) formatValue() string        { return f.Format }

// formatArg is the output format argument of every tool.
type formatArg struct {
	Format string `json:"format"`
}

// handler adapts a typed handler to the registry: it decodes the
// arguments strictly into A, runs A's own check and permission, resolves
// format, project, window and filters, and turns any failure on the way
// into an INVALID_ARGUMENT result, so handlers only hold what is theirs.
func handler[A any](fn func(ctx context.Context, e *env, r *request[A]) *mcp.CallToolResult) func(context.Context, *env, *call) *mcp.CallToolResult {
	return func(ctx context.Context, e *env, c *call) *mcp.CallToolResult {
		r := &request[A]{call: c}
		if err := c.decode(&r.args); err != nil {
			return invalidArgs(err)
		}
		if err := r.check(); err != nil {
			return invalidArgs(err)
		}
		if p, ok := any(&r.args).(permitter); ok {
			if res := p.permit(c, e.cfg.ReadOnly); res != nil {
				return res
			}
		}
		if err := r.resolve(e); err != nil {
			return invalidArgs(err)
		}
		return fn(ctx, e, r)
	}
}

// check runs A's own check, if it has one.
func (r *request[A]) check() error {
	if ch, ok := any(&r.args).(checker); ok {
		return ch.check()
	}
	return nil
}

// resolve checks and resolves the common arguments A declares.
func (r *request[A]) resolve(e *env) error {
	var args any = r.args
	if _, ok := args.(resolvesItself); ok {
		return nil
	}
	if f, ok := args.(hasFormat); ok {
		asJSON, err := formatFlag(f.formatValue())
		if err != nil {
			return err
		}
		r.json = asJSON
	}
	if p, ok := args.(hasProject); ok {
		auth, err := r.call.auth(p.projectArg())
		if err != nil {
			return err
		}
		r.auth = auth
	}
	switch a := args.(type) {
	case hasFilters:
		filters, win, err := a.commonFilters().toClient(e.now())
		if err != nil {
			return err
		}
		r.filters, r.win = filters, win
	case hasWindow:
		win, err := a.windowArg().resolve(e.now())
		if err != nil {
			return err
		}
		r.win = win
	}
	return nil
}

// answer prints a report as the caller asked: text by default, or JSON.
func answer[J any](asJSON bool, text func() string, js func() J) *mcp.CallToolResult {
	if asJSON {
		return jsonResult(js())
	}
	return textResult(text())
}
