package client

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// These tests run the client against the sandbox over real HTTP on loopback.

var (
	sandboxOnce   sync.Once
	sharedSandbox *sandbox.Server
	sandboxErr    error
)

// startSandbox returns the shared sandbox (generated once per test binary), with faults
// cleared and the request record reset.
func startSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	sandboxOnce.Do(func() {
		sharedSandbox, sandboxErr = sandbox.Start(sandbox.Config{
			Now: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC),
		})
	})
	if sandboxErr != nil {
		t.Fatalf("sandbox.Start: %v", sandboxErr)
	}
	sharedSandbox.ClearFaults()
	sharedSandbox.ResetRequests()
	t.Cleanup(sharedSandbox.ClearFaults)
	return sharedSandbox
}

func sandboxClient(t *testing.T, sb *sandbox.Server, tweak ...func(*Options)) (*Client, *sleepRecorder) {
	t.Helper()
	return newTestClient(t, sb.URL, tweak...)
}

var (
	fullAuth     = Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID}
	readOnlyAuth = Auth{Key: sandbox.KeyReadOnly, ProjectID: sandbox.ProjectID}
)

func lastDay(sb *sandbox.Server) Filters {
	return Filters{From: sb.Now().Add(-24 * time.Hour), To: sb.Now()}
}

// requestsTo counts recorded requests with the method whose path ends with suffix.
func requestsTo(sb *sandbox.Server, method, suffix string) int {
	n := 0
	for _, r := range sb.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func TestSandboxQueryLogsPaging(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	q := LogsQuery{Filters: lastDay(sb), Limit: 40}
	first, err := c.QueryLogs(ctx, fullAuth, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Results) != 40 || !first.HasMore || first.NextCursor == "" {
		t.Fatalf("first page: %d rows, hasMore %v, cursor %q", len(first.Results), first.HasMore, first.NextCursor)
	}
	for i, r := range first.Results {
		if r.UUID == "" || r.Timestamp == "" || r.Service() == "" {
			t.Fatalf("row %d incomplete: %+v", i, r)
		}
		if i > 0 && r.Timestamp > first.Results[i-1].Timestamp {
			t.Fatalf("latest-first order broken at %d", i)
		}
	}
	q.After = first.NextCursor
	second, err := c.QueryLogs(ctx, fullAuth, q)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range first.Results {
		seen[r.UUID] = true
	}
	for _, r := range second.Results {
		if seen[r.UUID] {
			t.Fatalf("row %s on both pages", r.UUID)
		}
	}
	if second.Results[0].Timestamp > first.Results[39].Timestamp {
		t.Error("second page is not older than the first")
	}

	// Resuming after an arbitrary row with AfterCursor.
	mid := first.Results[9]
	q.After = AfterCursor(mid.Timestamp, mid.UUID)
	resumed, err := c.QueryLogs(ctx, fullAuth, q)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Results[0].UUID != first.Results[10].UUID {
		t.Errorf("AfterCursor resumed at %s, want %s", resumed.Results[0].UUID, first.Results[10].UUID)
	}

	for _, r := range sb.Requests() {
		if r.Auth != "Bearer "+sandbox.KeyFull {
			t.Errorf("Authorization %q", r.Auth)
		}
	}
}

func TestSandboxFilters(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	spike := Filters{From: sb.Now().Add(-2 * time.Hour), To: sb.Now().Add(-105 * time.Minute),
		Services: []string{"checkout"}, Severities: []string{"ERROR"}}
	page, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: spike, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Results) == 0 {
		t.Fatal("no checkout errors during the spike")
	}
	for _, r := range page.Results {
		if r.Service() != "checkout" || r.SeverityText != "error" {
			t.Fatalf("row outside the filter: %s %s", r.Service(), r.SeverityText)
		}
	}
	n, err := c.Count(ctx, fullAuth, spike)
	if err != nil || n < int64(len(page.Results)) {
		t.Errorf("Count = %d, %v; the page alone has %d", n, err, len(page.Results))
	}

	// A property filter on a log attribute narrows the rows to it.
	route := page.Results[0].Attributes["http.route"]
	if route != "" {
		withRoute := spike
		withRoute.Properties = []PropertyFilter{{Key: "http.route", Type: TypeLogAttribute, Operator: "exact", Value: route}}
		narrowed, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: withRoute, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(narrowed.Results) == 0 {
			t.Error("the property filter matched nothing")
		}
		for _, r := range narrowed.Results {
			if r.Attributes["http.route"] != route {
				t.Fatalf("route %q, want %q", r.Attributes["http.route"], route)
			}
		}
	}

	// The deploy line before the spike is found by search.
	deploys, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: Filters{From: sb.Now().Add(-3 * time.Hour), To: sb.Now().Add(-2 * time.Hour),
		Services: []string{"checkout"}, Search: "deploy"}, Limit: 10})
	if err != nil || len(deploys.Results) == 0 {
		t.Errorf("deploy search: %d rows, %v", len(deploys.Results), err)
	}
}

