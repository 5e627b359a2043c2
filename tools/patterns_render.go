package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sanitize"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// Sections of a comparison, in the order they print.
const (
	classNew  = "new"
	classMore = "more"
	classLess = "less"
	classGone = "gone"
)

// patternsReport is an analysed get_log_patterns answer, with or without
// a baseline. Everything printed from PostHog's answer is sanitised here.
type patternsReport struct {
	e        *env
	args     patternsArgs
	win      timerange.Window
	baseline *timerange.Window // nil without a comparison

	total, baselineTotal     int64 // lines in each window
	scanned, baselineScanned int64 // lines mined (fewer than total when sampled)
	sampled, baselineSampled bool
	rows                     []patternRow // shown, in print order
	omitted                  int          // patterns not shown (limit)
	unchanged                int          // comparison only
	sections                 map[string]int
	hints                    []string // unknown services, when no line came back
}

// patternRow is one printed pattern.
type patternRow struct {
	class     string // comparison section, "" without one
	template  string // sanitised, cut
	cut       int    // runes cut from the template
	count     int64  // estimated when sampled
	errors    int64
	estimated bool
	share     float64
	services  []string // sanitised
	first     time.Time
	last      time.Time
	spark     []float64
	ratio     *float64 // more/less: current rate / baseline rate
	before    *int64   // baseline estimated count, when in both windows
	examples  []string // sanitised, cut
	query     *pivotCall
	pivotArgs filterArgs // query, before printing
	regex     string     // the full match_regex when query pivots on it
	noPivot   string     // why no exact query_logs call is printed
	approx    bool       // the pivot may return a few more lines than the pattern
}

func (r *patternsReport) fromPatterns(res *client.PatternsResult) {
	r.total, r.scanned, r.sampled = res.TotalCount, res.ScannedCount, res.Sampled
	r.omitted = res.OmittedPatternCount
	for _, p := range res.Patterns {
		if len(r.rows) == r.args.limit {
			r.omitted++
			continue
		}
		r.rows = append(r.rows, r.row("", p, r.win, res.Sampled))
	}
}

func (r *patternsReport) fromDiff(res *client.PatternsDiffResult) {
	r.total, r.scanned, r.sampled = res.Current.TotalCount, res.Current.ScannedCount, res.Current.Sampled
	r.baselineTotal, r.baselineScanned, r.baselineSampled = res.Baseline.TotalCount, res.Baseline.ScannedCount, res.Baseline.Sampled
	r.sections = map[string]int{}
	byClass := map[string][]client.DiffEntry{}
	for _, en := range res.Entries {
		class := ""
		switch en.Classification {
		case client.DiffNew:
			class = classNew
		case client.DiffRateShift:
			class = classMore
			if en.RateRatio != nil && *en.RateRatio < 1 {
				class = classLess
			}
		case client.DiffGone:
			class = classGone
		default:
			r.unchanged++
			continue
		}
		r.sections[class]++
		byClass[class] = append(byClass[class], en)
	}
	for _, class := range []string{classNew, classMore, classLess, classGone} {
		for _, en := range byClass[class] {
			if len(r.rows) == r.args.limit {
				r.omitted++
				continue
			}
			// A gone pattern's lines are in the baseline: its call queries that window.
			win, sampled := r.win, res.Current.Sampled
			if class == classGone {
				win, sampled = *r.baseline, res.Baseline.Sampled
			}
			row := r.row(class, en.Pattern, win, sampled)
			row.ratio = en.RateRatio
			row.before = en.BaselineEstimatedCount
			r.rows = append(r.rows, row)
		}
	}
}

// row prepares one pattern for printing: sanitised, cut, with its pivot.
func (r *patternsReport) row(class string, p client.Pattern, win timerange.Window, sampled bool) patternRow {
	clean := r.e.clean.String
	tmpl, cut := sanitize.Truncate(clean(p.Pattern), r.args.maxChars)
	row := patternRow{
		class: class, template: tmpl, cut: cut,
		count: p.EstimatedCount, errors: p.EstimatedErrorCount, estimated: sampled,
		share: p.VolumeSharePct, first: p.FirstSeen, last: p.LastSeen, spark: p.Sparkline,
	}
	if !sampled {
		row.count, row.errors = p.Count, p.ErrorCount
	}
	for _, s := range p.Services {
		row.services = append(row.services, serviceLabel(clean(s)))
	}
	for i, ex := range p.Examples {
		if i == r.args.examples {
			break
		}
		body, n := sanitize.Truncate(clean(ex.Body), r.args.maxChars)
		line := string(appendBody(nil, body))
		if n > 0 {
			line += " …[+" + strconv.Itoa(n) + "]"
		}
		row.examples = append(row.examples, line)
	}
	r.pivot(&row, p, win)
	return row
}

