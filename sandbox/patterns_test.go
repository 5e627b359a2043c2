package sandbox

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func patterns(t testing.TB, srv *Server, body any, header ...string) patternsResponse {
	t.Helper()
	resp := callWithHeader(t, srv, logsPath("patterns"), body, header...)
	if resp.status != http.StatusOK {
		t.Fatalf("patterns %v: %d %s", body, resp.status, resp.body)
	}
	var out patternsResponse
	resp.decode(t, &out)
	return out
}

// callWithHeader is call with extra request headers (name, value pairs).
func callWithHeader(t testing.TB, srv *Server, path string, body any, header ...string) response {
	t.Helper()
	if len(header) == 0 {
		return call(t, srv, "POST", KeyFull, path, body)
	}
	return callHeaders(t, srv, "POST", KeyFull, path, body, header)
}

func TestTemplateMasking(t *testing.T) {
	cases := []struct{ body, want string }{
		{"User alice not found", "User alice not found"},
		{"User 42 not found", "User <*> not found"},
		{"  GET /api/products/123 200 in 45ms\n", "GET /api/products/<*> <*> in <*>"},
		{"connected to 10.0.0.1:5432", "connected to <*>:<*>"},
		{"trace 0af7651916cd43dd8448eb211c80319c done", "trace <*> done"},
		{"span deadbeefcafe started", "span <*> started"},
		{"id 0199a2b3-c4d5-7e6f-8a9b-0c1d2e3f4a5b", "id <*>"},
		{"at 2026-11-25T14:00:00.123456Z, retry", "at <*>, retry"},
		{"at 2026-11-25T14:00:00+00:00 ok", "at <*> ok"},
		{"order ord_abcdefghij shipped", "order <*> shipped"},
		{"key AKIAABCDEFGHIJKLMNOP used", "key <*> used"},
		{"mail to jane.doe@example.com", "mail to <*>"},
		{`search "running shoes" returned 3 hits`, `search "<*>" returned <*> hits`},
		{`search "backpack" returned 3 hits`, `search "backpack" returned <*> hits`},
		{`10.1.2.3 "GET /api/cart HTTP/1.1" 200 512 4ms "curl/8.4.0"`, `<*> "GET /api/cart HTTP/<*>" <*> <*> <*> "<*>"`},
		{"a\n\n  b\tc", "a b c"},
		{`unpaired " quote 7`, `unpaired " quote <*>`},
		{"", ""},
		{"process_params trim_prefix ok", "process_params trim_prefix ok"},
	}
	for _, c := range cases {
		if got := templateOf(c.body); got != c.want {
			t.Errorf("templateOf(%q) = %q, want %q", c.body, got, c.want)
		}
	}
}

// TestTemplateRegexMatchesEveryLine: the regex of a line's template, built
// from that line alone, matches the line; over the whole data set.
func TestTemplateRegexMatchesEveryLine(t *testing.T) {
	s := New(Config{Now: testNow, Lines: 20000})
	m := masker{withPieces: true}
	seen := map[string]bool{}
	for i := range s.rows {
		r := &s.rows[i]
		m.run(r.body)
		re := templateRegex(m.pieces, m.kinds)
		if seen[re] {
			continue
		}
		seen[re] = true
		if !regexp.MustCompile(re).MatchString(r.body) {
			t.Fatalf("regex %q does not match its own line %q", re, r.body)
		}
	}
}

