package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// serveFixed answers every request with status and body.
func serveFixed(t *testing.T, status int, body string) (*fakeServer, *Client) {
	t.Helper()
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
	c, _ := newTestClient(t, srv.URL)
	return srv, c
}

// jsonEqual compares JSON texts structurally.
func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

const sampleRow = `{"uuid":"0199a1","timestamp":"2026-11-25T14:02:03.123456Z","observed_timestamp":"2026-11-25T14:02:03.2Z",
 "body":"payment declined: card_expired","severity_text":"error","severity_number":17,"level":"error",
 "trace_id":"00000000000000000000000000000000","span_id":"0000000000000000",
 "attributes":{"http.route":"/api/pay"},"resource_attributes":{"service.name":"payments","k8s.pod.name":"payments-1"},
 "resource_fingerprint":"123","instrumentation_scope":"pay","event_name":"","live_logs_checkpoint":null}`

func TestQueryLogs(t *testing.T) {
	srv, c := serveFixed(t, 200, `{"query":{"limit":3},"results":[`+sampleRow+`],"hasMore":true,"nextCursor":"abc=","maxExportableLogs":10000,"columns":null}`)
	from := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	page, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{
		Filters: Filters{From: from, To: from.Add(2 * time.Hour), Severities: []string{"ERROR"}, Services: []string{"payments"},
			Search: "declined", Properties: []PropertyFilter{{Key: "http.route", Type: "log_attribute", Operator: "exact", Value: "/api/pay"}}},
		Order: "earliest", Limit: 2, After: "cur", ExcludeAttributes: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	req := srv.requests()[0]
	if req.Method != "POST" || req.Path != "/api/projects/42/logs/query/" {
		t.Errorf("%s %s", req.Method, req.Path)
	}
	jsonEqual(t, req.Body, `{"query":{
		"dateRange":{"date_from":"2026-11-25T12:00:00Z","date_to":"2026-11-25T14:00:00Z"},
		"severityLevels":["error"],"serviceNames":["payments"],"searchTerm":"declined",
		"filterGroup":{"type":"AND","values":[{"type":"AND","values":[{"key":"http.route","type":"log_attribute","operator":"exact","value":"/api/pay"}]}]},
		"orderBy":"earliest","limit":2,"after":"cur","excludeAttributes":true}}`)

	if !page.HasMore || page.NextCursor != "abc=" || page.MaxExportableLogs != 10000 || len(page.Results) != 1 {
		t.Fatalf("page %+v", page)
	}
	row := page.Results[0]
	if row.Service() != "payments" || row.TraceID != "" || row.SpanID != "" || row.SeverityNumber != 17 ||
		row.Attributes["http.route"] != "/api/pay" || row.LiveLogsCheckpoint != "" || row.Body != "payment declined: card_expired" {
		t.Errorf("row %+v", row)
	}
}

func TestQueryLogsMinimalBody(t *testing.T) {
	srv, c := serveFixed(t, 200, `{"results":[],"hasMore":false,"nextCursor":null}`)
	page, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
	if err != nil || page.NextCursor != "" || len(page.Results) != 0 {
		t.Fatalf("%+v %v", page, err)
	}
	var body struct {
		Query map[string]json.RawMessage `json:"query"`
	}
	_ = json.Unmarshal([]byte(srv.requests()[0].Body), &body)
	if _, ok := body.Query["dateRange"]; !ok || len(body.Query) != 1 {
		t.Errorf("a bare query must carry dateRange only: %s", srv.requests()[0].Body)
	}
}

func TestQueryLogsLenientAttributes(t *testing.T) {
	row := strings.Replace(sampleRow, `{"http.route":"/api/pay"}`, `{"http.route":"/api/pay","http.status_code":502,"ok":false,"n":null,"o":{"a":1}}`, 1)
	_, c := serveFixed(t, 200, `{"results":[`+row+`],"hasMore":false,"nextCursor":null}`)
	page, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	attrs := page.Results[0].Attributes
	want := map[string]string{"http.route": "/api/pay", "http.status_code": "502", "ok": "false", "n": "", "o": `{"a":1}`}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("attrs %v", attrs)
	}
	if page.Results[0].Service() != "payments" || page.Results[0].TraceID != "" {
		t.Errorf("row %+v", page.Results[0])
	}
}