func TestSandboxServicesSparklineCount(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	services, err := c.Services(ctx, fullAuth, ServicesQuery{Filters: lastDay(sb)})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, s := range services.Services {
		names = append(names, s.Name)
	}
	for _, want := range []string{"checkout", "payments", "api-gateway", "auth", "inventory", "notifications"} {
		if !slices.Contains(names, want) {
			t.Errorf("service %q missing from %v", want, names)
		}
	}
	if services.Services[0].LogCount <= 0 || len(services.Sparkline) == 0 {
		t.Errorf("services %+v", services.Services[0])
	}

	bySeverity, err := c.Sparkline(ctx, fullAuth, SparklineQuery{Filters: lastDay(sb)})
	if err != nil || len(bySeverity) == 0 {
		t.Fatalf("sparkline: %d points, %v", len(bySeverity), err)
	}
	var total int64
	for _, p := range bySeverity {
		total += p.Count
		if p.Series == "" || p.Time == "" {
			t.Fatalf("point %+v", p)
		}
	}
	byService, err := c.Sparkline(ctx, fullAuth, SparklineQuery{Filters: lastDay(sb), BreakdownBy: "service"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(byService, func(p SparklinePoint) bool { return p.Series == "checkout" }) {
		t.Error("no checkout series in the service breakdown")
	}
	count, err := c.Count(ctx, fullAuth, lastDay(sb))
	if err != nil || count != total {
		t.Errorf("Count = %d, %v; sparkline total %d", count, err, total)
	}
}

func TestSandboxAttributesAndValues(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	resource, err := c.Attributes(ctx, fullAuth, AttributesQuery{From: sb.Now().Add(-24 * time.Hour), To: sb.Now(), Resource: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"service.name", "k8s.pod.name", "host.name"} {
		if !slices.ContainsFunc(resource.Results, func(a Attribute) bool { return a.Name == want }) {
			t.Errorf("resource attribute %q missing from %+v", want, resource.Results)
		}
	}
	logAttrs, err := c.Attributes(ctx, fullAuth, AttributesQuery{From: sb.Now().Add(-24 * time.Hour), To: sb.Now(), Search: "http"})
	if err != nil || !slices.ContainsFunc(logAttrs.Results, func(a Attribute) bool { return a.Name == "http.route" }) {
		t.Errorf("log attributes %+v, %v", logAttrs, err)
	}
	values, err := c.Values(ctx, fullAuth, ValuesQuery{Key: "service.name", Resource: true, From: sb.Now().Add(-24 * time.Hour), To: sb.Now()})
	if err != nil || !slices.ContainsFunc(values.Results, func(v AttributeValue) bool { return v.Value == "checkout" }) {
		t.Errorf("values %+v, %v", values, err)
	}
	filtered, err := c.Values(ctx, fullAuth, ValuesQuery{Key: "k8s.pod.name", Resource: true, Services: []string{"checkout"},
		Properties: []PropertyFilter{{Key: "deployment.environment", Type: TypeLogResourceAttribute, Operator: "is_set"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range filtered.Results {
		if !strings.Contains(v.Value, "checkout") {
			t.Errorf("pod %q outside the checkout filter", v.Value)
		}
	}
}

func TestSandboxExplain(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	page, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: Filters{From: sb.Now().Add(-2 * time.Hour), To: sb.Now(), Severities: []string{"error"}}, Limit: 1})
	if err != nil || len(page.Results) == 0 {
		t.Fatalf("no row to explain: %v", err)
	}
	row := page.Results[0]
	ex, err := c.Explain(ctx, fullAuth, ExplainRequest{UUID: row.UUID, Timestamp: row.Timestamp})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Headline == "" || ex.SeverityAssessment == "" {
		t.Errorf("explanation %+v", ex)
	}

	_, err = c.Explain(ctx, Auth{Key: sandbox.KeyNoAIConsent, ProjectID: sandbox.ProjectID}, ExplainRequest{UUID: row.UUID, Timestamp: row.Timestamp})
	if e := asError(t, err); e.Kind != KindScope || !e.AIConsentRequired() {
		t.Errorf("no consent: %+v", e)
	}
	_, err = c.Explain(ctx, readOnlyAuth, ExplainRequest{UUID: row.UUID, Timestamp: row.Timestamp})
	if e := asError(t, err); e.Kind != KindScope || e.AIConsentRequired() {
		t.Errorf("read-only key: %+v", e)
	}
	_, err = c.Explain(ctx, fullAuth, ExplainRequest{UUID: "01990000-0000-7000-8000-000000000000", Timestamp: row.Timestamp})
	if e := asError(t, err); e.Kind != KindNotFound {
		t.Errorf("unknown log: %+v", e)
	}
}

func TestSandboxViewsLifecycle(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	list, err := c.ListViews(ctx, fullAuth, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if list.Count < 3 || !slices.ContainsFunc(list.Results, func(v View) bool { return v.Pinned }) {
		t.Errorf("seeded views %+v", list)
	}
	for _, v := range list.Results {
		if !ValidShortID(v.ShortID) {
			t.Errorf("short id %q", v.ShortID)
		}
		if _, err := DecodeFilterGroup(v.Filters.FilterGroup); err != nil {
			t.Errorf("view %s filterGroup: %v", v.ShortID, err)
		}
	}

	fg, _ := EncodeFilterGroup([]PropertyFilter{{Key: "http.route", Type: TypeLogAttribute, Operator: "exact", Value: "/api/pay"}})
	created, err := c.CreateView(ctx, fullAuth, ViewInput{Name: "client test view", Filters: ViewFilters{
		DateRange: &DateRange{DateFrom: "-1h"}, SeverityLevels: []string{"error"}, ServiceNames: []string{"payments"}, FilterGroup: fg}})
	if err != nil {
		t.Fatal(err)
	}
	if !ValidShortID(created.ShortID) || created.Name != "client test view" {
		t.Fatalf("created %+v", created)
	}
	got, err := c.GetView(ctx, fullAuth, created.ShortID)
	if err != nil || got.ID != created.ID || !slices.Equal(got.Filters.ServiceNames, []string{"payments"}) {
		t.Fatalf("get %+v, %v", got, err)
	}
	props, err := DecodeFilterGroup(got.Filters.FilterGroup)
	if err != nil || len(props) != 1 || props[0].Value != "/api/pay" {
		t.Errorf("stored filterGroup %s → %+v, %v", got.Filters.FilterGroup, props, err)
	}
	name, pinned := "renamed", true
	updated, err := c.UpdateView(ctx, fullAuth, created.ShortID, ViewPatch{Name: &name, Pinned: &pinned})
	if err != nil || updated.Name != "renamed" || !updated.Pinned || !slices.Equal(updated.Filters.ServiceNames, []string{"payments"}) {
		t.Fatalf("update %+v, %v", updated, err)
	}
	if err := c.DeleteView(ctx, fullAuth, created.ShortID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetView(ctx, fullAuth, created.ShortID)
	if e := asError(t, err); e.Kind != KindNotFound {
		t.Errorf("after delete: %+v", e)
	}
}

func TestSandboxIntrospect(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	full, err := c.Introspect(ctx, sandbox.KeyFull)
	if err != nil || !full.Allows("logs:write") || full.AllTeams() || !full.AllowsProject(sandbox.ProjectID) || full.OAuth {
		t.Errorf("full key %+v, %v", full, err)
	}
	ro, err := c.Introspect(ctx, sandbox.KeyReadOnly)
	if err != nil || !ro.Allows("logs:read") || ro.Allows("logs:write") {
		t.Errorf("read-only key %+v, %v", ro, err)
	}
	all, err := c.Introspect(ctx, sandbox.KeyAllAccess)
	if err != nil || !all.Allows("logs:write") || !all.AllTeams() {
		t.Errorf("all-access key %+v, %v", all, err)
	}
	oauth, err := c.Introspect(ctx, sandbox.TokenOAuth)
	if err != nil || !oauth.OAuth || !oauth.Allows("logs:write") || !oauth.AllowsProject(sandbox.ProjectID) {
		t.Errorf("oauth token %+v, %v", oauth, err)
	}
	_, err = c.Introspect(ctx, "phx_unknown_key_0000000000000000")
	if e := asError(t, err); e.Kind != KindAuth || e.Status != 401 {
		t.Errorf("unknown key: %+v", e)
	}
}

func TestSandboxErrorStatuses(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func() error
		kind   Kind
		status int
		detail string
	}{
		{
			name: "unknown key", kind: KindAuth, status: 401, detail: "invalid",
			call: func() error {
				_, err := c.QueryLogs(ctx, Auth{Key: "phx_unknown_key_0000000000000000", ProjectID: 1}, LogsQuery{})
				return err
			},
		},
		{
			name: "read-only key creates a view", kind: KindScope, status: 403, detail: "logs:write",
			call: func() error { _, err := c.CreateView(ctx, readOnlyAuth, ViewInput{Name: "nope"}); return err },
		},
		{
			name: "other project", kind: KindScope, status: 403, detail: "project",
			call: func() error {
				_, err := c.Count(ctx, Auth{Key: sandbox.KeyFull, ProjectID: sandbox.OtherProjectID}, Filters{})
				return err
			},
		},
		{
			name: "unknown project", kind: KindNotFound, status: 404, detail: "Project not found.",
			call: func() error {
				_, err := c.Services(ctx, Auth{Key: sandbox.KeyAllAccess, ProjectID: 999999}, ServicesQuery{})
				return err
			},
		},
		{
			name: "unknown view", kind: KindNotFound, status: 404,
			call: func() error { _, err := c.GetView(ctx, fullAuth, "Zz9Zz9Zz"); return err },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb.ResetRequests()
			e := asError(t, tt.call())
			if e.Kind != tt.kind || e.Status != tt.status || !strings.Contains(e.Detail, tt.detail) {
				t.Errorf("got %+v", e)
			}
			if strings.Contains(e.Error(), "phx_") {
				t.Errorf("a key leaked: %s", e.Error())
			}
			if n := len(sb.Requests()); n != 1 {
				t.Errorf("%d requests: client errors must not be retried", n)
			}
		})
	}
	// The other-project key reads its own (empty) project.
	n, err := c.Count(ctx, Auth{Key: sandbox.KeyOtherProject, ProjectID: sandbox.OtherProjectID}, Filters{})
	if err != nil || n != 0 {
		t.Errorf("other project: %d, %v", n, err)
	}
}

func TestSandboxFaults(t *testing.T) {
	sb := startSandbox(t)
	ctx := context.Background()
	// Each case starts with no pending fault and an empty request record.
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			sb.ClearFaults()
			sb.ResetRequests()
			f(t)
		})
	}

	run("503 on create is sent once", func(t *testing.T) {
		c, _ := sandboxClient(t, sb)
		before, err := c.ListViews(ctx, fullAuth, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		sb.ResetRequests() // forget the listing
		sb.InjectFault("logs/views/", sandbox.Fault{Kind: sandbox.FaultUnavailable}, 1)
		_, err = c.CreateView(ctx, fullAuth, ViewInput{Name: "must not be duplicated"})
		if e := asError(t, err); e.Kind != KindOutcomeUnknown || e.Status != 503 || !strings.Contains(e.Detail, "may or may not have been created") {
			t.Errorf("got %+v", e)
		}
		if n := requestsTo(sb, http.MethodPost, "logs/views/"); n != 1 {
			t.Errorf("create sent %d times", n)
		}
		after, _ := c.ListViews(ctx, fullAuth, 0, 0)
		if after.Count != before.Count {
			t.Errorf("views %d → %d", before.Count, after.Count)
		}
	})
	run("reset on create and explain is sent once", func(t *testing.T) {
		c, _ := sandboxClient(t, sb)
		sb.InjectFault("logs/views/", sandbox.Fault{Kind: sandbox.FaultReset}, 1)
		_, err := c.CreateView(ctx, fullAuth, ViewInput{Name: "reset"})
		if e := asError(t, err); e.Kind != KindOutcomeUnknown || e.Status != 0 {
			t.Errorf("create: %+v", e)
		}
		sb.InjectFault("logs/explainLogWithAI/", sandbox.Fault{Kind: sandbox.FaultReset}, 1)
		_, err = c.Explain(ctx, fullAuth, ExplainRequest{UUID: "u", Timestamp: sb.Now().Format(time.RFC3339)})
		if e := asError(t, err); e.Kind != KindUpstream {
			t.Errorf("explain: %+v", e)
		}
		if a, b := requestsTo(sb, http.MethodPost, "logs/views/"), requestsTo(sb, http.MethodPost, "logs/explainLogWithAI/"); a != 1 || b != 1 {
			t.Errorf("create sent %d times, explain %d times", a, b)
		}
	})
	run("503 on a query is retried", func(t *testing.T) {
		c, rec := sandboxClient(t, sb)
		sb.InjectFault("logs/query/", sandbox.Fault{Kind: sandbox.FaultUnavailable}, 2)
		page, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: lastDay(sb), Limit: 5})
		if err != nil || len(page.Results) != 5 {
			t.Fatalf("%v", err)
		}
		if n := requestsTo(sb, http.MethodPost, "logs/query/"); n != 3 || len(rec.all()) != 2 {
			t.Errorf("%d requests, waits %v", n, rec.all())
		}
	})
	run("429 without Retry-After waits the detail's seconds", func(t *testing.T) {
		c, rec := sandboxClient(t, sb)
		sb.InjectFault("logs/query/", sandbox.Fault{Kind: sandbox.FaultThrottle}, 1)
		if _, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: lastDay(sb), Limit: 5}); err != nil {
			t.Fatal(err)
		}
		if waits := rec.all(); len(waits) != 1 || waits[0] != time.Second {
			t.Errorf("waits %v, want [1s]", waits)
		}
	})
	run("429 on create is retried and creates once", func(t *testing.T) {
		c, rec := sandboxClient(t, sb)
		sb.InjectFault("logs/views/", sandbox.Fault{Kind: sandbox.FaultThrottleRetryAfter}, 1)
		v, err := c.CreateView(ctx, fullAuth, ViewInput{Name: "throttled once"})
		if err != nil {
			t.Fatal(err)
		}
		if n := requestsTo(sb, http.MethodPost, "logs/views/"); n != 2 || len(rec.all()) != 1 || rec.all()[0] != time.Second {
			t.Errorf("%d requests, waits %v", n, rec.all())
		}
		_ = c.DeleteView(ctx, fullAuth, v.ShortID)
	})
	run("persistent throttling ends as throttled", func(t *testing.T) {
		c, _ := sandboxClient(t, sb)
		sb.InjectFault("logs/count/", sandbox.Fault{Kind: sandbox.FaultThrottle}, 10)
		_, err := c.Count(ctx, fullAuth, Filters{})
		if e := asError(t, err); e.Kind != KindThrottled || e.RetryAfter != time.Second || e.Attempts != 1+DefaultMaxRetries {
			t.Errorf("got %+v", e)
		}
	})
	run("502 HTML page", func(t *testing.T) {
		c, _ := sandboxClient(t, sb, func(o *Options) { o.MaxRetries = -1 })
		sb.InjectFault("logs/services/", sandbox.Fault{Kind: sandbox.FaultBadGateway}, 1)
		_, err := c.Services(ctx, fullAuth, ServicesQuery{})
		e := asError(t, err)
		if e.Kind != KindUpstream || e.Detail != "upstream returned an HTML error page (502)" {
			t.Errorf("got %+v", e)
		}
	})
	run("reset on a query is retried", func(t *testing.T) {
		c, _ := sandboxClient(t, sb)
		sb.InjectFault("logs/sparkline/", sandbox.Fault{Kind: sandbox.FaultReset}, 1)
		if _, err := c.Sparkline(ctx, fullAuth, SparklineQuery{}); err != nil {
			t.Fatal(err)
		}
		if n := requestsTo(sb, http.MethodPost, "logs/sparkline/"); n != 2 {
			t.Errorf("%d requests", n)
		}
	})
	run("garbage", func(t *testing.T) {
		c, _ := sandboxClient(t, sb)
		sb.InjectFault("logs/query/", sandbox.Fault{Kind: sandbox.FaultGarbage}, 1)
		_, err := c.QueryLogs(ctx, fullAuth, LogsQuery{})
		if e := asError(t, err); e.Kind != KindUpstream || e.Status != 200 {
			t.Errorf("got %+v", e)
		}
	})
	run("oversized", func(t *testing.T) {
		c, _ := sandboxClient(t, sb, func(o *Options) { o.MaxResponseBytes = 1 << 20 })
		sb.InjectFault("logs/query/", sandbox.Fault{Kind: sandbox.FaultOversized, Size: 40 << 20}, 1)
		_, err := c.QueryLogs(ctx, fullAuth, LogsQuery{})
		if e := asError(t, err); e.Kind != KindTooLarge {
			t.Errorf("got %+v", e)
		}
		if n := requestsTo(sb, http.MethodPost, "logs/query/"); n != 1 {
			t.Errorf("downloaded %d times", n)
		}
	})
	run("slow beyond the attempt timeout", func(t *testing.T) {
		c, _ := sandboxClient(t, sb, func(o *Options) {
			o.AttemptTimeout = 100 * time.Millisecond
			o.CallTimeout = 3 * time.Second
		})
		sb.InjectFault("logs/query/", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 2 * time.Second}, 1)
		if _, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: lastDay(sb), Limit: 1}); err != nil {
			t.Fatalf("the retry after a slow attempt should succeed: %v", err)
		}
		sb.InjectFault("logs/views/", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: 2 * time.Second}, 1)
		_, err := c.CreateView(ctx, fullAuth, ViewInput{Name: "slow"})
		if e := asError(t, err); e.Kind != KindOutcomeUnknown || e.Attempts != 1 || strings.Contains(e.Detail, "narrow") {
			t.Errorf("slow create: %+v", e)
		}
	})
}