// pivot builds the query_logs call returning exactly the pattern's lines:
// the caller's filters and the pattern's window, plus the pattern's own
// key (contract 11): match_patterns with pattern_version, else match_regex,
// else match_literal. A key that sanitising would change is not printed:
// a masked key would match nothing, and the raw one may carry a secret.
func (r *patternsReport) pivot(row *patternRow, p client.Pattern, win timerange.Window) {
	clean := r.e.clean.String
	var pivot []filterArg
	stored := len(p.MatchPatterns) > 0 && p.PatternVersion != nil
	switch {
	case stored:
		for _, m := range p.MatchPatterns {
			if clean(m) != m {
				row.noPivot = "its pattern keys hold masked content"
				return
			}
		}
		pivot = []filterArg{
			{Key: "pattern", Value: slices.Clone(p.MatchPatterns), Scope: "column"},
			{Key: "pattern_version", Value: float64(*p.PatternVersion), Scope: "column"},
		}
		row.approx = p.MatchPatternsOmitted > 0
	case p.MatchRegex != "" && clean(p.MatchRegex) == p.MatchRegex:
		pivot = []filterArg{{Key: "message", Operator: "regex", Value: p.MatchRegex, Scope: "column"}}
		row.regex = p.MatchRegex
	case p.MatchLiteral != "" && clean(p.MatchLiteral) == p.MatchLiteral:
		pivot = []filterArg{{Key: "message", Operator: "icontains", Value: p.MatchLiteral, Scope: "column"}}
		row.approx = true // a literal also matches lines of other templates containing it
	case p.MatchRegex != "" || p.MatchLiteral != "":
		row.noPivot = "its match keys hold masked content"
		return
	default:
		row.noPivot = "PostHog gave no match key"
		return
	}
	args := r.args.filterArgs
	args.DateFrom, args.DateTo = isoTime(win.From), isoTime(win.To)
	if !stored {
		// Mined patterns: the same template text can occur in other
		// services and levels; narrow to this pattern's (contract 11).
		if s := exactServices(p.Services, clean); s != nil {
			args.Services = s
		}
		if s := patternSeverities(p.SeverityCounts); s != nil {
			args.Severity = s
		}
	}
	args.Filters = append(slices.Clone(args.Filters), pivot...)
	row.pivotArgs, row.query = args, pivotQuery(args)
}

// pivotCall is a pivot's query_logs arguments as printed; its fields are
// in the order a map of them would print, without a map's cost.
type pivotCall struct {
	DateFrom string      `json:"date_from"`
	DateTo   string      `json:"date_to"`
	Filters  []filterArg `json:"filters,omitempty"`
	Search   string      `json:"search,omitempty"`
	Services []string    `json:"services,omitempty"`
	Severity []string    `json:"severity,omitempty"`
}

// pivotQuery is a pivot's query_logs arguments as printed.
func pivotQuery(a filterArgs) *pivotCall {
	return &pivotCall{DateFrom: a.DateFrom, DateTo: a.DateTo, Filters: a.Filters, Search: a.Search, Services: a.Services, Severity: a.Severity}
}

// exactServices returns the pattern's services when they can be passed
// back exactly. PostHog lists at most 4, so 4 may be a cut list: then the
// caller's own services stand.
func exactServices(in []string, clean func(string) string) []string {
	if len(in) == 0 || len(in) >= 4 {
		return nil
	}
	for _, s := range in {
		if s == "" || s == noService || clean(s) != s {
			return nil
		}
	}
	return slices.Clone(in)
}

// patternSeverities lists the levels of a pattern's lines in severity
// order, or nil when one is not a level we can filter on.
func patternSeverities(counts map[string]int64) []string {
	if len(counts) == 0 {
		return nil
	}
	var out []string
	for k, n := range counts {
		if n <= 0 {
			continue
		}
		s, err := client.NormalizeSeverity(k)
		if err != nil {
			return nil
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(client.Severities, a) - slices.Index(client.Severities, b) })
	return out
}

