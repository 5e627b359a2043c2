package client

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	winFrom = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	winTo   = winFrom.Add(time.Hour)
)

func ptrI(n int64) *int64     { return &n }
func ptrF(f float64) *float64 { return &f }

// specPattern is the pattern of the contract's example (section 11).
const specPattern = `{
   "pattern": "User <*> not found", "count": 3, "estimated_count": 3, "error_count": 3, "estimated_error_count": 3,
   "volume_share_pct": 100.0, "first_seen": "2026-11-25T14:50:00+00:00", "last_seen": "2026-11-25T14:55:00+00:00",
   "examples": [{"body": "User alice not found", "severity_text": "error", "service_name": "auth", "timestamp": "2026-11-25T14:50:00+00:00"}],
   "services": ["auth"], "sparkline": [3], "severity_counts": {"error": 3},
   "match_regex": "^\\s*User\\s+\\S+\\s+not\\s+found\\s*$", "match_literal": "not found",
   "match_patterns": [], "pattern_version": null, "pattern_truncated": false,
   "match_patterns_omitted": 0, "match_regex_omitted": false, "match_literal_truncated": false}`

func specPatternWant() Pattern {
	return Pattern{
		Pattern: "User <*> not found", Count: 3, EstimatedCount: 3, ErrorCount: 3, EstimatedErrorCount: 3,
		VolumeSharePct: 100, FirstSeen: winFrom.Add(50 * time.Minute), LastSeen: winFrom.Add(55 * time.Minute),
		Examples: []PatternExample{{Body: "User alice not found", SeverityText: "error", ServiceName: "auth", Timestamp: winFrom.Add(50 * time.Minute)}},
		Services: []string{"auth"}, Sparkline: []float64{3}, SeverityCounts: map[string]int64{"error": 3},
		MatchRegex: `^\s*User\s+\S+\s+not\s+found\s*$`, MatchLiteral: "not found", MatchPatterns: []string{},
	}
}

