package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

type diffJSON struct {
	Entries []struct {
		Classification         string      `json:"classification"`
		RateRatio              *float64    `json:"rate_ratio"`
		Pattern                patternJSON `json:"pattern"`
		BaselineEstimatedCount *int        `json:"baseline_estimated_count"`
		BaselineVolumeSharePct *float64    `json:"baseline_volume_share_pct"`
	} `json:"entries"`
	Current  diffWindowJSON `json:"current"`
	Baseline diffWindowJSON `json:"baseline"`
}

func patternsDiff(t testing.TB, srv *Server, body any) diffJSON {
	t.Helper()
	resp := call(t, srv, "POST", KeyFull, logsPath("patterns_diff"), body)
	if resp.status != http.StatusOK {
		t.Fatalf("patterns_diff %v: %d %s", body, resp.status, resp.body)
	}
	var out diffJSON
	resp.decode(t, &out)
	return out
}

// synthetic builds rows for the classification table: n lines of body
// (with "%d" replaced by a counter) at second offsets from base.
type synthLine struct {
	body string
	n    int
	sev  severity
}

func synthRows(base int64, span time.Duration, lines ...synthLine) []logRow {
	res := &resource{service: "svc"}
	var rows []logRow
	for _, l := range lines {
		for i := range l.n {
			body := strings.ReplaceAll(l.body, "%d", fmt.Sprint(i))
			at := base + int64(i)*span.Microseconds()/int64(l.n)
			rows = append(rows, logRow{micros: at, sev: l.sev, body: body, bodyLower: strings.ToLower(body), res: res})
		}
	}
	slicesSortRows(rows)
	return rows
}

func slicesSortRows(rows []logRow) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].micros < rows[j-1].micros; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// TestDiffClassification covers PostHog's thresholds one rule at a time:
// the baseline is the hour before the current hour, so counts are rates.
func TestDiffClassification(t *testing.T) {
	hour := time.Hour.Microseconds()
	cur := window{from: 10 * hour, to: 11 * hour}
	base := window{from: 9 * hour, to: 10 * hour}
	filler := synthLine{"steady background %d", 1000, sevInfo}
	cases := []struct {
		name    string
		base    []synthLine
		current []synthLine
		want    string // classification of "probe <*>" ("" = no entry)
		ratio   float64
	}{
		{"new by share", nil, []synthLine{{"probe %d", 11, sevInfo}}, "new", 0},
		{"new by one error", nil, []synthLine{{"probe %d", 1, sevError}}, "new", 0},
		{"new by one fatal", nil, []synthLine{{"probe %d", 1, sevFatal}}, "new", 0},
		{"too small to be new", nil, []synthLine{{"probe %d", 9, sevWarn}}, "unchanged", 0},
		{"rate doubled", []synthLine{{"probe %d", 5, sevInfo}}, []synthLine{{"probe %d", 10, sevInfo}}, "rate_shift", 2},
		{"rate halved", []synthLine{{"probe %d", 10, sevInfo}}, []synthLine{{"probe %d", 5, sevInfo}}, "rate_shift", 0.5},
		{"below x2", []synthLine{{"probe %d", 10, sevInfo}}, []synthLine{{"probe %d", 19, sevInfo}}, "unchanged", 1.9},
		{"x2 but 4 baseline lines", []synthLine{{"probe %d", 4, sevInfo}}, []synthLine{{"probe %d", 40, sevInfo}}, "unchanged", 10},
		{"x0.2 but 4 current lines", []synthLine{{"probe %d", 20, sevInfo}}, []synthLine{{"probe %d", 4, sevInfo}}, "unchanged", 0.2},
		{"gone by share", []synthLine{{"probe %d", 11, sevInfo}}, nil, "gone", 0},
		{"gone by error", []synthLine{{"probe %d", 1, sevError}}, nil, "gone", 0},
		{"too small to be gone", []synthLine{{"probe %d", 9, sevDebug}}, nil, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows := append(synthRows(base.from, time.Hour, append(c.base, filler)...), synthRows(cur.from, time.Hour, append(c.current, filler)...)...)
			got := diffPatterns(minePatterns(rows, logFilter{window: cur}), minePatterns(rows, logFilter{window: base}))
			found := ""
			for _, e := range got.Entries {
				if e.Pattern.Pattern != "probe <*>" {
					if e.Pattern.Pattern != "steady background <*>" || e.Classification != "unchanged" || *e.RateRatio != 1 {
						t.Errorf("filler: %+v", e)
					}
					continue
				}
				found = e.Classification
				if c.ratio != 0 && (e.RateRatio == nil || *e.RateRatio != c.ratio) {
					t.Errorf("rate_ratio %v, want %v", e.RateRatio, c.ratio)
				}
				both := len(c.base) > 0 && len(c.current) > 0
				if both != (e.RateRatio != nil) || (len(c.base) > 0) != (e.BaselineEstimatedCount != nil) {
					t.Errorf("ratio/baseline fields: %+v", e)
				}
			}
			if found != c.want {
				t.Fatalf("classified %q, want %q", found, c.want)
			}
		})
	}
}

