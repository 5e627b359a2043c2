package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// call is one tool invocation: its raw arguments and who made it.
type call struct {
	raw    []byte
	caller Caller
	access Access
}

func newCall(rawArgs any, c Caller, a Access) (*call, error) {
	var raw []byte
	switch v := rawArgs.(type) {
	case nil:
		raw = []byte("{}")
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("arguments are not a JSON object")
		}
		raw = b
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		raw = []byte("{}")
	}
	return &call{raw: raw, caller: c, access: a}, nil
}

// decode reads the arguments into dst strictly: unknown keys and wrong
// types are errors that name the argument, so the model can fix its call.
func (c *call) decode(dst any) error {
	// encoding/json matches names case-insensitively ("Limit" would set
	// limit): argument names are checked exactly first.
	if err := exactNames(c.raw, reflect.TypeOf(dst), ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(c.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return describeDecodeError(err, dst)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("arguments must be a single JSON object")
	}
	return nil
}

func describeDecodeError(err error, dst any) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return errors.New("arguments must be a JSON object")
		}
		field := typeErr.Field
		for _, embedded := range []string{"projectArgs.", "windowArgs.", "filterArgs.", "formatArg."} {
			field = strings.ReplaceAll(field, embedded, "")
		}
		want := jsonTypeName(typeErr.Type.String())
		msg := fmt.Sprintf("argument %s: expected %s, got %s", field, want, typeErr.Value)
		switch {
		case want == "an array" && typeErr.Value == "string":
			msg += fmt.Sprintf(`; wrap it in a list, e.g. {"%s": ["..."]}`, field)
		case want == "an integer" && typeErr.Value == "string":
			msg += fmt.Sprintf(`; write the number without quotes, e.g. {"%s": 50}`, field)
		}
		return errors.New(msg)
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("arguments are not valid JSON (offset %d)", syntaxErr.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		known := jsonFields(reflect.TypeOf(dst))
		filterNote := ""
		if slices.Contains(known, "filters") {
			filterNote = " (a filter takes key, value, operator and scope)"
		}
		switch best := closest(name, known); {
		case slices.Contains(known, name):
			// A known argument name can only have been rejected inside a filter.
			return fmt.Errorf("unknown field %s in a filter%s", echoQ(name), filterNote)
		case best != "":
			return fmt.Errorf("unknown argument %s; did you mean %q?", echoQ(name), best)
		}
		return fmt.Errorf("unknown argument %s; this tool takes %s%s", echoQ(name), strings.Join(known, ", "), filterNote)
	}
	return fmt.Errorf("invalid arguments: %v", err)
}

// exactNames checks that every object key in raw names a field of t
// exactly, as written in its json tag, down through nested objects and
// arrays (filters). Values of the wrong shape are left to the decoder,
// which explains them. where is "" for the arguments, else the path of
// the nested value ("filters[0]").
func exactNames(raw []byte, t reflect.Type, where string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil
		}
		fields := jsonFieldTypes(t)
		for name, v := range obj {
			ft, ok := fields[name]
			if !ok {
				return unknownName(name, t, where)
			}
			if err := exactNames(v, ft, where+pathSep(where)+name); err != nil {
				return err
			}
		}
	case reflect.Slice:
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		for i, v := range list {
			if err := exactNames(v, t.Elem(), fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func pathSep(where string) string {
	if where == "" {
		return ""
	}
	return "."
}

// unknownName explains an argument name that matches none exactly.
func unknownName(name string, t reflect.Type, where string) error {
	known := jsonFields(t)
	shown := echoQ(name)
	if echo(name) != name {
		shown += " (it holds control or invisible characters)"
	}
	if where != "" {
		what := where
		if strings.HasPrefix(where, "filters[") {
			what = "a filter"
		}
		takes := fmt.Sprintf("(%s takes %s and %s)", what, strings.Join(known[:len(known)-1], ", "), known[len(known)-1])
		if best := closest(echo(name), known); best != "" {
			return fmt.Errorf("unknown field %s in %s; did you mean %q? %s", shown, where, best, takes)
		}
		return fmt.Errorf("unknown field %s in %s %s", shown, where, takes)
	}
	filterNote := ""
	if slices.Contains(known, "filters") {
		filterNote = " (a filter takes key, value, operator and scope)"
	}
	if best := closest(echo(name), known); best != "" {
		return fmt.Errorf("unknown argument %s; did you mean %q?", shown, best)
	}
	return fmt.Errorf("unknown argument %s; this tool takes %s%s", shown, strings.Join(known, ", "), filterNote)
}

// jsonFieldTypes maps the JSON names of a struct's fields (embedded
// structs included) to their types.
func jsonFieldTypes(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range jsonFieldTypes(ft) {
				out[k] = v
			}
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			out[name] = f.Type
		}
	}
	return out
}

