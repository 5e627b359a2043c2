package tools

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// countReport is count_logs without group_by: one exact number.
type countReport struct {
	win   timerange.Window
	count int64
	hints []string // unknown services, when nothing was counted
}

func (c countReport) text() string {
	out := fmt.Sprintf("%s lines · window %s (UTC)\n", thousands(c.count), c.win)
	if len(c.hints) > 0 {
		out += "Check: " + strings.Join(c.hints, "; ") + ".\n"
	}
	return out
}

func (c countReport) json() map[string]any {
	out := map[string]any{"count": c.count, "window": windowJSON{isoTime(c.win.From), isoTime(c.win.To)}}
	if len(c.hints) > 0 {
		out["hints"] = c.hints
	}
	return out
}

// drillRows is how many groups get a ready query_logs call.
const drillRows = 3

// groupsReport is count_logs with group_by.
type groupsReport struct {
	args        countArgs
	win         timerange.Window
	dims        []dimension
	rows        []groupRow
	totalGroups int
	totalLogs   int64
	hints       []string // unknown services, when no group came back
}

type groupRow struct {
	values   []string // sanitised
	masked   bool     // a value was changed by sanitising: no exact filter
	raw      []string
	lines    int64
	errors   int64
	lastSeen time.Time
}

func newGroupsReport(e *env, args countArgs, win timerange.Window, dims []dimension, res *client.GroupByResult) groupsReport {
	r := groupsReport{args: args, win: win, dims: dims, totalGroups: max(res.TotalGroups, len(res.Groups)), totalLogs: res.TotalLogs}
	for _, g := range res.Groups {
		row := groupRow{raw: g.Values, lines: g.LogCount, errors: g.ErrorCount, lastSeen: g.LastSeen}
		for _, v := range g.Values {
			c := e.clean.String(v)
			row.masked = row.masked || c != v
			row.values = append(row.values, c)
		}
		r.rows = append(r.rows, row)
	}
	return r
}

// groupArgs are the query_logs arguments selecting one group, laid over
// the caller's: service and severity groups replace those arguments,
// every other key adds a filter.
func (r groupsReport) groupArgs(row groupRow) map[string]any {
	return r.groupOnlyArgs(row, slices.Clone(r.args.Filters))
}

// groupOnlyArgs are the arguments that select one group, added to filters.
func (r groupsReport) groupOnlyArgs(row groupRow, filters []filterArg) map[string]any {
	q := map[string]any{}
	for i, d := range r.dims {
		if i >= len(row.raw) {
			break
		}
		v := row.raw[i]
		switch {
		case d.group == groupColumns["service"]:
			q["services"] = []string{v}
		case d.group.Key == "severity_level":
			q["severity"] = []string{v}
		case d.group.Source == client.GroupByColumn:
			filters = append(filters, filterArg{Key: d.group.Key, Value: v, Scope: "column"})
		default:
			filters = append(filters, filterArg{Key: d.group.Key, Value: v, Scope: d.group.Source})
		}
	}
	if len(filters) > 0 {
		q["filters"] = filters
	}
	return q
}

// drill is the full query_logs call for one group: the caller's window
// and filters plus the group's values.
func (r groupsReport) drill(row groupRow) map[string]any {
	q := map[string]any{"date_from": isoTime(r.win.From), "date_to": isoTime(r.win.To)}
	if len(r.args.Severity) > 0 {
		q["severity"] = r.args.Severity
	}
	if len(r.args.Services) > 0 {
		q["services"] = r.args.Services
	}
	if r.args.Search != "" {
		q["search"] = r.args.Search
	}
	for k, v := range r.groupArgs(row) {
		q[k] = v
	}
	return q
}

func (r groupsReport) labels() []string {
	out := make([]string, len(r.dims))
	for i, d := range r.dims {
		out[i] = echo(d.label) // a key is what the caller sent
	}
	return out
}

