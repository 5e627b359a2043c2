package tools

import (
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

func TestDecodeRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"unknown key", `{"sevrity":["error"]}`, `unknown argument "sevrity"; did you mean "severity"?`},
		{"unknown key, nothing close", `{"zzzzzz":1}`, `this tool takes project_id, date_from, date_to, severity`},
		{"unknown field in a filter", `{"filters":[{"key":"a","services":"x"}]}`, `unknown field "services" in filters[0] (a filter takes key, value, operator and scope)`},
		{"names match exactly", `{"Limit":5}`, `unknown argument "Limit"; did you mean "limit"?`},
		{"names match exactly in a filter", `{"filters":[{"key":"a","value":"b"},{"Key":"a","value":"b"}]}`, `unknown field "Key" in filters[1]; did you mean "key"? (a filter takes key, value, operator and scope)`},
		{"hostile name is echoed clean", `{"li\u001b[31mm\u202eit\u200b\u0007\u0000":5}`, `unknown argument "limit" (it holds control or invisible characters); did you mean "limit"?`},
		{"string for a list", `{"severity":"error"}`, `wrap it in a list, e.g. {"severity": ["..."]}`},
		{"string for a number", `{"limit":"5"}`, `write the number without quotes, e.g. {"limit": 50}`},
		{"wrong type", `{"limit":"ten"}`, "argument limit: expected an integer, got string"},
		{"fractional integer", `{"limit":2.5}`, "argument limit: expected an integer"},
		{"list expected", `{"services":"checkout"}`, "argument services: expected an array"},
		{"not an object", `[1,2]`, "arguments must be a JSON object"},
		{"trailing data", `{} {}`, "single JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := newCall([]byte(tc.raw), Caller{}, Access{})
			if err != nil {
				t.Fatal(err)
			}
			var args queryLogsArgs
			err = c.decode(&args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("decode(%s) error = %v, want it to contain %q", tc.raw, err, tc.want)
			}
		})
	}
}

func TestFilterScopeInference(t *testing.T) {
	tests := []struct {
		in       filterArg
		wantType string
		wantErr  string
	}{
		{filterArg{Key: "http.route", Value: "/api/pay"}, "log_attribute", ""},
		{filterArg{Key: "k8s.pod.name", Value: "checkout-1"}, "log_resource_attribute", ""},
		{filterArg{Key: "service.version", Value: "2"}, "log_resource_attribute", ""},
		{filterArg{Key: "k8s.pod.name", Value: "x", Scope: "log"}, "log_attribute", ""},
		{filterArg{Key: "user.id", Value: "u1", Scope: "resource"}, "log_resource_attribute", ""},
		{filterArg{Key: "message", Value: "timeout", Operator: "icontains"}, "log", ""},
		{filterArg{Key: "http.route", Operator: "is_set"}, "log_attribute", ""},
		{filterArg{Key: "http.route"}, "", "value is required for operator exact (to test that the key is present, use operator is_set)"},
		{filterArg{Key: "trace_id", Value: "4bf92f3577b34da6a3ce929d0e0e4736", Scope: "log"}, "log", ""},
		{filterArg{Key: "span_id", Value: "00f067aa0ba902b7", Scope: "resource"}, "log", ""},
		{filterArg{Key: "duration_ms", Value: 2000.0, Operator: "gt"}, "log_attribute", ""},
		{filterArg{Key: "duration_ms", Value: "2000", Operator: "lt"}, "log_attribute", ""},
		{filterArg{Key: "duration_ms", Value: "slow", Operator: "gt"}, "", "must be a number for operator gt"},
		{filterArg{Key: "", Value: "x"}, "", "key is required"},
		{filterArg{Key: "a", Value: "x", Operator: "like"}, "", `operator "like" is not valid`},
		{filterArg{Key: "a", Value: "x", Scope: "span"}, "", `scope "span" is not valid`},
		{filterArg{Key: "a", Value: []any{"x", 1.0}}, "", "list value must hold strings"},
	}
	for _, tc := range tests {
		p, err := tc.in.toProperty(0)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || p.Type != tc.wantType {
			t.Errorf("%+v: got %+v, %v; want type %s", tc.in, p, err, tc.wantType)
		}
	}
}

func TestSeverities(t *testing.T) {
	got, err := severities([]string{"ERROR", "warning", "critical", "error"})
	if err != nil || strings.Join(got, ",") != "error,warn,fatal" {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := severities([]string{"loud"}); err == nil || !strings.Contains(err.Error(), "warn") {
		t.Errorf("invalid severity error should list the valid values: %v", err)
	}
}

func TestProjectResolution(t *testing.T) {
	pinned := &call{caller: Caller{Project: 7}}
	if id, err := pinned.project(projectArgs{}); id != 7 || err != nil {
		t.Errorf("pinned: %d %v", id, err)
	}
	if _, err := pinned.project(projectArgs{ProjectID: 8}); err == nil {
		t.Error("pinned project must refuse another project_id")
	}
	open := &call{}
	if _, err := open.project(projectArgs{}); err == nil || !strings.Contains(err.Error(), "project_id is required") {
		t.Errorf("unpinned without project_id: %v", err)
	}
	if id, _ := open.project(projectArgs{ProjectID: 3}); id != 3 {
		t.Error("unpinned with project_id")
	}
	// The key's introspection names the projects it may use: say them.
	scoped := &call{caller: Caller{Info: &client.KeyInfo{Teams: []int64{3, 12}}}}
	if _, err := scoped.project(projectArgs{}); err == nil || !strings.Contains(err.Error(), "project_id is required") ||
		!strings.Contains(err.Error(), "3, 12") {
		t.Errorf("unpinned without project_id, key scoped to 3 and 12: %v", err)
	}
}

func TestColumnScopeFilters(t *testing.T) {
	cases := []struct {
		f       filterArg
		typ     string
		wantErr string
	}{
		{f: filterArg{Key: "message", Operator: "regex", Value: "^a", Scope: "column"}, typ: "log"},
		{f: filterArg{Key: "pattern", Value: []any{"a <*>"}, Scope: "column"}, typ: "log"},
		{f: filterArg{Key: "pattern_version", Value: 7.0, Scope: "column"}, typ: "log"},
		{f: filterArg{Key: "trace_id", Value: "4bf92f3577b34da6a3ce929d0e0e4736", Scope: "column"}, typ: "log"},
		{f: filterArg{Key: "pattern", Value: "x"}, typ: "log_attribute"}, // without the scope, an attribute named pattern
		{f: filterArg{Key: "http.route", Value: "/x", Scope: "column"}, wantErr: `scope "column" takes the keys message, trace_id, span_id, pattern, pattern_version`},
		{f: filterArg{Key: "x", Value: "1", Scope: "col"}, wantErr: `"column" (message, trace_id, span_id, pattern, pattern_version)`},
	}
	for _, tc := range cases {
		p, err := tc.f.toProperty(0)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: err %v, want %q", tc.f, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%+v: %v", tc.f, err)
		case p.Type != tc.typ:
			t.Errorf("%+v: type %s, want %s", tc.f, p.Type, tc.typ)
		}
	}
	// A view holding a pattern pivot reads back with the column scope, so
	// it round-trips.
	raw, err := client.EncodeFilterGroup([]client.PropertyFilter{{Key: "pattern_version", Type: "log", Operator: "exact", Value: 7}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := fromPostHog(client.ViewFilters{FilterGroup: raw})
	if err != nil || len(q.Filters) != 1 || q.Filters[0].Scope != "column" {
		t.Errorf("view filters: %+v %v", q.Filters, err)
	}
}
