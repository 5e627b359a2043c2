package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Filters are shared by QueryLogs, Services, Sparkline and Count.
type Filters struct {
	From, To   time.Time // sent as absolute ISO 8601 UTC in dateRange; zero From → one hour before To; zero To → now
	Severities []string  // trace debug info warn error fatal
	Services   []string
	Search     string
	Properties []PropertyFilter // encoded as the nested filterGroup
}

// PropertyFilter is one condition on a log field, attribute or resource attribute.
type PropertyFilter struct {
	Key      string `json:"key"`
	Type     string `json:"type"`     // "log" | "log_attribute" | "log_resource_attribute"
	Operator string `json:"operator"` // one of Operators
	// Value is a string, a number (float64, int kinds, json.Number), []string, or nil for
	// is_set/is_not_set. DecodeFilterGroup yields numbers as json.Number.
	Value any `json:"value,omitempty"`
}

// Property filter types.
const (
	TypeLog                  = "log"
	TypeLogAttribute         = "log_attribute"
	TypeLogResourceAttribute = "log_resource_attribute"
)

// Operators lists every operator of the contract.
var Operators = []string{
	"exact", "is_not", "icontains", "not_icontains", "starts_with", "not_starts_with",
	"ends_with", "not_ends_with", "regex", "not_regex", "gt", "lt",
	"is_date_exact", "is_date_before", "is_date_after", "is_set", "is_not_set",
}

// Severities lists the severity levels PostHog stores, lowest first.
var Severities = []string{"trace", "debug", "info", "warn", "error", "fatal"}

// logFieldKeys are the built-in fields a filter of type "log" may address (contract, 16).
var logFieldKeys = []string{"message", "severity_level", "trace_id", "span_id", "pattern", "pattern_version"}

var severityAliases = map[string]string{"warning": "warn", "critical": "fatal"}

// NormalizeSeverity maps a severity case-insensitively to PostHog's spelling
// ("warning" → "warn", "critical" → "fatal"); the error lists the valid values.
func NormalizeSeverity(s string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if alias, ok := severityAliases[v]; ok {
		return alias, nil
	}
	if slices.Contains(Severities, v) {
		return v, nil
	}
	return "", fmt.Errorf("unknown severity %q: use one of %s", s, strings.Join(Severities, ", "))
}

