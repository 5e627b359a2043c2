package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

type groupByJSON struct {
	Groups []struct {
		Value      string   `json:"value"`
		Values     []string `json:"values"`
		LogCount   int      `json:"log_count"`
		ErrorCount int      `json:"error_count"`
		LastSeen   string   `json:"last_seen"`
	} `json:"groups"`
	TotalGroups int  `json:"total_groups"`
	TotalLogs   int  `json:"total_logs"`
	Truncated   bool `json:"truncated"`
}

func groupBy(t testing.TB, srv *Server, fields map[string]any) groupByJSON {
	t.Helper()
	resp := call(t, srv, "POST", KeyFull, logsPath("group-by"), q(fields))
	if resp.status != http.StatusOK {
		t.Fatalf("group-by %v: %d %s", fields, resp.status, resp.body)
	}
	var out groupByJSON
	resp.decode(t, &out)
	return out
}

func dim(key, source string) map[string]any { return map[string]any{"key": key, "source": source} }

// TestGroupByCounts checks each group against logs/count with the same
// window plus filters pinning every dimension's value.
func TestGroupByCounts(t *testing.T) {
	srv := shared(t)
	win := dateRange(-3*time.Hour, -2*time.Hour)
	cases := []struct {
		name string
		dims []map[string]any
		pin  func(values []string) []map[string]any
	}{
		{"service", []map[string]any{dim("service.name", "resource")}, func(v []string) []map[string]any {
			return []map[string]any{filter("log_resource_attribute", "service.name", "exact", v[0])}
		}},
		{"service and severity", []map[string]any{dim("service.name", "resource"), dim("severity_level", "column")}, func(v []string) []map[string]any {
			return []map[string]any{filter("log_resource_attribute", "service.name", "exact", v[0]), filter("log", "severity_level", "exact", v[1])}
		}},
		{"route, version, pod, status", []map[string]any{{"key": "http.route"}, dim("service.version", "resource"), dim("k8s.pod.name", "resource"), dim("http.status_code", "log")},
			func(v []string) []map[string]any {
				return []map[string]any{filter("log_attribute", "http.route", "exact", v[0]), filter("log_resource_attribute", "service.version", "exact", v[1]),
					filter("log_resource_attribute", "k8s.pod.name", "exact", v[2]), filter("log_attribute", "http.status_code", "exact", v[3])}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := groupBy(t, srv, map[string]any{"dateRange": win, "groupBys": c.dims, "limit": 500})
			if got.Truncated || got.TotalGroups != len(got.Groups) || len(got.Groups) == 0 {
				t.Fatalf("%d groups of %d, truncated %v", len(got.Groups), got.TotalGroups, got.Truncated)
			}
			sum := 0
			for i, g := range got.Groups {
				sum += g.LogCount
				if i > 0 && got.Groups[i-1].LogCount < g.LogCount {
					t.Fatal("not ordered by log_count")
				}
				if len(g.Values) != len(c.dims) || g.Value != g.Values[0] || !strings.HasSuffix(g.LastSeen, "+00:00") {
					t.Fatalf("group %+v", g)
				}
				if i < 8 { // the biggest groups; checking all would take long
					pinned := map[string]any{"dateRange": win, "filterGroup": nested(c.pin(g.Values)...)}
					if n := count(t, srv, pinned); n != g.LogCount {
						t.Errorf("%v: log_count %d, count %d", g.Values, g.LogCount, n)
					}
					pinned["severityLevels"] = []string{"error", "fatal"}
					if n := count(t, srv, pinned); n != g.ErrorCount {
						t.Errorf("%v: error_count %d, count %d", g.Values, g.ErrorCount, n)
					}
				}
			}
			if sum != got.TotalLogs {
				t.Errorf("groups sum to %d, total_logs %d", sum, got.TotalLogs)
			}
		})
	}

	// Lines lacking a dimension are not counted, even in total_logs: the
	// batch job has no service.name.
	all := count(t, srv, map[string]any{"dateRange": win})
	noService := count(t, srv, map[string]any{"dateRange": win, "filterGroup": nested(filter("log_resource_attribute", "service.name", "is_not_set", nil))})
	got := groupBy(t, srv, map[string]any{"dateRange": win, "groupBys": []any{dim("service.name", "resource")}})
	if noService == 0 || got.TotalLogs != all-noService {
		t.Errorf("total_logs %d, want %d - %d", got.TotalLogs, all, noService)
	}
	// A resource attribute asked as a log attribute exists on no line.
	if got := groupBy(t, srv, map[string]any{"dateRange": win, "groupBys": []any{map[string]any{"key": "service.name"}}}); got.TotalLogs != 0 || len(got.Groups) != 0 {
		t.Errorf("service.name as a log attribute: %+v", got)
	}
}

