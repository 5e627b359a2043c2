package sandbox

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const maxAttributeLimit = 100

// queryFilter reads the JSON-encoded dateRange, serviceNames,
// severityLevels and filterGroup query parameters of the GET endpoints.
func queryFilter(rq *logsRequest, q url.Values) (logFilter, *apiError) {
	var in queryInput
	if v := q.Get("dateRange"); v != "" {
		in.DateRange = json.RawMessage(v)
	}
	for _, p := range []struct {
		name string
		dst  *[]string
	}{{"serviceNames", &in.ServiceNames}, {"severityLevels", &in.SeverityLevels}} {
		if v := q.Get(p.name); v != "" {
			if err := json.Unmarshal([]byte(v), p.dst); err != nil {
				return logFilter{}, errValidation("invalid", "Expected a JSON-encoded list of strings.", p.name)
			}
		}
	}
	if v := q.Get("filterGroup"); v != "" {
		in.FilterGroup = json.RawMessage(v)
	}
	return buildFilter(in, rq.now, false, false)
}

// attributeScope reads attribute_type: "log" (the default) or "resource".
func attributeScope(q url.Values) (resource bool, err *apiError) {
	switch v := q.Get("attribute_type"); v {
	case "", "log":
		return false, nil
	case "resource":
		return true, nil
	default:
		return false, errValidation("invalid_choice", strconv.Quote(v)+" is not a valid choice.", "attribute_type")
	}
}

// paging reads limit (default and cap maxAttributeLimit) and offset.
func paging(q url.Values) (limit, offset int, err *apiError) {
	limit = maxAttributeLimit
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &limit}, {"offset", &offset}} {
		if v := q.Get(p.name); v != "" {
			n, convErr := strconv.Atoi(v)
			if convErr != nil {
				return 0, 0, errValidation("invalid", "A valid integer is required.", p.name)
			}
			*p.dst = n
		}
	}
	return min(max(limit, 1), maxAttributeLimit), max(offset, 0), nil
}

type keyCount struct {
	name  string
	count int
}

// ranked sorts by count descending, then name, and applies the page.
func ranked(counts map[string]int, keep func(string) bool, limit, offset int) (page []keyCount, total int) {
	all := make([]keyCount, 0, len(counts))
	for name, n := range counts {
		if keep(name) {
			all = append(all, keyCount{name, n})
		}
	}
	slices.SortFunc(all, func(a, b keyCount) int {
		return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.name, b.name))
	})
	if offset >= len(all) {
		return nil, len(all)
	}
	return all[offset:min(len(all), offset+limit)], len(all)
}

// handleAttributes serves GET logs/attributes/.
func (s *Sandbox) handleAttributes(rq *logsRequest) {
	q := rq.URL.Query()
	resourceScope, limit, offset, filter, err := getParams(rq, q)
	if err != nil {
		rq.fail(err)
		return
	}
	counts := map[string]int{}
	if resourceScope {
		perResource := map[*resource]int{}
		filter.each(rq.rows, func(r *logRow) { perResource[r.res]++ })
		for res, n := range perResource {
			for _, a := range res.attrs {
				counts[a.key] += n
			}
		}
	} else {
		filter.each(rq.rows, func(r *logRow) {
			for _, a := range r.attrs {
				counts[a.key]++
			}
		})
	}
	search := strings.ToLower(q.Get("search"))
	page, total := ranked(counts, func(name string) bool {
		return strings.Contains(strings.ToLower(name), search)
	}, limit, offset)

	propertyType := "log_attribute"
	if resourceScope {
		propertyType = "log_resource_attribute"
	}
	type result struct {
		Name               string `json:"name"`
		PropertyFilterType string `json:"propertyFilterType"`
	}
	results := make([]result, 0, len(page))
	for _, kc := range page {
		results = append(results, result{Name: kc.name, PropertyFilterType: propertyType})
	}
	writeJSON(rq.w, http.StatusOK, map[string]any{"results": results, "count": total})
}

// handleValues serves GET logs/values/.
func (s *Sandbox) handleValues(rq *logsRequest) {
	q := rq.URL.Query()
	key := q.Get("key")
	if key == "" {
		// PostHog answers this one with a bare JSON string.
		writeJSON(rq.w, http.StatusBadRequest, "key is required")
		return
	}
	resourceScope, limit, offset, filter, err := getParams(rq, q)
	if err != nil {
		rq.fail(err)
		return
	}
	counts := map[string]int{}
	filter.each(rq.rows, func(r *logRow) {
		var v string
		var ok bool
		if resourceScope {
			v, ok = r.res.lookup(key)
		} else {
			v, ok = r.attr(key)
		}
		if ok {
			counts[v]++
		}
	})
	search := strings.ToLower(q.Get("value"))
	page, _ := ranked(counts, func(v string) bool {
		return strings.Contains(strings.ToLower(v), search)
	}, limit, offset)

	type result struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	results := make([]result, 0, len(page))
	for _, kc := range page {
		results = append(results, result{ID: kc.name, Name: kc.name, Count: kc.count})
	}
	writeJSON(rq.w, http.StatusOK, map[string]any{"results": results, "refreshing": false})
}

// getParams reads what attributes/ and values/ share: the attribute
// scope, paging, and the JSON-encoded window and filters.
func getParams(rq *logsRequest, q url.Values) (resourceScope bool, limit, offset int, filter logFilter, err *apiError) {
	if resourceScope, err = attributeScope(q); err != nil {
		return
	}
	if limit, offset, err = paging(q); err != nil {
		return
	}
	filter, err = queryFilter(rq, q)
	return
}
