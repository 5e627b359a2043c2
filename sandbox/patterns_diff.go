package sandbox

import (
	"cmp"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// PostHog's default thresholds for classifying a pattern between a
// baseline and a current window.
const (
	diffNewMinSharePct  = 1.0 // new/gone need this share of their window, or any error
	diffShiftRatio      = 2.0 // rate_shift: ratio >= 2 or <= 1/2
	diffShiftMinLines   = 5   // rate_shift: raw count on both sides
	defaultBaselineBack = 7 * 24 * time.Hour
)

type diffEntryJSON struct {
	Classification         string      `json:"classification"`
	RateRatio              *float64    `json:"rate_ratio"`
	Pattern                patternJSON `json:"pattern"`
	BaselineEstimatedCount *int        `json:"baseline_estimated_count"`
	BaselineVolumeSharePct *float64    `json:"baseline_volume_share_pct"`
	magnitude              float64
}

type diffWindowJSON struct {
	windowJSON
	DateFrom       string `json:"date_from"`
	DateTo         string `json:"date_to"`
	Source         string `json:"source"`
	FallbackReason string `json:"fallback_reason"`
}

type diffResponse struct {
	Entries  []diffEntryJSON `json:"entries"`
	Current  diffWindowJSON  `json:"current"`
	Baseline diffWindowJSON  `json:"baseline"`
}

// handlePatternsDiff serves POST logs/patterns_diff/: the current window's
// patterns against a baseline window's, under the same filters.
func (s *Sandbox) handlePatternsDiff(rq *logsRequest) {
	if wait, ok := s.diffLimiter.take(rq.key.Token, rq.now); !ok {
		rq.fail(errThrottled(wait))
		return
	}
	envelope, err := readEnvelope(rq.body)
	if err != nil {
		rq.fail(err)
		return
	}
	pq, err := readPatternsQuery(rq, envelope["query"], false)
	if err != nil {
		rq.fail(err)
		return
	}
	current := pq.filter
	baseline := current
	if raw, ok := envelope["baselineDateRange"]; ok && !isNull(raw) {
		if baseline.window, err = parseDateRange(raw, rq.now, false); err != nil {
			rq.fail(err)
			return
		}
	} else {
		back := defaultBaselineBack.Microseconds()
		baseline.window = window{from: current.from - back, to: current.to - back}
	}
	writeJSON(rq.w, http.StatusOK, diffPatterns(minePatterns(rq.rows, current), minePatterns(rq.rows, baseline)))
}

// diffPatterns pairs the two windows' patterns by their literal text and
// classifies each pair.
func diffPatterns(cur, base *minedWindow) diffResponse {
	baseByKey := make(map[string]*patternGroup, len(base.groups))
	for _, g := range base.groups {
		baseByKey[pairKey(g.template)] = g
	}
	curSeconds := windowSeconds(cur.win)
	baseSeconds := windowSeconds(base.win)
	paired := map[string]bool{}
	entries := make([]diffEntryJSON, 0, len(cur.groups))
	for _, g := range cur.groups {
		p := cur.patternJSON(g)
		key := pairKey(g.template)
		b := baseByKey[key]
		if b == nil {
			class := "unchanged"
			if p.VolumeSharePct >= diffNewMinSharePct || g.errors > 0 {
				class = "new"
			}
			entries = append(entries, diffEntryJSON{Classification: class, Pattern: p, magnitude: float64(p.EstimatedCount)})
			continue
		}
		paired[key] = true
		bp := base.patternJSON(b)
		e := diffEntryJSON{Classification: "unchanged", Pattern: p, magnitude: float64(p.EstimatedCount),
			BaselineEstimatedCount: &bp.EstimatedCount, BaselineVolumeSharePct: &bp.VolumeSharePct}
		if curSeconds > 0 && baseSeconds > 0 && bp.EstimatedCount > 0 {
			ratio := round2((float64(p.EstimatedCount) / curSeconds) / (float64(bp.EstimatedCount) / baseSeconds))
			e.RateRatio = &ratio
			if (ratio >= diffShiftRatio || ratio <= 1/diffShiftRatio) && g.count >= diffShiftMinLines && b.count >= diffShiftMinLines {
				e.Classification = "rate_shift"
				e.magnitude = ratio
				if ratio > 0 {
					e.magnitude = math.Max(ratio, 1/ratio)
				} else {
					e.magnitude = math.Inf(1)
				}
			}
		}
		entries = append(entries, e)
	}
	for _, b := range base.groups {
		if paired[pairKey(b.template)] {
			continue
		}
		bp := base.patternJSON(b)
		if bp.VolumeSharePct >= diffNewMinSharePct || b.errors > 0 {
			entries = append(entries, diffEntryJSON{Classification: "gone", Pattern: bp, magnitude: float64(bp.EstimatedCount),
				BaselineEstimatedCount: &bp.EstimatedCount, BaselineVolumeSharePct: &bp.VolumeSharePct})
		}
	}
	rank := map[string]int{"new": 0, "rate_shift": 1, "gone": 2, "unchanged": 3}
	slices.SortStableFunc(entries, func(a, b diffEntryJSON) int {
		return cmp.Or(cmp.Compare(rank[a.Classification], rank[b.Classification]),
			cmp.Compare(b.magnitude, a.magnitude), strings.Compare(a.Pattern.Pattern, b.Pattern.Pattern))
	})
	return diffResponse{Entries: entries, Current: cur.windowBlock(), Baseline: base.windowBlock()}
}

// maskNames matches the mask tokens of other miners (<num>, <IP>, <*>):
// patterns pair up whichever name their variables carry.
var maskNames = regexp.MustCompile(`<[A-Za-z_:*]+>`)

func pairKey(template string) string {
	if !strings.Contains(template, "<") {
		return template
	}
	return maskNames.ReplaceAllString(template, maskToken)
}

func windowSeconds(w window) float64 { return float64(w.to-w.from) / 1e6 }

func (mw *minedWindow) windowBlock() diffWindowJSON {
	return diffWindowJSON{windowJSON: mw.counts(), DateFrom: isoformat(mw.win.from), DateTo: isoformat(mw.win.to),
		Source: "body_mining", FallbackReason: "comparison"}
}
