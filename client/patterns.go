package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Limits of logs/patterns/ (contract, section 11).
const (
	MaxPatternsLimit       = 200
	MinMaxPatternChars     = 80
	defaultPatternsTimeout = 75 * time.Second // the server may mine for up to 60 s
)

// PatternsQuery asks POST logs/patterns/ for the templates of the lines matching Filters.
type PatternsQuery struct {
	Filters
	// Limit is how many patterns come back, 1..200; always sent (PostHog's default for
	// callers it takes for an MCP is 20, not 200). Dropped patterns are counted in
	// OmittedPatternCount; the window's totals are unchanged.
	Limit int
	// MaxPatternChars cuts long templates server-side: 0 (whole templates, needed for
	// exact pivots) or at least 80. Always sent (PostHog's MCP default is 400).
	MaxPatternChars int
}

// PatternExample is one line of a pattern as PostHog shows it.
type PatternExample struct {
	Body, SeverityText, ServiceName string
	Timestamp                       time.Time // zero when absent or unparsable
}

// Pattern is one template mined from log bodies (or stored by PostHog). Its text and
// examples are log content: untrusted.
type Pattern struct {
	Pattern string
	// Count and ErrorCount are the lines seen (in the sample when Sampled); the Estimated
	// counts scale them to the whole window (equal to the raw counts when the server omits them).
	Count, EstimatedCount, ErrorCount, EstimatedErrorCount int64
	VolumeSharePct                                         float64
	FirstSeen, LastSeen                                    time.Time // zero when absent
	Examples                                               []PatternExample
	Services                                               []string
	Sparkline                                              []float64 // estimated, one value per SparklineBuckets entry
	SeverityCounts                                         map[string]int64
	// Pivot keys (contract, 11): MatchPatterns with PatternVersion (stored patterns), else
	// MatchRegex, else MatchLiteral. "" and nil when null.
	MatchRegex, MatchLiteral string
	MatchPatterns            []string
	PatternVersion           *int64
	// What MaxPatternChars trimmed.
	PatternTruncated, MatchRegexOmitted, MatchLiteralTruncated bool
	MatchPatternsOmitted                                       int
}

// PatternBucket is one sparkline bucket, [Start, End).
type PatternBucket struct{ Start, End time.Time }

// PatternsResult is the answer of Patterns, largest pattern first.
type PatternsResult struct {
	Patterns                                  []Pattern
	ReturnedPatternCount, OmittedPatternCount int
	// ScannedCount lines were mined out of TotalCount in the window; Sampled when fewer.
	ScannedCount, TotalCount int64
	Sampled                  bool
	SampleCoveragePct        float64
	SparklineBuckets         []PatternBucket
	// Source is "stored_patterns" or "body_mining" ("" on older deployments);
	// FallbackReason says why stored patterns were not used.
	Source, FallbackReason string
	PatternVersion         *int64
	// Set for stored patterns only; nil otherwise.
	PatternCoveragePct               *float64
	RepresentedCount, RemainderCount *int64
}

type wireExample struct {
	Body         string   `json:"body"`
	SeverityText string   `json:"severity_text"`
	ServiceName  string   `json:"service_name"`
	Timestamp    flexTime `json:"timestamp"`
}

type wirePattern struct {
	Pattern               string             `json:"pattern"`
	Count                 flexInt            `json:"count"`
	EstimatedCount        *flexInt           `json:"estimated_count"`
	ErrorCount            flexInt            `json:"error_count"`
	EstimatedErrorCount   *flexInt           `json:"estimated_error_count"`
	VolumeSharePct        flexFloat          `json:"volume_share_pct"`
	FirstSeen             flexTime           `json:"first_seen"`
	LastSeen              flexTime           `json:"last_seen"`
	Examples              []wireExample      `json:"examples"`
	Services              []string           `json:"services"`
	Sparkline             []flexFloat        `json:"sparkline"`
	SeverityCounts        map[string]flexInt `json:"severity_counts"`
	MatchRegex            string             `json:"match_regex"`
	MatchLiteral          string             `json:"match_literal"`
	MatchPatterns         []string           `json:"match_patterns"`
	PatternVersion        *flexInt           `json:"pattern_version"`
	PatternTruncated      bool               `json:"pattern_truncated"`
	MatchRegexOmitted     bool               `json:"match_regex_omitted"`
	MatchLiteralTruncated bool               `json:"match_literal_truncated"`
	MatchPatternsOmitted  flexInt            `json:"match_patterns_omitted"`
}

