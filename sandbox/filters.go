package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type filterType uint8

const (
	filterLog filterType = iota
	filterLogAttribute
	filterResourceAttribute
)

type operator uint8

const (
	opExact operator = iota
	opIsNot
	opIContains
	opNotIContains
	opStartsWith
	opNotStartsWith
	opEndsWith
	opNotEndsWith
	opRegex
	opNotRegex
	opGT
	opLT
	opIsDateExact
	opIsDateBefore
	opIsDateAfter
	opIsSet
	opIsNotSet
)

var operatorNames = map[string]operator{
	"exact": opExact, "is_not": opIsNot,
	"icontains": opIContains, "not_icontains": opNotIContains,
	"starts_with": opStartsWith, "not_starts_with": opNotStartsWith,
	"ends_with": opEndsWith, "not_ends_with": opNotEndsWith,
	"regex": opRegex, "not_regex": opNotRegex,
	"gt": opGT, "lt": opLT,
	"is_date_exact": opIsDateExact, "is_date_before": opIsDateBefore, "is_date_after": opIsDateAfter,
	"is_set": opIsSet, "is_not_set": opIsNotSet,
}

var filterTypes = map[string]filterType{
	"log": filterLog, "log_attribute": filterLogAttribute, "log_resource_attribute": filterResourceAttribute,
}

// propFilter is one parsed property filter, ready to match rows.
type propFilter struct {
	typ    filterType
	key    string
	op     operator
	values []string // the value(s) as strings; several means "any of"
	lower  []string // values lowercased, for the case-insensitive operators
	nums   []float64
	isNum  []bool
	re     *regexp.Regexp
	date   time.Time
	day    bool    // the date value had no time part: compare whole days
	masker *masker // pattern filters: reused across rows of one request
}

type rawFilter struct {
	Key      *string         `json:"key"`
	Type     *string         `json:"type"`
	Operator *string         `json:"operator"`
	Value    json.RawMessage `json:"value"`
}

// parseFilterGroup reads a filterGroup. The nested form is
// {"type":"AND","values":[{"type":"AND","values":[filter, ...]}]}; groups
// may nest at any depth and every filter is ANDed (PostHog does not honour
// OR). A flat list of filters is accepted only when allowFlat (the POST
// endpoints); the GET endpoints drop it silently, as PostHog does.
func parseFilterGroup(raw json.RawMessage, allowFlat bool, now time.Time) ([]propFilter, *apiError) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil
	}
	if raw[0] == '[' && !allowFlat {
		return nil, nil
	}
	var filters []propFilter
	if err := collectFilters(raw, now, &filters, 0); err != nil {
		return nil, err
	}
	return filters, nil
}

