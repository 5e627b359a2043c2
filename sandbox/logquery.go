package sandbox

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"
)

// queryInput is the "query" object the POST logs endpoints take. Fields
// are pointers or raw so that wrong JSON types fail decoding, which
// PostHog answers with an opaque 500 (schema validation).
type queryInput struct {
	DateRange            json.RawMessage `json:"dateRange"`
	SeverityLevels       []string        `json:"severityLevels"`
	ServiceNames         []string        `json:"serviceNames"`
	SearchTerm           *string         `json:"searchTerm"`
	FilterGroup          json.RawMessage `json:"filterGroup"`
	OrderBy              *string         `json:"orderBy"`
	Limit                *int            `json:"limit"`
	After                *string         `json:"after"`
	ExcludeAttributes    *bool           `json:"excludeAttributes"`
	LiveLogsCheckpoint   *string         `json:"liveLogsCheckpoint"`
	SparklineBreakdownBy *string         `json:"sparklineBreakdownBy"`
	ServiceNameSearch    *string         `json:"serviceNameSearch"`
}

// readQuery decodes {"query": {...}} and returns the query both typed and
// as raw fields (logs/query echoes it back).
func readQuery(rq *logsRequest) (queryInput, map[string]json.RawMessage, *apiError) {
	var in queryInput
	var envelope map[string]json.RawMessage
	if len(strings.TrimSpace(string(rq.body))) > 0 {
		if err := json.Unmarshal(rq.body, &envelope); err != nil {
			return in, nil, errParse(err.Error())
		}
	}
	raw, ok := envelope["query"]
	if !ok || isNull(raw) {
		return in, nil, errPlain(400, "No query provided")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return in, nil, errServer()
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, nil, errServer()
	}
	return in, fields, nil
}

// logFilter selects rows: a time window plus every other condition.
type logFilter struct {
	window
	severities uint8 // bit per severity; 0 means all
	services   []string
	search     string // lowercased; "" means none
	props      []propFilter
	// ingestedBy hides lines observed after it (not ingested yet at the
	// request's "now"); observedFrom keeps lines observed at or after it
	// (live tail's checkpoint). Unix microseconds; zero means no bound.
	ingestedBy, observedFrom int64
}

// buildFilter validates the shared query fields. dateRequired is true for
// logs/query and logs/services; allowFlat is true for the POST endpoints,
// which accept a flat filterGroup list.
func buildFilter(in queryInput, now time.Time, dateRequired, allowFlat bool) (logFilter, *apiError) {
	win, err := parseDateRange(in.DateRange, now, dateRequired)
	if err != nil {
		return logFilter{}, err
	}
	f := logFilter{window: win, services: in.ServiceNames, ingestedBy: now.UnixMicro()}
	for _, name := range in.SeverityLevels {
		sev, ok := parseSeverity(name)
		if !ok {
			return logFilter{}, errServer()
		}
		f.severities |= 1 << sev
	}
	if in.SearchTerm != nil {
		f.search = strings.ToLower(*in.SearchTerm)
	}
	if f.props, err = parseFilterGroup(in.FilterGroup, allowFlat, now); err != nil {
		return logFilter{}, err
	}
	return f, nil
}

// match tests everything but the window, which span applies.
func (f *logFilter) match(r *logRow) bool {
	if f.severities != 0 && f.severities&(1<<r.sev) == 0 {
		return false
	}
	if f.ingestedBy != 0 || f.observedFrom != 0 {
		observed := r.observed()
		if (f.ingestedBy != 0 && observed > f.ingestedBy) || observed < f.observedFrom {
			return false
		}
	}
	if len(f.services) > 0 && !slices.Contains(f.services, r.res.service) {
		return false
	}
	if f.search != "" && !strings.Contains(r.bodyLower, f.search) {
		return false
	}
	for i := range f.props {
		if !f.props[i].match(r) {
			return false
		}
	}
	return true
}

// observeSince applies live tail's checkpoint: only lines observed at or
// after it. A line is observed at most maxIngestDelay after its timestamp,
// so older rows need not be looked at.
func (f *logFilter) observeSince(checkpoint time.Time) {
	f.observedFrom = checkpoint.UnixMicro()
	f.from = max(f.from, f.observedFrom-maxIngestDelay.Microseconds())
}

// span returns the rows inside the window: they are sorted by time, so
// this is two binary searches.
func (f *logFilter) span(rows []logRow) []logRow {
	lo := sort.Search(len(rows), func(i int) bool { return rows[i].micros >= f.from })
	hi := sort.Search(len(rows), func(i int) bool { return rows[i].micros > f.to })
	if lo >= hi {
		return nil
	}
	return rows[lo:hi]
}

// each calls fn for every matching row in ascending order.
func (f *logFilter) each(rows []logRow, fn func(r *logRow)) {
	span := f.span(rows)
	for i := range span {
		if f.match(&span[i]) {
			fn(&span[i])
		}
	}
}
