package tools

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

func getSparklineTool() *tool {
	return &tool{
		name:  NameGetSparkline,
		scope: ScopeRead,
		define: func(v variant) mcp.Tool {
			props := append(sharedFilterProps(),
				prop{name: "breakdown", schema: map[string]any{"enum": []string{"severity", "service"}}},
				propFormat,
			)
			return newTool(NameGetSparkline,
				"Log volume over time per severity or service: totals, sparkline, and spikes with their exact window as a ready query_logs call. "+
					"Finds when a problem started; then get_log_patterns on that window.",
				withProject(v, props), readOnlyTool("Log volume over time"))
		},
		handle: handler(handleGetSparkline),
	}
}

type sparklineArgs struct {
	projectArgs
	filterArgs
	Breakdown string `json:"breakdown"`
	formatArg
}

func (a *sparklineArgs) check() error {
	switch a.Breakdown {
	case "":
		a.Breakdown = "severity"
	case "severity", "service":
	default:
		return fmt.Errorf(`breakdown must be "severity" or "service" (got %s)`, echoQ(a.Breakdown))
	}
	return nil
}

// severityOrder puts the levels an investigation cares about first.
var severityOrder = []string{"fatal", "error", "warn", "info", "debug", "trace"}

func handleGetSparkline(ctx context.Context, e *env, r *request[sparklineArgs]) *mcp.CallToolResult {
	breakdown := r.args.Breakdown
	pts, err := e.client.Sparkline(ctx, r.auth, client.SparklineQuery{Filters: r.filters, BreakdownBy: breakdown})
	if err != nil {
		return upstreamError("get the log volume", err)
	}
	points := make([]point, 0, len(pts))
	for _, p := range pts {
		t, err := time.Parse(time.RFC3339Nano, p.Time)
		if err != nil {
			continue
		}
		points = append(points, point{t: t, series: e.clean.String(p.Series), count: p.Count})
	}
	axis, width, all := bucketsOf(points)
	axis = trimToWindow(axis, all, r.win.To)
	sortSeries(all, breakdown)
	chart := volumeChart{win: r.win, axis: axis, width: width, series: all, breakdown: breakdown, base: r.args.filterArgs}
	if len(all) == 0 {
		chart.hints = e.unknownServices(ctx, r.auth, r.args.Services, r.win.From)
	}
	return answer(r.json, chart.text, chart.json)
}