func (r groupsReport) text() string {
	var b strings.Builder
	order := r.args.OrderBy
	if order == "" {
		order = "logs"
	}
	fmt.Fprintf(&b, "%s lines by %s · window %s (UTC) · ", thousands(r.totalLogs), strings.Join(r.labels(), ", "), r.win)
	if len(r.rows) < r.totalGroups {
		fmt.Fprintf(&b, "%d of %d groups by %s (raise limit for more)", len(r.rows), r.totalGroups, order)
	} else {
		b.WriteString(plural(r.totalGroups, "group"))
	}
	b.WriteString(" · lines without a key are not counted\n")
	if len(r.rows) == 0 {
		if len(r.hints) > 0 {
			b.WriteString("No lines in this window. Check: " + strings.Join(r.hints, "; ") + ".\n")
			return b.String()
		}
		b.WriteString("No lines have these keys in this window. Check the keys with list_attributes (and their scope), or widen the window.\n")
		return b.String()
	}
	withDate := r.win.Duration() > 20*time.Hour
	header := append(r.labels(), "lines", "errors", "error%", "last seen")
	right := make([]bool, len(header))
	for i := len(r.dims); i < len(r.dims)+3; i++ {
		right[i] = true
	}
	rows := make([][]string, 0, len(r.rows))
	for _, row := range r.rows {
		cells := make([]string, 0, len(header))
		for i := range r.dims {
			v := ""
			if i < len(row.values) {
				v = quoteIfNeeded(row.values[i])
			}
			cells = append(cells, v)
		}
		rate := 0.0
		if row.lines > 0 {
			rate = float64(row.errors) * 100 / float64(row.lines)
		}
		last := ""
		if !row.lastSeen.IsZero() {
			last = seenTime(row.lastSeen, withDate)
		}
		cells = append(cells, thousands(row.lines), thousands(row.errors), fmt.Sprintf("%.1f%%", rate), last)
		rows = append(rows, cells)
	}
	b.WriteString(table(header, right, rows))
	shown := 0
	for _, row := range r.rows {
		if row.masked || shown == drillRows {
			continue
		}
		if shown == 0 {
			// How to pass any group back: the first row's own arguments (the
			// caller's filters are in the call below, not repeated here).
			also := ""
			if len(r.args.Filters) > 0 {
				also = " (add them to the call's own filters)"
			}
			fmt.Fprintf(&b, "a group as filter arguments%s: %s\n", also, strings.TrimSuffix(strings.TrimPrefix(compactJSON(r.groupOnlyArgs(row, nil)), "{"), "}"))
		}
		fmt.Fprintf(&b, "→ query_logs %s\n", compactJSON(r.drill(row)))
		shown++
	}
	return b.String()
}

type groupsJSON struct {
	Window      windowJSON  `json:"window"`
	GroupBy     []string    `json:"group_by"`
	TotalGroups int         `json:"total_groups"`
	TotalLogs   int64       `json:"total_logs"`
	Groups      []groupJSON `json:"groups"`
	Hints       []string    `json:"hints,omitempty"`
}

type groupJSON struct {
	Values   []string       `json:"values"`
	Lines    int64          `json:"lines"`
	Errors   int64          `json:"errors"`
	LastSeen string         `json:"last_seen,omitempty"`
	Masked   bool           `json:"masked,omitempty"`
	Args     map[string]any `json:"arguments,omitempty"` // the group as query_logs/count_logs arguments
}

func (r groupsReport) json() groupsJSON {
	j := groupsJSON{Window: windowJSON{isoTime(r.win.From), isoTime(r.win.To)}, GroupBy: r.labels(),
		TotalGroups: r.totalGroups, TotalLogs: r.totalLogs, Groups: []groupJSON{}, Hints: r.hints}
	for _, row := range r.rows {
		g := groupJSON{Values: row.values, Lines: row.lines, Errors: row.errors, Masked: row.masked}
		if !row.lastSeen.IsZero() {
			g.LastSeen = isoTime(row.lastSeen)
		}
		if !row.masked {
			g.Args = r.drill(row)
		}
		j.Groups = append(j.Groups, g)
	}
	return j
}
