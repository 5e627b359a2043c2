package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

const (
	maxQueryLimit       = 1000
	defaultQueryLimit   = 50
	defaultMaxBodyChars = 300
)

var errInvalidFormat = errors.New(`format must be "text" (default) or "json"`)

func queryLogsTool() *tool {
	return &tool{
		name:  NameQueryLogs,
		scope: ScopeRead,
		define: func(v variant) mcp.Tool {
			props := append(commonFilterProps(),
				prop{name: "order", schema: map[string]any{"enum": []string{"latest", "earliest"}}},
				prop{name: "limit", schema: integer("Default 50.", 1, maxQueryLimit)},
				prop{name: "cursor", schema: str("next_cursor of a previous result; pass alone to continue that query.")},
				prop{name: "view", schema: str("Saved view short_id; other arguments override its values, filters add to its filters.")},
				prop{name: "max_body_chars", schema: map[string]any{"type": "integer", "minimum": 0, "description": "Default 300; 0 = whole body."}},
				prop{name: "include_attributes", schema: boolean("Default true.")},
				propFormat,
			)
			props = append(props, modeProps()...)
			return newTool(NameQueryLogs,
				"Find log lines, one compact line each (UTC time, level, service, body, varying attributes, uuid for explain_log). "+
					"Raw rows are the last step: first narrow with list_services/get_sparkline and summarise with get_log_patterns/count_logs. Output is size-capped; next_cursor continues without loss. "+
					"Pass a printed trace_id as trace_id to follow that request across services.",
				withProject(v, props), readOnlyTool("Query logs"))
		},
		handle: handler(handleQueryLogs),
	}
}

type queryLogsArgs struct {
	projectArgs
	filterArgs
	Order             string `json:"order"`
	Limit             *int   `json:"limit"`
	Cursor            string `json:"cursor"`
	View              string `json:"view"`
	MaxBodyChars      *int   `json:"max_body_chars"`
	IncludeAttributes *bool  `json:"include_attributes"`
	Format            string `json:"format"`
	modeArgs
}

// resolvesItself: a cursor carries its project and filters, and a saved
// view's filters merge under the arguments before they are resolved.
func (queryLogsArgs) resolvesItself() {}

// check validates the ways in (trace_id, around, wait_seconds) and fills
// the window each implies when none is given.
func (a *queryLogsArgs) check() error { return a.modeArgs.checkModes(a) }

func handleQueryLogs(ctx context.Context, e *env, r *request[queryLogsArgs]) *mcp.CallToolResult {
	c, args := r.call, r.args
	st, fromView, err := e.queryState(ctx, c, args)
	if err != nil {
		return toolError(err)
	}
	if res, ok := e.queryMode(ctx, c, args, st, fromView); ok {
		return res
	}
	auth := client.Auth{Key: c.caller.Key, ProjectID: st.Project}
	page, err := e.client.QueryLogs(ctx, auth, client.LogsQuery{
		Filters: client.Filters{From: st.From, To: st.To, Severities: st.Sev, Services: st.Services, Search: st.Search, Properties: st.Props},
		Order:   st.Order,
		Limit:   st.Limit,
		After:   st.after(),
	})
	if err != nil {
		return upstreamError("query logs", err)
	}
	out := e.renderLogs(st, page, fromView)
	if len(page.Results) == 0 && st.AfterID == "" {
		out.hints = e.emptyHints(ctx, auth, st)
	}
	if st.Format == "json" {
		return jsonResult(out.json())
	}
	return textResult(out.text())
}

// queryState turns arguments (or a cursor) into the complete query to run.
func (e *env) queryState(ctx context.Context, c *call, args queryLogsArgs) (cursorState, string, error) {
	maxBody := defaultMaxBodyChars
	if args.MaxBodyChars != nil {
		if *args.MaxBodyChars < 0 {
			return cursorState{}, "", errors.New("max_body_chars must be 0 (whole body) or more")
		}
		maxBody = *args.MaxBodyChars
	}
	limit, err := limitArg(args.Limit, defaultQueryLimit, maxQueryLimit)
	if err != nil {
		return cursorState{}, "", err
	}
	asJSON, err := formatFlag(args.Format)
	if err != nil {
		return cursorState{}, "", err
	}
	if args.Cursor != "" {
		return e.continueCursor(c, args, limit, maxBody, asJSON)
	}
	project, err := c.project(args.projectArgs)
	if err != nil {
		return cursorState{}, "", err
	}
	order := args.Order
	switch order {
	case "":
		order = "latest"
	case "latest", "earliest":
	default:
		return cursorState{}, "", fmt.Errorf(`order must be "latest" or "earliest" (got %s)`, echoQ(order))
	}
	filters := args.filterArgs
	viewName := ""
	if args.View != "" {
		v, name, err := e.viewFilters(ctx, c, project, args.View)
		if err != nil {
			return cursorState{}, "", err
		}
		filters = mergeFilters(v, filters)
		viewName = name
	}
	f, win, err := filters.toClient(e.now())
	if err != nil {
		return cursorState{}, "", err
	}
	st := cursorState{
		Project: project, From: win.From, To: win.To,
		Sev: f.Severities, Services: f.Services, Search: f.Search, Props: f.Properties,
		Order: order, Limit: limit, MaxBody: maxBody,
	}
	if args.IncludeAttributes != nil && !*args.IncludeAttributes {
		st.NoAttrs = true
	}
	if asJSON {
		st.Format = "json"
	}
	return st, viewName, nil
}