// TestPatternsPivotExactly: on an unsampled window, every pattern's
// match_regex selects exactly its lines: checked locally against every row
// of the window for all patterns, and over HTTP (a message regex filter on
// logs/query) for the biggest ones, with the pattern filter and the
// literal (icontains selects at least the pattern's lines).
func TestPatternsPivotExactly(t *testing.T) {
	srv := shared(t)
	for _, win := range []map[string]any{
		dateRange(-3*time.Hour, -2*time.Hour-30*time.Minute),
		dateRange(-2*time.Hour-5*time.Minute, -time.Hour-35*time.Minute), // the incident
	} {
		got := patterns(t, srv, q(map[string]any{"dateRange": win, "limit": 200, "maxPatternChars": 0}))
		if got.Sampled || got.ScannedCount != got.TotalCount || got.TotalCount != count(t, srv, map[string]any{"dateRange": win}) {
			t.Fatalf("window counts: %+v", got.windowJSON)
		}
		if got.OmittedPatternCount != 0 || got.ReturnedPatternCount != len(got.Patterns) {
			t.Fatalf("returned %d omitted %d of %d", got.ReturnedPatternCount, got.OmittedPatternCount, len(got.Patterns))
		}
		rows := windowRows(t, srv, win)
		if len(rows) != got.TotalCount {
			t.Fatalf("%d rows, %d lines mined", len(rows), got.TotalCount)
		}
		sum := 0
		for i, p := range got.Patterns {
			sum += p.Count
			if p.EstimatedCount != p.Count || p.EstimatedErrorCount != p.ErrorCount {
				t.Errorf("%q: estimates differ on an unsampled window", p.Pattern)
			}
			if p.MatchRegex == nil {
				t.Fatalf("%q: no match_regex", p.Pattern)
			}
			if n := regexMatches(rows, p.Pattern, *p.MatchRegex); n != p.Count {
				t.Errorf("%q: match_regex matches %d rows, pattern has %d", p.Pattern, n, p.Count)
			}
			if i >= 8 {
				continue // over HTTP, the biggest patterns only: each call scans the window
			}
			pivot := query(t, srv, map[string]any{"dateRange": win, "limit": 2000, "filterGroup": nested(filter("log", "message", "regex", *p.MatchRegex))})
			if n := rowsBefore(pivot.Results, win); n != p.Count {
				t.Errorf("%q: match_regex on logs/query selects %d lines, pattern has %d", p.Pattern, n, p.Count)
			}
			byPattern := count(t, srv, map[string]any{"dateRange": win, "filterGroup": nested(filter("log", "pattern", "exact", []string{p.Pattern}))})
			if byPattern != p.Count {
				t.Errorf("%q: pattern filter selects %d lines, pattern has %d", p.Pattern, byPattern, p.Count)
			}
			if p.MatchLiteral != nil {
				byLiteral := count(t, srv, map[string]any{"dateRange": win, "filterGroup": nested(
					filter("log", "message", "icontains", *p.MatchLiteral), filter("log", "pattern", "exact", p.Pattern))})
				if byLiteral != p.Count {
					t.Errorf("%q: match_literal %q misses lines (%d of %d)", p.Pattern, *p.MatchLiteral, byLiteral, p.Count)
				}
			}
		}
		if sum != got.TotalCount {
			t.Errorf("patterns add up to %d of %d lines", sum, got.TotalCount)
		}
	}
}

// windowRows pages through logs/query for the rows of [from, to).
func windowRows(t *testing.T, srv *Server, win map[string]any) []rowJSON {
	t.Helper()
	var rows []rowJSON
	fields := map[string]any{"dateRange": win, "limit": 2000, "orderBy": "earliest"}
	for {
		page := query(t, srv, fields)
		rows = append(rows, page.Results...)
		if !page.HasMore {
			break
		}
		fields["after"] = *page.NextCursor
	}
	return rows[:rowsBefore(rows, win)]
}

// rowsBefore counts the rows strictly before the window's end (logs/query
// includes the end itself); rows is in ascending order or holds no row at
// the end.
func rowsBefore(rows []rowJSON, win map[string]any) int {
	end := parseTS(win["date_to"].(string))
	n := 0
	for _, r := range rows {
		if parseTS(r.Timestamp).Before(end) {
			n++
		}
	}
	return n
}

// regexMatches counts the rows re matches. A match needs every literal
// fragment of the template verbatim, so rows lacking the longest one are
// skipped without running the regex.
func regexMatches(rows []rowJSON, template, re string) int {
	compiled := regexp.MustCompile(re)
	fragment := ""
	for _, word := range strings.Split(template, " ") {
		for _, f := range strings.Split(word, maskToken) {
			if len(f) > len(fragment) {
				fragment = f
			}
		}
	}
	n := 0
	for _, r := range rows {
		if strings.Contains(r.Body, fragment) && compiled.MatchString(r.Body) {
			n++
		}
	}
	return n
}

