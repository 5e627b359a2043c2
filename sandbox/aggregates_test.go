package sandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type servicesJSON struct {
	Services []struct {
		ServiceName       string         `json:"service_name"`
		LogCount          int            `json:"log_count"`
		ErrorCount        int            `json:"error_count"`
		ErrorRate         float64        `json:"error_rate"`
		VolumeSharePct    float64        `json:"volume_share_pct"`
		SeverityBreakdown map[string]int `json:"severity_breakdown"`
		ActiveRules       []any          `json:"active_rules"`
	} `json:"services"`
	Sparkline []struct {
		Time        string `json:"time"`
		ServiceName string `json:"service_name"`
		Count       int    `json:"count"`
	} `json:"sparkline"`
	TotalServices int `json:"total_services"`
	Summary       struct {
		TopServicesCount          int     `json:"top_services_count"`
		TopServicesVolumeSharePct float64 `json:"top_services_volume_share_pct"`
	} `json:"summary"`
}

func services(t *testing.T, srv *Server, fields map[string]any) servicesJSON {
	t.Helper()
	resp := call(t, srv, "POST", KeyFull, logsPath("services"), q(fields))
	if resp.status != http.StatusOK {
		t.Fatalf("%d %s", resp.status, resp.body)
	}
	var out servicesJSON
	resp.decode(t, &out)
	return out
}

func TestServices(t *testing.T) {
	srv := shared(t)
	win := dateRange(-24*time.Hour, 0)
	got := services(t, srv, map[string]any{"dateRange": win})
	if got.TotalServices != len(got.Services) || len(got.Services) < 6 {
		t.Fatalf("total_services %d, %d listed", got.TotalServices, len(got.Services))
	}
	names := map[string]bool{}
	total, share := 0, 0.0
	perService := map[string]int{}
	for _, p := range got.Sparkline {
		perService[p.ServiceName] += p.Count
	}
	for i, s := range got.Services {
		names[s.ServiceName] = true
		total += s.LogCount
		share += s.VolumeSharePct
		if i > 0 && got.Services[i-1].LogCount < s.LogCount {
			t.Fatal("services not ordered by log_count descending")
		}
		filterBy := map[string]any{"dateRange": win, "serviceNames": []string{s.ServiceName}}
		if s.ServiceName == noService {
			filterBy = map[string]any{"dateRange": win, "filterGroup": nested(filter("log_resource_attribute", "service.name", "is_not_set", nil))}
		}
		if n := count(t, srv, filterBy); n != s.LogCount {
			t.Errorf("%s: log_count %d, count endpoint %d", s.ServiceName, s.LogCount, n)
		}
		filterBy["severityLevels"] = []string{"error", "fatal"}
		if n := count(t, srv, filterBy); n != s.ErrorCount {
			t.Errorf("%s: error_count %d, count endpoint %d", s.ServiceName, s.ErrorCount, n)
		}
		b := s.SeverityBreakdown
		if b["debug"]+b["info"]+b["warn"]+b["error"] != s.LogCount || b["error"] != s.ErrorCount {
			t.Errorf("%s: breakdown %v does not add up to %d", s.ServiceName, b, s.LogCount)
		}
		if perService[s.ServiceName] != s.LogCount {
			t.Errorf("%s: sparkline sums to %d, log_count %d", s.ServiceName, perService[s.ServiceName], s.LogCount)
		}
		if s.ActiveRules == nil {
			t.Errorf("%s: active_rules missing", s.ServiceName)
		}
	}
	for _, want := range []string{"checkout", "payments", "api-gateway", "auth", "inventory", "notifications"} {
		if !names[want] {
			t.Errorf("service %s missing", want)
		}
	}
	if total != count(t, srv, map[string]any{"dateRange": win}) || share < 99.9 || share > 100.1 {
		t.Errorf("total %d, shares add to %.2f", total, share)
	}
	if got.Summary.TopServicesCount != 5 || got.Summary.TopServicesVolumeSharePct <= 0 {
		t.Errorf("summary %+v", got.Summary)
	}
	if n := len(got.Sparkline) / len(got.Services); n < 40 || n > 60 {
		t.Errorf("%d sparkline buckets per service", n)
	}

	search := services(t, srv, map[string]any{"dateRange": win, "serviceNameSearch": "CHECK"})
	if len(search.Services) != 1 || search.Services[0].ServiceName != "checkout" || search.TotalServices != 1 {
		t.Errorf("serviceNameSearch CHECK gave %+v", search.Services)
	}
}

