package sandbox

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PostHog's body-mining limits (products/logs patterns runner and bounds).
const (
	patternSampleLimit   = 10000 // lines mined at most; more are sampled by uuid hash
	patternBuckets       = 24
	maxPatternExamples   = 10
	maxPatternServices   = 4
	maxPatternLimit      = 200
	mcpPatternLimit      = 20
	mcpMaxPatternChars   = 400
	minPatternChars      = 80
	patternCutNote       = "[cut at %d chars, re-run with maxPatternChars=0 for the whole template]"
	mcpClientHeader      = "x-posthog-client"
	mcpClientHeaderValue = "mcp"
)

// patternsQuery is the parsed query of logs/patterns and logs/patterns_diff.
type patternsQuery struct {
	filter          logFilter
	limit           int
	maxPatternChars int
}

// readPatternsQuery reads {"query": {...}}: an absent query means {}, one
// that is not an object is a 400. limit and maxPatternChars are resolved
// with PostHog's defaults, which are smaller for a caller that says it is
// an MCP server.
//
// patterns_diff is never bounded (bounded false): it ignores both fields.
func readPatternsQuery(rq *logsRequest, raw json.RawMessage, bounded bool) (patternsQuery, *apiError) {
	var out patternsQuery
	fields := map[string]json.RawMessage{}
	if !isNull(raw) {
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
			return out, errValidation("invalid", "query must be an object", "")
		}
		if err := json.Unmarshal(raw, &fields); err != nil {
			return out, errValidation("invalid", "query must be an object", "")
		}
	}
	overMCP := strings.EqualFold(strings.TrimSpace(rq.Header.Get(mcpClientHeader)), mcpClientHeaderValue)
	var err *apiError
	if !bounded {
		fields["limit"], fields["maxPatternChars"] = nil, nil
		overMCP = false
	}
	if out.limit, err = patternInt(fields["limit"], "limit", maxPatternLimit, mcpPatternLimit, overMCP); err != nil {
		return out, err
	}
	if out.limit < 1 {
		return out, errValidation("invalid", "limit must be 1 or greater.", "")
	}
	out.limit = min(out.limit, maxPatternLimit)
	if out.maxPatternChars, err = patternInt(fields["maxPatternChars"], "maxPatternChars", 0, mcpMaxPatternChars, overMCP); err != nil {
		return out, err
	}
	if out.maxPatternChars < 0 {
		return out, errValidation("invalid", "maxPatternChars must be zero or greater.", "")
	}
	if out.maxPatternChars > 0 && out.maxPatternChars < minPatternChars {
		return out, errValidation("invalid", "maxPatternChars must be 80 or greater, or zero for whole templates.", "")
	}
	delete(fields, "limit")
	delete(fields, "maxPatternChars")
	in, err := decodeQueryFields(fields)
	if err != nil {
		return out, err
	}
	if out.filter, err = buildFilter(in, rq.now, false, true); err != nil {
		return out, err
	}
	return out, nil
}

// decodeQueryFields decodes the shared query fields; a wrong type is
// PostHog's opaque 500, as in the other endpoints.
func decodeQueryFields(fields map[string]json.RawMessage) (queryInput, *apiError) {
	var in queryInput
	encoded, err := json.Marshal(fields)
	if err != nil {
		return in, errServer()
	}
	if err := json.Unmarshal(encoded, &in); err != nil {
		return in, errServer()
	}
	return in, nil
}

// patternInt parses limit/maxPatternChars like PostHog: an integer or a
// string holding one; a bool, a float or anything else is not an integer.
func patternInt(raw json.RawMessage, field string, def, mcpDef int, overMCP bool) (int, *apiError) {
	if isNull(raw) {
		if overMCP {
			return mcpDef, nil
		}
		return def, nil
	}
	bad := errValidation("invalid", field+" must be an integer.", "")
	text := string(bytes.TrimSpace(raw))
	if text[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, bad
		}
		text = strings.TrimSpace(text)
	} else if strings.ContainsAny(text, ".eE") || text == "true" || text == "false" {
		return 0, bad
	}
	n, err := strconv.Atoi(strings.TrimPrefix(text, "+"))
	if err != nil {
		if errNum, ok := err.(*strconv.NumError); ok && errNum.Err == strconv.ErrRange {
			// Python integers do not overflow: huge values clamp like large ones.
			if strings.HasPrefix(text, "-") {
				return math.MinInt32, nil
			}
			return math.MaxInt32, nil
		}
		return 0, bad
	}
	return n, nil
}