// normalizeSeverities normalises and de-duplicates, keeping order.
func normalizeSeverities(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		v, err := NormalizeSeverity(s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// filterGroup is PostHog's PropertyGroupFilter; values hold filters or nested groups.
type filterGroup struct {
	Type   string `json:"type"`
	Values []any  `json:"values"`
}

// nestedGroup wraps filters in the nested form every endpoint honours:
// {"type":"AND","values":[{"type":"AND","values":[filter, ...]}]}.
func nestedGroup(props []PropertyFilter) *filterGroup {
	inner := make([]any, len(props))
	for i := range props {
		inner[i] = props[i]
	}
	return &filterGroup{Type: "AND", Values: []any{filterGroup{Type: "AND", Values: inner}}}
}

// EncodeFilterGroup validates props and encodes them in the nested filterGroup form
// (used JSON-encoded on the GET endpoints, which silently drop a flat list).
func EncodeFilterGroup(props []PropertyFilter) ([]byte, error) {
	normalized, err := normalizeProperties(props)
	if err != nil {
		return nil, err
	}
	return json.Marshal(nestedGroup(normalized))
}

// normalizeProperties validates every filter before anything is sent, returning copies
// with values in canonical form (severity values normalised, []any → []string).
func normalizeProperties(props []PropertyFilter) ([]PropertyFilter, error) {
	if len(props) == 0 {
		return nil, nil
	}
	out := make([]PropertyFilter, len(props))
	for i, p := range props {
		n, err := normalizeProperty(p)
		if err != nil {
			return nil, fmt.Errorf("filters[%d] (%q): %w", i, p.Key, err)
		}
		out[i] = n
	}
	return out, nil
}

func normalizeProperty(p PropertyFilter) (PropertyFilter, error) {
	if strings.TrimSpace(p.Key) == "" {
		return p, errors.New("the key is empty")
	}
	if len(p.Key) > 400 {
		return p, errors.New("the key is longer than 400 bytes")
	}
	if !utf8.ValidString(p.Key) {
		return p, errors.New("the key is not valid UTF-8")
	}
	switch p.Type {
	case TypeLog:
		if !slices.Contains(logFieldKeys, p.Key) {
			return p, fmt.Errorf("type %q addresses the built-in fields %s; use %q or %q for attributes",
				TypeLog, strings.Join(logFieldKeys, ", "), TypeLogAttribute, TypeLogResourceAttribute)
		}
	case TypeLogAttribute, TypeLogResourceAttribute:
	default:
		return p, fmt.Errorf("unknown type %q: use %q, %q or %q", p.Type, TypeLog, TypeLogAttribute, TypeLogResourceAttribute)
	}
	if !slices.Contains(Operators, p.Operator) {
		return p, fmt.Errorf("unknown operator %q: use one of %s", p.Operator, strings.Join(Operators, ", "))
	}
	if p.Operator == "is_set" || p.Operator == "is_not_set" {
		if p.Value != nil {
			return p, fmt.Errorf("operator %s takes no value", p.Operator)
		}
		return p, nil
	}
	if p.Value == nil {
		return p, fmt.Errorf("operator %s needs a value", p.Operator)
	}
	value, err := normalizeValue(p.Value)
	if err != nil {
		return p, err
	}
	p.Value = value
	if list, ok := value.([]string); ok {
		if p.Operator != "exact" && p.Operator != "is_not" {
			return p, fmt.Errorf("a list of values works only with exact (any of) or is_not (none of), not %s", p.Operator)
		}
		if len(list) == 0 {
			return p, errors.New("the list of values is empty")
		}
	}
	if p.Type == TypeLog && p.Key == "severity_level" {
		if p.Operator != "exact" && p.Operator != "is_not" {
			return p, fmt.Errorf("severity_level supports only exact and is_not, not %s", p.Operator)
		}
		if p.Value, err = normalizeSeverityValue(p.Value); err != nil {
			return p, err
		}
	}
	if p.Type == TypeLog {
		if p.Value, err = normalizeLogColumnValue(p.Key, p.Operator, p.Value); err != nil {
			return p, err
		}
	}
	if p.Operator == "regex" || p.Operator == "not_regex" {
		s, ok := p.Value.(string)
		if !ok {
			return p, fmt.Errorf("operator %s needs a string pattern", p.Operator)
		}
		if _, err := regexp.Compile(s); err != nil {
			return p, fmt.Errorf("invalid regular expression: %v", err)
		}
	}
	return p, nil
}

// normalizeLogColumnValue checks the value shapes of the built-in log columns (contract,
// section 16): text for message, ids for trace_id/span_id, template members for pattern
// and an integer for pattern_version (sent as a JSON integer).
func normalizeLogColumnValue(key, op string, v any) (any, error) {
	exactish := op == "exact" || op == "is_not"
	switch key {
	case "message":
		if _, ok := v.(string); !ok {
			if _, list := v.([]string); !list {
				return nil, fmt.Errorf("message compares the log body as text: give a string, not %s", describeValue(v))
			}
		}
	case "trace_id", "span_id":
		items, err := stringItems(key, v)
		if err != nil {
			return nil, err
		}
		if exactish {
			for _, id := range items {
				if !validLogID(id) {
					return nil, fmt.Errorf("%s %q is not a hex (or base64) id", key, truncateForMessage(id))
				}
			}
		}
	case "pattern":
		if !exactish {
			return nil, fmt.Errorf("pattern supports only exact and is_not (with a pattern's match_patterns), not %s", op)
		}
		if _, err := stringItems(key, v); err != nil {
			return nil, err
		}
	case "pattern_version":
		if !exactish {
			return nil, fmt.Errorf("pattern_version supports only exact and is_not, not %s", op)
		}
		n, ok := integerValue(v)
		if !ok {
			return nil, fmt.Errorf("pattern_version needs an integer, not %s", describeValue(v))
		}
		return n, nil
	}
	return v, nil
}

// stringItems returns a string value, or a list's items; numbers are refused.
func stringItems(key string, v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case []string:
		return x, nil
	}
	return nil, fmt.Errorf("%s needs a string or a list of strings, not %s", key, describeValue(v))
}

// validLogID accepts the id spellings PostHog matches: hex, or base64 (std or URL alphabet).
func validLogID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// integerValue accepts an integral number (any Go integer kind, float64, json.Number) or a
// string of one, as an int64.
func integerValue(v any) (int64, bool) {
	var f float64
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case float64:
		f = x
	case float32:
		f = float64(x)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	default:
		return 0, false
	}
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

func describeValue(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case []string:
		return "a list"
	case nil:
		return "nothing"
	}
	if _, ok := integerValue(v); ok {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// normalizeValue accepts the JSON-able value shapes of the contract: string, number, list of strings.
func normalizeValue(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return nil, errors.New("the value is not valid UTF-8")
		}
		return x, nil
	case json.Number:
		if !isJSONNumber(string(x)) {
			return nil, fmt.Errorf("%q is not a number", string(x))
		}
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("the value is not a finite number")
		}
		return x, nil
	case float32:
		return normalizeValue(float64(x))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x, nil
	case []string:
		for _, item := range x {
			if !utf8.ValidString(item) {
				return nil, errors.New("a value in the list is not valid UTF-8")
			}
		}
		return slices.Clone(x), nil
	case []any:
		out := make([]string, len(x))
		for i, item := range x {
			s, err := scalarString(item)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value type %T: use a string, a number or a list of strings", v)
}

// scalarString renders a list item as the string PostHog compares.
func scalarString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return "", errors.New("a value in the list is not valid UTF-8")
		}
		return x, nil
	case json.Number:
		if isJSONNumber(string(x)) {
			return string(x), nil
		}
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		}
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return "", fmt.Errorf("list items must be strings or numbers, not %T", v)
}