// TestDiffOrder: new, rate_shift, gone, unchanged; by magnitude within a
// class (max(r, 1/r) for rate shifts, estimated count otherwise), then by
// template.
func TestDiffOrder(t *testing.T) {
	hour := time.Hour.Microseconds()
	cur := window{from: 10 * hour, to: 11 * hour}
	base := window{from: 8 * hour, to: 10 * hour} // twice as long: rates halve
	rows := append(synthRows(base.from, 2*time.Hour,
		synthLine{"shift down %d", 80, sevInfo}, // rate 40/h -> 5/h: 0.12, magnitude 8
		synthLine{"shift up %d", 10, sevInfo},   // 5/h -> 50/h: 10
		synthLine{"stable b %d", 200, sevInfo},  // 100/h -> 100/h
		synthLine{"stable a %d", 200, sevInfo},  // same count: ties by template
		synthLine{"gone small %d", 40, sevInfo}, // share 40/670 in the baseline
		synthLine{"gone big %d", 140, sevInfo},
	), synthRows(cur.from, time.Hour,
		synthLine{"shift down %d", 5, sevInfo},
		synthLine{"shift up %d", 50, sevInfo},
		synthLine{"stable b %d", 100, sevInfo},
		synthLine{"stable a %d", 100, sevInfo},
		synthLine{"fresh error %d", 2, sevError},
		synthLine{"fresh bulk %d", 30, sevInfo},
	)...)
	got := diffPatterns(minePatterns(rows, logFilter{window: cur}), minePatterns(rows, logFilter{window: base}))
	var order []string
	for _, e := range got.Entries {
		order = append(order, e.Classification+":"+e.Pattern.Pattern)
	}
	want := []string{
		"new:fresh bulk <*>", "new:fresh error <*>",
		"rate_shift:shift up <*>", "rate_shift:shift down <*>",
		"gone:gone big <*>", "gone:gone small <*>",
		"unchanged:stable a <*>", "unchanged:stable b <*>",
	}
	if strings.Join(order, "\n") != strings.Join(want, "\n") {
		t.Fatalf("order:\n%s\nwant:\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"))
	}
	if got.Current.DateFrom != isoformat(cur.from) || got.Baseline.DateTo != isoformat(base.to) || got.Baseline.TotalCount != 670 {
		t.Errorf("window blocks: %+v %+v", got.Current, got.Baseline)
	}
}

