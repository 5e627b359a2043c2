package sandbox

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const (
	maxGroupByDims      = 4
	defaultGroupLimit   = 100
	maxGroupLimit       = 500
	groupValueSeparator = "\x00"
)

// groupDim is one group-by dimension.
type groupDim struct {
	key    string
	source string // log, resource or column
}

// value returns the line's value of the dimension, and whether it has one.
func (d groupDim) value(r *logRow) (string, bool) {
	switch d.source {
	case "resource":
		if d.key == "service.name" {
			return r.res.service, r.res.service != ""
		}
		return r.res.lookup(d.key)
	case "column":
		switch d.key {
		case "severity_level":
			return severityNames[r.sev], true
		case "trace_id":
			return hex.EncodeToString(r.traceID[:]), r.hasTrace()
		default: // span_id
			return hex.EncodeToString(r.spanID[:]), r.hasSpan()
		}
	}
	return r.attr(d.key)
}

type groupJSON struct {
	Value    string   `json:"value"`
	Values   []string `json:"values"`
	LogCount int      `json:"log_count"`
	ErrorCnt int      `json:"error_count"`
	LastSeen string   `json:"last_seen"`
	last     int64
}

type groupByResponse struct {
	Groups      []groupJSON `json:"groups"`
	TotalGroups int         `json:"total_groups"`
	TotalLogs   int         `json:"total_logs"`
	Truncated   bool        `json:"truncated"`
}

// handleGroupBy serves POST logs/group-by/: exact counts of the window's
// lines per combination of up to four dimensions. Its 400s use the
// {"error": ...} shape.
func (s *Sandbox) handleGroupBy(rq *logsRequest) {
	envelope, err := readEnvelope(rq.body)
	if err != nil {
		rq.fail(err)
		return
	}
	fields := map[string]json.RawMessage{}
	if raw := envelope["query"]; !isNull(raw) {
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
			rq.fail(errServer())
			return
		}
	}
	dims, order, limit, msg := parseGroupBy(fields)
	if msg != "" {
		rq.fail(errPlain(http.StatusBadRequest, msg))
		return
	}
	delete(fields, "groupBys")
	delete(fields, "orderGroupsBy")
	delete(fields, "limit")
	in, err := decodeQueryFields(fields)
	if err != nil {
		rq.fail(err)
		return
	}
	filter, err := buildFilter(in, rq.now, false, true)
	if err != nil {
		rq.fail(err)
		return
	}

	groups := map[string]*groupJSON{}
	total := 0
	values := make([]string, len(dims))
	var key strings.Builder
	for _, r := range inWindow(rq.rows, &filter) {
		complete := true
		for i, d := range dims {
			v, ok := d.value(r)
			if !ok {
				complete = false
				break
			}
			values[i] = v
		}
		if !complete {
			continue
		}
		total++
		key.Reset()
		for _, v := range values {
			key.WriteString(v)
			key.WriteString(groupValueSeparator)
		}
		g := groups[key.String()]
		if g == nil {
			g = &groupJSON{Value: values[0], Values: slices.Clone(values)}
			groups[key.String()] = g
		}
		g.LogCount++
		if r.sev >= sevError {
			g.ErrorCnt++
		}
		g.last = max(g.last, r.micros)
	}

	all := make([]*groupJSON, 0, len(groups))
	for _, g := range groups {
		all = append(all, g)
	}
	slices.SortFunc(all, func(a, b *groupJSON) int {
		var c int
		switch order {
		case "error_count":
			c = cmp.Compare(b.ErrorCnt, a.ErrorCnt)
		case "last_seen":
			c = cmp.Compare(b.last, a.last)
		}
		return cmp.Or(c, cmp.Compare(b.LogCount, a.LogCount), slices.Compare(a.Values, b.Values))
	})
	out := groupByResponse{Groups: make([]groupJSON, 0, min(limit, len(all))), TotalGroups: len(all), TotalLogs: total, Truncated: len(all) > limit}
	for _, g := range all[:min(limit, len(all))] {
		g.LastSeen = isoformat(g.last)
		out.Groups = append(out.Groups, *g)
	}
	writeJSON(rq.w, http.StatusOK, out)
}

