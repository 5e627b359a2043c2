package tools

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

func ptrInt(v int64) *int64       { return &v }
func ptrFloat(v float64) *float64 { return &v }

var renderWin = timerange.Window{From: testNow.Add(-time.Hour), To: testNow}

func minedPattern(tmpl, regex string, count, errs int64) client.Pattern {
	return client.Pattern{
		Pattern: tmpl, Count: count, EstimatedCount: count, ErrorCount: errs, EstimatedErrorCount: errs,
		VolumeSharePct: 12.5, FirstSeen: testNow.Add(-50 * time.Minute), LastSeen: testNow.Add(-time.Minute),
		Services: []string{"checkout"}, Sparkline: []float64{0, 0.4, 3, 9, 4}, SeverityCounts: map[string]int64{"error": errs, "info": count - errs},
		MatchRegex: regex, MatchLiteral: "promotion",
		Examples: []client.PatternExample{{Body: "failed to apply promotion BF25\n  at x.js:1"}},
	}
}

func newPatternsReport(args patternsArgs) *patternsReport {
	if args.limit == 0 {
		_ = args.check()
	}
	return &patternsReport{e: newEnv(Config{Redact: true}), args: args, win: renderWin}
}

func TestPatternsRendering(t *testing.T) {
	secret := "ghp_" + strings.Repeat("a1B2", 9)
	cases := []struct {
		name    string
		args    patternsArgs
		res     *client.PatternsResult
		want    []string
		notWant []string
	}{
		{
			name: "mined: pivot by regex narrowed to the pattern's service and levels, caller's filters kept",
			args: patternsArgs{filterArgs: filterArgs{Search: "promo", Filters: []filterArg{{Key: "http.route", Value: "/api/pay"}}}},
			res: &client.PatternsResult{TotalCount: 80, ScannedCount: 80, Patterns: []client.Pattern{
				minedPattern("failed to apply promotion <*>", `^failed\s+to\s+apply\s+promotion\s+\S+$`, 80, 60)}},
			want: []string{
				"patterns · window 2026-11-25T13:00:00Z → 2026-11-25T14:00:00Z (UTC)\n80 lines · 1 pattern\n",
				"  80  60 err  12.5%  checkout  13:10:00Z→13:59:00Z  ",
				`→ query_logs {"date_from":"2026-11-25T13:00:00Z","date_to":"2026-11-25T14:00:00Z","filters":[{"key":"http.route","value":"/api/pay"},{"key":"message","value":"^failed\\s+to\\s+apply\\s+promotion\\s+\\S+$","operator":"regex","scope":"column"}],"search":"promo","services":["checkout"],"severity":["info","error"]}`,
				"also work with count_logs",
			},
			notWant: []string{"e.g.", "~", "approximate"},
		},
		{
			name: "sampled counts are marked estimates; literal pivot is approximate; examples shown on one line",
			args: patternsArgs{Examples: new(int)},
			res: &client.PatternsResult{TotalCount: 250000, ScannedCount: 10000, Sampled: true, OmittedPatternCount: 4, Patterns: []client.Pattern{
				func() client.Pattern {
					p := minedPattern("failed to apply promotion <*>", "", 40, 2)
					p.EstimatedCount, p.EstimatedErrorCount = 1000, 50
					return p
				}()}},
			want: []string{"250,000 lines (mined 10,000: counts ~ are estimates) · 1 of 5 patterns shown", "  ~1,000  50 err", `"operator":"icontains"`, "(approximate: may include similar lines)"},
		},
		{
			name: "stored patterns pivot by pattern + pattern_version without narrowing",
			res: &client.PatternsResult{TotalCount: 10, ScannedCount: 10, Patterns: []client.Pattern{{
				Pattern: "User <*> not found", Count: 10, EstimatedCount: 10, Services: []string{"auth"},
				MatchPatterns: []string{"User <*> not found", "User <num> not found"}, PatternVersion: ptrInt(7)}}},
			want:    []string{`"filters":[{"key":"pattern","value":["User <*> not found","User <num> not found"],"scope":"column"},{"key":"pattern_version","value":7,"scope":"column"}]`},
			notWant: []string{`"services"`, `\u003c`},
		},
		{
			name: "templates are sanitised, masked and cut; a masked pivot is withheld",
			args: patternsArgs{MaxPatternChars: func() *int { n := 20; return &n }()},
			res: &client.PatternsResult{TotalCount: 3, ScannedCount: 3, Patterns: []client.Pattern{{
				Pattern: "token " + secret + " \x1b[31mrejected for <*> and more words", Count: 3, EstimatedCount: 3,
				MatchRegex: "^token " + secret + ".*$", MatchLiteral: secret}}},
			want:    []string{"…[+", "templates cut at 20 chars", "no exact query_logs call: its match keys hold masked content"},
			notWant: []string{secret, "\x1b"},
		},
		{
			name: "empty window",
			res:  &client.PatternsResult{},
			want: []string{"0 lines · 0 patterns\nNo lines in this window."},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newPatternsReport(tc.args)
			if tc.args.Examples != nil {
				r.args.examples = 1
			}
			r.fromPatterns(tc.res)
			text := r.text()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("unexpected %q in:\n%s", w, text)
				}
			}
			js, err := json.Marshal(r.json())
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(js), secret) {
				t.Errorf("json leaks the secret: %s", js)
			}
		})
	}
}