// handlePatterns serves POST logs/patterns/.
func (s *Sandbox) handlePatterns(rq *logsRequest) {
	envelope, err := readEnvelope(rq.body)
	if err != nil {
		rq.fail(err)
		return
	}
	pq, err := readPatternsQuery(rq, envelope["query"], true)
	if err != nil {
		rq.fail(err)
		return
	}
	mined := minePatterns(rq.rows, pq.filter)
	writeJSON(rq.w, http.StatusOK, mined.response("flag_disabled", pq.limit, pq.maxPatternChars))
}

// readEnvelope decodes the request body as a JSON object; an empty body is {}.
func readEnvelope(body []byte) (map[string]json.RawMessage, *apiError) {
	envelope := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(body)) == 0 {
		return envelope, nil
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, errParse(err.Error())
	}
	if envelope == nil {
		envelope = map[string]json.RawMessage{}
	}
	return envelope, nil
}

// minedWindow is the result of mining one window: its groups ordered by
// volume, and the counts the response reports.
type minedWindow struct {
	win     window
	groups  []*patternGroup
	scanned int
	total   int
	buckets [patternBuckets + 1]int64 // bucket boundaries
}

type patternGroup struct {
	template string
	count    int
	errors   int
	first    int64
	last     int64
	severity [severityCount]int
	buckets  [patternBuckets]int
	kinds    []uint8 // per variable position, every kind seen there
	members  []*logRow
	examples []*logRow
	services map[string]int
}

// inWindow selects the lines of [from, to) that pass the filter, in time order.
func inWindow(rows []logRow, f *logFilter) []*logRow {
	span := f.span(rows)
	out := make([]*logRow, 0, len(span))
	for i := range span {
		r := &span[i]
		if r.micros < f.to && f.match(r) {
			out = append(out, r)
		}
	}
	return out
}

// sampleLines keeps a deterministic subset of at most patternSampleLimit
// lines when there are more: PostHog keeps the rows whose uuid hash is 0
// modulo ceil(total/limit), then applies the limit.
func sampleLines(lines []*logRow) []*logRow {
	if len(lines) <= patternSampleLimit {
		return lines
	}
	divisor := uint64((len(lines) + patternSampleLimit - 1) / patternSampleLimit)
	out := make([]*logRow, 0, patternSampleLimit)
	for _, r := range lines {
		if uuidHash(r.uuid)%divisor == 0 {
			out = append(out, r)
			if len(out) == patternSampleLimit {
				break
			}
		}
	}
	return out
}

func uuidHash(u [16]byte) uint64 {
	return splitmix64(binary.BigEndian.Uint64(u[:8]) ^ splitmix64(binary.BigEndian.Uint64(u[8:])))
}

// minePatterns mines the lines of the filter's window ([from, to)).
func minePatterns(rows []logRow, f logFilter) *minedWindow {
	lines := inWindow(rows, &f)
	sample := sampleLines(lines)
	mw := &minedWindow{win: f.window, scanned: len(sample), total: len(lines)}
	mw.buckets = bucketBounds(f.window)
	byTemplate := make(map[string]*patternGroup, 64)
	var m masker
	for _, r := range sample {
		m.run(r.body)
		g := byTemplate[string(m.tmpl)]
		if g == nil {
			g = &patternGroup{template: string(m.tmpl), first: r.micros, kinds: slices.Clone(m.kinds), services: map[string]int{}}
			byTemplate[g.template] = g
			mw.groups = append(mw.groups, g)
		}
		for i, k := range m.kinds {
			g.kinds[i] |= k
		}
		g.count++
		if r.sev >= sevError {
			g.errors++
		}
		g.last = r.micros
		g.severity[r.sev]++
		g.buckets[mw.bucketOf(r.micros)]++
		g.members = append(g.members, r)
		if len(g.examples) < maxPatternExamples && !slices.ContainsFunc(g.examples, func(e *logRow) bool { return e.body == r.body }) {
			g.examples = append(g.examples, r)
		}
		if r.res.service != "" {
			g.services[r.res.service]++
		}
	}
	slices.SortFunc(mw.groups, func(a, b *patternGroup) int {
		return cmp.Or(cmp.Compare(b.count, a.count), strings.Compare(a.template, b.template))
	})
	return mw
}