func (r *patternsReport) text() string {
	var b strings.Builder
	withDate := r.win.Duration() > 20*time.Hour || (r.baseline != nil && r.win.From.Sub(r.baseline.From) > 20*time.Hour)
	fmt.Fprintf(&b, "patterns · window %s", r.win)
	if r.baseline != nil {
		fmt.Fprintf(&b, " vs baseline %s", r.baseline)
	}
	b.WriteString(" (UTC)\n")
	fmt.Fprintf(&b, "%s lines", thousands(r.total))
	if r.sampled {
		fmt.Fprintf(&b, " (mined %s: counts ~ are estimates)", thousands(r.scanned))
	}
	if r.baseline != nil {
		fmt.Fprintf(&b, " · baseline %s lines", thousands(r.baselineTotal))
		if r.baselineSampled {
			fmt.Fprintf(&b, " (mined %s)", thousands(r.baselineScanned))
		}
	}
	shownCount := len(r.rows)
	if r.omitted > 0 {
		fmt.Fprintf(&b, " · %d of %d patterns shown (raise limit for the rest)", shownCount, shownCount+r.omitted)
	} else if r.baseline == nil {
		fmt.Fprintf(&b, " · %s", plural(shownCount, "pattern"))
	}
	b.WriteByte('\n')
	if r.baseline != nil && r.baselineTotal < fewBaselineLines {
		fmt.Fprintf(&b, "warning: the baseline holds only %s lines, so \"new\" means little; compare with a busier window (compare \"day_before\", or baseline_from).\n", thousands(r.baselineTotal))
	}
	if r.total == 0 && r.baseline == nil {
		advice := widerOrFewer(r.win, r.args.filterArgs)
		if len(r.hints) > 0 {
			advice = "Check: " + strings.Join(r.hints, "; ") + "."
		}
		b.WriteString("No lines in this window. " + advice + "\n")
		return b.String()
	}
	countW, errW := 0, 0
	for _, row := range r.rows {
		countW = max(countW, len(row.countText()))
		errW = max(errW, len(thousands(row.errors)))
	}
	class, anyCut := "", false
	if len(r.rows) > 0 {
		b.WriteString("each: lines, errors, share, [×rate vs baseline], services, first→last seen, trend, template; then the query_logs call for its lines\n")
	}
	for _, row := range r.rows {
		if row.class != class {
			class = row.class
			fmt.Fprintf(&b, "%s (%d)\n", class, r.sections[class])
		}
		b.WriteString("  ")
		c := row.countText()
		b.WriteString(strings.Repeat(" ", countW-len(c)) + c)
		e := thousands(row.errors)
		b.WriteString("  " + strings.Repeat(" ", errW-len(e)) + e + " err")
		fmt.Fprintf(&b, "  %4.1f%%", row.share)
		if row.ratio != nil && (row.class == classMore || row.class == classLess) {
			fmt.Fprintf(&b, "  ×%s", strconv.FormatFloat(*row.ratio, 'f', -1, 64))
			if row.before != nil {
				fmt.Fprintf(&b, " (was %s)", thousands(*row.before))
			}
		}
		if len(row.services) > 0 {
			b.WriteString("  " + strings.Join(row.services, ","))
		}
		if !row.first.IsZero() && !row.last.IsZero() {
			b.WriteString("  " + seenTime(row.first, withDate) + "→" + seenTime(row.last, withDate))
		}
		if len(row.spark) > 0 {
			b.WriteString("  " + sparklineFloat(row.spark))
		}
		b.WriteString("  ")
		b.Write(appendBody(nil, row.template))
		if row.cut > 0 {
			fmt.Fprintf(&b, " …[+%d]", row.cut)
			anyCut = true
		}
		b.WriteByte('\n')
		for _, ex := range row.examples {
			b.WriteString("    e.g. " + ex + "\n")
		}
		if row.query != nil {
			b.WriteString("    → query_logs ")
			b.WriteString(compactJSON(row.query))
			if row.approx {
				b.WriteString("  (approximate: may include similar lines)")
			}
			b.WriteByte('\n')
		} else {
			fmt.Fprintf(&b, "    (no exact query_logs call: %s; use search with a distinctive word of the template)\n", row.noPivot)
		}
	}
	if r.baseline != nil {
		if len(r.rows) == 0 {
			b.WriteString("no pattern is new, more, less or gone.\n")
		}
		fmt.Fprintf(&b, "unchanged: %s\n", plural(r.unchanged, "pattern"))
	}
	if anyCut {
		fmt.Fprintf(&b, "templates cut at %d chars (…[+N]); max_pattern_chars=0 shows them whole.\n", r.args.maxChars)
	}
	if len(r.rows) > 0 {
		b.WriteString("a → call's arguments also work with count_logs (exact count, or group_by to split it).\n")
	}
	return b.String()
}

