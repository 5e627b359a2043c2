package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

const (
	defaultCountLimit = 20
	maxCountLimit     = 100
	maxGroupBy        = 4
)

func countLogsTool() *tool {
	return &tool{
		name:  NameCountLogs,
		scope: ScopeRead,
		define: func(v variant) mcp.Tool {
			props := append(sharedFilterProps(),
				prop{name: "group_by", schema: map[string]any{
					"type": "array", "maxItems": maxGroupBy,
					"items":       map[string]any{"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "object"}}},
					"description": `Up to 4 keys: service, severity, trace_id, or an attribute (e.g. service.version, k8s.pod.name); {"key","scope"} to set its scope.`,
				}},
				prop{name: "order_by", schema: map[string]any{"enum": []string{"logs", "errors", "last_seen"}}},
				prop{name: "limit", schema: integer("Groups, default 20.", 1, maxCountLimit)},
				propFormat,
			)
			return newTool(NameCountLogs,
				"Exact count of matching lines, or counts per group (lines, errors, last seen) for up to 4 keys: is it one version, pod, route? "+
					"Cheaper than paging query_logs to count.",
				withProject(v, props), readOnlyTool("Count logs"))
		},
		handle: handler(handleCountLogs),
	}
}

type countArgs struct {
	projectArgs
	filterArgs
	GroupBy []groupByArg `json:"group_by"`
	OrderBy string       `json:"order_by"`
	Limit   *int         `json:"limit"`
	formatArg

	limit int
}

// groupByArg is one group_by key: a bare name (service, severity,
// trace_id, span_id, or an attribute whose scope follows the well-known
// key rule) or {"key": ..., "scope": "log"|"resource"|"column"}.
type groupByArg struct {
	Key   string `json:"key"`
	Scope string `json:"scope,omitempty"`
}

func (g *groupByArg) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		return json.Unmarshal(t, &g.Key)
	}
	type plain groupByArg
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return errors.New(`each group_by item is a key ("service.version") or {"key": "...", "scope": "log"|"resource"|"column"}`)
	}
	*g = groupByArg(p)
	return nil
}

// dimension is a resolved group_by key: what PostHog groups by, and how
// a group's value goes back into query_logs' arguments.
type dimension struct {
	label string // as printed: service, severity, or the key
	group client.GroupBy
}

// groupColumns are the bare names that mean a column rather than an
// attribute.
var groupColumns = map[string]client.GroupBy{
	"service":        {Key: serviceKey, Source: client.GroupByResource},
	"severity":       {Key: "severity_level", Source: client.GroupByColumn},
	"severity_level": {Key: "severity_level", Source: client.GroupByColumn},
	"trace_id":       {Key: "trace_id", Source: client.GroupByColumn},
	"span_id":        {Key: "span_id", Source: client.GroupByColumn},
}

func (g groupByArg) dimension(i int) (dimension, error) {
	key := strings.TrimSpace(g.Key)
	if key == "" {
		return dimension{}, fmt.Errorf("group_by[%d]: the key is empty", i)
	}
	switch g.Scope {
	case "":
		if c, ok := groupColumns[key]; ok {
			label := key
			if key == "severity_level" {
				label = "severity"
			}
			return dimension{label: label, group: c}, nil
		}
		src := client.GroupByLog
		if isResourceKey(key) {
			src = client.GroupByResource
		}
		return dimension{label: key, group: client.GroupBy{Key: key, Source: src}}, nil
	case "log", "resource":
		return dimension{label: key, group: client.GroupBy{Key: key, Source: g.Scope}}, nil
	case "column":
		c, ok := groupColumns[key]
		if !ok || c.Source != client.GroupByColumn {
			return dimension{}, fmt.Errorf("group_by[%d]: scope \"column\" takes severity, trace_id or span_id, not %s", i, echoQ(key))
		}
		label := key
		if key == "severity_level" {
			label = "severity"
		}
		return dimension{label: label, group: c}, nil
	}
	return dimension{}, fmt.Errorf(`group_by[%d].scope must be "log", "resource" or "column" (got %s)`, i, echoQ(g.Scope))
}

func (a *countArgs) check() error {
	if len(a.GroupBy) > maxGroupBy {
		return fmt.Errorf("group_by takes at most %d keys (got %d)", maxGroupBy, len(a.GroupBy))
	}
	switch a.OrderBy {
	case "", "logs", "errors", "last_seen":
	default:
		return fmt.Errorf(`order_by must be "logs", "errors" or "last_seen" (got %s)`, echoQ(a.OrderBy))
	}
	limit, err := limitArg(a.Limit, defaultCountLimit, maxCountLimit)
	a.limit = limit
	return err
}

func (a *countArgs) dimensions() ([]dimension, error) {
	dims := make([]dimension, 0, len(a.GroupBy))
	for i, g := range a.GroupBy {
		d, err := g.dimension(i)
		if err != nil {
			return nil, err
		}
		for _, prev := range dims {
			if prev.group == d.group {
				return nil, fmt.Errorf("group_by[%d]: %s is listed twice", i, echo(d.label))
			}
		}
		dims = append(dims, d)
	}
	return dims, nil
}

var countOrders = map[string]string{"": "log_count", "logs": "log_count", "errors": "error_count", "last_seen": "last_seen"}

func handleCountLogs(ctx context.Context, e *env, r *request[countArgs]) *mcp.CallToolResult {
	dims, err := r.args.dimensions()
	if err != nil {
		return invalidArgs(err)
	}
	if len(dims) == 0 {
		n, err := e.client.Count(ctx, r.auth, r.filters)
		if err != nil {
			return upstreamError("count logs", err)
		}
		rep := countReport{win: r.win, count: n}
		if n == 0 {
			rep.hints = e.unknownServices(ctx, r.auth, r.args.Services, r.win.From)
		}
		return answer(r.json, rep.text, rep.json)
	}
	q := client.GroupByQuery{Filters: r.filters, OrderBy: countOrders[r.args.OrderBy], Limit: r.args.limit}
	for _, d := range dims {
		q.GroupBys = append(q.GroupBys, d.group)
	}
	res, err := e.client.GroupBy(ctx, r.auth, q)
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && ce.Kind == client.KindUnsupported {
			return errorResult(codeUnsupported, "this PostHog cannot count by group (an older deployment). count_logs without group_by still counts; get_attribute_values gives counts per value of one key.")
		}
		return upstreamError("count logs by group", err)
	}
	rep := newGroupsReport(e, r.args, r.win, dims, res)
	if len(rep.rows) == 0 {
		rep.hints = e.unknownServices(ctx, r.auth, r.args.Services, r.win.From)
	}
	return answer(r.json, rep.text, rep.json)
}