func TestServices(t *testing.T) {
	srv, c := serveFixed(t, 200, `{"services":[{"service_name":"payments","log_count":1200,"error_count":37,"error_rate":0.0308,
		"volume_share_pct":12.5,"severity_breakdown":{"debug":10,"info":1100,"warn":53,"error":37},"active_rules":[]}],
		"sparkline":[{"time":"2026-11-25T14:00:00Z","service_name":"payments","count":40}],"total_services":9,
		"summary":{"top_services_count":5}}`)
	res, err := c.Services(context.Background(), testAuth, ServicesQuery{NameSearch: "pay"})
	if err != nil {
		t.Fatal(err)
	}
	want := &ServicesResult{
		Services: []Service{{Name: "payments", LogCount: 1200, ErrorCount: 37, ErrorRate: 0.0308, VolumeSharePct: 12.5,
			SeverityBreakdown: map[string]int64{"debug": 10, "info": 1100, "warn": 53, "error": 37}}},
		Sparkline:     []ServicePoint{{Time: "2026-11-25T14:00:00Z", Service: "payments", Count: 40}},
		TotalServices: 9,
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("got %+v", res)
	}
	if req := srv.requests()[0]; req.Path != "/api/projects/42/logs/services/" || !strings.Contains(req.Body, `"serviceNameSearch":"pay"`) {
		t.Errorf("%s %s", req.Path, req.Body)
	}

	_, c = serveFixed(t, 200, `{"services":[],"sparkline":[]}`)
	res, err = c.Services(context.Background(), testAuth, ServicesQuery{})
	if err != nil || res.TotalServices != 0 {
		t.Errorf("older deployment: %+v %v", res, err)
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		name, body, breakdown string
		want                  []SparklinePoint
	}{
		{
			name: "bare array by severity", body: `[{"time":"t1","severity":"error","count":12,"bytes_uncompressed":3456},{"time":"t1","severity":"info","count":0}]`,
			want: []SparklinePoint{{Time: "t1", Series: "error", Count: 12}, {Time: "t1", Series: "info", Count: 0}},
		},
		{
			name: "by service", breakdown: "service", body: `[{"time":"t1","service":"checkout","count":3},{"time":"t1","service":"(no value)","count":1}]`,
			want: []SparklinePoint{{Time: "t1", Series: "checkout", Count: 3}, {Time: "t1", Series: "(no value)", Count: 1}},
		},
		{
			name: "documented results wrapper", body: `{"results":[{"time":"t2","severity":"warn","count":2}]}`,
			want: []SparklinePoint{{Time: "t2", Series: "warn", Count: 2}},
		},
		{name: "empty", body: `[]`, want: []SparklinePoint{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := serveFixed(t, 200, tt.body)
			got, err := c.Sparkline(context.Background(), testAuth, SparklineQuery{BreakdownBy: tt.breakdown})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v", got)
			}
			if tt.breakdown != "" && !strings.Contains(srv.requests()[0].Body, `"sparklineBreakdownBy":"service"`) {
				t.Errorf("body %s", srv.requests()[0].Body)
			}
		})
	}
}