func (w *wirePattern) pattern() Pattern {
	p := Pattern{
		Pattern: w.Pattern, Count: int64(w.Count), ErrorCount: int64(w.ErrorCount),
		EstimatedCount: int64(w.Count), EstimatedErrorCount: int64(w.ErrorCount),
		VolumeSharePct: float64(w.VolumeSharePct), FirstSeen: w.FirstSeen.Time, LastSeen: w.LastSeen.Time,
		Services: w.Services, MatchRegex: w.MatchRegex, MatchLiteral: w.MatchLiteral, MatchPatterns: w.MatchPatterns,
		PatternVersion: intPtr(w.PatternVersion), PatternTruncated: w.PatternTruncated,
		MatchRegexOmitted: w.MatchRegexOmitted, MatchLiteralTruncated: w.MatchLiteralTruncated,
		MatchPatternsOmitted: int(w.MatchPatternsOmitted),
	}
	if w.EstimatedCount != nil {
		p.EstimatedCount = int64(*w.EstimatedCount)
	}
	if w.EstimatedErrorCount != nil {
		p.EstimatedErrorCount = int64(*w.EstimatedErrorCount)
	}
	if len(w.Examples) > 0 {
		p.Examples = make([]PatternExample, len(w.Examples))
		for i, e := range w.Examples {
			p.Examples[i] = PatternExample{Body: e.Body, SeverityText: e.SeverityText, ServiceName: e.ServiceName, Timestamp: e.Timestamp.Time}
		}
	}
	if w.Sparkline != nil {
		p.Sparkline = make([]float64, len(w.Sparkline))
		for i, v := range w.Sparkline {
			p.Sparkline[i] = float64(v)
		}
	}
	if w.SeverityCounts != nil {
		p.SeverityCounts = make(map[string]int64, len(w.SeverityCounts))
		for k, v := range w.SeverityCounts {
			p.SeverityCounts[k] = int64(v)
		}
	}
	return p
}

type wireBucket struct {
	Start flexTime `json:"start"`
	End   flexTime `json:"end"`
}

// wireSampling holds the fields a patterns answer and each diff window share.
type wireSampling struct {
	ScannedCount      flexInt    `json:"scanned_count"`
	TotalCount        flexInt    `json:"total_count"`
	Sampled           bool       `json:"sampled"`
	SampleCoveragePct *flexFloat `json:"sample_coverage_pct"`
}

// coverage is the sampled share in percent; 100 when the server omits it and nothing was sampled.
func (w *wireSampling) coverage() float64 {
	if w.SampleCoveragePct != nil {
		return float64(*w.SampleCoveragePct)
	}
	if !w.Sampled {
		return 100
	}
	if w.TotalCount > 0 {
		return float64(w.ScannedCount) * 100 / float64(w.TotalCount)
	}
	return 0
}

type wirePatterns struct {
	Patterns             []wirePattern `json:"patterns"`
	ReturnedPatternCount *flexInt      `json:"returned_pattern_count"`
	OmittedPatternCount  flexInt       `json:"omitted_pattern_count"`
	wireSampling
	SparklineBuckets   []wireBucket `json:"sparkline_buckets"`
	Source             string       `json:"source"`
	FallbackReason     string       `json:"fallback_reason"`
	PatternVersion     *flexInt     `json:"pattern_version"`
	PatternCoveragePct *flexFloat   `json:"pattern_coverage_pct"`
	RepresentedCount   *flexInt     `json:"represented_count"`
	RemainderCount     *flexInt     `json:"remainder_count"`
}

