package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Limits of logs/group-by/ (contract, section 13).
const (
	MaxGroupBys     = 4
	MaxGroupByLimit = 500
)

// Group-by dimension sources.
const (
	GroupByLog      = "log"      // a log attribute
	GroupByResource = "resource" // a resource attribute (service.name, k8s.pod.name, ...)
	GroupByColumn   = "column"   // a built-in column: severity_level, trace_id, span_id
)

// groupByColumns are the keys a "column" dimension may name.
var groupByColumns = []string{"severity_level", "trace_id", "span_id"}

// groupByOrders are the accepted orderGroupsBy values (all descending).
var groupByOrders = []string{"log_count", "error_count", "last_seen"}

// GroupBy is one dimension: Key within Source ("" means "log"). The service is
// {Key: "service.name", Source: "resource"}.
type GroupBy struct{ Key, Source string }

// GroupByQuery asks POST logs/group-by/ for exact counts per combination of 1 to 4 dimensions.
type GroupByQuery struct {
	Filters
	GroupBys []GroupBy
	OrderBy  string // log_count (default) | error_count | last_seen, descending
	Limit    int    // groups returned; 0: the server's default (100); at most 500
}

// Group is one combination of values, in the order of GroupBys.
type Group struct {
	Values               []string
	LogCount, ErrorCount int64 // ErrorCount: error + fatal
	LastSeen             time.Time
}

// GroupByResult is the answer of GroupBy. Lines lacking a dimension are not counted, even in
// TotalLogs; Truncated means more than len(Groups) groups exist (TotalGroups of them).
type GroupByResult struct {
	Groups      []Group
	TotalGroups int
	TotalLogs   int64
	Truncated   bool
}

type wireGroupBy struct {
	Key    string `json:"key"`
	Source string `json:"source"`
}

type wireGroup struct {
	Value      json.RawMessage   `json:"value"`
	Values     []json.RawMessage `json:"values"`
	LogCount   flexInt           `json:"log_count"`
	ErrorCount flexInt           `json:"error_count"`
	LastSeen   flexTime          `json:"last_seen"`
}

type wireGroups struct {
	Groups      []wireGroup `json:"groups"`
	TotalGroups *flexInt    `json:"total_groups"`
	TotalLogs   flexInt     `json:"total_logs"`
	Truncated   bool        `json:"truncated"`
}

// GroupBy runs POST logs/group-by/: exact, uncached counts. A deployment without the
// endpoint fails with KindUnsupported.
func (c *Client) GroupBy(ctx context.Context, a Auth, q GroupByQuery) (*GroupByResult, error) {
	const path = "logs/group-by/"
	wq, err := buildQuery(q.Filters)
	if err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	if wq.GroupBys, err = normalizeGroupBys(q.GroupBys); err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	if q.OrderBy != "" && !slices.Contains(groupByOrders, q.OrderBy) {
		return nil, invalid(http.MethodPost, path, fmt.Errorf("order must be one of %s, not %q", strings.Join(groupByOrders, ", "), truncateForMessage(q.OrderBy)))
	}
	if q.Limit < 0 || q.Limit > MaxGroupByLimit {
		return nil, invalid(http.MethodPost, path, fmt.Errorf("limit must be between 1 and %d (0 for the default of 100), not %d", MaxGroupByLimit, q.Limit))
	}
	wq.OrderGroupsBy, wq.Limit = q.OrderBy, q.Limit

	var wire wireGroups
	err = c.do(ctx, a.Key, &request{
		method: http.MethodPost, path: path, project: a.ProjectID, body: wireBody{Query: wq},
		replay: replaySafe, heavy: true, newEndpoint: true,
		decode: func(body []byte) error { return decodeObject(body, &wire) },
	})
	if err != nil {
		return nil, err
	}
	out := &GroupByResult{Groups: make([]Group, len(wire.Groups)), TotalGroups: len(wire.Groups),
		TotalLogs: int64(wire.TotalLogs), Truncated: wire.Truncated}
	if wire.TotalGroups != nil {
		out.TotalGroups = int(*wire.TotalGroups)
	}
	for i, w := range wire.Groups {
		g := Group{LogCount: int64(w.LogCount), ErrorCount: int64(w.ErrorCount), LastSeen: w.LastSeen.Time}
		if len(w.Values) > 0 {
			g.Values = make([]string, len(w.Values))
			for j, v := range w.Values {
				g.Values[j] = rawText(v)
			}
		} else if len(w.Value) > 0 {
			g.Values = []string{rawText(w.Value)} // an older single-dimension answer
		}
		out.Groups[i] = g
	}
	return out, nil
}

// normalizeGroupBys applies the server's own rules (so nothing it would refuse is sent) and
// spells the default source out.
func normalizeGroupBys(in []GroupBy) ([]wireGroupBy, error) {
	if len(in) == 0 || len(in) > MaxGroupBys {
		return nil, fmt.Errorf("group by between 1 and %d dimensions, not %d", MaxGroupBys, len(in))
	}
	out := make([]wireGroupBy, 0, len(in))
	for i, g := range in {
		w := wireGroupBy{Key: g.Key, Source: g.Source}
		if w.Source == "" {
			w.Source = GroupByLog
		}
		switch {
		case strings.TrimSpace(w.Key) == "":
			return nil, fmt.Errorf("groupBys[%d]: the key is empty", i)
		case len(w.Key) > 400:
			return nil, fmt.Errorf("groupBys[%d]: the key is longer than 400 bytes", i)
		case w.Source != GroupByLog && w.Source != GroupByResource && w.Source != GroupByColumn:
			return nil, fmt.Errorf("groupBys[%d]: source must be %q, %q or %q, not %q", i, GroupByLog, GroupByResource, GroupByColumn, truncateForMessage(w.Source))
		case w.Source == GroupByColumn && !slices.Contains(groupByColumns, w.Key):
			return nil, fmt.Errorf("groupBys[%d]: a %q dimension's key must be one of %s", i, GroupByColumn, strings.Join(groupByColumns, ", "))
		case slices.Contains(out, w):
			return nil, fmt.Errorf("groupBys[%d]: %s %q is listed twice", i, w.Source, truncateForMessage(w.Key))
		}
		out = append(out, w)
	}
	return out, nil
}