func sortSeries(all []*series, breakdown string) {
	slices.SortStableFunc(all, func(a, b *series) int {
		if breakdown == "severity" {
			ia, ib := slices.Index(severityOrder, a.name), slices.Index(severityOrder, b.name)
			if ia < 0 {
				ia = len(severityOrder)
			}
			if ib < 0 {
				ib = len(severityOrder)
			}
			if ia != ib {
				return ia - ib
			}
		}
		switch {
		case a.total > b.total:
			return -1
		case a.total < b.total:
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
}

// volumeChart is an analysed get_sparkline answer.
type volumeChart struct {
	win       timerange.Window
	axis      []time.Time
	width     time.Duration
	series    []*series
	breakdown string
	base      filterArgs // the caller's filters, carried into the suggested queries
	hints     []string   // why nothing came back, when nothing did
}

func (v volumeChart) withDate() bool { return v.win.Duration() > 20*time.Hour }

func (v volumeChart) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "log volume by %s", v.breakdown)
	if len(v.base.Services) > 0 {
		fmt.Fprintf(&b, " · services %s", strings.Join(echoStrings(v.base.Services), ", "))
	}
	fmt.Fprintf(&b, " · %s (UTC)", v.win)
	if len(v.axis) > 0 {
		fmt.Fprintf(&b, " · %d buckets of %s", len(v.axis), durationLabel(v.width))
		if p := partialEdges(v.axis, v.width, v.win.From, v.win.To); p != "" {
			fmt.Fprintf(&b, " (%s)", p)
		}
	}
	b.WriteByte('\n')
	if len(v.series) == 0 {
		b.WriteString("No logs in this window. " + v.emptyAdvice() + "\n")
		return b.String()
	}
	rows := make([][]string, 0, len(v.series))
	for _, s := range v.series {
		peakI := 0
		for i, c := range s.counts {
			if c > s.counts[peakI] {
				peakI = i
			}
		}
		note := "steady"
		if len(findSpikes(s.counts)) > 0 {
			note = fmt.Sprintf("peak %s at %s", thousands(s.counts[peakI]), shortTime(v.axis[peakI], v.withDate()))
		}
		rows = append(rows, []string{s.name, thousands(s.total), sparkline(s.counts), note})
	}
	b.WriteString(table([]string{v.breakdown, "logs", "trend", "note"}, []bool{false, true, false, false}, rows))
	spikes := 0
	for _, s := range v.series {
		for _, sp := range findSpikes(s.counts) {
			spikes++
			from, to := v.spikeWindow(sp)
			fmt.Fprintf(&b, "spike: %s %s → %s, %s logs %s\n",
				s.name, shortTime(from, v.withDate()), shortTime(to, v.withDate()), thousands(sp.total), sp.versus(v.width))
			fmt.Fprintf(&b, "  → %s\n", followUp(NameQueryLogs, v.spikeQuery(s.name, from, to)))
		}
	}
	if spikes == 0 {
		b.WriteString("no spikes: every series stays within 3× its median bucket.\n")
	}
	return b.String()
}

// emptyAdvice says what to try when no series came back: the unknown
// services first, else a wider window (when one is wider) and fewer
// filters.
func (v volumeChart) emptyAdvice() string {
	if len(v.hints) > 0 {
		return "Check: " + strings.Join(v.hints, "; ") + "."
	}
	return widerOrFewer(v.win, v.base)
}

// roundTo rounds f to n decimals: JSON numbers a reader compares, not
// float noise (4.843277645186953).
func roundTo(f float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(f*p) / p
}

// formatRate prints a mean count: one decimal below 10, whole above.
func formatRate(f float64) string {
	if f >= 10 {
		return thousands(int64(math.Round(f)))
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

// spikeWindow is the exact time range of a spike's buckets.
func (v volumeChart) spikeWindow(sp spike) (time.Time, time.Time) {
	return v.axis[sp.first], v.axis[sp.last].Add(v.width)
}

// spikeQuery is the query_logs call that shows a spike's lines.
func (v volumeChart) spikeQuery(name string, from, to time.Time) map[string]any {
	q := map[string]any{"date_from": isoTime(from), "date_to": isoTime(to)}
	if v.breakdown == "severity" {
		q["severity"] = []string{name}
		if len(v.base.Services) > 0 {
			q["services"] = v.base.Services
		}
	} else {
		q["services"] = []string{name}
		if len(v.base.Severity) > 0 {
			q["severity"] = v.base.Severity
		}
	}
	if v.base.Search != "" {
		q["search"] = v.base.Search
	}
	if len(v.base.Filters) > 0 {
		q["filters"] = v.base.Filters
	}
	return q
}

type chartJSON struct {
	Window    windowJSON   `json:"window"`
	Breakdown string       `json:"breakdown"`
	Services  []string     `json:"services,omitempty"`
	BucketSec int64        `json:"bucket_seconds"`
	Buckets   []string     `json:"buckets"`
	Series    []seriesJSON `json:"series"`
	Hints     []string     `json:"hints,omitempty"`
}

type seriesJSON struct {
	Name   string      `json:"name"`
	Total  int64       `json:"total"`
	Counts []int64     `json:"counts"`
	Spikes []spikeJSON `json:"spikes,omitempty"`
}

type spikeJSON struct {
	From     string         `json:"from"`
	To       string         `json:"to"`
	Logs     int64          `json:"logs"`
	Baseline float64        `json:"baseline_per_bucket"`
	Ratio    float64        `json:"ratio,omitempty"` // absent when the baseline is 0
	Query    map[string]any `json:"query_logs"`
}

// spikeJSON describes one spike of series name, with its query_logs call.
func (v volumeChart) spikeJSON(name string, sp spike) spikeJSON {
	from, to := v.spikeWindow(sp)
	return spikeJSON{From: isoTime(from), To: isoTime(to), Logs: sp.total, Baseline: roundTo(sp.baseline, 2), Ratio: roundTo(sp.ratio(), 1), Query: v.spikeQuery(name, from, to)}
}

func (v volumeChart) json() chartJSON {
	j := chartJSON{Window: windowJSON{isoTime(v.win.From), isoTime(v.win.To)}, Breakdown: v.breakdown, Services: echoStrings(v.base.Services), BucketSec: int64(v.width / time.Second), Hints: v.hints}
	for _, t := range v.axis {
		j.Buckets = append(j.Buckets, isoTime(t))
	}
	for _, s := range v.series {
		sj := seriesJSON{Name: s.name, Total: s.total, Counts: s.counts}
		for _, sp := range findSpikes(s.counts) {
			sj.Spikes = append(sj.Spikes, v.spikeJSON(s.name, sp))
		}
		j.Series = append(j.Series, sj)
	}
	return j
}