var (
	groupSources = []string{"log", "resource", "column"}
	groupColumns = []string{"severity_level", "trace_id", "span_id"}
	groupOrders  = []string{"log_count", "error_count", "last_seen"}
)

// pyTuple renders a list the way Python prints a tuple of strings.
func pyTuple(items []string) string {
	return "('" + strings.Join(items, "', '") + "')"
}

// parseGroupBy validates groupBys, orderGroupsBy and limit with PostHog's
// messages; msg is empty when they are valid.
func parseGroupBy(fields map[string]json.RawMessage) (dims []groupDim, order string, limit int, msg string) {
	raw := fields["groupBys"]
	if isNull(raw) {
		return nil, "", 0, "every group-by dimension requires a key"
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || len(items) < 1 || len(items) > maxGroupByDims {
		return nil, "", 0, "group_bys must contain between 1 and 4 dimensions"
	}
	seen := map[groupDim]bool{}
	for _, item := range items {
		d, msg := parseGroupDim(item)
		if msg != "" {
			return nil, "", 0, msg
		}
		if seen[d] {
			return nil, "", 0, "group_bys must not contain duplicate dimensions"
		}
		seen[d] = true
		dims = append(dims, d)
	}
	order = "log_count"
	if v := fields["orderGroupsBy"]; !isNull(v) {
		if err := json.Unmarshal(v, &order); err != nil || !slices.Contains(groupOrders, order) {
			return nil, "", 0, "order_groups_by must be one of " + pyTuple(groupOrders)
		}
	}
	limit = defaultGroupLimit
	if v := fields["limit"]; !isNull(v) {
		n, ok := groupLimit(v)
		if !ok {
			return nil, "", 0, "limit must be an integer"
		}
		limit = min(max(n, 1), maxGroupLimit)
	}
	return dims, order, limit, ""
}

func groupLimit(raw json.RawMessage) (int, bool) {
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		n = json.Number(strings.TrimSpace(s))
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, false
	}
	return int(max(min(i, 1<<31), -1<<31)), true
}

// parseGroupDim reads one dimension. A malformed element is reported as
// DRF's serializer errors printed by Python.
func parseGroupDim(raw json.RawMessage) (groupDim, string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return groupDim{}, fmt.Sprintf("{'non_field_errors': ['Invalid data. Expected a dictionary, but got %s.']}", pyTypeName(raw))
	}
	keyRaw, ok := obj["key"]
	if !ok {
		return groupDim{}, "{'key': ['This field is required.']}"
	}
	if isNull(keyRaw) {
		return groupDim{}, "{'key': ['This field may not be null.']}"
	}
	key, ok := drfString(keyRaw)
	if !ok {
		return groupDim{}, "{'key': ['Not a valid string.']}"
	}
	d := groupDim{key: strings.TrimSpace(key), source: "log"}
	if v, ok := obj["source"]; ok && !isNull(v) {
		source, ok := drfString(v)
		if !ok || !slices.Contains(groupSources, source) {
			return groupDim{}, "group-by dimension source must be one of " + pyTuple(groupSources)
		}
		d.source = source
	}
	if d.key == "" {
		return groupDim{}, "every group-by dimension requires a key"
	}
	if d.source == "column" && !slices.Contains(groupColumns, d.key) {
		return groupDim{}, "a 'column' dimension's key must be one of " + pyTuple(groupColumns)
	}
	return d, ""
}

// drfString is DRF's CharField: strings, and numbers as their text.
func drfString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	switch {
	case raw[0] == '"':
		var s string
		return s, json.Unmarshal(raw, &s) == nil
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		return string(raw), true
	}
	return "", false
}

// pyTypeName is the Python type name of a JSON value, for DRF's messages.
func pyTypeName(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "NoneType"
	case raw[0] == '"':
		return "str"
	case raw[0] == '[':
		return "list"
	case string(raw) == "true" || string(raw) == "false":
		return "bool"
	case bytes.ContainsAny(raw, ".eE"):
		return "float"
	}
	return "int"
}