func normalizeSeverityValue(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return NormalizeSeverity(x)
	case []string:
		return normalizeSeverities(x)
	}
	return nil, fmt.Errorf("severity_level needs a severity name, not %T", v)
}

func isJSONNumber(s string) bool {
	if s == "" || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		return false
	}
	var f float64
	return json.Unmarshal([]byte(s), &f) == nil
}

// DecodeFilterGroup reads a stored filterGroup in the nested form (groups of groups of
// filters, flattened: the backend ANDs everything) or as a flat list of filters. null or
// empty input yields no filters. Numbers come back as json.Number. The filters are not
// validated: stored views may hold what this client would refuse to send.
func DecodeFilterGroup(raw json.RawMessage) ([]PropertyFilter, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var node any
	if err := dec.Decode(&node); err != nil {
		return nil, fmt.Errorf("filterGroup is not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("filterGroup has trailing data")
	}
	var out []PropertyFilter
	if err := collectFilters(node, 0, &out); err != nil {
		return nil, err
	}
	return out, nil
}

const maxGroupDepth = 32

func collectFilters(node any, depth int, out *[]PropertyFilter) error {
	if depth > maxGroupDepth {
		return errors.New("filterGroup is nested too deeply")
	}
	switch n := node.(type) {
	case []any: // the flat form
		for _, item := range n {
			if err := collectFilters(item, depth+1, out); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		if values, isGroup := n["values"]; isGroup {
			list, ok := values.([]any)
			if values != nil && !ok {
				return errors.New("filterGroup values must be a list")
			}
			if t, _ := n["type"].(string); strings.EqualFold(t, "OR") && len(list) > 1 {
				return errors.New("OR filter groups are not supported: the logs backend ANDs every filter")
			}
			return collectFilters(list, depth+1, out)
		}
		f, err := filterFromMap(n)
		if err != nil {
			return err
		}
		*out = append(*out, f)
		return nil
	case nil:
		return nil
	}
	return fmt.Errorf("unexpected %T in filterGroup", node)
}

func filterFromMap(m map[string]any) (PropertyFilter, error) {
	key, okKey := m["key"].(string)
	if !okKey {
		return PropertyFilter{}, errors.New("a filter has no string key")
	}
	f := PropertyFilter{Key: key}
	f.Type, _ = m["type"].(string)
	f.Operator, _ = m["operator"].(string)
	switch v := m["value"].(type) {
	case nil, string, json.Number, bool:
		f.Value = v
	case []any:
		list := make([]string, 0, len(v))
		for _, item := range v {
			s, err := scalarString(item)
			if err != nil {
				return f, fmt.Errorf("filter %q: %w", key, err)
			}
			list = append(list, s)
		}
		f.Value = list
	default:
		return f, fmt.Errorf("filter %q: unsupported value %T", key, v)
	}
	return f, nil
}

// wireDateRange is PostHog's DateRange; it forbids unknown keys, so nothing else goes in.
type wireDateRange struct {
	DateFrom string `json:"date_from,omitempty"`
	DateTo   string `json:"date_to,omitempty"`
}

// isoTime is the absolute UTC form sent to PostHog (microseconds: ClickHouse's precision).
const isoTime = "2006-01-02T15:04:05.999999Z"

// dateRangeFor resolves From/To into absolute timestamps; zero From means one hour before To (or now).
func dateRangeFor(from, to time.Time) (*wireDateRange, error) {
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return nil, fmt.Errorf("the start (%s) must be before the end (%s)", from.UTC().Format(isoTime), to.UTC().Format(isoTime))
	}
	if from.IsZero() {
		end := to
		if end.IsZero() {
			end = time.Now()
		}
		from = end.Add(-time.Hour)
	}
	dr := &wireDateRange{DateFrom: from.UTC().Format(isoTime)}
	if !to.IsZero() {
		dr.DateTo = to.UTC().Format(isoTime)
	}
	return dr, nil
}

// wireQuery is the "query" object of the POST endpoints.
type wireQuery struct {
	DateRange            *wireDateRange `json:"dateRange"`
	SeverityLevels       []string       `json:"severityLevels,omitempty"`
	ServiceNames         []string       `json:"serviceNames,omitempty"`
	SearchTerm           string         `json:"searchTerm,omitempty"`
	FilterGroup          *filterGroup   `json:"filterGroup,omitempty"`
	OrderBy              string         `json:"orderBy,omitempty"`
	Limit                int            `json:"limit,omitempty"`
	After                string         `json:"after,omitempty"`
	ExcludeAttributes    bool           `json:"excludeAttributes,omitempty"`
	ServiceNameSearch    string         `json:"serviceNameSearch,omitempty"`
	SparklineBreakdownBy string         `json:"sparklineBreakdownBy,omitempty"`
	LiveLogsCheckpoint   string         `json:"liveLogsCheckpoint,omitempty"`
	// MaxPatternChars is a pointer so that 0 ("whole templates") is sent, not omitted:
	// PostHog's default for callers it takes for an MCP is 400.
	MaxPatternChars *int          `json:"maxPatternChars,omitempty"`
	GroupBys        []wireGroupBy `json:"groupBys,omitempty"`
	OrderGroupsBy   string        `json:"orderGroupsBy,omitempty"`
}

type wireBody struct {
	Query *wireQuery `json:"query"`
}

// buildQuery validates f and turns it into the wire form.
func buildQuery(f Filters) (*wireQuery, error) {
	dr, err := dateRangeFor(f.From, f.To)
	if err != nil {
		return nil, err
	}
	q := &wireQuery{DateRange: dr, SearchTerm: f.Search}
	if q.SeverityLevels, err = normalizeSeverities(f.Severities); err != nil {
		return nil, err
	}
	if q.ServiceNames, err = cleanServices(f.Services); err != nil {
		return nil, err
	}
	props, err := normalizeProperties(f.Properties)
	if err != nil {
		return nil, err
	}
	if len(props) > 0 {
		q.FilterGroup = nestedGroup(props)
	}
	return q, nil
}

func cleanServices(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		if strings.TrimSpace(s) == "" {
			return nil, errors.New("a service name is empty")
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// getFilterParams sets the JSON-encoded dateRange, serviceNames and filterGroup query
// parameters of the GET endpoints (attributes, values).
func getFilterParams(params map[string][]string, from, to time.Time, services []string, props []PropertyFilter) error {
	dr, err := dateRangeFor(from, to)
	if err != nil {
		return err
	}
	encoded, _ := json.Marshal(dr)
	params["dateRange"] = []string{string(encoded)}
	names, err := cleanServices(services)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		encoded, _ = json.Marshal(names)
		params["serviceNames"] = []string{string(encoded)}
	}
	if len(props) > 0 {
		encoded, err = EncodeFilterGroup(props)
		if err != nil {
			return err
		}
		params["filterGroup"] = []string{string(encoded)}
	}
	return nil
}