// jsonFields lists the JSON argument names of an arguments struct,
// including those of embedded structs.
func jsonFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// projectArgs is embedded by every tool's arguments.
type projectArgs struct {
	ProjectID int64 `json:"project_id"`
}

// project resolves the project a call goes to.
func (c *call) project(p projectArgs) (int64, error) {
	switch {
	case c.caller.Project != 0 && p.ProjectID != 0 && p.ProjectID != c.caller.Project:
		return 0, fmt.Errorf("project_id %d is not allowed: this server is pinned to project %d", p.ProjectID, c.caller.Project)
	case c.caller.Project != 0:
		return c.caller.Project, nil
	case p.ProjectID <= 0 && c.caller.Info != nil && !c.caller.Info.AllTeams():
		return 0, fmt.Errorf("project_id is required: this key may use projects %s; pass one of them as project_id", joinInts(c.caller.Info.Teams))
	case p.ProjectID <= 0:
		return 0, errors.New("project_id is required (a positive integer: the numeric id in your PostHog URL, /project/<id>/)")
	}
	if c.caller.Info != nil && !c.caller.Info.AllTeams() && !slices.Contains(c.caller.Info.Teams, p.ProjectID) {
		return 0, fmt.Errorf("project_id %d is not one this key may use; allowed: %v", p.ProjectID, c.caller.Info.Teams)
	}
	return p.ProjectID, nil
}

func (c *call) auth(p projectArgs) (client.Auth, error) {
	id, err := c.project(p)
	if err != nil {
		return client.Auth{}, err
	}
	return client.Auth{Key: c.caller.Key, ProjectID: id}, nil
}

// windowArgs is the common time window.
type windowArgs struct {
	DateFrom string `json:"date_from"`
	DateTo   string `json:"date_to"`
}

func (w windowArgs) resolve(now time.Time) (timerange.Window, error) {
	return timerange.Resolve(w.DateFrom, w.DateTo, "-1h", now)
}

// filterArgs is the common filter vocabulary shared by every log tool.
type filterArgs struct {
	windowArgs
	Severity []string    `json:"severity"`
	Services []string    `json:"services"`
	Search   string      `json:"search"`
	Filters  []filterArg `json:"filters"`
}

// filterArg is one attribute filter in our vocabulary.
type filterArg struct {
	Key      string `json:"key"`
	Value    any    `json:"value,omitempty"`
	Operator string `json:"operator,omitempty"`
	Scope    string `json:"scope,omitempty"`
}

// resourcePrefixes are the OpenTelemetry resource namespaces: a filter on
// such a key without an explicit scope goes to resource attributes.
var resourcePrefixes = []string{"service.", "k8s.", "host.", "deployment.", "cloud.", "container.", "process.", "telemetry.", "os."}

