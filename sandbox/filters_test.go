package sandbox

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFilterOperators checks every operator on every filter type against
// a brute-force evaluation over all rows of a window.
func TestFilterOperators(t *testing.T) {
	srv := shared(t)
	win := dateRange(-5*time.Hour, -4*time.Hour-30*time.Minute)
	all := query(t, srv, map[string]any{"dateRange": win, "limit": 2000})
	if all.HasMore {
		t.Fatal("window holds more than 2000 rows; pick a smaller one")
	}
	var traced rowJSON
	var withExpiry []rowJSON
	for _, r := range all.Results {
		if r.TraceID != strings.Repeat("0", 32) && traced.UUID == "" {
			traced = r
		}
		if r.Attributes["session.expires_at"] != "" {
			withExpiry = append(withExpiry, r)
		}
	}
	if traced.UUID == "" || len(withExpiry) < 3 {
		t.Fatal("window lacks a traced row or session.expires_at rows")
	}
	expires := withExpiry[len(withExpiry)/2]
	expiresAt := parseRowTime(t, expires.Attributes["session.expires_at"])

	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	has := func(m map[string]string, k string) bool { _, ok := m[k]; return ok }
	zeroTrace := strings.Repeat("0", 32)
	productLine := regexp.MustCompile(`^GET /api/products/\d+ 200`)

	cases := []struct {
		name    string
		filters []map[string]any
		want    func(r rowJSON) bool
		allowNo bool // the expected set may legitimately be empty
	}{
		{"message icontains", []map[string]any{filter("log", "message", "icontains", "CACHE")},
			func(r rowJSON) bool { return strings.Contains(strings.ToLower(r.Body), "cache") }, false},
		{"message not_icontains", []map[string]any{filter("log", "message", "not_icontains", "cache")},
			func(r rowJSON) bool { return !strings.Contains(strings.ToLower(r.Body), "cache") }, false},
		{"message regex", []map[string]any{filter("log", "message", "regex", `^GET /api/products/\d+ 200`)},
			func(r rowJSON) bool { return productLine.MatchString(r.Body) }, false},
		{"message not_regex", []map[string]any{filter("log", "message", "not_regex", `^GET /api/products/\d+ 200`)},
			func(r rowJSON) bool { return !productLine.MatchString(r.Body) }, false},
		{"severity_level exact", []map[string]any{filter("log", "severity_level", "exact", "warn")},
			func(r rowJSON) bool { return r.SeverityText == "warn" }, false},
		{"severity_level is_not", []map[string]any{filter("log", "severity_level", "is_not", []string{"info", "debug"})},
			func(r rowJSON) bool { return r.SeverityText != "info" && r.SeverityText != "debug" }, false},
		{"trace_id exact upper case", []map[string]any{filter("log", "trace_id", "exact", strings.ToUpper(traced.TraceID))},
			func(r rowJSON) bool { return r.TraceID == traced.TraceID }, false},
		{"trace_id is_not_set", []map[string]any{filter("log", "trace_id", "is_not_set", nil)},
			func(r rowJSON) bool { return r.TraceID == zeroTrace }, false},
		{"span_id is_set", []map[string]any{filter("log", "span_id", "is_set", nil)},
			func(r rowJSON) bool { return r.SpanID != strings.Repeat("0", 16) }, false},
		{"attribute exact number", []map[string]any{filter("log_attribute", "http.status_code", "exact", 200)},
			func(r rowJSON) bool { return r.Attributes["http.status_code"] == "200" }, false},
		{"attribute exact any of", []map[string]any{filter("log_attribute", "http.status_code", "exact", []string{"401", "404"})},
			func(r rowJSON) bool { s := r.Attributes["http.status_code"]; return s == "401" || s == "404" }, false},
		{"attribute is_not (missing matches)", []map[string]any{filter("log_attribute", "http.status_code", "is_not", "200")},
			func(r rowJSON) bool { return r.Attributes["http.status_code"] != "200" }, false},
		{"attribute gt numeric", []map[string]any{filter("log_attribute", "duration_ms", "gt", "100")},
			func(r rowJSON) bool {
				return has(r.Attributes, "duration_ms") && num(r.Attributes["duration_ms"]) > 100
			}, false},
		{"attribute lt numeric", []map[string]any{filter("log_attribute", "duration_ms", "lt", 9)},
			func(r rowJSON) bool { return has(r.Attributes, "duration_ms") && num(r.Attributes["duration_ms"]) < 9 }, false},
		{"attribute gt string", []map[string]any{filter("log_attribute", "http.route", "gt", "/api/p")},
			func(r rowJSON) bool { return has(r.Attributes, "http.route") && r.Attributes["http.route"] > "/api/p" }, false},
		{"attribute starts_with", []map[string]any{filter("log_attribute", "http.route", "starts_with", "/API/CART")},
			func(r rowJSON) bool { return strings.HasPrefix(r.Attributes["http.route"], "/api/cart") }, false},
		{"attribute not_starts_with", []map[string]any{filter("log_attribute", "http.route", "not_starts_with", "/api/")},
			func(r rowJSON) bool { return !strings.HasPrefix(r.Attributes["http.route"], "/api/") }, false},
		{"attribute ends_with", []map[string]any{filter("log_attribute", "http.route", "ends_with", "items")},
			func(r rowJSON) bool { return strings.HasSuffix(r.Attributes["http.route"], "items") }, false},
		{"attribute not_ends_with", []map[string]any{filter("log_attribute", "http.route", "not_ends_with", "items")},
			func(r rowJSON) bool { return !strings.HasSuffix(r.Attributes["http.route"], "items") }, false},
		{"attribute icontains", []map[string]any{filter("log_attribute", "user_agent.original", "icontains", "IPHONE")},
			func(r rowJSON) bool {
				return strings.Contains(strings.ToLower(r.Attributes["user_agent.original"]), "iphone")
			}, false},
		{"attribute not_icontains", []map[string]any{filter("log_attribute", "user_agent.original", "not_icontains", "mozilla")},
			func(r rowJSON) bool {
				return !strings.Contains(strings.ToLower(r.Attributes["user_agent.original"]), "mozilla")
			}, false},
		{"attribute regex", []map[string]any{filter("log_attribute", "user.id", "regex", `^u_1\d+$`)},
			func(r rowJSON) bool { return regexp.MustCompile(`^u_1\d+$`).MatchString(r.Attributes["user.id"]) }, false},
		{"attribute not_regex", []map[string]any{filter("log_attribute", "user.id", "not_regex", `^u_1`)},
			func(r rowJSON) bool { return !strings.HasPrefix(r.Attributes["user.id"], "u_1") }, false},
		{"attribute is_set", []map[string]any{filter("log_attribute", "user.id", "is_set", nil)},
			func(r rowJSON) bool { return has(r.Attributes, "user.id") }, false},
		{"attribute is_not_set", []map[string]any{filter("log_attribute", "user.id", "is_not_set", nil)},
			func(r rowJSON) bool { return !has(r.Attributes, "user.id") }, false},
		{"attribute is_date_after", []map[string]any{filter("log_attribute", "session.expires_at", "is_date_after", expiresAt.Add(-time.Second).Format(time.RFC3339))},
			func(r rowJSON) bool {
				v, ok := r.Attributes["session.expires_at"]
				return ok && parseRowTime(t, v).After(expiresAt.Add(-time.Second))
			}, false},
		{"attribute is_date_before", []map[string]any{filter("log_attribute", "session.expires_at", "is_date_before", expiresAt.Format(time.RFC3339))},
			func(r rowJSON) bool {
				v, ok := r.Attributes["session.expires_at"]
				return ok && parseRowTime(t, v).Before(expiresAt)
			}, true},
		{"attribute is_date_exact", []map[string]any{filter("log_attribute", "session.expires_at", "is_date_exact", expires.Attributes["session.expires_at"])},
			func(r rowJSON) bool {
				return r.Attributes["session.expires_at"] == expires.Attributes["session.expires_at"]
			}, false},
		{"resource exact", []map[string]any{filter("log_resource_attribute", "service.name", "exact", "checkout")},
			func(r rowJSON) bool { return r.ResourceAttributes["service.name"] == "checkout" }, false},
		{"resource icontains", []map[string]any{filter("log_resource_attribute", "k8s.pod.name", "icontains", "GATEWAY")},
			func(r rowJSON) bool { return strings.Contains(r.ResourceAttributes["k8s.pod.name"], "gateway") }, false},
		{"resource is_not_set", []map[string]any{filter("log_resource_attribute", "service.name", "is_not_set", nil)},
			func(r rowJSON) bool { return !has(r.ResourceAttributes, "service.name") }, true},
		{"several filters are ANDed", []map[string]any{
			filter("log_resource_attribute", "service.name", "exact", "api-gateway"),
			filter("log_attribute", "http.method", "exact", "POST"),
			filter("log_attribute", "duration_ms", "gt", 50),
		}, func(r rowJSON) bool {
			return r.ResourceAttributes["service.name"] == "api-gateway" && r.Attributes["http.method"] == "POST" && num(r.Attributes["duration_ms"]) > 50
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := map[string]bool{}
			for _, r := range all.Results {
				if tc.want(r) {
					want[r.UUID] = true
				}
			}
			if !tc.allowNo && (len(want) == 0 || len(want) == len(all.Results)) {
				t.Fatalf("case does not discriminate: %d of %d rows expected", len(want), len(all.Results))
			}
			forms := map[string]any{"nested": nested(tc.filters...), "flat": toAny(tc.filters)}
			for form, group := range forms {
				got := query(t, srv, map[string]any{"dateRange": win, "limit": 2000, "filterGroup": group})
				if len(got.Results) != len(want) {
					t.Fatalf("%s: got %d rows, want %d", form, len(got.Results), len(want))
				}
				for _, r := range got.Results {
					if !want[r.UUID] {
						t.Fatalf("%s: unexpected row %s %q %v", form, r.UUID, r.Body, r.Attributes)
					}
				}
			}
		})
	}
}

