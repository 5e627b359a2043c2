package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sanitize"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

const (
	defaultViewsLimit = 20
	maxViewsLimit     = 100
)

func manageViewsTool() *tool {
	return &tool{
		name:  NameManageViews,
		scope: ScopeRead,
		define: func(v variant) mcp.Tool {
			actions := []string{"list", "get"}
			desc := "Saved log views shared by the project. list; get: a view's filters in query_logs' vocabulary (run one with query_logs view=short_id)."
			ann := readOnlyTool("Saved log views")
			if v.write {
				actions = append(actions, "create", "update", "delete")
				desc += " create: name + filters; update: short_id + only fields to change (get's output can be passed back); delete: permanent."
				ann = annotations("Saved log views", false, true, false)
			}
			// search means a name substring for list and, in write
			// schemas, also the body filter of create/update; it is
			// described once, where the filters would put it.
			search := prop{name: "search", schema: str("Name substring.")}
			props := []prop{
				{name: "action", required: true, schema: map[string]any{"enum": actions}},
				{name: "short_id", schema: str("8-character view id.")},
			}
			if v.write {
				search = prop{name: "search", schema: str("list: name substring; create/update: body substring.")}
				props = append(props,
					prop{name: "name", schema: str("create/update.")},
					prop{name: "pinned", schema: boolean("Pinned for the team.")},
				)
				for _, p := range sharedFilterProps() {
					if p.name != "search" {
						props = append(props, p)
					}
				}
			}
			props = append(props,
				search,
				prop{name: "limit", schema: integer("list: default 20.", 1, maxViewsLimit)},
				prop{name: "offset", schema: map[string]any{"type": "integer", "minimum": 0, "description": "list."}},
				propFormat,
			)
			return newTool(NameManageViews, desc, withProject(v, props), ann)
		},
		handle: handler(handleManageViews),
	}
}

type viewsArgs struct {
	projectArgs
	Action   string      `json:"action"`
	ShortID  string      `json:"short_id"`
	Name     *string     `json:"name"`
	Pinned   *bool       `json:"pinned"`
	DateFrom *string     `json:"date_from"`
	DateTo   *string     `json:"date_to"`
	Severity []string    `json:"severity"`
	Services []string    `json:"services"`
	Search   *string     `json:"search"`
	Filters  []filterArg `json:"filters"`
	Limit    *int        `json:"limit"`
	Offset   *int        `json:"offset"`
	formatArg

	limit, offset int // list
}

func (a *viewsArgs) check() error {
	if err := a.onlyWhatApplies(); err != nil {
		return err
	}
	switch a.Action {
	case "list":
		limit, err := limitArg(a.Limit, defaultViewsLimit, maxViewsLimit)
		if err != nil {
			return err
		}
		a.limit = limit
		if a.Offset != nil {
			if *a.Offset < 0 {
				return errors.New("offset must be 0 or more")
			}
			a.offset = *a.Offset
		}
	case "get", "create", "update", "delete":
	case "":
		return errors.New(`action is required: "list", "get", "create", "update" or "delete"`)
	default:
		return fmt.Errorf(`action %s is not valid: use "list", "get", "create", "update" or "delete"`, echoQ(a.Action))
	}
	return nil
}

// viewActionArgs are the arguments each action takes (besides action,
// format and project_id).
var viewActionArgs = map[string][]string{
	"list":   {"limit", "offset", "search"},
	"get":    {"short_id"},
	"delete": {"short_id"},
	"create": {"name", "pinned", "date_from", "date_to", "severity", "services", "search", "filters"},
	"update": {"short_id", "name", "pinned", "date_from", "date_to", "severity", "services", "search", "filters"},
}