func TestPatternsResponseShape(t *testing.T) {
	srv := shared(t)
	win := dateRange(-3*time.Hour, -2*time.Hour)
	got := patterns(t, srv, q(map[string]any{"dateRange": win, "severityLevels": []string{"error", "fatal"}, "limit": 200}))
	if got.Source != "body_mining" || got.FallbackReason != "flag_disabled" || got.PatternVersion != nil ||
		got.PatternCoveragePct != nil || got.RepresentedCount != nil || got.RemainderCount != nil || got.SampleCoveragePct != 100 {
		t.Fatalf("window fields: %+v", got)
	}
	if len(got.SparklineBuckets) != 24 || got.SparklineBuckets[0].Start != "2026-11-25T11:00:00+00:00" ||
		got.SparklineBuckets[0].End != "2026-11-25T11:02:30+00:00" || got.SparklineBuckets[23].End != "2026-11-25T12:00:00+00:00" {
		t.Fatalf("buckets: %v", got.SparklineBuckets)
	}
	if len(got.Patterns) < 3 {
		t.Fatalf("only %d error patterns", len(got.Patterns))
	}
	plusZero := regexp.MustCompile(`^2026-11-25T1[01]:\d\d:\d\d(\.\d{6})?\+00:00$`)
	for i, p := range got.Patterns {
		if i > 0 && got.Patterns[i-1].Count < p.Count {
			t.Fatal("patterns not ordered by count")
		}
		spark, sev := 0, 0
		for _, n := range p.Sparkline {
			spark += n
		}
		for name, n := range p.SeverityCounts {
			if name != "error" && name != "fatal" {
				t.Errorf("%q: severity %s passed the filter", p.Pattern, name)
			}
			sev += n
		}
		if spark != p.Count || sev != p.Count || p.ErrorCount != p.Count {
			t.Errorf("%q: sparkline %d, severities %d, errors %d, count %d", p.Pattern, spark, sev, p.ErrorCount, p.Count)
		}
		if len(p.Examples) == 0 || len(p.Examples) > 10 || len(p.Services) > 4 || len(p.Sparkline) != 24 {
			t.Errorf("%q: %d examples, %d services, %d buckets", p.Pattern, len(p.Examples), len(p.Services), len(p.Sparkline))
		}
		for _, e := range p.Examples {
			if templateOf(e.Body) != p.Pattern || !plusZero.MatchString(e.Timestamp) || e.SeverityText == "" {
				t.Errorf("%q: bad example %+v", p.Pattern, e)
			}
		}
		if !plusZero.MatchString(p.FirstSeen) || !plusZero.MatchString(p.LastSeen) || p.FirstSeen > p.LastSeen {
			t.Errorf("%q: seen %s .. %s", p.Pattern, p.FirstSeen, p.LastSeen)
		}
		if p.MatchPatterns == nil || len(p.MatchPatterns) != 0 || p.PatternVersion != nil || p.PatternTruncated || p.MatchRegexOmitted {
			t.Errorf("%q: stored-pattern fields set", p.Pattern)
		}
	}
	raw := callWithHeader(t, srv, logsPath("patterns"), q(map[string]any{"dateRange": win, "limit": 1}))
	for _, field := range []string{`"match_patterns":[]`, `"pattern_version":null`, `"fallback_reason":"flag_disabled"`, `"pattern_coverage_pct":null`, `"sample_coverage_pct":100`} {
		if !strings.Contains(string(raw.body), field) {
			t.Errorf("response lacks %s", field)
		}
	}
}