func toAny(filters []map[string]any) []any {
	out := make([]any, len(filters))
	for i, f := range filters {
		out[i] = f
	}
	return out
}

func TestQueryTopLevelFilters(t *testing.T) {
	srv := shared(t)
	win := dateRange(-3*time.Hour, 0)
	got := query(t, srv, map[string]any{
		"dateRange": win, "limit": 2000,
		"severityLevels": []string{"error", "fatal"}, "serviceNames": []string{"checkout", "payments"}, "searchTerm": "ORDER",
	})
	if len(got.Results) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range got.Results {
		svc := r.ResourceAttributes["service.name"]
		if (r.Level != "error" && r.Level != "fatal") || (svc != "checkout" && svc != "payments") || !strings.Contains(strings.ToLower(r.Body), "order") {
			t.Fatalf("row does not match: %s %s %q", r.Level, svc, r.Body)
		}
	}
	// OR groups are not honoured: every filter is ANDed.
	orGroup := map[string]any{"type": "OR", "values": []any{map[string]any{"type": "OR", "values": []any{
		filter("log", "severity_level", "exact", "error"),
		filter("log_resource_attribute", "service.name", "exact", "checkout"),
	}}}}
	and := count(t, srv, map[string]any{"dateRange": win, "severityLevels": []string{"error"}, "serviceNames": []string{"checkout"}})
	or := count(t, srv, map[string]any{"dateRange": win, "filterGroup": orGroup})
	if and != or || and == 0 {
		t.Fatalf("OR group gave %d, AND gave %d", or, and)
	}
}