func collectFilters(raw json.RawMessage, now time.Time, out *[]propFilter, depth int) *apiError {
	if depth > 8 {
		return errServer()
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return errServer()
		}
		for _, item := range items {
			if err := collectFilters(item, now, out, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	var node map[string]json.RawMessage
	if err := json.Unmarshal(raw, &node); err != nil || node == nil {
		return errServer()
	}
	if values, isGroup := node["values"]; isGroup {
		var groupType string
		if err := json.Unmarshal(node["type"], &groupType); err != nil || (groupType != "AND" && groupType != "OR") {
			return errServer()
		}
		if isNull(values) {
			return nil
		}
		return collectFilters(values, now, out, depth+1)
	}
	f, err := parseFilter(raw, now)
	if err != nil {
		return err
	}
	*out = append(*out, f)
	return nil
}

func parseFilter(raw json.RawMessage, now time.Time) (propFilter, *apiError) {
	var rf rawFilter
	if err := json.Unmarshal(raw, &rf); err != nil || rf.Key == nil || rf.Type == nil {
		return propFilter{}, errServer()
	}
	typ, ok := filterTypes[*rf.Type]
	if !ok {
		return propFilter{}, errServer()
	}
	op := opExact
	if rf.Operator != nil {
		if op, ok = operatorNames[*rf.Operator]; !ok {
			return propFilter{}, errServer()
		}
	}
	f := propFilter{typ: typ, key: *rf.Key, op: op}
	if typ == filterLog && !isLogField(f.key) {
		return propFilter{}, errValidation("invalid_input", "Unable to resolve field: "+f.key, "")
	}
	values, ok := filterValues(rf.Value)
	if !ok {
		return propFilter{}, errServer()
	}
	if typ == filterLog {
		if err := checkLogColumn(&f, values); err != nil {
			return propFilter{}, err
		}
	}
	f.values = values
	for _, v := range values {
		f.lower = append(f.lower, strings.ToLower(v))
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		f.nums = append(f.nums, n)
		f.isNum = append(f.isNum, err == nil)
	}
	switch op {
	case opRegex, opNotRegex:
		re, err := regexp.Compile(first(values))
		if err != nil {
			return propFilter{}, errValidation("invalid_input", "Invalid regular expression: "+err.Error(), "")
		}
		f.re = re
	case opIsDateExact, opIsDateBefore, opIsDateAfter:
		v := first(values)
		t, err := parseDate(v, now, false)
		if err != nil {
			return propFilter{}, errValidation("invalid_input", "Invalid date value: "+v, "")
		}
		f.date, f.day = t, len(v) == len("2006-01-02")
	}
	return f, nil
}

func isLogField(key string) bool {
	switch key {
	case "message", "severity_level", "trace_id", "span_id", "pattern", "pattern_version":
		return true
	}
	return false
}

// checkLogColumn validates a filter on a log column (type "log") and
// normalises its values: ids to lower-case hex (base64 accepted, as
// PostHog does), pattern_version to an integer. severity_level takes only
// exact and is_not; anything else fails PostHog's schema, an opaque 500.
func checkLogColumn(f *propFilter, values []string) *apiError {
	switch f.key {
	case "severity_level":
		if f.op != opExact && f.op != opIsNot {
			return errServer()
		}
	case "trace_id", "span_id":
		size := 16
		if f.key == "span_id" {
			size = 8
		}
		for i, v := range values {
			values[i] = normaliseID(v, size)
		}
	case "pattern_version":
		for _, v := range values {
			if _, err := strconv.Atoi(strings.TrimSpace(v)); err != nil {
				return errServer()
			}
		}
	}
	return nil
}

// normaliseID turns a trace or span id into lower-case hex: hex (dashes
// allowed) as is, otherwise base64 of the raw bytes when it decodes to the
// id's size.
func normaliseID(v string, size int) string {
	compact := strings.ToLower(strings.ReplaceAll(v, "-", ""))
	if _, err := hex.DecodeString(compact); err == nil && len(compact) == 2*size {
		return compact
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(v); err == nil && len(raw) == size {
			return hex.EncodeToString(raw)
		}
	}
	return compact
}

// filterValues turns a filter's value (string, number, bool, array of
// those, or null) into strings.
func filterValues(raw json.RawMessage) ([]string, bool) {
	if isNull(raw) {
		return nil, true
	}
	var items []json.RawMessage
	if bytes.TrimSpace(raw)[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, false
		}
	} else {
		items = []json.RawMessage{raw}
	}
	values := make([]string, 0, len(items))
	for _, item := range items {
		item = bytes.TrimSpace(item)
		switch {
		case isNull(item):
			continue
		case item[0] == '"':
			var s string
			if err := json.Unmarshal(item, &s); err != nil {
				return nil, false
			}
			values = append(values, s)
		case item[0] == '{' || item[0] == '[':
			return nil, false
		default: // a number or a boolean, kept as written
			values = append(values, string(item))
		}
	}
	return values, true
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// lookup returns the filtered field of r and whether it is set. Missing
// attributes read as "" like ClickHouse map access, so negative operators
// match rows without the key.
func (f *propFilter) lookup(r *logRow) (string, bool) {
	switch f.typ {
	case filterLogAttribute:
		return r.attr(f.key)
	case filterResourceAttribute:
		return r.res.lookup(f.key)
	}
	switch f.key {
	case "message":
		return r.body, r.body != ""
	case "severity_level":
		return severityNames[r.sev], true
	case "trace_id":
		return hex.EncodeToString(r.traceID[:]), r.hasTrace()
	case "span_id":
		return hex.EncodeToString(r.spanID[:]), r.hasSpan()
	case "pattern":
		// The sandbox stores no patterns: a line's pattern is the template
		// the patterns endpoint mines from its body.
		if f.masker == nil {
			f.masker = &masker{}
		}
		f.masker.run(r.body)
		return string(f.masker.tmpl), true
	default: // pattern_version: never stamped here, ClickHouse's default 0
		return "0", false
	}
}

func (f *propFilter) match(r *logRow) bool {
	value, present := f.lookup(r)
	switch f.op {
	case opIsSet:
		return present
	case opIsNotSet:
		return !present
	case opExact:
		return f.anyEqual(value)
	case opIsNot:
		return !f.anyEqual(value)
	case opRegex:
		return f.re.MatchString(value)
	case opNotRegex:
		return !f.re.MatchString(value)
	case opGT, opLT:
		return present && f.compare(value)
	case opIsDateExact, opIsDateBefore, opIsDateAfter:
		return present && f.compareDate(value)
	}
	lower := r.bodyLower
	if f.typ != filterLog || f.key != "message" {
		lower = strings.ToLower(value)
	}
	switch f.op {
	case opIContains:
		return f.anyLower(lower, strings.Contains)
	case opNotIContains:
		return !f.anyLower(lower, strings.Contains)
	case opStartsWith:
		return f.anyLower(lower, strings.HasPrefix)
	case opNotStartsWith:
		return !f.anyLower(lower, strings.HasPrefix)
	case opEndsWith:
		return f.anyLower(lower, strings.HasSuffix)
	case opNotEndsWith:
		return !f.anyLower(lower, strings.HasSuffix)
	}
	return false
}

// anyEqual compares numerically when both sides look like numbers.
func (f *propFilter) anyEqual(value string) bool {
	var n float64
	numeric := false
	for i, v := range f.values {
		if v == value {
			return true
		}
		if f.isNum[i] {
			if !numeric {
				var err error
				n, err = strconv.ParseFloat(strings.TrimSpace(value), 64)
				if err != nil {
					continue
				}
				numeric = true
			}
			if n == f.nums[i] {
				return true
			}
		}
	}
	return false
}

func (f *propFilter) anyLower(lower string, test func(s, part string) bool) bool {
	for _, v := range f.lower {
		if test(lower, v) {
			return true
		}
	}
	return false
}

// compare implements gt/lt: numerically when both sides are numbers,
// otherwise as strings.
func (f *propFilter) compare(value string) bool {
	if len(f.values) == 0 {
		return false
	}
	if f.isNum[0] {
		n, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return false
		}
		if f.op == opGT {
			return n > f.nums[0]
		}
		return n < f.nums[0]
	}
	if f.op == opGT {
		return value > f.values[0]
	}
	return value < f.values[0]
}

func (f *propFilter) compareDate(value string) bool {
	t, err := parseDate(value, time.Time{}, false)
	if err != nil {
		return false
	}
	switch f.op {
	case opIsDateBefore:
		return t.Before(f.date)
	case opIsDateAfter:
		return t.After(f.date)
	}
	if f.day {
		return t.Format(time.DateOnly) == f.date.Format(time.DateOnly)
	}
	return t.Equal(f.date)
}