func TestGroupByOrderAndLimit(t *testing.T) {
	srv := shared(t)
	win := dateRange(-3*time.Hour, -2*time.Hour)
	dims := []any{dim("k8s.pod.name", "resource")}
	byErrors := groupBy(t, srv, map[string]any{"dateRange": win, "groupBys": dims, "orderGroupsBy": "error_count"})
	for i := 1; i < len(byErrors.Groups); i++ {
		if byErrors.Groups[i-1].ErrorCount < byErrors.Groups[i].ErrorCount {
			t.Fatal("not ordered by error_count")
		}
	}
	byLast := groupBy(t, srv, map[string]any{"dateRange": win, "groupBys": dims, "orderGroupsBy": "last_seen"})
	for i := 1; i < len(byLast.Groups); i++ {
		if byLast.Groups[i-1].LastSeen < byLast.Groups[i].LastSeen {
			t.Fatal("not ordered by last_seen")
		}
	}
	for _, c := range []struct {
		limit any
		want  int
	}{{2, 2}, {0, 1}, {-5, 1}, {"3", 3}, {100000, byLast.TotalGroups}} {
		got := groupBy(t, srv, map[string]any{"dateRange": win, "groupBys": dims, "limit": c.limit})
		if len(got.Groups) != min(c.want, got.TotalGroups) || got.Truncated != (got.TotalGroups > c.want) || got.TotalLogs != byLast.TotalLogs {
			t.Errorf("limit %v: %d groups of %d, truncated %v", c.limit, len(got.Groups), got.TotalGroups, got.Truncated)
		}
	}
}

func TestGroupByErrors(t *testing.T) {
	srv := shared(t)
	win := dateRange(-time.Hour, 0)
	cases := []struct {
		name   string
		fields map[string]any
		want   string
	}{
		{"absent", map[string]any{"dateRange": win}, "every group-by dimension requires a key"},
		{"empty", map[string]any{"groupBys": []any{}}, "group_bys must contain between 1 and 4 dimensions"},
		{"five", map[string]any{"groupBys": []any{dim("a", "log"), dim("b", "log"), dim("c", "log"), dim("d", "log"), dim("e", "log")}}, "group_bys must contain between 1 and 4 dimensions"},
		{"blank key", map[string]any{"groupBys": []any{dim(" ", "log")}}, "every group-by dimension requires a key"},
		{"bad source", map[string]any{"groupBys": []any{dim("x", "attribute")}}, "group-by dimension source must be one of ('log', 'resource', 'column')"},
		{"bad column", map[string]any{"groupBys": []any{dim("message", "column")}}, "a 'column' dimension's key must be one of ('severity_level', 'trace_id', 'span_id')"},
		{"duplicate", map[string]any{"groupBys": []any{dim("x", "log"), map[string]any{"key": "x"}}}, "group_bys must not contain duplicate dimensions"},
		{"bad order", map[string]any{"groupBys": []any{dim("x", "log")}, "orderGroupsBy": "count"}, "order_groups_by must be one of ('log_count', 'error_count', 'last_seen')"},
		{"missing key", map[string]any{"groupBys": []any{map[string]any{"source": "log"}}}, "{'key': ['This field is required.']}"},
		{"not an object", map[string]any{"groupBys": []any{"service.name"}}, "{'non_field_errors': ['Invalid data. Expected a dictionary, but got str.']}"},
		{"key not a string", map[string]any{"groupBys": []any{map[string]any{"key": true}}}, "{'key': ['Not a valid string.']}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := call(t, srv, "POST", KeyFull, logsPath("group-by"), q(c.fields))
			want := `{"error":"` + c.want + `"}`
			if resp.status != 400 || string(resp.body) != want {
				t.Fatalf("%d %s, want 400 %s", resp.status, resp.body, want)
			}
		})
	}
	if resp := call(t, srv, "POST", KeyOtherProject, logsPath("group-by"), q(map[string]any{"groupBys": []any{dim("x", "log")}})); resp.status != 403 {
		t.Errorf("another project's key: %d %s", resp.status, resp.body)
	}
}

// TestCountWindow: logs/count is exact over [date_from, date_to) and
// defaults to the last hour.
func TestCountWindow(t *testing.T) {
	srv := shared(t)
	rows := query(t, srv, map[string]any{"dateRange": dateRange(-3*time.Hour, -2*time.Hour-50*time.Minute), "limit": 2000})
	if rows.HasMore || len(rows.Results) < 3 {
		t.Fatal("pick a window with fewer rows")
	}
	mid := rows.Results[len(rows.Results)/2].Timestamp
	before, after := 0, 0
	for _, r := range rows.Results {
		if r.Timestamp < mid {
			before++
		} else {
			after++
		}
	}
	from := iso(-3 * time.Hour)
	to := iso(-2*time.Hour - 50*time.Minute)
	cases := []struct {
		name string
		win  map[string]any
		want int
	}{
		{"up to the row, excluded", map[string]any{"date_from": from, "date_to": mid}, before},
		{"from the row, included", map[string]any{"date_from": mid, "date_to": to}, after - countAt(rows.Results, to)},
	}
	for _, c := range cases {
		if n := count(t, srv, map[string]any{"dateRange": c.win}); n != c.want {
			t.Errorf("%s: %d, want %d", c.name, n, c.want)
		}
	}
	lastHour := count(t, srv, map[string]any{"dateRange": dateRange(-time.Hour, 0)})
	if n := count(t, srv, map[string]any{}); n != lastHour || n == 0 {
		t.Errorf("default window: %d, last hour %d", n, lastHour)
	}
}

func countAt(rows []rowJSON, ts string) int {
	n := 0
	for _, r := range rows {
		if parseTS(r.Timestamp).Equal(parseTS(ts)) {
			n++
		}
	}
	return n
}

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