// onlyWhatApplies refuses an argument the action would ignore (list with
// short_id, delete with name), as every tool refuses unknown arguments:
// a silently ignored argument is a call that does not do what it says.
func (a *viewsArgs) onlyWhatApplies() error {
	takes, ok := viewActionArgs[a.Action]
	if !ok {
		return nil // the action itself is refused next
	}
	given := map[string]bool{
		"short_id": a.ShortID != "", "name": a.Name != nil, "pinned": a.Pinned != nil,
		"date_from": a.DateFrom != nil, "date_to": a.DateTo != nil, "severity": a.Severity != nil,
		"services": a.Services != nil, "search": a.Search != nil, "filters": a.Filters != nil,
		"limit": a.Limit != nil, "offset": a.Offset != nil,
	}
	var extra []string
	for _, name := range []string{"short_id", "name", "pinned", "date_from", "date_to", "severity", "services", "search", "filters", "limit", "offset"} {
		if given[name] && !slices.Contains(takes, name) {
			extra = append(extra, name)
		}
	}
	switch {
	case len(extra) == 0:
		return nil
	case a.Action == "create" && slices.Equal(extra, []string{"short_id"}):
		return errors.New("create takes no short_id (PostHog assigns one); to change a view use action update")
	}
	return fmt.Errorf("action %s does not take %s; it takes %s", echoQ(a.Action), strings.Join(extra, ", "), strings.Join(takes, ", "))
}

// permit refuses writes to a key without logs:write before anything else
// is asked of the caller.
func (a *viewsArgs) permit(c *call, readOnly bool) *mcp.CallToolResult {
	switch a.Action {
	case "create", "update", "delete":
		if !c.access.Write {
			return errorResult(codePermission, fmt.Sprintf("action %s needs the logs:write scope%s; this key may only list and get views", echoQ(a.Action), readOnlyNote(readOnly)))
		}
	}
	return nil
}

func handleManageViews(ctx context.Context, e *env, r *request[viewsArgs]) *mcp.CallToolResult {
	args, auth := r.args, r.auth
	if args.Action != "list" && args.Action != "create" && !client.ValidShortID(args.ShortID) {
		return invalidArgs(fmt.Errorf(`short_id must be the 8-character id of a view (letters and digits), e.g. "a1B2c3D4"; manage_views {"action":"list"} shows them`))
	}
	var (
		v   *client.View
		err error
	)
	rep := viewReport{e: e}
	switch args.Action {
	case "list":
		return e.listViews(ctx, auth, args, r.json)
	case "get":
		v, err = e.client.GetView(ctx, auth, args.ShortID)
		if err != nil {
			return viewError("get the view", args.ShortID, err)
		}
	case "create":
		rep.verb = "created"
		if v, err = e.createView(ctx, auth, args); err != nil {
			return toolError(err)
		}
	case "update":
		rep.verb = "updated"
		if v, err = e.updateView(ctx, auth, args); err != nil {
			return toolError(err)
		}
	default:
		if refused := e.confirmDelete(ctx, auth, args.ShortID); refused != nil {
			return refused
		}
		if err := e.client.DeleteView(ctx, auth, args.ShortID); err != nil {
			if isNotFound(err) {
				return viewError("delete the view", args.ShortID, err)
			}
			return writeError("delete the view "+args.ShortID, err, checkView(args.ShortID)+" (NOT_FOUND means it is gone)")
		}
		return answer(r.json,
			func() string { return fmt.Sprintf("deleted view %s\n", args.ShortID) },
			func() map[string]string { return map[string]string{"deleted": args.ShortID} })
	}
	rep.view = v
	return answer(r.json, rep.text, rep.json)
}

// viewReport is one view as get, create or update print it.
type viewReport struct {
	e    *env
	view *client.View
	verb string // "created", "updated", or empty for get
}

func (r viewReport) json() map[string]any {
	out := map[string]any{"view": r.e.viewJSON(*r.view)}
	if r.verb != "" {
		out["result"] = r.verb
	}
	return out
}

func (r viewReport) text() string {
	if r.verb != "" {
		return r.verb + " " + r.e.describeView(r.view)
	}
	return r.e.describeView(r.view)
}