func TestPatternsDiffHTTP(t *testing.T) {
	srv := shared(t)
	cur := dateRange(-3*time.Hour, -2*time.Hour)

	// Default baseline: the same window a week earlier, before the data
	// set starts: every current pattern is new or (when small) unchanged.
	got := patternsDiff(t, srv, map[string]any{"query": map[string]any{"dateRange": cur}})
	if got.Baseline.DateFrom != "2026-11-18T11:00:00+00:00" || got.Baseline.DateTo != "2026-11-18T12:00:00+00:00" ||
		got.Baseline.TotalCount != 0 || got.Current.DateFrom != "2026-11-25T11:00:00+00:00" || got.Current.Source != "body_mining" {
		t.Fatalf("windows: %+v / %+v", got.Current, got.Baseline)
	}
	for _, e := range got.Entries {
		isNew := e.Pattern.VolumeSharePct >= 1 || e.Pattern.ErrorCount > 0
		if (e.Classification == "new") != isNew || (e.Classification != "new" && e.Classification != "unchanged") {
			t.Errorf("%s %q with share %v, errors %d", e.Classification, e.Pattern.Pattern, e.Pattern.VolumeSharePct, e.Pattern.ErrorCount)
		}
		if e.RateRatio != nil || e.BaselineEstimatedCount != nil {
			t.Errorf("%q: baseline fields set for a current-only pattern", e.Pattern.Pattern)
		}
	}

	// An explicit baseline, with filters applied to both windows; limit and
	// maxPatternChars do not bound a diff.
	got = patternsDiff(t, srv, map[string]any{
		"query":             map[string]any{"dateRange": cur, "serviceNames": []string{"search"}, "limit": 1, "maxPatternChars": 80},
		"baselineDateRange": dateRange(-5*time.Hour, -4*time.Hour),
	})
	if len(got.Entries) < 3 || got.Baseline.TotalCount != count(t, srv, map[string]any{"dateRange": dateRange(-5*time.Hour, -4*time.Hour), "serviceNames": []string{"search"}}) {
		t.Fatalf("filtered diff: %d entries, baseline %+v", len(got.Entries), got.Baseline)
	}
	for _, e := range got.Entries {
		if e.Pattern.PatternTruncated || e.Pattern.Services[0] != "search" {
			t.Errorf("entry %+v", e.Pattern)
		}
	}

	for _, bad := range []map[string]any{
		{"query": map[string]any{"dateRange": cur}, "baselineDateRange": map[string]any{"date_from": "-2h", "window": "x"}},
		{"query": map[string]any{"dateRange": cur}, "baselineDateRange": "yesterday"},
	} {
		resp := call(t, srv, "POST", KeyFull, logsPath("patterns_diff"), bad)
		if resp.status != 400 || !strings.Contains(string(resp.body), `"code":"parse_error"`) {
			t.Errorf("%v: %d %s", bad, resp.status, resp.body)
		}
	}
}

// TestPatternsDiffThrottle: 240 requests a minute per key, then PostHog's
// 429 without Retry-After; other keys are not affected.
func TestPatternsDiffThrottle(t *testing.T) {
	srv := private(t)
	body := map[string]any{"query": map[string]any{"dateRange": dateRange(-time.Minute, 0)}}
	for i := range 240 {
		if resp := call(t, srv, "POST", KeyFull, logsPath("patterns_diff"), body); resp.status != 200 {
			t.Fatalf("request %d: %d %s", i+1, resp.status, resp.body)
		}
	}
	resp := call(t, srv, "POST", KeyFull, logsPath("patterns_diff"), body)
	if resp.status != http.StatusTooManyRequests || resp.header.Get("Retry-After") != "" ||
		!strings.HasPrefix(string(resp.body), `{"type":"throttled_error","code":"throttled","detail":"Request was throttled. Expected available in `) {
		t.Fatalf("241st: %d %v %s", resp.status, resp.header, resp.body)
	}
	if resp := call(t, srv, "POST", KeyReadOnly, logsPath("patterns_diff"), body); resp.status != 200 {
		t.Fatalf("another key: %d %s", resp.status, resp.body)
	}
	if resp := call(t, srv, "POST", KeyFull, logsPath("patterns"), body); resp.status != 200 {
		t.Fatalf("patterns shares the limit: %d %s", resp.status, resp.body)
	}
}