func (w *wirePatterns) result() *PatternsResult {
	out := &PatternsResult{
		Patterns:             make([]Pattern, len(w.Patterns)),
		ReturnedPatternCount: len(w.Patterns), OmittedPatternCount: int(w.OmittedPatternCount),
		ScannedCount: int64(w.ScannedCount), TotalCount: int64(w.TotalCount), Sampled: w.Sampled,
		SampleCoveragePct: w.coverage(), Source: w.Source, FallbackReason: w.FallbackReason,
		PatternVersion: intPtr(w.PatternVersion), PatternCoveragePct: floatPtr(w.PatternCoveragePct),
		RepresentedCount: intPtr(w.RepresentedCount), RemainderCount: intPtr(w.RemainderCount),
	}
	if w.ReturnedPatternCount != nil {
		out.ReturnedPatternCount = int(*w.ReturnedPatternCount)
	}
	for i := range w.Patterns {
		out.Patterns[i] = w.Patterns[i].pattern()
	}
	if len(w.SparklineBuckets) > 0 {
		out.SparklineBuckets = make([]PatternBucket, len(w.SparklineBuckets))
		for i, b := range w.SparklineBuckets {
			out.SparklineBuckets[i] = PatternBucket{Start: b.Start.Time, End: b.End.Time}
		}
	}
	return out
}

// Patterns runs POST logs/patterns/. It may take up to a minute server-side; it is a read,
// retried like one. A deployment without the endpoint fails with KindUnsupported.
func (c *Client) Patterns(ctx context.Context, a Auth, q PatternsQuery) (*PatternsResult, error) {
	const path = "logs/patterns/"
	wq, err := buildQuery(q.Filters)
	if err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	if q.Limit < 1 || q.Limit > MaxPatternsLimit {
		return nil, invalid(http.MethodPost, path, fmt.Errorf("limit must be between 1 and %d, not %d", MaxPatternsLimit, q.Limit))
	}
	if q.MaxPatternChars != 0 && q.MaxPatternChars < MinMaxPatternChars {
		return nil, invalid(http.MethodPost, path, fmt.Errorf("maxPatternChars must be 0 (whole templates) or at least %d, not %d", MinMaxPatternChars, q.MaxPatternChars))
	}
	maxChars := q.MaxPatternChars
	wq.Limit, wq.MaxPatternChars = q.Limit, &maxChars

	var wire wirePatterns
	err = c.do(ctx, a.Key, &request{
		method: http.MethodPost, path: path, project: a.ProjectID, body: wireBody{Query: wq},
		replay: replaySafe, heavy: true, slow: true, newEndpoint: true,
		decode: func(body []byte) error { return decodeObject(body, &wire) },
	})
	if err != nil {
		return nil, err
	}
	return wire.result(), nil
}

// PatternsDiffQuery asks POST logs/patterns_diff/ how the patterns of the current window
// (Filters' From/To) differ from a baseline window. The baseline is always sent, as
// absolute times: PostHog's silent default is the window a week earlier.
type PatternsDiffQuery struct {
	Filters
	BaselineFrom, BaselineTo time.Time
}

// Diff classifications, in the server's order.
const (
	DiffNew       = "new"
	DiffRateShift = "rate_shift"
	DiffGone      = "gone"
	DiffUnchanged = "unchanged"
)

// DiffEntry is one pattern of either window. For "gone", Pattern comes from the baseline.
type DiffEntry struct {
	Classification string   // new | rate_shift | gone | unchanged
	RateRatio      *float64 // current/baseline rate per second; set only when in both windows
	Pattern        Pattern
	// Baseline fields are nil when the pattern is in the current window only.
	BaselineEstimatedCount *int64
	BaselineVolumeSharePct *float64
}

// DiffWindow describes one window of a diff.
type DiffWindow struct {
	ScannedCount, TotalCount int64
	Sampled                  bool
	SampleCoveragePct        float64
	From, To                 time.Time // zero when absent
}

// PatternsDiffResult is the answer of PatternsDiff: new, rate_shift, gone, then unchanged.
type PatternsDiffResult struct {
	Entries           []DiffEntry
	Current, Baseline DiffWindow
}

type wireDiffEntry struct {
	Classification         string      `json:"classification"`
	RateRatio              *flexFloat  `json:"rate_ratio"`
	Pattern                wirePattern `json:"-"` // see UnmarshalJSON
	BaselineEstimatedCount *flexInt    `json:"baseline_estimated_count"`
	BaselineVolumeSharePct *flexFloat  `json:"baseline_volume_share_pct"`
}