// bucketBounds splits the window into 24 equal buckets, the step rounded
// to the microsecond half to even like Python's timedelta division.
func bucketBounds(w window) (b [patternBuckets + 1]int64) {
	span := max(w.to-w.from, 0)
	step := span / patternBuckets
	if rem := span % patternBuckets; 2*rem > patternBuckets || (2*rem == patternBuckets && step%2 == 1) {
		step++
	}
	for i := range b {
		b[i] = w.from + step*int64(i)
	}
	return b
}

func (mw *minedWindow) bucketOf(micros int64) int {
	step := mw.buckets[1] - mw.buckets[0]
	if step <= 0 {
		return 0
	}
	return min(int((micros-mw.win.from)/step), patternBuckets-1)
}

// estimate extrapolates a sample count to the window, rounding half to
// even like Python's round.
func (mw *minedWindow) estimate(n int) int {
	if mw.scanned >= mw.total || mw.scanned == 0 {
		return n
	}
	return int(math.RoundToEven(float64(n) / float64(mw.scanned) * float64(mw.total)))
}

func round2(x float64) float64 { return math.RoundToEven(x*100) / 100 }

// The wire shapes of section 11.

type patternJSON struct {
	Pattern               string         `json:"pattern"`
	Count                 int            `json:"count"`
	EstimatedCount        int            `json:"estimated_count"`
	ErrorCount            int            `json:"error_count"`
	EstimatedErrorCount   int            `json:"estimated_error_count"`
	VolumeSharePct        float64        `json:"volume_share_pct"`
	FirstSeen             string         `json:"first_seen"`
	LastSeen              string         `json:"last_seen"`
	Examples              []exampleJSON  `json:"examples"`
	Services              []string       `json:"services"`
	Sparkline             []int          `json:"sparkline"`
	SeverityCounts        map[string]int `json:"severity_counts"`
	MatchRegex            *string        `json:"match_regex"`
	MatchLiteral          *string        `json:"match_literal"`
	MatchPatterns         []string       `json:"match_patterns"`
	PatternVersion        *int           `json:"pattern_version"`
	PatternTruncated      bool           `json:"pattern_truncated"`
	MatchPatternsOmitted  int            `json:"match_patterns_omitted"`
	MatchRegexOmitted     bool           `json:"match_regex_omitted"`
	MatchLiteralTruncated bool           `json:"match_literal_truncated"`
}

type exampleJSON struct {
	Body         string `json:"body"`
	SeverityText string `json:"severity_text"`
	ServiceName  string `json:"service_name"`
	Timestamp    string `json:"timestamp"`
}

type bucketJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type patternsResponse struct {
	Patterns             []patternJSON `json:"patterns"`
	ReturnedPatternCount int           `json:"returned_pattern_count"`
	OmittedPatternCount  int           `json:"omitted_pattern_count"`
	windowJSON
	SparklineBuckets   []bucketJSON `json:"sparkline_buckets"`
	Source             string       `json:"source"`
	PatternVersion     *int         `json:"pattern_version"`
	FallbackReason     string       `json:"fallback_reason"`
	PatternCoveragePct *float64     `json:"pattern_coverage_pct"`
	RepresentedCount   *int         `json:"represented_count"`
	RemainderCount     *int         `json:"remainder_count"`
}

// windowJSON holds the counts that describe a mined window.
type windowJSON struct {
	ScannedCount      int     `json:"scanned_count"`
	TotalCount        int     `json:"total_count"`
	Sampled           bool    `json:"sampled"`
	SampleCoveragePct float64 `json:"sample_coverage_pct"`
}

func (mw *minedWindow) counts() windowJSON {
	// PostHog's coverage is the share of the window eligible for sampling,
	// which is all of it unless a window of over 2,000,000 lines is sliced:
	// that never happens here.
	return windowJSON{ScannedCount: mw.scanned, TotalCount: mw.total, Sampled: mw.scanned < mw.total, SampleCoveragePct: 100.0}
}