func TestPatternsLimitsAndValidation(t *testing.T) {
	srv := shared(t)
	win := dateRange(-3*time.Hour, -2*time.Hour)
	mcp := []string{"X-PostHog-Client", "mcp"}
	cases := []struct {
		name     string
		body     any
		header   []string
		returned int // -1: all
		maxChars int
	}{
		{"defaults", q(map[string]any{"dateRange": win}), nil, -1, 0},
		{"mcp defaults", q(map[string]any{"dateRange": win}), mcp, 20, 400},
		{"explicit beats mcp", q(map[string]any{"dateRange": win, "limit": 5, "maxPatternChars": 0}), mcp, 5, 0},
		{"limit clamped to 200", q(map[string]any{"dateRange": win, "limit": 5000}), nil, -1, 0},
		{"string integers", q(map[string]any{"dateRange": win, "limit": " 3 ", "maxPatternChars": "120"}), nil, 3, 120},
		{"absent query is {}", map[string]any{}, nil, -1, 0},
		{"empty body", "", mcp, 20, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := patterns(t, srv, c.body, c.header...)
			all := got.ReturnedPatternCount + got.OmittedPatternCount
			want := c.returned
			if want < 0 {
				want = min(all, 200)
			}
			if got.ReturnedPatternCount != want || len(got.Patterns) != want {
				t.Fatalf("returned %d (%d listed), want %d", got.ReturnedPatternCount, len(got.Patterns), want)
			}
			for _, p := range got.Patterns {
				if c.maxChars == 0 && (p.PatternTruncated || p.MatchRegex == nil) {
					t.Errorf("%q cut without a budget", p.Pattern)
				}
				if c.maxChars > 0 && len([]rune(p.Pattern)) > c.maxChars {
					t.Errorf("%q longer than %d", p.Pattern, c.maxChars)
				}
			}
		})
	}

	bad := []struct {
		name, field string
		value       any
		detail      string
	}{
		{"limit zero", "limit", 0, "limit must be 1 or greater."},
		{"limit negative", "limit", -3, "limit must be 1 or greater."},
		{"limit bool", "limit", true, "limit must be an integer."},
		{"limit float", "limit", 2.5, "limit must be an integer."},
		{"limit word", "limit", "ten", "limit must be an integer."},
		{"chars small", "maxPatternChars", 79, "maxPatternChars must be 80 or greater, or zero for whole templates."},
		{"chars negative", "maxPatternChars", -1, "maxPatternChars must be zero or greater."},
		{"chars bool", "maxPatternChars", false, "maxPatternChars must be an integer."},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			resp := call(t, srv, "POST", KeyFull, logsPath("patterns"), q(map[string]any{"dateRange": win, c.field: c.value}))
			want := `{"type":"validation_error","code":"invalid","detail":"` + c.detail + `","attr":null}`
			if resp.status != 400 || string(resp.body) != want {
				t.Fatalf("%d %s, want 400 %s", resp.status, resp.body, want)
			}
		})
	}
	resp := call(t, srv, "POST", KeyFull, logsPath("patterns"), map[string]any{"query": []int{1}})
	if resp.status != 400 || !strings.Contains(string(resp.body), `"detail":"query must be an object"`) {
		t.Fatalf("query not an object: %d %s", resp.status, resp.body)
	}
	resp = call(t, srv, "POST", KeyReadOnly, logsPath("patterns"), q(map[string]any{"dateRange": map[string]any{"date_from": "-1h", "nope": 1}}))
	if resp.status != 400 || !strings.Contains(string(resp.body), "parse_error") {
		t.Fatalf("unknown dateRange key: %d %s", resp.status, resp.body)
	}
}

