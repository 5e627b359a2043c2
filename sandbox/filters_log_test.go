package sandbox

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLogColumnFilters covers the type "log" keys of section 16 on every
// endpoint that takes a filterGroup: each filter is checked against a
// brute-force evaluation over the window's rows.
func TestLogColumnFilters(t *testing.T) {
	srv := shared(t)
	win := dateRange(-5*time.Hour, -4*time.Hour-30*time.Minute)
	all := query(t, srv, map[string]any{"dateRange": win, "limit": 2000})
	if all.HasMore {
		t.Fatal("window too big")
	}
	var traced rowJSON
	for _, r := range all.Results {
		if r.TraceID != strings.Repeat("0", 32) {
			traced = r
			break
		}
	}
	traceBytes, _ := hex.DecodeString(traced.TraceID)
	spanBytes, _ := hex.DecodeString(traced.SpanID)
	tmpl := templateOf(traced.Body)
	cases := []struct {
		name string
		f    map[string]any
		want func(r rowJSON) bool
	}{
		{"pattern exact string", filter("log", "pattern", "exact", tmpl), func(r rowJSON) bool { return templateOf(r.Body) == tmpl }},
		{"pattern exact list", filter("log", "pattern", "exact", []string{tmpl, "GET /healthz <*> <*> (kube-probe/<*>)"}),
			func(r rowJSON) bool {
				t := templateOf(r.Body)
				return t == tmpl || t == "GET /healthz <*> <*> (kube-probe/<*>)"
			}},
		{"pattern is_not", filter("log", "pattern", "is_not", tmpl), func(r rowJSON) bool { return templateOf(r.Body) != tmpl }},
		{"pattern_version stamped nowhere", filter("log", "pattern_version", "exact", 7), func(rowJSON) bool { return false }},
		{"trace_id base64", filter("log", "trace_id", "exact", base64.StdEncoding.EncodeToString(traceBytes)),
			func(r rowJSON) bool { return r.TraceID == traced.TraceID }},
		{"trace_id upper hex", filter("log", "trace_id", "exact", strings.ToUpper(traced.TraceID)),
			func(r rowJSON) bool { return r.TraceID == traced.TraceID }},
		{"span_id base64url", filter("log", "span_id", "exact", base64.RawURLEncoding.EncodeToString(spanBytes)),
			func(r rowJSON) bool { return r.SpanID == traced.SpanID }},
		{"message not_regex", filter("log", "message", "not_regex", `\d`), func(r rowJSON) bool { return !strings.ContainsAny(r.Body, "0123456789") }},
		{"message ends_with", filter("log", "message", "ends_with", "MS"), func(r rowJSON) bool { return strings.HasSuffix(strings.ToLower(r.Body), "ms") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := 0
			for _, r := range all.Results {
				if c.want(r) && parseTS(r.Timestamp).Before(parseTS(win["date_to"].(string))) {
					want++
				}
			}
			fields := map[string]any{"dateRange": win, "filterGroup": nested(c.f)}
			if n := count(t, srv, fields); n != want {
				t.Errorf("count %d, want %d", n, want)
			}
			p := patterns(t, srv, q(map[string]any{"dateRange": win, "filterGroup": nested(c.f), "limit": 200}))
			g := groupBy(t, srv, map[string]any{"dateRange": win, "filterGroup": nested(c.f), "groupBys": []any{dim("severity_level", "column")}})
			if p.TotalCount != want || g.TotalLogs != want {
				t.Errorf("patterns total %d, group-by total %d, want %d", p.TotalCount, g.TotalLogs, want)
			}
		})
	}

	for _, bad := range []map[string]any{
		filter("log", "severity_level", "icontains", "err"),
		filter("log", "pattern_version", "exact", "seven"),
	} {
		resp := call(t, srv, "POST", KeyFull, logsPath("count"), q(map[string]any{"dateRange": win, "filterGroup": nested(bad)}))
		if resp.status != http.StatusInternalServerError {
			t.Errorf("%v: %d %s", bad, resp.status, resp.body)
		}
	}
}