func (row patternRow) countText() string {
	if row.estimated {
		return "~" + thousands(row.count)
	}
	return thousands(row.count)
}

// seenTime prints a first/last-seen time: to the second within a day's
// window, with the date for longer ones.
func seenTime(t time.Time, withDate bool) string {
	if withDate {
		return t.UTC().Format("01-02T15:04Z")
	}
	return t.UTC().Format("15:04:05Z")
}

// sparklineFloat draws PostHog's estimated (fractional) bucket counts.
func sparklineFloat(vals []float64) string {
	counts := make([]int64, len(vals))
	for i, v := range vals {
		if v > 0 {
			counts[i] = int64(math.Ceil(v * 100))
		}
	}
	return sparkline(counts)
}

// compactJSON is safeJSON without escaping <, > and & (regexes and
// templates are full of them), so a printed call reads as the agent will
// send it; hidden characters are still written as \u escapes.
func compactJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "{}"
	}
	return escapeHidden(strings.TrimSuffix(buf.String(), "\n"))
}

type patternsJSON struct {
	Window          windowJSON    `json:"window"`
	Baseline        *windowJSON   `json:"baseline,omitempty"`
	TotalLines      int64         `json:"total_lines"`
	ScannedLines    int64         `json:"scanned_lines"`
	Sampled         bool          `json:"sampled"`
	BaselineLines   *int64        `json:"baseline_lines,omitempty"`
	BaselineSampled bool          `json:"baseline_sampled,omitempty"`
	Warning         string        `json:"warning,omitempty"`
	Hints           []string      `json:"hints,omitempty"`
	Shown           int           `json:"shown"`
	Omitted         int           `json:"omitted"`
	Unchanged       *int          `json:"unchanged,omitempty"`
	Patterns        []patternJSON `json:"patterns"`
}

type patternJSON struct {
	Class         string     `json:"class,omitempty"`
	Template      string     `json:"template"`
	CharsCut      int        `json:"template_chars_cut,omitempty"`
	Count         int64      `json:"count"`
	Errors        int64      `json:"errors"`
	Estimated     bool       `json:"estimated,omitempty"`
	SharePct      float64    `json:"share_pct"`
	RateRatio     *float64   `json:"rate_ratio,omitempty"`
	BaselineCount *int64     `json:"baseline_count,omitempty"`
	Services      []string   `json:"services,omitempty"`
	FirstSeen     string     `json:"first_seen,omitempty"`
	LastSeen      string     `json:"last_seen,omitempty"`
	Sparkline     []float64  `json:"sparkline,omitempty"`
	Examples      []string   `json:"examples,omitempty"`
	Query         *pivotCall `json:"query_logs,omitempty"`
	Approximate   bool       `json:"query_approximate,omitempty"`
	NoQuery       string     `json:"no_query_reason,omitempty"`
}

func (r *patternsReport) json() patternsJSON {
	j := patternsJSON{
		Window:     windowJSON{isoTime(r.win.From), isoTime(r.win.To)},
		TotalLines: r.total, ScannedLines: r.scanned, Sampled: r.sampled,
		Shown: len(r.rows), Omitted: r.omitted, Patterns: []patternJSON{}, Hints: r.hints,
	}
	if r.baseline != nil {
		j.Baseline = &windowJSON{isoTime(r.baseline.From), isoTime(r.baseline.To)}
		j.BaselineLines, j.BaselineSampled = &r.baselineTotal, r.baselineSampled
		j.Unchanged = &r.unchanged
		if r.baselineTotal < fewBaselineLines {
			j.Warning = "the baseline holds few lines: \"new\" means little"
		}
	}
	for _, row := range r.rows {
		pj := patternJSON{
			Class: row.class, Template: row.template, CharsCut: row.cut,
			Count: row.count, Errors: row.errors, Estimated: row.estimated, SharePct: row.share,
			RateRatio: row.ratio, BaselineCount: row.before, Services: row.services,
			Sparkline: row.spark, Examples: row.examples,
			Query: row.query, Approximate: row.approx, NoQuery: row.noPivot,
		}
		if !row.first.IsZero() {
			pj.FirstSeen = isoTime(row.first)
		}
		if !row.last.IsZero() {
			pj.LastSeen = isoTime(row.last)
		}
		j.Patterns = append(j.Patterns, pj)
	}
	return j
}