// viewJSON is a view as format "json" prints it: filters in our vocabulary.
// The filters are inline, in the vocabulary create, update and query_logs
// take: filters is the list of attribute filters, as in those calls.
type viewJSON struct {
	ShortID string `json:"short_id"`
	Name    string `json:"name"`
	Pinned  bool   `json:"pinned"`
	viewQuery
	Unread    string `json:"filters_error,omitempty"`
	CreatedBy string `json:"created_by,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

func (e *env) viewJSON(v client.View) viewJSON {
	out := viewJSON{ShortID: v.ShortID, Name: e.clean.String(v.Name), Pinned: v.Pinned, UpdatedAt: e.clean.String(v.UpdatedAt)}
	if v.CreatedBy != nil {
		out.CreatedBy = e.clean.String(v.CreatedBy.Email)
	}
	if q, err := fromPostHog(v.Filters); err != nil {
		out.Unread = e.clean.String(err.Error())
	} else {
		out.viewQuery = q
	}
	return out
}

func viewError(what, shortID string, err error) *mcp.CallToolResult {
	var ce *client.Error
	if errors.As(err, &ce) && ce.Kind == client.KindNotFound {
		return errorResult(codeNotFound, fmt.Sprintf("no view %q in this project; manage_views {\"action\":\"list\"} shows the views", shortID))
	}
	return upstreamError(what, err)
}

func (e *env) listViews(ctx context.Context, auth client.Auth, args viewsArgs, asJSON bool) *mcp.CallToolResult {
	search := ""
	if args.Search != nil {
		search = strings.ToLower(*args.Search)
	}
	fetch := args.limit
	if search != "" {
		// PostHog's list has no name search: scan a full page instead.
		fetch = maxViewsLimit
	}
	list, err := e.client.ListViews(ctx, auth, fetch, args.offset)
	if err != nil {
		return upstreamError("list views", err)
	}
	var views []client.View
	for _, v := range list.Results {
		if search == "" || strings.Contains(strings.ToLower(v.Name), search) {
			views = append(views, v)
		}
	}
	if len(views) > args.limit {
		views = views[:args.limit]
	}
	// Pinned views are the team's chosen ones: show them first.
	slices.SortStableFunc(views, func(a, b client.View) int {
		switch {
		case a.Pinned == b.Pinned:
			return 0
		case a.Pinned:
			return -1
		}
		return 1
	})
	rep := viewList{e: e, args: args, list: list, views: views}
	return answer(asJSON, rep.text, rep.json)
}

// viewList is a manage_views list answer.
type viewList struct {
	e     *env
	args  viewsArgs
	list  *client.ViewList // the page PostHog returned
	views []client.View    // the views shown: matching search, pinned first
}

type viewListJSON struct {
	Count  int        `json:"count"`
	Offset int        `json:"offset"`
	Views  []viewJSON `json:"views"`
}

func (l viewList) json() viewListJSON {
	out := viewListJSON{Count: l.list.Count, Offset: l.args.offset, Views: []viewJSON{}}
	for _, v := range l.views {
		out.Views = append(out.Views, l.e.viewJSON(v))
	}
	return out
}

func (l viewList) text() string {
	e, views, offset, limit := l.e, l.views, l.args.offset, l.args.limit
	search := ""
	if l.args.Search != nil {
		search = strings.ToLower(*l.args.Search)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d saved views", l.list.Count)
	if search != "" {
		fmt.Fprintf(&b, ", %d matching %q", len(views), e.clean.String(*l.args.Search))
	}
	if offset > 0 || len(views) < l.list.Count {
		fmt.Fprintf(&b, " · showing %d from offset %d", len(views), offset)
	}
	b.WriteByte('\n')
	if len(views) == 0 {
		if search != "" && l.list.Count > 0 {
			fmt.Fprintf(&b, "No view name contains %q; list without search shows all %d.\n", e.clean.String(*l.args.Search), l.list.Count)
		} else {
			b.WriteString("No views. Create one with manage_views {\"action\":\"create\",\"name\":...,\"severity\":[...],...} (needs logs:write).\n")
		}
		return b.String()
	}
	rows := make([][]string, 0, len(views))
	for _, v := range views {
		pinned := "no"
		if v.Pinned {
			pinned = "yes"
		}
		rows = append(rows, []string{v.ShortID, e.clean.String(v.Name), pinned, e.summarise(v.Filters), e.updatedBy(v)})
	}
	b.WriteString(table([]string{"short_id", "name", "pinned", "filters", "updated"}, nil, rows))
	if offset+len(l.list.Results) < l.list.Count && search == "" {
		fmt.Fprintf(&b, "more: manage_views {\"action\":\"list\",\"offset\":%d,\"limit\":%d}\n", offset+len(l.list.Results), limit)
	}
	b.WriteString("use one: query_logs {\"view\":\"<short_id>\"}; details: manage_views {\"action\":\"get\",\"short_id\":\"<short_id>\"}\n")
	return b.String()
}

func (e *env) updatedBy(v client.View) string {
	out := v.UpdatedAt
	if len(out) >= 10 {
		out = out[:10]
	}
	if v.CreatedBy != nil && v.CreatedBy.Email != "" {
		out += " by " + v.CreatedBy.Email
	}
	return e.clean.String(out)
}

// describeView prints a view and its filters as arguments that create,
// update and query_logs accept unchanged.
func (e *env) describeView(v *client.View) string {
	var b strings.Builder
	fmt.Fprintf(&b, "view %s %q · pinned %v · %s\n", v.ShortID, e.clean.String(v.Name), v.Pinned, e.updatedBy(*v))
	q, err := fromPostHog(v.Filters)
	if err != nil {
		b.WriteString("its filters could not be read (" + e.clean.String(err.Error()) + ")\n")
		return b.String()
	}
	// Ready calls, so read-modify-write is copy, edit, run.
	fmt.Fprintf(&b, "its lines: %s\n", e.viewCall(NameQueryLogs, q.args(nil)))
	fmt.Fprintf(&b, "to change it, edit and run: %s\n", e.viewCall(NameManageViews, q.args(map[string]any{
		"action": "update", "short_id": v.ShortID, "name": v.Name, "pinned": v.Pinned,
	})))
	fmt.Fprintf(&b, "or run it by id: query_logs {\"view\":%q}\n", v.ShortID)
	return b.String()
}

// viewCall prints a ready call built from a view's stored fields:
// hidden characters escaped, secrets masked like log content.
func (e *env) viewCall(tool string, args map[string]any) string {
	call := followUp(tool, args)
	if e.clean.Redact {
		call = sanitize.Secrets(call)
	}
	return call
}

// viewFilters loads a view for query_logs' view argument.
func (e *env) viewFilters(ctx context.Context, c *call, project int64, shortID string) (filterArgs, string, error) {
	if !client.ValidShortID(shortID) {
		return filterArgs{}, "", errors.New(`view must be the 8-character short_id of a saved view (manage_views {"action":"list"} shows them)`)
	}
	v, err := e.client.GetView(ctx, client.Auth{Key: c.caller.Key, ProjectID: project}, shortID)
	if err != nil {
		return filterArgs{}, "", errResult{viewError("load the view", shortID, err)}
	}
	q, err := fromPostHog(v.Filters)
	if err != nil {
		return filterArgs{}, "", fmt.Errorf("view %s has filters this server cannot read: %s", shortID, echo(err.Error()))
	}
	return filterArgs{
		windowArgs: windowArgs{DateFrom: q.DateFrom, DateTo: q.DateTo},
		Severity:   q.Severity, Services: q.Services, Search: q.Search, Filters: q.Filters,
	}, fmt.Sprintf("%s %q", v.ShortID, e.clean.String(v.Name)), nil
}

// query collects the filter fields given in a create or update call.
func (a viewsArgs) query() viewQuery {
	q := viewQuery{Severity: a.Severity, Services: a.Services, Filters: a.Filters}
	if a.DateFrom != nil {
		q.DateFrom = *a.DateFrom
	}
	if a.DateTo != nil {
		q.DateTo = *a.DateTo
	}
	if a.Search != nil {
		q.Search = *a.Search
	}
	return q
}

func (a viewsArgs) hasFilterFields() bool {
	return a.DateFrom != nil || a.DateTo != nil || a.Severity != nil || a.Services != nil || a.Search != nil || a.Filters != nil
}

// validateTimes checks the window fields parse in our grammar.
func (e *env) validateTimes(q viewQuery) error {
	for name, v := range map[string]string{"date_from": q.DateFrom, "date_to": q.DateTo} {
		if v == "" {
			continue
		}
		if _, err := timerange.Parse(v, e.now()); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
	}
	return nil
}

func (e *env) createView(ctx context.Context, auth client.Auth, args viewsArgs) (*client.View, error) {
	if args.ShortID != "" {
		return nil, errors.New("create takes no short_id (PostHog assigns one); to change a view use action update")
	}
	if args.Name == nil || strings.TrimSpace(*args.Name) == "" {
		return nil, errors.New(`name is required to create a view, e.g. {"action":"create","name":"checkout errors","severity":["error"],"services":["checkout"]}`)
	}
	if len(*args.Name) > 400 {
		return nil, errors.New("name is limited to 400 characters")
	}
	q := args.query()
	if err := e.validateTimes(q); err != nil {
		return nil, err
	}
	f, err := toPostHog(q)
	if err != nil {
		return nil, err
	}
	in := client.ViewInput{Name: *args.Name, Filters: f}
	if args.Pinned != nil {
		in.Pinned = *args.Pinned
	}
	check := followUp(NameManageViews, map[string]any{"action": "list", "search": *args.Name})
	v, err := e.client.CreateView(ctx, auth, in)
	if err != nil {
		return nil, errResult{writeError("create the view", err, check)}
	}
	if v == nil || !client.ValidShortID(v.ShortID) {
		return nil, errResult{outcomeUnknown("create the view", "the answer holds no view", check)}
	}
	return v, nil
}

// updateView patches only what was given. Filters are one object in
// PostHog, so changing one filter field is a read-modify-write of it.
func (e *env) updateView(ctx context.Context, auth client.Auth, args viewsArgs) (*client.View, error) {
	var patch client.ViewPatch
	if args.Name != nil {
		if strings.TrimSpace(*args.Name) == "" || len(*args.Name) > 400 {
			return nil, errors.New("name must be 1 to 400 characters")
		}
		patch.Name = args.Name
	}
	patch.Pinned = args.Pinned
	if args.hasFilterFields() {
		cur, err := e.client.GetView(ctx, auth, args.ShortID)
		if err != nil {
			return nil, errResult{viewError("read the view before updating it", args.ShortID, err)}
		}
		q, err := fromPostHog(cur.Filters)
		if err != nil {
			return nil, fmt.Errorf("the view's current filters cannot be read (%v); set every filter field to replace them", err)
		}
		given := args.query()
		if args.DateFrom != nil {
			q.DateFrom = given.DateFrom
		}
		if args.DateTo != nil {
			q.DateTo = given.DateTo
		}
		if args.Severity != nil {
			q.Severity = given.Severity
		}
		if args.Services != nil {
			q.Services = given.Services
		}
		if args.Search != nil {
			q.Search = given.Search
		}
		if args.Filters != nil {
			q.Filters = given.Filters
		}
		if err := e.validateTimes(q); err != nil {
			return nil, err
		}
		f, err := toPostHog(q)
		if err != nil {
			return nil, err
		}
		patch.Filters = &f
	}
	if patch.Name == nil && patch.Pinned == nil && patch.Filters == nil {
		return nil, errors.New("update needs at least one field to change: name, pinned, date_from, date_to, severity, services, search or filters")
	}
	v, err := e.client.UpdateView(ctx, auth, args.ShortID, patch)
	if err != nil {
		if isNotFound(err) {
			return nil, errResult{viewError("update the view", args.ShortID, err)}
		}
		return nil, errResult{writeError("update the view "+args.ShortID, err, checkView(args.ShortID))}
	}
	if v == nil || v.ShortID != args.ShortID {
		return nil, errResult{outcomeUnknown("update the view "+args.ShortID, "the answer is not that view", checkView(args.ShortID))}
	}
	return v, nil
}

// checkView is the call that shows a view as PostHog has it now.
func checkView(shortID string) string {
	return followUp(NameManageViews, map[string]any{"action": "get", "short_id": shortID})
}

func isNotFound(err error) bool {
	var ce *client.Error
	return errors.As(err, &ce) && ce.Kind == client.KindNotFound
}