// TestIncident: the checkout deploy at Now-2h10m is followed by an error
// spike from Now-2h to Now-1h45m.
func TestIncident(t *testing.T) {
	srv := shared(t)
	deployAt := -2*time.Hour - 10*time.Minute
	deploy := query(t, srv, map[string]any{
		"dateRange": dateRange(deployAt, deployAt+time.Second), "serviceNames": []string{"checkout"}, "searchTerm": "deploy",
	})
	want := testNow.Add(deployAt).Format(timestampLayout)
	if len(deploy.Results) != 1 || !strings.Contains(deploy.Results[0].Body, "v2.14.0") || deploy.Results[0].Timestamp != want {
		t.Fatalf("deploy line: %+v", deploy.Results)
	}
	errorsIn := func(from, to time.Duration) int {
		return count(t, srv, map[string]any{"dateRange": dateRange(from, to), "serviceNames": []string{"checkout"}, "severityLevels": []string{"error", "fatal"}})
	}
	spike := errorsIn(-2*time.Hour, -time.Hour-45*time.Minute)
	before := errorsIn(-2*time.Hour-15*time.Minute, -2*time.Hour)
	after := errorsIn(-time.Hour-30*time.Minute, -time.Hour-15*time.Minute)
	if spike < 20*max(before, after, 1) {
		t.Fatalf("no spike: %d errors during, %d before, %d after", spike, before, after)
	}
	versions := func(from, to time.Duration) string {
		v := url.Values{"key": {"service.version"}, "attribute_type": {"resource"},
			"serviceNames": {`["checkout"]`}, "dateRange": {`{"date_from":"` + iso(from) + `","date_to":"` + iso(to) + `"}`}}
		resp := call(t, srv, "GET", KeyFull, logsPath("values")+"?"+v.Encode(), nil)
		var out struct{ Results []struct{ Name string } }
		resp.decode(t, &out)
		var names []string
		for _, r := range out.Results {
			names = append(names, r.Name)
		}
		return strings.Join(names, ",")
	}
	if got := versions(-2*time.Hour, -time.Hour-46*time.Minute); got != checkoutNewVersion {
		t.Errorf("versions during the spike: %s", got)
	}
	if got := versions(-time.Hour-40*time.Minute, -time.Hour); got != checkoutOldVersion {
		t.Errorf("versions after the rollback: %s", got)
	}
}

func TestSparkline(t *testing.T) {
	srv := shared(t)
	cases := []struct {
		name      string
		fields    map[string]any
		width     time.Duration
		breakdown string
	}{
		{"default window by severity", map[string]any{}, time.Minute, "severity"},
		{"a day by service", map[string]any{"dateRange": dateRange(-24*time.Hour, 0), "sparklineBreakdownBy": "service"}, 30 * time.Minute, "service"},
		{"three hours of errors", map[string]any{"dateRange": dateRange(-3*time.Hour, 0), "severityLevels": []string{"error"}, "sparklineBreakdownBy": "severity"}, 5 * time.Minute, "severity"},
		{"ten minutes", map[string]any{"dateRange": dateRange(-10*time.Minute, 0)}, 10 * time.Second, "severity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := call(t, srv, "POST", KeyFull, logsPath("sparkline"), q(tc.fields))
			if resp.status != http.StatusOK || resp.body[0] != '[' {
				t.Fatalf("%d %.200s", resp.status, resp.body)
			}
			var points []sparkPoint
			resp.decode(t, &points)
			perSeries := map[string]int{}
			times := map[string]bool{}
			total := 0
			for _, p := range points {
				series := p.Severity
				if tc.breakdown == "service" {
					series = p.Service
				}
				if series == "" {
					t.Fatalf("point without its %s: %+v", tc.breakdown, p)
				}
				perSeries[series]++
				times[p.Time] = true
				total += p.Count
				ts := parseRowTime(t, p.Time)
				if ts.UnixMicro()%tc.width.Microseconds() != 0 {
					t.Fatalf("bucket %s not aligned to %s", p.Time, tc.width)
				}
				if p.Count == 0 && p.Bytes != 0 || p.Count > 0 && p.Bytes == 0 {
					t.Fatalf("bytes %d for count %d", p.Bytes, p.Count)
				}
			}
			for series, n := range perSeries {
				if n != len(times) {
					t.Fatalf("series %s has %d points of %d buckets (not zero-filled)", series, n, len(times))
				}
			}
			if len(times) < 30 || len(times) > 80 {
				t.Fatalf("%d buckets", len(times))
			}
			if want := count(t, srv, tc.fields); total != want {
				t.Fatalf("counts add to %d, count endpoint says %d", total, want)
			}
		})
	}
}

func TestBucketing(t *testing.T) {
	base := testNow.UnixMicro()
	tests := []struct {
		span  time.Duration
		width time.Duration
	}{
		{time.Minute, time.Second},
		{5 * time.Minute, 5 * time.Second},
		{10 * time.Minute, 10 * time.Second},
		{time.Hour, time.Minute},
		{2 * time.Hour, 2 * time.Minute},
		{6 * time.Hour, 10 * time.Minute},
		{12 * time.Hour, 15 * time.Minute},
		{24 * time.Hour, 30 * time.Minute},
		{7 * 24 * time.Hour, 4 * time.Hour},
		{30 * 24 * time.Hour, 12 * time.Hour},
		{365 * 24 * time.Hour, 24 * time.Hour},
	}
	for _, tt := range tests {
		b := newBucketing(window{from: base - tt.span.Microseconds(), to: base})
		if b.width != tt.width.Microseconds() {
			t.Errorf("%s: width %s, want %s", tt.span, time.Duration(b.width)*time.Microsecond, tt.width)
		}
		if b.first%b.width != 0 || b.index(base) != b.count-1 {
			t.Errorf("%s: first %d count %d", tt.span, b.first, b.count)
		}
	}
}