// TestPatternsCut: maxPatternChars cuts long templates with PostHog's note,
// drops regexes over the budget and cuts literals to a prefix.
func TestPatternsCut(t *testing.T) {
	srv := shared(t)
	win := dateRange(-2*time.Hour-15*time.Minute, -time.Hour-30*time.Minute)
	whole := patterns(t, srv, q(map[string]any{"dateRange": win, "limit": 200, "maxPatternChars": 0}))
	cut := patterns(t, srv, q(map[string]any{"dateRange": win, "limit": 200, "maxPatternChars": 80}))
	if len(whole.Patterns) != len(cut.Patterns) {
		t.Fatal("the budget changed the number of patterns")
	}
	note := "[cut at 80 chars, re-run with maxPatternChars=0 for the whole template]"
	cuts := 0
	for i, w := range whole.Patterns {
		c := cut.Patterns[i]
		if c.Count != w.Count || c.EstimatedCount != w.EstimatedCount {
			t.Fatalf("counts changed under a budget")
		}
		if len([]rune(w.Pattern)) <= 80 {
			if c.Pattern != w.Pattern || c.PatternTruncated {
				t.Errorf("short template %q changed", w.Pattern)
			}
		} else {
			cuts++
			prefix := string([]rune(w.Pattern)[:80-len(note)-1])
			if c.Pattern != prefix+" "+note || !c.PatternTruncated {
				t.Errorf("cut template %q", c.Pattern)
			}
		}
		if len(*w.MatchRegex) > 80 != c.MatchRegexOmitted || (c.MatchRegexOmitted && c.MatchRegex != nil) {
			t.Errorf("%q: regex omitted %v", w.Pattern, c.MatchRegexOmitted)
		}
		if w.MatchLiteral != nil && len([]rune(*w.MatchLiteral)) > 80 {
			if !c.MatchLiteralTruncated || *c.MatchLiteral != string([]rune(*w.MatchLiteral)[:80]) {
				t.Errorf("%q: literal %q", w.Pattern, *c.MatchLiteral)
			}
		}
	}
	if cuts == 0 {
		t.Fatal("no template was long enough to cut")
	}
}

// TestPatternsSampled: a 24 h window holds more than 10,000 lines, so a
// deterministic sample of at most 10,000 is mined and counts are estimates.
func TestPatternsSampled(t *testing.T) {
	srv := shared(t)
	body := q(map[string]any{"dateRange": dateRange(-24*time.Hour, 0), "limit": 200})
	first := patterns(t, srv, body)
	second := patterns(t, srv, body)
	if !first.Sampled || first.ScannedCount > 10000 || first.ScannedCount < 9000 || first.TotalCount <= first.ScannedCount {
		t.Fatalf("sampling: %+v", first.windowJSON)
	}
	if first.TotalCount != count(t, srv, map[string]any{"dateRange": dateRange(-24*time.Hour, 0)}) {
		t.Fatal("total_count is not the window's exact count")
	}
	estimated := 0
	for i, p := range first.Patterns {
		estimated += p.EstimatedCount
		if p.Pattern != second.Patterns[i].Pattern || p.Count != second.Patterns[i].Count {
			t.Fatal("sampling is not deterministic")
		}
		want := int(float64(p.Count)/float64(first.ScannedCount)*float64(first.TotalCount) + 0.5)
		if d := p.EstimatedCount - want; d < -1 || d > 1 {
			t.Errorf("%q: estimated %d, want about %d", p.Pattern, p.EstimatedCount, want)
		}
	}
	if d := float64(estimated-first.TotalCount) / float64(first.TotalCount); d < -0.02 || d > 0.02 {
		t.Errorf("estimates add up to %d of %d", estimated, first.TotalCount)
	}
}

// TestLiteralCandidates: literals never span a variable or whitespace that
// is not a single space, so each is a substring of the body.
func TestLiteralCandidates(t *testing.T) {
	cases := []struct {
		body string
		want []string
	}{
		{"User 42 not found", []string{"not found", "User"}},
		{"boom: TypeError: bad thing\n    at f (/a.js:1:2)", []string{"boom: TypeError: bad thing", "at f (/a.js:", ":", ")"}},
		{"42 17", nil},
	}
	for _, c := range cases {
		m := masker{withPieces: true}
		m.run(c.body)
		got := literalCandidates(m.pieces)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: %q, want %q", c.body, got, c.want)
		}
		for _, l := range got {
			if !strings.Contains(c.body, l) {
				t.Errorf("%q: literal %q is not in the body", c.body, l)
			}
		}
	}
}