// UnmarshalJSON reads "pattern" as a pattern object; a bare template string (a leaner
// server) is accepted too.
func (w *wireDiffEntry) UnmarshalJSON(b []byte) error {
	var raw struct {
		Classification         string          `json:"classification"`
		RateRatio              *flexFloat      `json:"rate_ratio"`
		Pattern                json.RawMessage `json:"pattern"`
		BaselineEstimatedCount *flexInt        `json:"baseline_estimated_count"`
		BaselineVolumeSharePct *flexFloat      `json:"baseline_volume_share_pct"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	w.Classification, w.RateRatio = raw.Classification, raw.RateRatio
	w.BaselineEstimatedCount, w.BaselineVolumeSharePct = raw.BaselineEstimatedCount, raw.BaselineVolumeSharePct
	switch jsonKind(raw.Pattern) {
	case "object":
		return json.Unmarshal(raw.Pattern, &w.Pattern)
	case "string":
		return json.Unmarshal(raw.Pattern, &w.Pattern.Pattern)
	case "nothing", "null":
		return nil
	}
	return fmt.Errorf("a diff entry's pattern is a JSON %s", jsonKind(raw.Pattern))
}

type wireDiffWindow struct {
	wireSampling
	DateFrom flexTime `json:"date_from"`
	DateTo   flexTime `json:"date_to"`
}

func (w *wireDiffWindow) window() DiffWindow {
	return DiffWindow{ScannedCount: int64(w.ScannedCount), TotalCount: int64(w.TotalCount), Sampled: w.Sampled,
		SampleCoveragePct: w.coverage(), From: w.DateFrom.Time, To: w.DateTo.Time}
}

type wirePatternsDiff struct {
	Entries  []wireDiffEntry `json:"entries"`
	Current  wireDiffWindow  `json:"current"`
	Baseline wireDiffWindow  `json:"baseline"`
}

type wireDiffBody struct {
	Query    *wireQuery     `json:"query"`
	Baseline *wireDateRange `json:"baselineDateRange"`
}

// PatternsDiff runs POST logs/patterns_diff/. PostHog throttles it at 240 calls a minute
// and 1200 an hour per key; the client keeps each key under that (waiting within the call
// budget, else failing with KindThrottled and NotSent before sending).
func (c *Client) PatternsDiff(ctx context.Context, a Auth, q PatternsDiffQuery) (*PatternsDiffResult, error) {
	const path = "logs/patterns_diff/"
	wq, err := buildQuery(q.Filters)
	if err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	if q.BaselineFrom.IsZero() || q.BaselineTo.IsZero() {
		return nil, invalid(http.MethodPost, path, errors.New("the baseline window needs both a start and an end"))
	}
	baseline, err := dateRangeFor(q.BaselineFrom, q.BaselineTo)
	if err != nil {
		return nil, invalid(http.MethodPost, path, fmt.Errorf("baseline: %w", err))
	}
	var wire wirePatternsDiff
	err = c.do(ctx, a.Key, &request{
		method: http.MethodPost, path: path, project: a.ProjectID, body: wireDiffBody{Query: wq, Baseline: baseline},
		replay: replaySafe, heavy: true, slow: true, newEndpoint: true, limiter: c.diffLimiter,
		decode: func(body []byte) error { return decodeObject(body, &wire) },
	})
	if err != nil {
		return nil, err
	}
	out := &PatternsDiffResult{Current: wire.Current.window(), Baseline: wire.Baseline.window(),
		Entries: make([]DiffEntry, len(wire.Entries))}
	for i := range wire.Entries {
		w := &wire.Entries[i]
		out.Entries[i] = DiffEntry{Classification: w.Classification, RateRatio: floatPtr(w.RateRatio),
			Pattern: w.Pattern.pattern(), BaselineEstimatedCount: intPtr(w.BaselineEstimatedCount),
			BaselineVolumeSharePct: floatPtr(w.BaselineVolumeSharePct)}
	}
	return out, nil
}

// decodeObject decodes a JSON object into out; any other top-level value is a shape error
// (a 200 carrying a bare list or string is not an answer).
func decodeObject(body []byte, out any) error {
	if k := jsonKind(body); k != "object" {
		if !json.Valid(body) {
			return json.Unmarshal(body, out) // the syntax error, with its offset
		}
		return fmt.Errorf("the body is a JSON %s, not an object", k)
	}
	return json.Unmarshal(body, out)
}