func TestPatterns(t *testing.T) {
	full := `{"patterns": [` + specPattern + `],
 "returned_pattern_count": 1, "omitted_pattern_count": 0,
 "scanned_count": 3, "total_count": 3, "sampled": false, "sample_coverage_pct": 100.0,
 "sparkline_buckets": [{"start": "2026-11-25T14:00:00+00:00", "end": "2026-11-25T15:00:00+00:00"}],
 "source": "body_mining", "pattern_version": null, "fallback_reason": "flag_disabled",
 "pattern_coverage_pct": null, "represented_count": null, "remainder_count": null}`
	fullWant := &PatternsResult{
		Patterns: []Pattern{specPatternWant()}, ReturnedPatternCount: 1, ScannedCount: 3, TotalCount: 3,
		SampleCoveragePct: 100, SparklineBuckets: []PatternBucket{{Start: winFrom, End: winTo}},
		Source: "body_mining", FallbackReason: "flag_disabled",
	}
	tests := []struct {
		name  string
		query PatternsQuery
		wire  string // expected request body
		body  string // response
		want  *PatternsResult
	}{
		{
			name:  "contract example, whole templates",
			query: PatternsQuery{Filters: Filters{From: winFrom, To: winTo}, Limit: 20},
			wire:  `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z","date_to":"2026-11-25T15:00:00Z"},"limit":20,"maxPatternChars":0}}`,
			body:  full, want: fullWant,
		},
		{
			name: "filters, cut templates",
			query: PatternsQuery{Filters: Filters{From: winFrom, To: winTo, Severities: []string{"error"}, Services: []string{"auth"}, Search: "not found",
				Properties: []PropertyFilter{{Key: "service.version", Type: TypeLogResourceAttribute, Operator: "exact", Value: "2.14.0"}}},
				Limit: 200, MaxPatternChars: 80},
			wire: `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z","date_to":"2026-11-25T15:00:00Z"},
				"severityLevels":["error"],"serviceNames":["auth"],"searchTerm":"not found",
				"filterGroup":{"type":"AND","values":[{"type":"AND","values":[{"key":"service.version","type":"log_resource_attribute","operator":"exact","value":"2.14.0"}]}]},
				"limit":200,"maxPatternChars":80}}`,
			body: full, want: fullWant,
		},
		{
			name:  "older deployment: minimal fields, naive and Z timestamps, float counts, extras",
			query: PatternsQuery{Filters: Filters{From: winFrom, To: winTo}, Limit: 5},
			wire:  `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z","date_to":"2026-11-25T15:00:00Z"},"limit":5,"maxPatternChars":0}}`,
			body: `{"patterns":[{"pattern":"db <*> timeout","count":7.0,"error_count":2,"first_seen":"2026-11-25T14:01:02.5","last_seen":"2026-11-25T14:59:59.123456789Z",
				"examples":[{"body":"db a timeout","timestamp":"2026-11-25 14:01:02.500000","extra":{"x":1}}],"new_field":[1,2]}],
				"scanned_count":10000,"total_count":52000,"sampled":true,"unknown":{"a":null}}`,
			want: &PatternsResult{
				Patterns: []Pattern{{Pattern: "db <*> timeout", Count: 7, EstimatedCount: 7, ErrorCount: 2, EstimatedErrorCount: 2,
					FirstSeen: winFrom.Add(62500 * time.Millisecond), LastSeen: winTo.Add(-time.Second + 123456789),
					Examples: []PatternExample{{Body: "db a timeout", Timestamp: winFrom.Add(62500 * time.Millisecond)}}}},
				ReturnedPatternCount: 1, ScannedCount: 10000, TotalCount: 52000, Sampled: true,
				SampleCoveragePct: 10000 * 100.0 / 52000,
			},
		},
		{
			name:  "stored patterns",
			query: PatternsQuery{Filters: Filters{From: winFrom, To: winTo}, Limit: 1},
			wire:  `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z","date_to":"2026-11-25T15:00:00Z"},"limit":1,"maxPatternChars":0}}`,
			body: `{"patterns":[{"pattern":"a <*> [cut at 80 chars, re-run with maxPatternChars=0 for the whole template]","count":9,"estimated_count":9,
				"error_count":0,"estimated_error_count":0,"volume_share_pct":45.5,"match_regex":null,"match_literal":null,
				"match_patterns":["a <*>"],"pattern_version":7,"pattern_truncated":true,"match_patterns_omitted":2,"match_regex_omitted":true}],
				"returned_pattern_count":1,"omitted_pattern_count":4,"scanned_count":20,"total_count":20,"sampled":false,"sample_coverage_pct":100,
				"source":"stored_patterns","pattern_version":7,"fallback_reason":null,"pattern_coverage_pct":99.5,"represented_count":19,"remainder_count":1}`,
			want: &PatternsResult{
				Patterns: []Pattern{{Pattern: "a <*> [cut at 80 chars, re-run with maxPatternChars=0 for the whole template]", Count: 9, EstimatedCount: 9,
					VolumeSharePct: 45.5, MatchPatterns: []string{"a <*>"}, PatternVersion: ptrI(7), PatternTruncated: true,
					MatchPatternsOmitted: 2, MatchRegexOmitted: true}},
				ReturnedPatternCount: 1, OmittedPatternCount: 4, ScannedCount: 20, TotalCount: 20, SampleCoveragePct: 100,
				Source: "stored_patterns", PatternVersion: ptrI(7), PatternCoveragePct: ptrF(99.5), RepresentedCount: ptrI(19), RemainderCount: ptrI(1),
			},
		},
		{
			name:  "empty window",
			query: PatternsQuery{Filters: Filters{From: winFrom, To: winTo}, Limit: 20, MaxPatternChars: 400},
			wire:  `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z","date_to":"2026-11-25T15:00:00Z"},"limit":20,"maxPatternChars":400}}`,
			body:  `{"patterns":[],"returned_pattern_count":0,"omitted_pattern_count":0,"scanned_count":0,"total_count":0,"sampled":false,"sample_coverage_pct":100.0,"sparkline_buckets":[],"source":"body_mining","fallback_reason":"empty_window"}`,
			want:  &PatternsResult{Patterns: []Pattern{}, SampleCoveragePct: 100, Source: "body_mining", FallbackReason: "empty_window"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := serveFixed(t, 200, tt.body)
			got, err := c.Patterns(context.Background(), testAuth, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			req := srv.requests()[0]
			if req.Method != "POST" || req.Path != "/api/projects/42/logs/patterns/" {
				t.Errorf("%s %s", req.Method, req.Path)
			}
			jsonEqual(t, req.Body, tt.wire)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPatternsRefusedBeforeSending(t *testing.T) {
	srv, c := serveFixed(t, 200, `{}`)
	ok := Filters{From: winFrom, To: winTo}
	for _, q := range []PatternsQuery{
		{Filters: ok, Limit: 0},
		{Filters: ok, Limit: 201},
		{Filters: ok, Limit: -1},
		{Filters: ok, Limit: 10, MaxPatternChars: 79},
		{Filters: ok, Limit: 10, MaxPatternChars: -1},
		{Filters: Filters{From: winTo, To: winFrom}, Limit: 10},
		{Filters: Filters{Properties: []PropertyFilter{{Key: "message", Type: TypeLog, Operator: "regex", Value: "(("}}}, Limit: 10},
	} {
		_, err := c.Patterns(context.Background(), testAuth, q)
		if e := asError(t, err); e.Kind != KindValidation || !e.NotSent {
			t.Errorf("%+v: %+v", q, e)
		}
	}
	if srv.count() != 0 {
		t.Errorf("%d requests sent", srv.count())
	}
}

func TestPatternsDiff(t *testing.T) {
	body := `{"entries": [
		{"classification": "new", "rate_ratio": null, "pattern": ` + specPattern + `, "baseline_estimated_count": null, "baseline_volume_share_pct": null},
		{"classification": "rate_shift", "rate_ratio": 4.0, "pattern": {"pattern": "card <*> declined", "count": 200, "estimated_count": 200, "error_count": 0}, "baseline_estimated_count": 50, "baseline_volume_share_pct": 10.0},
		{"classification": "gone", "pattern": {"pattern": "cache warm", "count": 12}, "baseline_estimated_count": 12, "baseline_volume_share_pct": 2.4},
		{"classification": "unchanged", "rate_ratio": 1, "pattern": "legacy bare template"}],
	 "current":  {"scanned_count": 900, "total_count": 900, "sampled": false, "sample_coverage_pct": 100.0,
				  "date_from": "2026-11-25T14:00:00+00:00", "date_to": "2026-11-25T15:00:00+00:00", "source": "body_mining"},
	 "baseline": {"scanned_count": 500, "total_count": 1000, "sampled": true, "sample_coverage_pct": 50,
				  "date_from": "2026-11-25T13:00:00", "date_to": "2026-11-25T14:00:00Z"}}`
	srv, c := serveFixed(t, 200, body)
	got, err := c.PatternsDiff(context.Background(), testAuth, PatternsDiffQuery{
		Filters:      Filters{From: winFrom, To: winTo, Services: []string{"auth"}},
		BaselineFrom: winFrom.Add(-time.Hour), BaselineTo: winFrom,
	})
	if err != nil {
		t.Fatal(err)
	}
	req := srv.requests()[0]
	if req.Path != "/api/projects/42/logs/patterns_diff/" {
		t.Errorf("path %s", req.Path)
	}
	jsonEqual(t, req.Body, `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z","date_to":"2026-11-25T15:00:00Z"},"serviceNames":["auth"]},
		"baselineDateRange":{"date_from":"2026-11-25T13:00:00Z","date_to":"2026-11-25T14:00:00Z"}}`)
	want := &PatternsDiffResult{
		Entries: []DiffEntry{
			{Classification: DiffNew, Pattern: specPatternWant()},
			{Classification: DiffRateShift, RateRatio: ptrF(4), Pattern: Pattern{Pattern: "card <*> declined", Count: 200, EstimatedCount: 200},
				BaselineEstimatedCount: ptrI(50), BaselineVolumeSharePct: ptrF(10)},
			{Classification: DiffGone, Pattern: Pattern{Pattern: "cache warm", Count: 12, EstimatedCount: 12}, BaselineEstimatedCount: ptrI(12), BaselineVolumeSharePct: ptrF(2.4)},
			{Classification: DiffUnchanged, RateRatio: ptrF(1), Pattern: Pattern{Pattern: "legacy bare template"}},
		},
		Current:  DiffWindow{ScannedCount: 900, TotalCount: 900, SampleCoveragePct: 100, From: winFrom, To: winTo},
		Baseline: DiffWindow{ScannedCount: 500, TotalCount: 1000, Sampled: true, SampleCoveragePct: 50, From: winFrom.Add(-time.Hour), To: winFrom},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	for _, q := range []PatternsDiffQuery{
		{Filters: Filters{From: winFrom, To: winTo}},
		{Filters: Filters{From: winFrom, To: winTo}, BaselineFrom: winFrom},
		{Filters: Filters{From: winFrom, To: winTo}, BaselineFrom: winFrom, BaselineTo: winFrom.Add(-time.Hour)},
	} {
		_, err := c.PatternsDiff(context.Background(), testAuth, q)
		if e := asError(t, err); e.Kind != KindValidation || !e.NotSent {
			t.Errorf("%+v: %+v", q, e)
		}
	}
	if srv.count() != 1 {
		t.Errorf("%d requests, want 1", srv.count())
	}
}

func TestGroupBy(t *testing.T) {
	tests := []struct {
		name  string
		query GroupByQuery
		wire  string
		body  string
		want  *GroupByResult
	}{
		{
			name: "two dimensions ordered by errors",
			query: GroupByQuery{Filters: Filters{From: winFrom, To: winTo, Severities: []string{"error"}},
				GroupBys: []GroupBy{{Key: "service.name", Source: GroupByResource}, {Key: "severity_level", Source: GroupByColumn}}, OrderBy: "error_count", Limit: 10},
			wire: `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z","date_to":"2026-11-25T15:00:00Z"},"severityLevels":["error"],
				"groupBys":[{"key":"service.name","source":"resource"},{"key":"severity_level","source":"column"}],"orderGroupsBy":"error_count","limit":10}}`,
			body: `{"groups": [{"value": "checkout", "values": ["checkout", "error"], "log_count": 1200, "error_count": 1200,
				"last_seen": "2026-11-25T14:59:58.123000+00:00"}], "total_groups": 17, "total_logs": 5310, "truncated": true}`,
			want: &GroupByResult{Groups: []Group{{Values: []string{"checkout", "error"}, LogCount: 1200, ErrorCount: 1200,
				LastSeen: winTo.Add(-2*time.Second + 123*time.Millisecond)}}, TotalGroups: 17, TotalLogs: 5310, Truncated: true},
		},
		{
			name:  "default source and order, lenient answer",
			query: GroupByQuery{Filters: Filters{From: winFrom, To: winTo}, GroupBys: []GroupBy{{Key: "http.route"}}},
			wire:  `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z","date_to":"2026-11-25T15:00:00Z"},"groupBys":[{"key":"http.route","source":"log"}]}}`,
			body:  `{"groups":[{"value":"/api/pay","log_count":3.0,"error_count":null,"last_seen":"2026-11-25T14:00:00","x":1},{"values":[404],"log_count":1}],"total_logs":4,"extra":true}`,
			want: &GroupByResult{Groups: []Group{{Values: []string{"/api/pay"}, LogCount: 3, LastSeen: winFrom}, {Values: []string{"404"}, LogCount: 1}},
				TotalGroups: 2, TotalLogs: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := serveFixed(t, 200, tt.body)
			got, err := c.GroupBy(context.Background(), testAuth, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			req := srv.requests()[0]
			if req.Path != "/api/projects/42/logs/group-by/" {
				t.Errorf("path %s", req.Path)
			}
			jsonEqual(t, req.Body, tt.wire)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestGroupByRefusedBeforeSending(t *testing.T) {
	srv, c := serveFixed(t, 200, `{}`)
	dims := func(keys ...string) []GroupBy {
		out := []GroupBy{}
		for _, k := range keys {
			out = append(out, GroupBy{Key: k})
		}
		return out
	}
	tests := []struct {
		q    GroupByQuery
		want string
	}{
		{GroupByQuery{}, "between 1 and 4"},
		{GroupByQuery{GroupBys: dims("a", "b", "c", "d", "e")}, "between 1 and 4"},
		{GroupByQuery{GroupBys: dims(" ")}, "groupBys[0]: the key is empty"},
		{GroupByQuery{GroupBys: []GroupBy{{Key: "a"}, {Key: "k", Source: "attr"}}}, "groupBys[1]: source must be"},
		{GroupByQuery{GroupBys: []GroupBy{{Key: "message", Source: GroupByColumn}}}, "key must be one of severity_level, trace_id, span_id"},
		{GroupByQuery{GroupBys: []GroupBy{{Key: "a"}, {Key: "a", Source: GroupByLog}}}, "groupBys[1]: log \"a\" is listed twice"},
		{GroupByQuery{GroupBys: dims("a"), OrderBy: "count"}, "order must be one of"},
		{GroupByQuery{GroupBys: dims("a"), Limit: 501}, "limit must be between 1 and 500"},
		{GroupByQuery{GroupBys: dims("a"), Limit: -1}, "limit must be between 1 and 500"},
	}
	for _, tt := range tests {
		_, err := c.GroupBy(context.Background(), testAuth, tt.q)
		e := asError(t, err)
		if e.Kind != KindValidation || !e.NotSent || !strings.Contains(e.Detail, tt.want) {
			t.Errorf("%+v: %+v, want %q", tt.q, e, tt.want)
		}
	}
	if srv.count() != 0 {
		t.Errorf("%d requests sent", srv.count())
	}
}

// newEndpointCalls runs each new endpoint once against c.
func newEndpointCalls(c *Client) map[string]func() error {
	ctx := context.Background()
	f := Filters{From: winFrom, To: winTo}
	return map[string]func() error{
		"patterns": func() error {
			_, err := c.Patterns(ctx, testAuth, PatternsQuery{Filters: f, Limit: 20})
			return err
		},
		"patterns_diff": func() error {
			_, err := c.PatternsDiff(ctx, testAuth, PatternsDiffQuery{Filters: f, BaselineFrom: winFrom.Add(-time.Hour), BaselineTo: winFrom})
			return err
		},
		"group-by": func() error {
			_, err := c.GroupBy(ctx, testAuth, GroupByQuery{Filters: f, GroupBys: []GroupBy{{Key: "service.name", Source: GroupByResource}}})
			return err
		},
	}
}

func TestNewEndpointErrors(t *testing.T) {
	endpointNotFound := `{"type":"invalid_request","code":"not_found","detail":"Endpoint not found.","attr":null}`
	tests := []struct {
		name     string
		status   int
		body     string
		kind     Kind
		requests int
		detail   string
	}{
		{"400 validation", 400, `{"type":"validation_error","code":"invalid_input","detail":"limit must be 1 or greater.","attr":null}`, KindValidation, 1, "limit must be 1 or greater."},
		{"400 error shape", 400, `{"error":"group_bys must contain between 1 and 4 dimensions"}`, KindValidation, 1, "group_bys must contain between 1 and 4 dimensions"},
		{"404 older PostHog", 404, endpointNotFound, KindUnsupported, 2, "does not offer"},
		{"404 plain", 404, `{"detail":"Not found."}`, KindUnsupported, 1, "does not offer"},
		{"404 html", 404, `<html><body>Not Found</body></html>`, KindUnsupported, 1, "does not offer"},
		{"405 route without POST", 405, `{"type":"invalid_request","code":"method_not_allowed","detail":"Method \"POST\" not allowed.","attr":null}`, KindUnsupported, 1, "does not offer"},
		{"404 project", 404, `{"type":"invalid_request","code":"not_found","detail":"Project not found.","attr":null}`, KindNotFound, 1, "Project not found."},
		{"401", 401, `{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request Authorization header is invalid.","attr":null}`, KindAuth, 1, "invalid"},
		{"500 heavy", 500, `{"error":"boom"}`, KindUpstream, 1, "narrow the time range"},
	}
	for _, tt := range tests {
		for endpoint := range newEndpointCalls(nil) {
			t.Run(tt.name+"/"+endpoint, func(t *testing.T) {
				srv, c := serveFixed(t, tt.status, tt.body)
				err := newEndpointCalls(c)[endpoint]()
				e := asError(t, err)
				if e.Kind != tt.kind || e.NotSent || !strings.Contains(e.Detail, tt.detail) || srv.count() != tt.requests {
					t.Errorf("got %+v after %d requests", e, srv.count())
				}
				if c.useEnvironments.Load() {
					t.Error("an unsupported endpoint pinned the environments alias")
				}
			})
		}
	}
}

// TestNewEndpointUnsupportedKeepsPin: on a host that serves logs only under the deprecated
// alias, an endpoint neither prefix knows must not unpin the alias.
func TestNewEndpointUnsupportedKeepsPin(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasPrefix(r.URL.Path, "/api/environments/") && strings.HasSuffix(r.URL.Path, "/logs/count/") {
			writeJSON(w, 200, `{"count":1}`)
			return
		}
		writeJSON(w, 404, `{"detail":"Endpoint not found."}`)
	})
	c, _ := newTestClient(t, srv.URL)
	if _, err := c.Count(context.Background(), testAuth, Filters{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Patterns(context.Background(), testAuth, PatternsQuery{Limit: 5})
	if e := asError(t, err); e.Kind != KindUnsupported {
		t.Fatalf("got %+v", e)
	}
	if !c.useEnvironments.Load() {
		t.Error("the alias was unpinned by an endpoint the host does not have")
	}
}

func TestNewEndpointsRetriedLikeReads(t *testing.T) {
	for endpoint := range newEndpointCalls(nil) {
		t.Run(endpoint, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				switch n {
				case 1:
					writeJSON(w, 429, `{"type":"throttled_error","code":"throttled","detail":"Request was throttled. Expected available in 2 seconds.","attr":null}`)
				case 2:
					writeJSON(w, 503, `{"error":"busy"}`)
				case 3:
					resetConnection(t, w)
				default:
					writeJSON(w, 200, `{}`)
				}
			})
			c, rec := newTestClient(t, srv.URL)
			if err := newEndpointCalls(c)[endpoint](); err != nil {
				t.Fatal(err)
			}
			if srv.count() != 4 {
				t.Errorf("%d requests, want 4", srv.count())
			}
			if waits := rec.all(); len(waits) != 3 || waits[0] != 2*time.Second {
				t.Errorf("waits %v", waits)
			}
		})
	}
}

func TestNewEndpointsShapeErrors(t *testing.T) {
	for _, body := range []string{`[]`, `"ok"`, `{"patterns":"x"}`, `{"groups":{}}`, `{"entries":[{"pattern":5}]}`, `{`, ``} {
		for endpoint := range newEndpointCalls(nil) {
			srv, c := serveFixed(t, 200, body)
			err := newEndpointCalls(c)[endpoint]()
			if body == `{"patterns":"x"}` && endpoint != "patterns" || body == `{"groups":{}}` && endpoint != "group-by" ||
				body == `{"entries":[{"pattern":5}]}` && endpoint != "patterns_diff" {
				if err != nil {
					t.Errorf("%s %q: %v", endpoint, body, err)
				}
				continue
			}
			if e := asError(t, err); e.Kind != KindUpstream || srv.count() != 1 {
				t.Errorf("%s %q: %+v after %d requests", endpoint, body, e, srv.count())
			}
		}
	}
}

func TestSlowBudget(t *testing.T) {
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.slowTimeout < 60*time.Second || c.slowBudget <= c.slowTimeout {
		t.Errorf("patterns may mine for 60 s: attempt %v, budget %v", c.slowTimeout, c.slowBudget)
	}
	c, _ = New(Options{AttemptTimeout: 5 * time.Second, CallTimeout: 20 * time.Second})
	if c.slowTimeout != 5*time.Second || c.slowBudget != 20*time.Second {
		t.Errorf("explicit options not honoured: %v %v", c.slowTimeout, c.slowBudget)
	}
}

func TestLiveTail(t *testing.T) {
	row := strings.Replace(sampleRow, `"live_logs_checkpoint":null`, `"live_logs_checkpoint":"2026-11-25T14:02:04.5+00:00"`, 1)
	srv, c := serveFixed(t, 200, `{"results":[`+row+`],"hasMore":false,"nextCursor":null}`)
	checkpoint := time.Date(2026, 11, 25, 15, 2, 3, 123456000, time.FixedZone("CET", 3600))
	page, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{Filters: Filters{From: winFrom}, LiveLogsCheckpoint: checkpoint})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, srv.requests()[0].Body, `{"query":{"dateRange":{"date_from":"2026-11-25T14:00:00Z"},"liveLogsCheckpoint":"2026-11-25T14:02:03.123456Z"}}`)
	r := page.Results[0]
	if r.ObservedTimestamp != "2026-11-25T14:02:03.2Z" || !r.Checkpoint().Equal(winFrom.Add(124500*time.Millisecond)) {
		t.Errorf("observed %q checkpoint %v", r.ObservedTimestamp, r.Checkpoint())
	}
	if !(LogRow{}).Checkpoint().IsZero() {
		t.Error("a null checkpoint must be zero")
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 25, 14, 50, 0, 0, time.UTC)
	for in, w := range map[string]time.Time{
		"2026-11-25T14:50:00Z":             want,
		"2026-11-25T14:50:00+00:00":        want,
		"2026-11-25T14:50:00.000000+00:00": want,
		"2026-11-25T14:50:00":              want,
		"2026-11-25 14:50:00":              want,
		"2026-11-25T14:50:00.123456789":    want.Add(123456789),
		"2026-11-25T14:50:00.1Z":           want.Add(100 * time.Millisecond),
		"2026-11-25T15:50:00+01:00":        want,
		"2026-11-25T15:50:00+0100":         want,
		" 2026-11-25T14:50:00Z ":           want,
		"2026-11-25":                       time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
	} {
		got, err := ParseTime(in)
		if err != nil || !got.Equal(w) || got.Location() != time.UTC {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "yesterday", "-1h", "2026-13-01T00:00:00Z"} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestLogColumnFilters(t *testing.T) {
	tests := []struct {
		f    PropertyFilter
		want string // JSON of the encoded filter, or "error: text"
	}{
		{PropertyFilter{Key: "message", Type: TypeLog, Operator: "icontains", Value: "timeout"}, `{"key":"message","type":"log","operator":"icontains","value":"timeout"}`},
		{PropertyFilter{Key: "message", Type: TypeLog, Operator: "regex", Value: `^User\s+\S+`}, `{"key":"message","type":"log","operator":"regex","value":"^User\\s+\\S+"}`},
		{PropertyFilter{Key: "message", Type: TypeLog, Operator: "exact", Value: 5}, "error: message compares the log body as text"},
		{PropertyFilter{Key: "message", Type: TypeLog, Operator: "regex", Value: "(("}, "error: invalid regular expression"},
		{PropertyFilter{Key: "trace_id", Type: TypeLog, Operator: "exact", Value: "4bf92f3577b34da6a3ce929d0e0e4736"}, `{"key":"trace_id","type":"log","operator":"exact","value":"4bf92f3577b34da6a3ce929d0e0e4736"}`},
		{PropertyFilter{Key: "span_id", Type: TypeLog, Operator: "exact", Value: []any{"00f067aa0ba902b7", "APBnqguqArc="}}, `{"key":"span_id","type":"log","operator":"exact","value":["00f067aa0ba902b7","APBnqguqArc="]}`},
		{PropertyFilter{Key: "trace_id", Type: TypeLog, Operator: "exact", Value: "not an id!"}, "error: is not a hex (or base64) id"},
		{PropertyFilter{Key: "trace_id", Type: TypeLog, Operator: "is_set"}, `{"key":"trace_id","type":"log","operator":"is_set"}`},
		{PropertyFilter{Key: "pattern", Type: TypeLog, Operator: "exact", Value: []string{"User <*> not found", "User <num> not found"}}, `{"key":"pattern","type":"log","operator":"exact","value":["User <*> not found","User <num> not found"]}`},
		{PropertyFilter{Key: "pattern", Type: TypeLog, Operator: "exact", Value: "User <*> not found"}, `{"key":"pattern","type":"log","operator":"exact","value":"User <*> not found"}`},
		{PropertyFilter{Key: "pattern", Type: TypeLog, Operator: "icontains", Value: "User"}, "error: pattern supports only exact and is_not"},
		{PropertyFilter{Key: "pattern", Type: TypeLog, Operator: "exact", Value: 3}, "error: pattern needs a string or a list of strings"},
		{PropertyFilter{Key: "pattern_version", Type: TypeLog, Operator: "exact", Value: 7}, `{"key":"pattern_version","type":"log","operator":"exact","value":7}`},
		{PropertyFilter{Key: "pattern_version", Type: TypeLog, Operator: "exact", Value: float64(7)}, `{"key":"pattern_version","type":"log","operator":"exact","value":7}`},
		{PropertyFilter{Key: "pattern_version", Type: TypeLog, Operator: "exact", Value: "7"}, `{"key":"pattern_version","type":"log","operator":"exact","value":7}`},
		{PropertyFilter{Key: "pattern_version", Type: TypeLog, Operator: "exact", Value: 7.5}, "error: pattern_version needs an integer"},
		{PropertyFilter{Key: "pattern_version", Type: TypeLog, Operator: "exact", Value: []string{"7"}}, "error: pattern_version needs an integer, not a list"},
		{PropertyFilter{Key: "pattern_version", Type: TypeLog, Operator: "gt", Value: 7}, "error: pattern_version supports only exact and is_not"},
		{PropertyFilter{Key: "service_name", Type: TypeLog, Operator: "exact", Value: "x"}, "error: addresses the built-in fields"},
	}
	for _, tt := range tests {
		got, err := EncodeFilterGroup([]PropertyFilter{tt.f})
		if msg, isErr := strings.CutPrefix(tt.want, "error: "); isErr {
			if err == nil || !strings.Contains(err.Error(), msg) || !strings.HasPrefix(err.Error(), "filters[0] ") {
				t.Errorf("%+v: got %s, %v; want an error with %q", tt.f, got, err, msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tt.f, err)
			continue
		}
		jsonEqual(t, string(got), `{"type":"AND","values":[{"type":"AND","values":[`+tt.want+`]}]}`)
	}
}

// fakeClock is a manual clock whose sleep advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	onWait func()
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	f.mu.Unlock()
	return ctx.Err()
}

func TestWindowLimiter(t *testing.T) {
	l := newWindowLimiter([]windowLimit{{n: 3, per: time.Minute}, {n: 5, per: time.Hour}})
	t0 := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	steps := []struct {
		at   time.Duration
		key  string
		wait time.Duration
	}{
		{0, "a", 0}, {time.Second, "a", 0}, {2 * time.Second, "a", 0},
		{3 * time.Second, "a", time.Minute + limiterSlack - 3*time.Second}, // 3 in the last minute
		{3 * time.Second, "b", 0}, // keys are independent
		{time.Minute + limiterSlack, "a", 0},
		{time.Minute + limiterSlack + time.Second, "a", 0},
		{3 * time.Minute, "a", time.Hour + limiterSlack - 3*time.Minute}, // 5 in the last hour
		{time.Hour + limiterSlack, "a", 0},
	}
	for i, s := range steps {
		if got := l.reserve(s.key, at(s.at)); got != s.wait {
			t.Errorf("step %d (%v, %s): wait %v, want %v", i, s.at, s.key, got, s.wait)
		}
	}
	// Idle keys are forgotten.
	l.reserve("c", at(5*time.Hour))
	l.mu.Lock()
	n := len(l.keys)
	l.mu.Unlock()
	if n != 1 {
		t.Errorf("%d keys remembered after everyone else went idle", n)
	}
}

func TestPatternsDiffRateLimit(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, `{"entries":[]}`) })
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.CallTimeout = time.Minute })
	clock := &fakeClock{now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
	c.now, c.sleep = clock.Now, clock.sleep
	c.diffLimiter = newWindowLimiter([]windowLimit{{n: 2, per: 10 * time.Second}})
	call := func(a Auth) error {
		_, err := c.PatternsDiff(context.Background(), a, PatternsDiffQuery{Filters: Filters{From: winFrom, To: winTo}, BaselineFrom: winFrom.Add(-time.Hour), BaselineTo: winFrom})
		return err
	}
	for i := 0; i < 3; i++ {
		if err := call(testAuth); err != nil {
			t.Fatal(err)
		}
	}
	if srv.count() != 3 || len(clock.slept) != 1 || clock.slept[0] != 10*time.Second+limiterSlack {
		t.Errorf("%d requests, waits %v: the third call should wait for the window", srv.count(), clock.slept)
	}
	// A wait beyond the budget fails at once, before sending.
	c.diffLimiter = newWindowLimiter([]windowLimit{{n: 1, per: time.Hour}})
	if err := call(testAuth); err != nil {
		t.Fatal(err)
	}
	err := call(testAuth)
	e := asError(t, err)
	if e.Kind != KindThrottled || !e.NotSent || e.RetryAfter <= 0 || !strings.Contains(e.Detail, "1 calls per hour") || srv.count() != 4 {
		t.Errorf("got %+v after %d requests", e, srv.count())
	}
	// Another key is not held back.
	if err := call(Auth{Key: "phx_another_key_123456", ProjectID: 42}); err != nil {
		t.Error(err)
	}
	// Other endpoints are not limited.
	if _, err := c.Patterns(context.Background(), testAuth, PatternsQuery{Limit: 1}); err != nil {
		t.Error(err)
	}
}