func TestPatternsExamplesOnOneLine(t *testing.T) {
	r := newPatternsReport(patternsArgs{})
	r.args.examples = 1
	r.fromPatterns(&client.PatternsResult{TotalCount: 5, ScannedCount: 5, Patterns: []client.Pattern{minedPattern("failed <*>", "^failed", 5, 5)}})
	if text := r.text(); !strings.Contains(text, "    e.g. failed to apply promotion BF25 ⏎ at x.js:1\n") {
		t.Errorf("example:\n%s", text)
	}
}

func TestPatternsDiffRendering(t *testing.T) {
	base := &timerange.Window{From: renderWin.From.Add(-time.Hour), To: renderWin.From}
	entry := func(class string, ratio *float64, tmpl string, n int64) client.DiffEntry {
		p := minedPattern(tmpl, "^"+strings.ReplaceAll(tmpl, "<*>", `\S+`)+"$", n, 0)
		var before *int64
		if ratio != nil {
			before = ptrInt(int64(float64(n) / *ratio))
		}
		return client.DiffEntry{Classification: class, RateRatio: ratio, Pattern: p, BaselineEstimatedCount: before}
	}
	res := &client.PatternsDiffResult{
		Current:  client.DiffWindow{TotalCount: 900, ScannedCount: 900},
		Baseline: client.DiffWindow{TotalCount: 41, ScannedCount: 41},
		Entries: []client.DiffEntry{
			entry(client.DiffNew, nil, "failed to apply promotion <*>", 600),
			entry(client.DiffRateShift, ptrFloat(4.1), "provider timeout after <*>", 41),
			entry(client.DiffRateShift, ptrFloat(0.25), "cache warm <*>", 5),
			entry(client.DiffGone, nil, "legacy path <*>", 9),
			entry(client.DiffUnchanged, ptrFloat(1), "GET <*>", 200),
			entry(client.DiffUnchanged, ptrFloat(1.1), "POST <*>", 100),
		},
	}
	r := newPatternsReport(patternsArgs{Compare: "previous"})
	r.baseline = base
	r.fromDiff(res)
	text := r.text()
	for _, w := range []string{
		"vs baseline 2026-11-25T12:00:00Z → 2026-11-25T13:00:00Z (UTC)\n900 lines · baseline 41 lines\n",
		"warning: the baseline holds only 41 lines",
		"new (1)\n", "more (1)\n", "less (1)\n", "gone (1)\n",
		"×4.1 (was 10)", "×0.25 (was 20)",
		"unchanged: 2 patterns\n",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
	// A gone pattern's call looks in the baseline window, where its lines are.
	gone := text[strings.Index(text, "gone (1)"):]
	if !strings.Contains(gone, `"date_from":"2026-11-25T12:00:00Z","date_to":"2026-11-25T13:00:00Z"`) {
		t.Errorf("gone pivot not in the baseline window:\n%s", gone)
	}
	if strings.Index(text, "new (1)") > strings.Index(text, "more (1)") || strings.Index(text, "less (1)") > strings.Index(text, "gone (1)") {
		t.Errorf("sections out of order:\n%s", text)
	}
	// limit cuts across sections and says so.
	r = newPatternsReport(patternsArgs{Limit: func() *int { n := 2; return &n }()})
	r.baseline = base
	r.fromDiff(res)
	if text := r.text(); !strings.Contains(text, "2 of 4 patterns shown") || strings.Contains(text, "less (") {
		t.Errorf("limited diff:\n%s", text)
	}
	j := r.json()
	if j.Baseline == nil || *j.Unchanged != 2 || j.Warning == "" || len(j.Patterns) != 2 || j.Patterns[0].Class != "new" {
		t.Errorf("json: %+v", j)
	}
}

func TestPatternsBaselineWindows(t *testing.T) {
	now := testNow
	win := renderWin
	cases := []struct {
		args     patternsArgs
		from, to string
		err      string
	}{
		{args: patternsArgs{}, from: "", to: ""},
		{args: patternsArgs{Compare: "previous"}, from: "2026-11-25T12:00:00Z", to: "2026-11-25T13:00:00Z"},
		{args: patternsArgs{Compare: "day_before"}, from: "2026-11-24T13:00:00Z", to: "2026-11-24T14:00:00Z"},
		{args: patternsArgs{Compare: "week_before"}, from: "2026-11-18T13:00:00Z", to: "2026-11-18T14:00:00Z"},
		{args: patternsArgs{BaselineFrom: "-3h"}, from: "2026-11-25T11:00:00Z", to: "2026-11-25T13:00:00Z"},
		{args: patternsArgs{BaselineFrom: "-3h", BaselineTo: "-2h"}, from: "2026-11-25T11:00:00Z", to: "2026-11-25T12:00:00Z"},
		{args: patternsArgs{BaselineFrom: "-30m"}, err: "must be before baseline_to"},
		{args: patternsArgs{BaselineFrom: "soon"}, err: "baseline_from:"},
	}
	for _, tc := range cases {
		b, err := tc.args.baseline(win, now)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: err %v, want %q", tc.args, err, tc.err)
			}
		case err != nil:
			t.Errorf("%+v: %v", tc.args, err)
		case tc.from == "" && b != nil:
			t.Errorf("no comparison gave a baseline %v", b)
		case tc.from != "" && (b == nil || isoTime(b.From) != tc.from || isoTime(b.To) != tc.to):
			t.Errorf("%+v: baseline %v, want %s → %s", tc.args, b, tc.from, tc.to)
		}
	}
	for _, bad := range []patternsArgs{
		{Compare: "yesterday"}, {Compare: "previous", BaselineFrom: "-2h"}, {BaselineTo: "-1h"},
		{Limit: func() *int { n := 51; return &n }()}, {Examples: func() *int { n := 4; return &n }()},
		{MaxPatternChars: func() *int { n := -1; return &n }()},
	} {
		if err := bad.check(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// BenchmarkRenderPatterns measures what get_log_patterns adds to a decoded
// 50-pattern answer: sanitising, masking, cutting, pivots and the text.
func BenchmarkRenderPatterns(b *testing.B) {
	res := &client.PatternsResult{TotalCount: 250000, ScannedCount: 10000, Sampled: true}
	for i := range 50 {
		p := minedPattern(fmt.Sprintf("worker %d failed to apply promotion <*> to order <*>: TypeError: Cannot read properties of undefined (reading 'percentOff') at applyPromotion (/srv/app/promotions.js:%d:17)", i, i),
			fmt.Sprintf(`^\s*worker\s+%d\s+failed\s+to\s+apply\s+promotion\s+\S+\s+to\s+order\s+\S+:.*$`, i), int64(5000-i*90), int64(i))
		p.Sparkline = make([]float64, 24)
		for j := range p.Sparkline {
			p.Sparkline[j] = float64((i*j)%17) / 3
		}
		res.Patterns = append(res.Patterns, p)
	}
	args := patternsArgs{filterArgs: filterArgs{Services: []string{"checkout"}, Filters: []filterArg{{Key: "http.route", Value: "/api/checkout"}}}}
	_ = args.check()
	args.limit = 50
	e := newEnv(Config{Redact: true})
	b.ReportAllocs()
	for b.Loop() {
		r := &patternsReport{e: e, args: args, win: renderWin}
		r.fromPatterns(res)
		_ = r.text()
	}
}

func TestShortRegexesAreSupersets(t *testing.T) {
	w := `[^\s=:,;()]*[0-9@][^\s=:,;()]*`
	full := `^\s*failed\s+to\s+apply\s+promotion\s+` + w + `\s+to\s+order\s+(?:[^\s]+):\s+TypeError:\s+Cannot\s+read\s+properties\s+of\s+undefined\s+\(reading\s+'percentOff'\)\s+at\s+applyDiscount\s+\(/app/dist/pricing/discounts\.js:` + w + `\)\s+at\s+CheckoutController\.post\s+\(/app/dist/http/checkout\.js:` + w + `\)\s+context:\s+promotion=` + w + `\s*$`
	sibling := strings.Replace(full, `CheckoutController\.post`, `Layer\.handle`, 1)
	lines := []string{
		"failed to apply promotion BF25 to order ord_1: TypeError: Cannot read properties of undefined (reading 'percentOff')\n    at applyDiscount (/app/dist/pricing/discounts.js:88)\n    at CheckoutController.post (/app/dist/http/checkout.js:12) context: promotion=BF25",
		"  failed to apply promotion X9 to order o: TypeError: Cannot read properties of undefined (reading 'percentOff') at applyDiscount (/app/dist/pricing/discounts.js:1) at CheckoutController.post (/app/dist/http/checkout.js:2) context: promotion=7",
	}
	shorts := shortRegexes(full, []string{full, sibling})
	if len(shorts) == 0 {
		t.Fatal("no short form")
	}
	fullRE := regexp.MustCompile(full)
	for _, s := range shorts {
		if len(s) >= len(full) {
			t.Errorf("not shorter: %d >= %d", len(s), len(full))
		}
		re, err := regexp.Compile(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		for _, l := range lines {
			if !fullRE.MatchString(l) {
				t.Fatalf("test line does not match the full regex: %q", l)
			}
			if !re.MatchString(l) {
				t.Errorf("short form %s misses %q", s, l)
			}
		}
	}
	// The first short form keeps the pair of tokens the sibling lacks.
	if !strings.Contains(shorts[0], `CheckoutController\.post`) {
		t.Errorf("first short form does not tell the sibling apart: %s", shorts[0])
	}
	if regexTokens(`^a\s+(b\s+c)\s+[\s+]d$`) == nil || len(regexTokens(`^a\s+(b\s+c)\s+[\s+]d$`)) != 3 {
		t.Errorf("tokens: %q", regexTokens(`^a\s+(b\s+c)\s+[\s+]d$`))
	}
	if shortRegexes(`^short\s+regex$`, nil) != nil {
		t.Error("a short regex was shortened")
	}
}