// TestGetEndpointsFilterGroup: the GET endpoints honour the JSON-encoded
// nested form and silently drop a flat list.
func TestGetEndpointsFilterGroup(t *testing.T) {
	srv := shared(t)
	win := `{"date_from":"` + iso(-24*time.Hour) + `","date_to":"` + iso(0) + `"}`
	values := func(group string) []struct{ Name string } {
		v := url.Values{"key": {"service.name"}, "attribute_type": {"resource"}, "dateRange": {win}}
		if group != "" {
			v.Set("filterGroup", group)
		}
		resp := call(t, srv, "GET", KeyFull, logsPath("values")+"?"+v.Encode(), nil)
		if resp.status != http.StatusOK {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
		var out struct{ Results []struct{ Name string } }
		resp.decode(t, &out)
		return out.Results
	}
	leaf := `{"key":"http.route","type":"log_attribute","operator":"exact","value":"/api/checkout"}`
	all := values("")
	flat := values("[" + leaf + "]")
	nestedOnly := values(`{"type":"AND","values":[{"type":"AND","values":[` + leaf + `]}]}`)
	if len(all) < 6 || len(flat) != len(all) {
		t.Fatalf("all %d services, flat-filtered %d (a flat list must be ignored)", len(all), len(flat))
	}
	if len(nestedOnly) == 0 || len(nestedOnly) >= len(all) {
		t.Fatalf("nested filter left %d of %d services", len(nestedOnly), len(all))
	}
}