func TestAttributesAndValues(t *testing.T) {
	srv := shared(t)
	day := `{"date_from":"` + iso(-24*time.Hour) + `","date_to":"` + iso(0) + `"}`
	get := func(endpoint string, params url.Values, out any) {
		t.Helper()
		resp := call(t, srv, "GET", KeyFull, logsPath(endpoint)+"?"+params.Encode(), nil)
		if resp.status != http.StatusOK {
			t.Fatalf("%s %v: %d %s", endpoint, params, resp.status, resp.body)
		}
		resp.decode(t, out)
	}
	type attributes struct {
		Results []struct {
			Name               string `json:"name"`
			PropertyFilterType string `json:"propertyFilterType"`
		}
		Count int
	}
	var logAttrs, resAttrs, page2, searched attributes
	get("attributes", url.Values{"dateRange": {day}}, &logAttrs)
	get("attributes", url.Values{"dateRange": {day}, "attribute_type": {"resource"}}, &resAttrs)
	get("attributes", url.Values{"dateRange": {day}, "limit": {"5"}, "offset": {"5"}}, &page2)
	get("attributes", url.Values{"dateRange": {day}, "search": {"HTTP."}}, &searched)

	names := func(a attributes) map[string]string {
		m := map[string]string{}
		for _, r := range a.Results {
			m[r.Name] = r.PropertyFilterType
		}
		return m
	}
	for _, k := range []string{"http.route", "http.method", "http.status_code", "user.id", "duration_ms"} {
		if names(logAttrs)[k] != "log_attribute" {
			t.Errorf("log attribute %s missing: %v", k, names(logAttrs))
		}
	}
	for _, k := range []string{"service.name", "k8s.namespace.name", "k8s.pod.name", "host.name", "deployment.environment"} {
		if names(resAttrs)[k] != "log_resource_attribute" {
			t.Errorf("resource attribute %s missing: %v", k, names(resAttrs))
		}
	}
	if logAttrs.Count <= 5 || len(page2.Results) != 5 || page2.Count != logAttrs.Count || page2.Results[0].Name != logAttrs.Results[5].Name {
		t.Errorf("paging: count %d, page2 %+v", logAttrs.Count, page2)
	}
	if searched.Count == 0 || searched.Count != len(searched.Results) {
		t.Errorf("search: %+v", searched)
	}
	for _, r := range searched.Results {
		if !strings.Contains(r.Name, "http.") {
			t.Errorf("search http. returned %s", r.Name)
		}
	}

	type values struct {
		Results []struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Count int    `json:"count"`
		}
		Refreshing *bool `json:"refreshing"`
	}
	var svc, trap, routes values
	get("values", url.Values{"dateRange": {day}, "key": {"service.name"}, "attribute_type": {"resource"}}, &svc)
	get("values", url.Values{"dateRange": {day}, "key": {"service.name"}}, &trap)
	get("values", url.Values{"dateRange": {day}, "key": {"http.route"}, "value": {"CART"}, "limit": {"1"}}, &routes)
	if len(svc.Results) < 6 || svc.Refreshing == nil || *svc.Refreshing {
		t.Fatalf("service values %+v", svc)
	}
	for _, v := range svc.Results {
		if v.ID != v.Name || v.Count != count(t, srv, map[string]any{"dateRange": dateRange(-24*time.Hour, 0), "serviceNames": []string{v.Name}}) {
			t.Errorf("value %+v does not match the count endpoint", v)
		}
	}
	if len(trap.Results) != 0 {
		t.Errorf("service.name as a log attribute should be empty: %+v", trap.Results)
	}
	if len(routes.Results) != 1 || !strings.Contains(routes.Results[0].Name, "cart") {
		t.Errorf("value search: %+v", routes.Results)
	}
}

func TestFoldOther(t *testing.T) {
	var all []*series
	for i := range 13 {
		all = append(all, &series{name: string(rune('a' + i)), total: 2, counts: []int{1, 1}, bytes: []int{10, 10}})
	}
	folded := foldOther(all, 2)
	if len(folded) != 11 || folded[10].name != otherSeries || folded[10].total != 6 || folded[10].counts[0] != 3 || folded[10].bytes[1] != 30 {
		t.Fatalf("folded into %d series, last %+v", len(folded), folded[len(folded)-1])
	}
	if len(foldOther(all[:10], 2)) != 10 {
		t.Fatal("ten series must stay as they are")
	}
}