func TestCount(t *testing.T) {
	for body, want := range map[string]int64{`{"count":1234}`: 1234, `{"results":{"count":5}}`: 5, `{"count":0}`: 0} {
		_, c := serveFixed(t, 200, body)
		n, err := c.Count(context.Background(), testAuth, Filters{Search: "x"})
		if err != nil || n != want {
			t.Errorf("%s: %d %v", body, n, err)
		}
	}
	for _, body := range []string{`{}`, `{"count":"x"}`, `{"count":-1}`} {
		_, c := serveFixed(t, 200, body)
		if _, err := c.Count(context.Background(), testAuth, Filters{}); asError(t, err).Kind != KindUpstream {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestAttributes(t *testing.T) {
	srv, c := serveFixed(t, 200, `{"results":[{"name":"k8s.pod.name","propertyFilterType":"log_resource_attribute"}],"count":57}`)
	from := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	res, err := c.Attributes(context.Background(), testAuth, AttributesQuery{
		From: from, To: from.Add(time.Hour), Services: []string{"checkout"}, Search: "k8s", Resource: true, Limit: 500, Offset: 100,
		Properties: []PropertyFilter{{Key: "k8s.namespace.name", Type: "log_resource_attribute", Operator: "exact", Value: "prod"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, &AttributesResult{Results: []Attribute{{Name: "k8s.pod.name", Type: "log_resource_attribute"}}, Count: 57}) {
		t.Errorf("got %+v", res)
	}
	req := srv.requests()[0]
	q, _ := url.ParseQuery(req.Query)
	if req.Method != "GET" || req.Path != "/api/projects/42/logs/attributes/" || req.Body != "" {
		t.Errorf("%s %s %q", req.Method, req.Path, req.Body)
	}
	if q.Get("attribute_type") != "resource" || q.Get("limit") != "100" || q.Get("offset") != "100" || q.Get("search") != "k8s" {
		t.Errorf("query %v", q)
	}
	jsonEqual(t, q.Get("dateRange"), `{"date_from":"2026-11-25T12:00:00Z","date_to":"2026-11-25T13:00:00Z"}`)
	jsonEqual(t, q.Get("serviceNames"), `["checkout"]`)
	jsonEqual(t, q.Get("filterGroup"), `{"type":"AND","values":[{"type":"AND","values":[{"key":"k8s.namespace.name","type":"log_resource_attribute","operator":"exact","value":"prod"}]}]}`)

	_, c = serveFixed(t, 200, `[{"name":"http.route","propertyFilterType":"log"}]`)
	res, err = c.Attributes(context.Background(), testAuth, AttributesQuery{})
	if err != nil || res.Count != 1 || res.Results[0].Name != "http.route" {
		t.Errorf("bare array: %+v %v", res, err)
	}
}

func TestValues(t *testing.T) {
	srv, c := serveFixed(t, 200, `{"results":[{"id":"checkout","name":"checkout","count":412},{"id":"auth","name":"auth"},{"id":200,"name":null,"count":null}],"refreshing":true}`)
	res, err := c.Values(context.Background(), testAuth, ValuesQuery{Key: "service.name", Resource: true, Value: "che", Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Refreshing || len(res.Results) != 3 || res.Results[0].Value != "checkout" || *res.Results[0].Count != 412 ||
		res.Results[1].Count != nil || res.Results[2].Value != "200" || res.Results[2].Count != nil {
		t.Errorf("got %+v", res)
	}
	q, _ := url.ParseQuery(srv.requests()[0].Query)
	if q.Get("key") != "service.name" || q.Get("attribute_type") != "resource" || q.Get("value") != "che" || q.Get("limit") != "20" {
		t.Errorf("query %v", q)
	}
	if q.Get("filterGroup") != "" {
		t.Error("no properties should send no filterGroup")
	}

	_, c = serveFixed(t, 200, `[{"id":"a","name":"a"}]`)
	res, err = c.Values(context.Background(), testAuth, ValuesQuery{Key: "k"})
	if err != nil || len(res.Results) != 1 || res.Results[0].Value != "a" {
		t.Errorf("bare array: %+v %v", res, err)
	}
}

func TestExplain(t *testing.T) {
	srv, c := serveFixed(t, 200, `{"headline":"Card expired at payment provider","severity_assessment":"error","impact_summary":"i",
		"probable_causes":[{"hypothesis":"h","confidence":"high","reasoning":"r"}],
		"immediate_actions":[{"action":"a","priority":"now","why":"w"}],"technical_explanation":"t",
		"key_fields":[{"field":"f","value":"v","significance":"s","attribute_type":"log"}]}`)
	ex, err := c.Explain(context.Background(), testAuth, ExplainRequest{UUID: "0199", Timestamp: "2026-11-25T14:02:03.123456Z", ForceRefresh: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &Explanation{Headline: "Card expired at payment provider", SeverityAssessment: "error", ImpactSummary: "i",
		TechnicalExplanation: "t", ProbableCauses: []Cause{{"h", "high", "r"}}, ImmediateActions: []Action{{"a", "now", "w"}},
		KeyFields: []KeyField{{"f", "v", "s", "log"}}}
	if !reflect.DeepEqual(ex, want) {
		t.Errorf("got %+v", ex)
	}
	req := srv.requests()[0]
	if req.Path != "/api/projects/42/logs/explainLogWithAI/" {
		t.Error(req.Path)
	}
	jsonEqual(t, req.Body, `{"uuid":"0199","timestamp":"2026-11-25T14:02:03.123456Z","force_refresh":true}`)
}

const sampleView = `{"id":"0b7e","short_id":"AbCd1234","name":"checkout errors","filters":{"dateRange":{"date_from":"-1h"},
	"severityLevels":["error"],"serviceNames":["checkout"],"filterGroup":{"type":"AND","values":[]}},"columns":null,"pinned":true,
	"created_at":"2026-11-25T10:00:00Z","updated_at":"2026-11-25T11:00:00Z",
	"created_by":{"id":1,"uuid":"u","distinct_id":"d","first_name":"Ada","last_name":"L","email":"ada@example.com","is_email_verified":true}}`

func TestViews(t *testing.T) {
	ctx := context.Background()
	t.Run("list", func(t *testing.T) {
		srv, c := serveFixed(t, 200, `{"count":1,"next":null,"previous":null,"results":[`+sampleView+`]}`)
		list, err := c.ListViews(ctx, testAuth, 10, 20)
		if err != nil || list.Count != 1 || list.Next != "" || len(list.Results) != 1 {
			t.Fatalf("%+v %v", list, err)
		}
		v := list.Results[0]
		if v.ShortID != "AbCd1234" || !v.Pinned || v.CreatedBy.Email != "ada@example.com" || v.Filters.DateRange.DateFrom != "-1h" ||
			!reflect.DeepEqual(v.Filters.SeverityLevels, []string{"error"}) {
			t.Errorf("view %+v", v)
		}
		if req := srv.requests()[0]; req.Path != "/api/projects/42/logs/views/" || req.Query != "limit=10&offset=20" {
			t.Errorf("%s?%s", req.Path, req.Query)
		}
	})
	t.Run("get", func(t *testing.T) {
		srv, c := serveFixed(t, 200, sampleView)
		v, err := c.GetView(ctx, testAuth, "AbCd1234")
		if err != nil || v.Name != "checkout errors" {
			t.Fatalf("%+v %v", v, err)
		}
		if req := srv.requests()[0]; req.Method != "GET" || req.Path != "/api/projects/42/logs/views/AbCd1234/" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
	})
	t.Run("create", func(t *testing.T) {
		srv, c := serveFixed(t, 201, sampleView)
		fg, _ := EncodeFilterGroup([]PropertyFilter{{Key: "http.route", Type: "log_attribute", Operator: "exact", Value: "/pay"}})
		v, err := c.CreateView(ctx, testAuth, ViewInput{Name: "checkout errors", Pinned: true, Filters: ViewFilters{
			DateRange: &DateRange{DateFrom: "-1h"}, SeverityLevels: []string{"ERROR"}, ServiceNames: []string{"checkout"}, FilterGroup: fg}})
		if err != nil || v.ShortID != "AbCd1234" {
			t.Fatalf("%+v %v", v, err)
		}
		req := srv.requests()[0]
		if req.Method != "POST" || req.Path != "/api/projects/42/logs/views/" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
		jsonEqual(t, req.Body, `{"name":"checkout errors","pinned":true,"filters":{"dateRange":{"date_from":"-1h"},
			"severityLevels":["error"],"serviceNames":["checkout"],"filterGroup":`+string(fg)+`}}`)
	})
	t.Run("patch sends only set fields", func(t *testing.T) {
		srv, c := serveFixed(t, 200, sampleView)
		pinned := false
		if _, err := c.UpdateView(ctx, testAuth, "AbCd1234", ViewPatch{Pinned: &pinned}); err != nil {
			t.Fatal(err)
		}
		req := srv.requests()[0]
		if req.Method != "PATCH" || req.Path != "/api/projects/42/logs/views/AbCd1234/" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
		jsonEqual(t, req.Body, `{"pinned":false}`)
	})
	t.Run("delete", func(t *testing.T) {
		srv, c := serveFixed(t, 204, "")
		if err := c.DeleteView(ctx, testAuth, "AbCd1234"); err != nil {
			t.Fatal(err)
		}
		if req := srv.requests()[0]; req.Method != "DELETE" || req.Path != "/api/projects/42/logs/views/AbCd1234/" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
	})
	t.Run("validation error body", func(t *testing.T) {
		_, c := serveFixed(t, 400, `{"type":"validation_error","code":"required","detail":"This field is required.","attr":"name"}`)
		_, err := c.CreateView(ctx, testAuth, ViewInput{Name: "x"})
		if e := asError(t, err); e.Kind != KindValidation || e.Attr != "name" || e.Code != "required" {
			t.Errorf("%+v", e)
		}
	})
}

func TestIntrospect(t *testing.T) {
	ctx := context.Background()
	t.Run("personal key", func(t *testing.T) {
		srv, c := serveFixed(t, 200, `{"id":"k","label":"mcp","mask_value":"phx_...abcd","scopes":["logs:read"],"scoped_teams":[42],"scoped_organizations":[]}`)
		info, err := c.Introspect(ctx, testKey)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(info, &KeyInfo{Label: "mcp", Scopes: []string{"logs:read"}, Teams: []int64{42}}) {
			t.Errorf("%+v", info)
		}
		req := srv.requests()[0]
		if req.Method != "GET" || req.Path != "/api/personal_api_keys/@current/" || req.Header.Get("Authorization") != "Bearer "+testKey {
			t.Errorf("%s %s", req.Method, req.Path)
		}
	})
	t.Run("oauth token", func(t *testing.T) {
		srv, c := serveFixed(t, 200, `{"active":true,"scope":"logs:read logs:write","scoped_teams":[1]}`)
		info, err := c.Introspect(ctx, "pha_token_abcdefgh")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(info, &KeyInfo{Label: "OAuth access token", Scopes: []string{"logs:read", "logs:write"}, Teams: []int64{1}, OAuth: true}) {
			t.Errorf("%+v", info)
		}
		req := srv.requests()[0]
		if req.Method != "POST" || req.Path != "/oauth/introspect" {
			t.Errorf("%s %s", req.Method, req.Path)
		}
		jsonEqual(t, req.Body, `{"token":"pha_token_abcdefgh"}`)
	})
	t.Run("inactive oauth token", func(t *testing.T) {
		_, c := serveFixed(t, 200, `{"active":false}`)
		_, err := c.Introspect(ctx, "pha_token_abcdefgh")
		if e := asError(t, err); e.Kind != KindAuth || strings.Contains(e.Error(), "pha_token") {
			t.Errorf("%+v", e)
		}
	})
	t.Run("invalid key", func(t *testing.T) {
		_, c := serveFixed(t, 401, `{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request Authorization header is invalid.","attr":null}`)
		_, err := c.Introspect(ctx, testKey)
		if e := asError(t, err); e.Kind != KindAuth || e.Status != 401 {
			t.Errorf("%+v", e)
		}
	})
}

func TestKeyInfoAllows(t *testing.T) {
	tests := []struct {
		scopes []string
		scope  string
		want   bool
	}{
		{nil, "logs:write", true},
		{[]string{}, "logs:read", true},
		{[]string{"*"}, "logs:write", true},
		{[]string{"logs:read"}, "logs:read", true},
		{[]string{"logs:read"}, "logs:write", false},
		{[]string{"logs:write"}, "logs:read", true},
		{[]string{"query:read"}, "logs:read", false},
		{[]string{"query:write"}, "logs:read", false},
	}
	for _, tt := range tests {
		if got := (KeyInfo{Scopes: tt.scopes}).Allows(tt.scope); got != tt.want {
			t.Errorf("%v allows %s = %v, want %v", tt.scopes, tt.scope, got, tt.want)
		}
	}
	if !(KeyInfo{}).AllTeams() || (KeyInfo{Teams: []int64{1}}).AllTeams() {
		t.Error("AllTeams")
	}
	if !(KeyInfo{Teams: []int64{1}}).AllowsProject(1) || (KeyInfo{Teams: []int64{1}}).AllowsProject(2) || !(KeyInfo{}).AllowsProject(9) {
		t.Error("AllowsProject")
	}
}
