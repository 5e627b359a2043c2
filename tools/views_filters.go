package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// A saved view stores PostHog's filters object; agents read and write it
// in our vocabulary. These translations keep get → update lossless.

// viewQuery is a view's filters in our vocabulary: the same shape that
// create/update and query_logs take, so get → update round-trips.
type viewQuery struct {
	DateFrom string      `json:"date_from,omitempty"`
	DateTo   string      `json:"date_to,omitempty"`
	Severity []string    `json:"severity,omitempty"`
	Services []string    `json:"services,omitempty"`
	Search   string      `json:"search,omitempty"`
	Filters  []filterArg `json:"filters,omitempty"`
}

// args is the view's filters as call arguments, added to base (which may
// be nil).
func (q viewQuery) args(base map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	b, _ := json.Marshal(q)
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers stay numbers, exactly
	_ = dec.Decode(&fields)
	for k, v := range fields {
		out[k] = v
	}
	return out
}

// fromPostHog translates a stored filters object to our vocabulary.
func fromPostHog(f client.ViewFilters) (viewQuery, error) {
	q := viewQuery{Severity: f.SeverityLevels, Services: f.ServiceNames, Search: f.SearchTerm}
	if f.DateRange != nil {
		q.DateFrom = timerange.FromPostHog(f.DateRange.DateFrom)
		q.DateTo = timerange.FromPostHog(f.DateRange.DateTo)
	}
	if len(f.FilterGroup) > 0 {
		props, err := client.DecodeFilterGroup(f.FilterGroup)
		if err != nil {
			return q, err
		}
		for _, p := range props {
			fa := filterArg{Key: p.Key, Value: p.Value, Operator: p.Operator}
			if n, ok := p.Value.(json.Number); ok {
				// Numbers stay numbers, so gt/lt compare numerically.
				f, err := n.Float64()
				if err != nil {
					return q, fmt.Errorf("filter %s: bad number %s", p.Key, n)
				}
				fa.Value = f
			}
			if fa.Operator == "exact" {
				fa.Operator = ""
			}
			switch p.Type {
			case "log_resource_attribute":
				fa.Scope = "resource"
			case "log_attribute":
				fa.Scope = "log"
			case "log":
				if !slices.Contains(builtinLogKeys, p.Key) {
					fa.Scope = "column" // pattern, pattern_version: columns only with the scope
				}
			}
			q.Filters = append(q.Filters, fa)
		}
	}
	return q, nil
}

// toPostHog translates our vocabulary to PostHog's stored filters object.
func toPostHog(q viewQuery) (client.ViewFilters, error) {
	var f client.ViewFilters
	if q.DateFrom != "" || q.DateTo != "" {
		from, err := timerange.ToPostHog(q.DateFrom)
		if err != nil {
			return f, fmt.Errorf("date_from: %v", err)
		}
		to, err := timerange.ToPostHog(q.DateTo)
		if err != nil {
			return f, fmt.Errorf("date_to: %v", err)
		}
		f.DateRange = &client.DateRange{DateFrom: from, DateTo: to}
	}
	sev, err := severities(q.Severity)
	if err != nil {
		return f, err
	}
	f.SeverityLevels = sev
	f.ServiceNames = q.Services
	f.SearchTerm = q.Search
	if len(q.Filters) > 0 {
		props, err := properties(q.Filters)
		if err != nil {
			return f, err
		}
		raw, err := client.EncodeFilterGroup(props)
		if err != nil {
			return f, err
		}
		f.FilterGroup = raw
	}
	return f, nil
}

// summarise prints a view's filters on one line.
func (e *env) summarise(f client.ViewFilters) string {
	q, err := fromPostHog(f)
	if err != nil {
		return "(filters not readable)"
	}
	var parts []string
	if len(q.Severity) > 0 {
		parts = append(parts, "severity="+strings.Join(q.Severity, ","))
	}
	if len(q.Services) > 0 {
		parts = append(parts, "services="+strings.Join(q.Services, ","))
	}
	if q.Search != "" {
		parts = append(parts, "search="+quoteIfNeeded(q.Search))
	}
	for _, fa := range q.Filters {
		op := "="
		if fa.Operator != "" {
			op = " " + fa.Operator + " "
		}
		val := ""
		if fa.Value != nil {
			val = fmt.Sprint(fa.Value)
		}
		parts = append(parts, strings.TrimSpace(fa.Key+op+val))
	}
	if q.DateFrom != "" {
		parts = append(parts, q.DateFrom)
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return e.clean.String(strings.Join(parts, " "))
}