// continueCursor restores a query from its cursor; only presentation
// arguments may change, because the position only makes sense for the
// same query.
func (e *env) continueCursor(c *call, args queryLogsArgs, limit, maxBody int, asJSON bool) (cursorState, string, error) {
	st, err := decodeCursor(args.Cursor, e.now())
	if err != nil {
		return st, "", err
	}
	f := args.filterArgs
	if f.DateFrom != "" || f.DateTo != "" || len(f.Severity) > 0 || len(f.Services) > 0 || f.Search != "" || len(f.Filters) > 0 || args.Order != "" || args.View != "" {
		return st, "", errors.New("cursor already carries the query (window, filters, order): pass only cursor, optionally with limit, max_body_chars, include_attributes or format; to change the query, start again without cursor")
	}
	if _, err := c.project(projectArgs{ProjectID: st.Project}); err != nil {
		return st, "", fmt.Errorf("this cursor belongs to another project: %v", err)
	}
	if args.ProjectID != 0 && args.ProjectID != st.Project {
		return st, "", fmt.Errorf("this cursor belongs to project %d, not %d", st.Project, args.ProjectID)
	}
	if args.Limit != nil {
		st.Limit = limit
	}
	if args.MaxBodyChars != nil {
		st.MaxBody = maxBody
	}
	if args.IncludeAttributes != nil {
		st.NoAttrs = !*args.IncludeAttributes
	}
	if args.Format != "" {
		st.Format = ""
		if asJSON {
			st.Format = "json"
		}
	}
	return st, "", nil
}

// mergeFilters lays explicit arguments over a view's: the window,
// severity, services and search given replace the view's; filters are
// added to the view's.
func mergeFilters(view, explicit filterArgs) filterArgs {
	out := view
	if explicit.DateFrom != "" {
		out.DateFrom = explicit.DateFrom
	}
	if explicit.DateTo != "" {
		out.DateTo = explicit.DateTo
	}
	if len(explicit.Severity) > 0 {
		out.Severity = explicit.Severity
	}
	if len(explicit.Services) > 0 {
		out.Services = explicit.Services
	}
	if explicit.Search != "" {
		out.Search = explicit.Search
	}
	// Filters add up: an agent adding a filter to a view narrows it.
	out.Filters = append(slices.Clone(view.Filters), explicit.Filters...)
	return out
}

// emptyHints explains an empty result with next steps an agent can take.
func (e *env) emptyHints(ctx context.Context, auth client.Auth, st cursorState) []string {
	// A misspelt service explains everything: say that first, and do not
	// suggest widening a window that could never match.
	if len(st.Services) > 0 {
		if hints := e.unknownServices(ctx, auth, st.Services, st.From); len(hints) > 0 {
			return hints
		}
	}
	var hints []string
	if h := widerWindow(timerange.Window{From: st.From, To: st.To}); h != "" {
		hints = append(hints, h)
	}
	for _, p := range st.Props {
		switch p.Type {
		case "log_attribute":
			hints = append(hints, fmt.Sprintf(`%s was sent as a log attribute; if list_attributes lists it under resource, set "scope": "resource"`, echo(p.Key)))
		case "log_resource_attribute":
			if p.Key == serviceKey && p.Operator == "is_not_set" {
				continue // our own translation of "(no service)"
			}
			hints = append(hints, fmt.Sprintf(`%s was sent as a resource attribute; if list_attributes lists it under log, set "scope": "log"`, echo(p.Key)))
		}
	}
	if len(st.Props) > 0 {
		hints = append(hints, "check values with get_attribute_values")
	}
	if st.Search != "" {
		hints = append(hints, "search matches a substring of the body: try a shorter term")
	}
	if len(st.Sev) > 0 {
		hints = append(hints, "drop the severity filter")
	}
	return hints
}

// closest returns the known name nearest to want by edit distance, if any
// is reasonably near.
func closest(want string, known []string) string {
	best, bestD := "", len(want)/2+2
	lw := strings.ToLower(want)
	for _, k := range known {
		lk := strings.ToLower(k)
		d := editDistance(lw, lk)
		if strings.Contains(lk, lw) || strings.Contains(lw, lk) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