func (mw *minedWindow) response(reason string, limit, maxChars int) patternsResponse {
	kept := mw.groups[:min(limit, len(mw.groups))]
	out := patternsResponse{
		Patterns:             make([]patternJSON, 0, len(kept)),
		ReturnedPatternCount: len(kept),
		OmittedPatternCount:  len(mw.groups) - len(kept),
		windowJSON:           mw.counts(),
		SparklineBuckets:     make([]bucketJSON, patternBuckets),
		Source:               "body_mining",
		FallbackReason:       reason,
	}
	for i := range patternBuckets {
		out.SparklineBuckets[i] = bucketJSON{Start: isoformat(mw.buckets[i]), End: isoformat(mw.buckets[i+1])}
	}
	for _, g := range kept {
		out.Patterns = append(out.Patterns, boundPattern(mw.patternJSON(g), maxChars))
	}
	return out
}

// patternJSON renders one group with its pivot keys.
func (mw *minedWindow) patternJSON(g *patternGroup) patternJSON {
	p := patternJSON{
		Pattern:             g.template,
		Count:               g.count,
		EstimatedCount:      mw.estimate(g.count),
		ErrorCount:          g.errors,
		EstimatedErrorCount: mw.estimate(g.errors),
		FirstSeen:           isoformat(g.first),
		LastSeen:            isoformat(g.last),
		Examples:            make([]exampleJSON, 0, len(g.examples)),
		Services:            topServices(g.services),
		Sparkline:           make([]int, patternBuckets),
		SeverityCounts:      map[string]int{},
		MatchPatterns:       []string{},
	}
	if mw.scanned > 0 {
		p.VolumeSharePct = round2(float64(g.count) / float64(mw.scanned) * 100)
	}
	for _, e := range g.examples {
		p.Examples = append(p.Examples, exampleJSON{Body: e.body, SeverityText: severityNames[e.sev], ServiceName: e.res.service, Timestamp: isoformat(e.micros)})
	}
	for i, n := range g.buckets {
		p.Sparkline[i] = mw.estimate(n)
	}
	for sev, n := range g.severity {
		if n > 0 {
			p.SeverityCounts[severityNames[sev]] = n
		}
	}
	regex, literal := g.pivots()
	if regex != "" {
		p.MatchRegex = &regex
	}
	if literal != "" {
		p.MatchLiteral = &literal
	}
	return p
}

// pivots builds the regex and the literal that select the group's lines.
// The literal must be a substring of every line (case-insensitively): the
// longest stretch that is one is taken.
func (g *patternGroup) pivots() (regex, literal string) {
	m := masker{withPieces: true}
	m.run(g.members[0].body)
	regex = templateRegex(m.pieces, g.kinds)
	for _, candidate := range literalCandidates(m.pieces) {
		if g.allContain(strings.ToLower(candidate)) {
			return regex, candidate
		}
	}
	return regex, ""
}

func (g *patternGroup) allContain(lower string) bool {
	for _, r := range g.members {
		if !strings.Contains(r.bodyLower, lower) {
			return false
		}
	}
	return true
}

// topServices keeps the four busiest services, busiest first.
func topServices(counts map[string]int) []string {
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b)) })
	return names[:min(len(names), maxPatternServices)]
}

// boundPattern applies maxPatternChars as PostHog does: the template is cut
// to fit with a note saying so, the regex (which cannot survive a cut) is
// dropped, the literal is cut to a prefix (still a substring of every
// line). Lengths count characters, not bytes.
func boundPattern(p patternJSON, maxChars int) patternJSON {
	if maxChars <= 0 {
		return p
	}
	if utf8.RuneCountInString(p.Pattern) > maxChars {
		note := strings.Replace(patternCutNote, "%d", strconv.Itoa(maxChars), 1)
		p.Pattern = prefixRunes(p.Pattern, max(0, maxChars-utf8.RuneCountInString(note)-1)) + " " + note
		p.PatternTruncated = true
	}
	if p.MatchRegex != nil && utf8.RuneCountInString(*p.MatchRegex) > maxChars {
		p.MatchRegex, p.MatchRegexOmitted = nil, true
	}
	if p.MatchLiteral != nil && utf8.RuneCountInString(*p.MatchLiteral) > maxChars {
		cut := prefixRunes(*p.MatchLiteral, maxChars)
		p.MatchLiteral, p.MatchLiteralTruncated = &cut, true
	}
	return p
}

func prefixRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// isoformat writes a time like Python's datetime.isoformat() for a UTC
// datetime: microseconds only when non-zero, "+00:00" for the zone.
func isoformat(micros int64) string {
	t := time.UnixMicro(micros).UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
}
