package tools

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

func TestGroupByArguments(t *testing.T) {
	cases := []struct {
		raw  string
		want []client.GroupBy
		err  string
	}{
		{raw: `["service.version"]`, want: []client.GroupBy{{Key: "service.version", Source: "resource"}}},
		{raw: `["http.route","service","severity","trace_id"]`, want: []client.GroupBy{
			{Key: "http.route", Source: "log"}, {Key: "service.name", Source: "resource"},
			{Key: "severity_level", Source: "column"}, {Key: "trace_id", Source: "column"}}},
		{raw: `[{"key":"k8s.pod.name","scope":"log"}]`, want: []client.GroupBy{{Key: "k8s.pod.name", Source: "log"}}},
		{raw: `[{"key":"span_id","scope":"column"}]`, want: []client.GroupBy{{Key: "span_id", Source: "column"}}},
		{raw: `[{"key":"http.route","scope":"column"}]`, err: `scope "column" takes severity, trace_id or span_id`},
		{raw: `[{"key":"a","scope":"attr"}]`, err: `group_by[0].scope must be`},
		{raw: `[{"key":"a","scop":"log"}]`, err: `"scop" in group_by[0]; did you mean "scope"?`},
		{raw: `[""]`, err: "group_by[0]: the key is empty"},
		{raw: `["service","service.name"]`, err: "group_by[1]: service.name is listed twice"},
		{raw: `[1]`, err: "group_by"},
	}
	for _, tc := range cases {
		c, _ := newCall([]byte(`{"group_by":`+tc.raw+`}`), Caller{Project: 1}, Access{})
		var args countArgs
		err := c.decode(&args)
		var dims []dimension
		if err == nil {
			err = args.check()
		}
		if err == nil {
			dims, err = args.dimensions()
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.raw, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		for i, d := range dims {
			if d.group != tc.want[i] {
				t.Errorf("%s: dimension %d = %+v, want %+v", tc.raw, i, d.group, tc.want[i])
			}
		}
	}
	var args countArgs
	c, _ := newCall([]byte(`{"group_by":["a","b","c","d","e"]}`), Caller{Project: 1}, Access{})
	if err := c.decode(&args); err != nil || args.check() == nil {
		t.Error("five group_by keys accepted")
	}
}

func TestGroupsRendering(t *testing.T) {
	e := newEnv(Config{Redact: true})
	secret := "ghp_" + strings.Repeat("a1B2", 9)
	args := countArgs{filterArgs: filterArgs{Severity: []string{"error"}, Filters: []filterArg{{Key: "http.route", Value: "/api/checkout"}}}}
	_ = args.check()
	args.GroupBy = []groupByArg{{Key: "service"}, {Key: "service.version"}}
	dims, err := args.dimensions()
	if err != nil {
		t.Fatal(err)
	}
	res := &client.GroupByResult{TotalGroups: 5, TotalLogs: 2130, Truncated: true, Groups: []client.Group{
		{Values: []string{"checkout", "2.14.0"}, LogCount: 2102, ErrorCount: 2102, LastSeen: testNow.Add(-2 * time.Second)},
		{Values: []string{"checkout", secret}, LogCount: 16, ErrorCount: 8, LastSeen: testNow.Add(-90 * time.Minute)},
	}}
	r := newGroupsReport(e, args, renderWin, dims, res)
	text := r.text()
	for _, w := range []string{
		"2,130 lines by service, service.version · window 2026-11-25T13:00:00Z → 2026-11-25T14:00:00Z (UTC) · 2 of 5 groups by logs (raise limit for more)",
		"service   service.version  lines  errors  error%  last seen\n",
		"checkout  2.14.0           2,102   2,102  100.0%  13:59:58Z\n",
		` 50.0%  12:30:00Z`,
		`a group as filter arguments (add them to the call's own filters): "filters":[{"key":"service.version","value":"2.14.0","scope":"resource"}],"services":["checkout"]`,
		`→ query_logs {"date_from":"2026-11-25T13:00:00Z","date_to":"2026-11-25T14:00:00Z","filters":[{"key":"http.route","value":"/api/checkout"},{"key":"service.version","value":"2.14.0","scope":"resource"}],"services":["checkout"],"severity":["error"]}`,
	} {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
	if strings.Contains(text, secret) || strings.Count(text, "→ query_logs") != 1 {
		t.Errorf("a masked group printed a call or leaked:\n%s", text)
	}
	js, _ := json.Marshal(r.json())
	if strings.Contains(string(js), secret) || !strings.Contains(string(js), `"masked":true`) || !strings.Contains(string(js), `"total_groups":5`) {
		t.Errorf("json: %s", js)
	}
	// Severity groups go back as the severity argument.
	args.GroupBy = []groupByArg{{Key: "severity"}}
	dims, _ = args.dimensions()
	r = newGroupsReport(e, args, renderWin, dims, &client.GroupByResult{TotalGroups: 1, TotalLogs: 3, Groups: []client.Group{{Values: []string{"fatal"}, LogCount: 3}}})
	if text := r.text(); !strings.Contains(text, `"severity":["fatal"]`) || !strings.Contains(text, "1 group ·") {
		t.Errorf("severity groups:\n%s", text)
	}
	if text := (countReport{win: renderWin, count: 1234}).text(); text != "1,234 lines · window 2026-11-25T13:00:00Z → 2026-11-25T14:00:00Z (UTC)\n" {
		t.Errorf("count: %q", text)
	}
}