func isResourceKey(key string) bool {
	for _, p := range resourcePrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// noService is how PostHog labels logs without a service.name.
const noService = "(no service)"

// builtinLogKeys are the built-in fields PostHog filters with type "log".
var builtinLogKeys = []string{"message", "severity_level", "trace_id", "span_id"}

// columnKeys are PostHog's log columns a filter with scope "column" may
// name: the body, ids, and the pattern pivots get_log_patterns prints.
var columnKeys = []string{"message", "trace_id", "span_id", "pattern", "pattern_version", "severity_level"}

// toProperty translates one filter to PostHog's property filter.
func (f filterArg) toProperty(i int) (client.PropertyFilter, error) {
	where := fmt.Sprintf("filters[%d]", i)
	if strings.TrimSpace(f.Key) == "" {
		return client.PropertyFilter{}, fmt.Errorf("%s.key is required, e.g. {\"key\": \"http.route\", \"value\": \"/api/pay\"}", where)
	}
	op := f.Operator
	if op == "" {
		op = "exact"
	}
	if !slices.Contains(client.Operators, op) {
		return client.PropertyFilter{}, fmt.Errorf("%s.operator %s is not valid; use one of: %s", where, echoQ(op), strings.Join(client.Operators, ", "))
	}
	var typ string
	switch {
	case f.Key == "trace_id" || f.Key == "span_id":
		// Built-in fields whatever scope says: following a request across
		// services must not break on a scope the model added.
		typ = "log"
	case f.Scope == "column":
		if !slices.Contains(columnKeys, f.Key) {
			return client.PropertyFilter{}, fmt.Errorf("%s: scope \"column\" takes the keys %s, not %s", where, strings.Join(columnKeys, ", "), echoQ(f.Key))
		}
		typ = "log"
	case f.Scope == "log":
		typ = "log_attribute"
	case f.Scope == "resource":
		typ = "log_resource_attribute"
	case f.Scope == "":
		typ = "log_attribute"
		if isResourceKey(f.Key) {
			typ = "log_resource_attribute"
		}
		if slices.Contains(builtinLogKeys, f.Key) {
			typ = "log"
		}
	default:
		return client.PropertyFilter{}, fmt.Errorf("%s.scope %s is not valid; use \"log\" (a log attribute), \"resource\" (e.g. k8s.pod.name) or \"column\" (message, trace_id, span_id, pattern, pattern_version)", where, echoQ(f.Scope))
	}
	value := f.Value
	switch op {
	case "is_set", "is_not_set":
		value = nil
	default:
		switch v := value.(type) {
		case string, float64, bool, []string:
		case []any:
			strs := make([]string, 0, len(v))
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					return client.PropertyFilter{}, fmt.Errorf("%s.value: a list value must hold strings", where)
				}
				strs = append(strs, s)
			}
			value = strs
		case nil:
			return client.PropertyFilter{}, fmt.Errorf("%s.value is required for operator %s (to test that the key is present, use operator is_set)", where, op)
		default:
			return client.PropertyFilter{}, fmt.Errorf("%s.value must be a string, a number or a list of strings", where)
		}
		if b, ok := value.(bool); ok {
			value = fmt.Sprint(b)
		}
		if (op == "gt" || op == "lt") && !isNumber(value) {
			return client.PropertyFilter{}, fmt.Errorf("%s.value must be a number for operator %s, e.g. {\"key\": \"duration_ms\", \"operator\": \"gt\", \"value\": 2000}", where, op)
		}
	}
	return client.PropertyFilter{Key: f.Key, Type: typ, Operator: op, Value: value}, nil
}

// isNumber reports whether a filter value compares numerically.
func isNumber(v any) bool {
	switch v := v.(type) {
	case float64:
		return true
	case string:
		_, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return err == nil
	}
	return false
}

// properties translates every filter.
func properties(fs []filterArg) ([]client.PropertyFilter, error) {
	out := make([]client.PropertyFilter, 0, len(fs))
	for i, f := range fs {
		p, err := f.toProperty(i)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// severities normalises the severity argument.
func severities(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, s := range in {
		n, err := client.NormalizeSeverity(s)
		if err != nil {
			return nil, fmt.Errorf("severity: %v", err)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// toClient validates the common filters and resolves the window.
func (f filterArgs) toClient(now time.Time) (client.Filters, timerange.Window, error) {
	win, err := f.resolve(now)
	if err != nil {
		return client.Filters{}, win, err
	}
	sev, err := severities(f.Severity)
	if err != nil {
		return client.Filters{}, win, err
	}
	props, err := properties(f.Filters)
	if err != nil {
		return client.Filters{}, win, err
	}
	services := f.Services
	for i, s := range services {
		if strings.TrimSpace(s) == "" {
			return client.Filters{}, win, fmt.Errorf("services[%d] is empty; pass exact names from list_services", i)
		}
	}
	if slices.Contains(services, noService) {
		// list_services prints logs without a service.name under this
		// label; PostHog finds them with a resource filter instead.
		if len(services) > 1 {
			return client.Filters{}, win, fmt.Errorf("%q cannot be combined with other services; query it on its own", noService)
		}
		services = nil
		props = append(props, client.PropertyFilter{Key: serviceKey, Type: "log_resource_attribute", Operator: "is_not_set"})
	}
	return client.Filters{
		From: win.From, To: win.To,
		Severities: sev, Services: services, Search: f.Search, Properties: props,
	}, win, nil
}

// limitArg validates an optional limit.
func limitArg(v *int, def, max int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 1 || *v > max {
		return 0, fmt.Errorf("limit must be between 1 and %d (got %d)", max, *v)
	}
	return *v, nil
}

// scopedFilters resolves the project and the common filters of a call:
// the first validation every log tool does.
func (c *call) scopedFilters(p projectArgs, f filterArgs, now time.Time) (client.Auth, client.Filters, timerange.Window, error) {
	auth, err := c.auth(p)
	if err != nil {
		return auth, client.Filters{}, timerange.Window{}, err
	}
	filters, win, err := f.toClient(now)
	return auth, filters, win, err
}

// joinInts lists project ids for a message: "1, 2".
func joinInts(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}