// TestSandboxPatterns: the typed patterns call agrees with the sandbox's answer, and a
// pattern's pivot keys select exactly its lines (counted by logs/count with the same filters).
func TestSandboxPatterns(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	window := Filters{From: sb.Now().Add(-time.Hour), To: sb.Now()}
	res, err := c.Patterns(ctx, fullAuth, PatternsQuery{Filters: window, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Patterns) == 0 || res.ReturnedPatternCount != len(res.Patterns) || res.TotalCount == 0 || res.Source == "" {
		t.Fatalf("result %+v", res)
	}
	if len(res.SparklineBuckets) == 0 || res.SparklineBuckets[0].Start.IsZero() || !res.SparklineBuckets[0].Start.Before(res.SparklineBuckets[0].End) {
		t.Errorf("buckets %+v", res.SparklineBuckets)
	}
	checked := 0
	for _, p := range res.Patterns {
		if p.MatchRegex == "" || p.FirstSeen.IsZero() || len(p.Examples) == 0 || p.Examples[0].Timestamp.IsZero() {
			continue
		}
		pivot := window
		pivot.Services = p.Services
		for sev := range p.SeverityCounts {
			pivot.Severities = append(pivot.Severities, sev)
		}
		pivot.Properties = []PropertyFilter{{Key: "message", Type: TypeLog, Operator: "regex", Value: p.MatchRegex}}
		n, err := c.Count(ctx, fullAuth, pivot)
		if err != nil {
			t.Fatalf("pivot of %q: %v", p.Pattern, err)
		}
		if !res.Sampled && n != p.Count {
			t.Errorf("pattern %q: %d lines, its pivot counts %d", p.Pattern, p.Count, n)
		}
		if checked++; checked == 3 {
			break
		}
	}
	if checked == 0 {
		t.Error("no pattern carried a match_regex, examples and times")
	}
	t.Logf("%d patterns of %d lines (sampled %v, source %s); %d pivots checked", len(res.Patterns), res.TotalCount, res.Sampled, res.Source, checked)
	// Cut templates.
	cut, err := c.Patterns(ctx, fullAuth, PatternsQuery{Filters: window, Limit: 200, MaxPatternChars: 80})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cut.Patterns {
		if len([]rune(p.Pattern)) > 80 {
			t.Errorf("template of %d characters with maxPatternChars 80: %q", len([]rune(p.Pattern)), p.Pattern)
		}
	}
}

// TestSandboxNewEndpoints: patterns_diff, group-by and the live-tail checkpoint, typed,
// agree with what the sandbox serves and with one another.
func TestSandboxNewEndpoints(t *testing.T) {
	sb := startSandbox(t)
	c, _ := sandboxClient(t, sb)
	ctx := context.Background()
	window := Filters{From: sb.Now().Add(-time.Hour), To: sb.Now()}

	diff, err := c.PatternsDiff(ctx, fullAuth, PatternsDiffQuery{Filters: window, BaselineFrom: window.From.Add(-time.Hour), BaselineTo: window.From})
	if err != nil {
		t.Fatal(err)
	}
	if !diff.Current.From.Equal(window.From) || !diff.Baseline.To.Equal(window.From) || len(diff.Entries) == 0 || diff.Current.TotalCount == 0 {
		t.Errorf("diff windows %+v / %+v, %d entries", diff.Current, diff.Baseline, len(diff.Entries))
	}
	order := map[string]int{DiffNew: 0, DiffRateShift: 1, DiffGone: 2, DiffUnchanged: 3}
	last := 0
	for _, e := range diff.Entries {
		rank, ok := order[e.Classification]
		if !ok || rank < last || e.Pattern.Pattern == "" {
			t.Fatalf("entry %+v out of order or unknown", e)
		}
		last = rank
		if e.Classification == DiffRateShift && e.RateRatio == nil || e.Classification == DiffNew && (e.RateRatio != nil || e.BaselineEstimatedCount != nil) {
			t.Errorf("entry fields do not fit its class: %+v", e)
		}
	}

	// Lines lacking a dimension are not counted: compare with the lines that have one.
	withService := window
	withService.Properties = []PropertyFilter{{Key: "service.name", Type: TypeLogResourceAttribute, Operator: "is_set"}}
	total, err := c.Count(ctx, fullAuth, withService)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := c.GroupBy(ctx, fullAuth, GroupByQuery{Filters: window, GroupBys: []GroupBy{{Key: "service.name", Source: GroupByResource}, {Key: "severity_level", Source: GroupByColumn}}, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, g := range groups.Groups {
		if len(g.Values) != 2 || g.LastSeen.IsZero() || g.ErrorCount > g.LogCount {
			t.Errorf("group %+v", g)
		}
		sum += g.LogCount
	}
	if groups.Truncated || sum != groups.TotalLogs || groups.TotalLogs != total || groups.TotalGroups != len(groups.Groups) {
		t.Errorf("groups sum to %d, total_logs %d, count %d, %d of %d groups", sum, groups.TotalLogs, total, len(groups.Groups), groups.TotalGroups)
	}

	// Live tail: the first page's checkpoint, sent back, asks only for lines ingested since.
	page, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: Filters{From: window.From}, Limit: 5})
	if err != nil || len(page.Results) == 0 {
		t.Fatalf("%+v %v", page, err)
	}
	checkpoint := page.Results[0].Checkpoint()
	if checkpoint.IsZero() || page.Results[0].ObservedTimestamp == "" {
		t.Fatalf("row without a checkpoint: %+v", page.Results[0])
	}
	tail, err := c.QueryLogs(ctx, fullAuth, LogsQuery{Filters: Filters{From: window.From}, LiveLogsCheckpoint: checkpoint, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tail.Results {
		observed, err := ParseTime(r.ObservedTimestamp)
		if err != nil || observed.Before(checkpoint) {
			t.Errorf("tail row observed %q before the checkpoint %v", r.ObservedTimestamp, checkpoint)
		}
	}
}
