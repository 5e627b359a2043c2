package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

const (
	defaultServicesLimit = 25
	maxServicesLimit     = 200
)

func listServicesTool() *tool {
	return &tool{
		name:  NameListServices,
		scope: ScopeRead,
		define: func(v variant) mcp.Tool {
			props := append(sharedFilterProps(),
				prop{name: "name_search", schema: str("Substring of the service name.")},
				prop{name: "limit", schema: integer("Default 25.", 1, maxServicesLimit)},
				propFormat,
			)
			return newTool(NameListServices,
				"Start here: services logging in the window by volume, with errors, error rate, share and a trend sparkline with spikes. "+
					"Gives the exact names for services filters. Next: get_sparkline (when), get_log_patterns (what).",
				withProject(v, props), readOnlyTool("List services"))
		},
		handle: handler(handleListServices),
	}
}

type servicesArgs struct {
	projectArgs
	filterArgs
	NameSearch string `json:"name_search"`
	Limit      *int   `json:"limit"`
	formatArg

	limit int
}

func (a *servicesArgs) check() error {
	limit, err := limitArg(a.Limit, defaultServicesLimit, maxServicesLimit)
	if err != nil {
		return err
	}
	a.limit = limit
	if len(a.NameSearch) > 200 {
		return fmt.Errorf("name_search is limited to 200 characters")
	}
	return nil
}

func handleListServices(ctx context.Context, e *env, r *request[servicesArgs]) *mcp.CallToolResult {
	res, err := e.client.Services(ctx, r.auth, client.ServicesQuery{Filters: r.filters, NameSearch: r.args.NameSearch})
	if err != nil {
		return upstreamError("list services", err)
	}
	rep := newServicesReport(e, r.args, r.filters, r.win, res)
	if len(rep.shown) == 0 {
		rep.hints = e.unknownServices(ctx, r.auth, r.args.Services, r.win.From)
	}
	return answer(r.json, rep.text, rep.json)
}

// servicesReport is an analysed list_services answer.
type servicesReport struct {
	e       *env
	args    servicesArgs
	filters client.Filters
	total   int
	shown   []client.Service
	trend   map[string]*series // keyed by the name as PostHog sent it
	chart   volumeChart
	hints   []string // unknown services, when nothing came back
}

func newServicesReport(e *env, args servicesArgs, f client.Filters, win timerange.Window, res *client.ServicesResult) servicesReport {
	points := make([]point, 0, len(res.Sparkline))
	for _, p := range res.Sparkline {
		if t, err := time.Parse(time.RFC3339Nano, p.Time); err == nil {
			points = append(points, point{t: t, series: p.Service, count: p.Count})
		}
	}
	axis, width, all := bucketsOf(points)
	axis = trimToWindow(axis, all, win.To)
	trend := map[string]*series{}
	for _, s := range all {
		trend[s.name] = s
	}
	total := res.TotalServices
	if total < len(res.Services) {
		total = len(res.Services)
	}
	shown := res.Services
	if len(shown) > args.limit {
		shown = shown[:args.limit]
	}
	chart := volumeChart{win: win, axis: axis, width: width, breakdown: "service", base: args.filterArgs}
	return servicesReport{e: e, args: args, filters: f, total: total, shown: shown, trend: trend, chart: chart}
}

type servicesJSON struct {
	Window        windowJSON         `json:"window"`
	TotalServices int                `json:"total_services"`
	BucketSec     int64              `json:"bucket_seconds,omitempty"`
	Buckets       []string           `json:"buckets,omitempty"` // the start of each trend bucket
	Services      []serviceTrendJSON `json:"services"`
	Hints         []string           `json:"hints,omitempty"`
}

type serviceTrendJSON struct {
	client.Service
	Trend  []int64     `json:"trend,omitempty"`
	Spikes []spikeJSON `json:"spikes,omitempty"`
}

func (s servicesReport) json() servicesJSON {
	win := s.chart.win
	out := servicesJSON{Window: windowJSON{isoTime(win.From), isoTime(win.To)}, TotalServices: s.total, BucketSec: int64(s.chart.width / time.Second), Hints: s.hints}
	for _, t := range s.chart.axis {
		out.Buckets = append(out.Buckets, isoTime(t))
	}
	for _, svc := range s.shown {
		t := s.trend[svc.Name] // keyed by the name as PostHog sent it
		svc.Name = s.e.clean.String(svc.Name)
		svc.ErrorRate = roundTo(svc.ErrorRate, 4)
		svc.VolumeSharePct = roundTo(svc.VolumeSharePct, 2)
		sj := serviceTrendJSON{Service: svc}
		if t != nil {
			sj.Trend = t.counts
			for _, sp := range findSpikes(t.counts) {
				sj.Spikes = append(sj.Spikes, s.chart.spikeJSON(svc.Name, sp))
			}
		}
		out.Services = append(out.Services, sj)
	}
	return out
}

func (s servicesReport) text() string {
	win, axis, width, chart := s.chart.win, s.chart.axis, s.chart.width, s.chart
	var b strings.Builder
	fmt.Fprintf(&b, "%d services with logs · window %s (UTC)", s.total, win)
	if len(s.shown) < s.total {
		fmt.Fprintf(&b, " · top %d by volume (raise limit or use name_search for the rest)", len(s.shown))
	}
	b.WriteByte('\n')
	if len(s.shown) == 0 {
		if len(s.hints) > 0 {
			b.WriteString("No services logged in this window. Check: " + strings.Join(s.hints, "; ") + ".\n")
			return b.String()
		}
		var tries []string
		if w := widerWindow(win); w != "" {
			tries = append(tries, w)
		}
		if len(s.args.Services) > 0 || s.args.NameSearch != "" {
			tries = append(tries, "without services/name_search, to see the exact names")
		}
		if len(s.filters.Severities) > 0 || s.filters.Search != "" || len(s.filters.Properties) > 0 {
			tries = append(tries, "fewer filters")
		}
		b.WriteString("No services logged in this window.")
		if len(tries) > 0 {
			b.WriteString(" Try " + strings.Join(tries, "; ") + ".")
		}
		b.WriteByte('\n')
		return b.String()
	}
	trendLabel := "trend"
	if len(axis) > 0 {
		trendLabel = fmt.Sprintf("trend (%s buckets)", widthLabel(width))
		if p := partialEdges(axis, width, win.From, win.To); p != "" {
			trendLabel = fmt.Sprintf("trend (%s buckets, %s)", widthLabel(width), p)
		}
	}
	rows := make([][]string, 0, len(s.shown))
	var spikes []string
	for _, svc := range s.shown {
		name := s.e.clean.String(svc.Name)
		line := ""
		if t := s.trend[svc.Name]; t != nil {
			line = sparkline(t.counts)
			for _, sp := range findSpikes(t.counts) {
				from, to := chart.spikeWindow(sp)
				spikes = append(spikes, fmt.Sprintf("spike: %s %s → %s, %s logs %s → %s",
					name, shortTime(from, chart.withDate()), shortTime(to, chart.withDate()), thousands(sp.total), sp.versus(width),
					followUp(NameQueryLogs, chart.spikeQuery(svc.Name, from, to))))
			}
		}
		rows = append(rows, []string{
			name, thousands(svc.LogCount), thousands(svc.ErrorCount),
			fmt.Sprintf("%.1f%%", svc.ErrorRate*100), fmt.Sprintf("%.1f%%", svc.VolumeSharePct), line,
		})
	}
	b.WriteString(table([]string{"service", "logs", "errors", "error%", "share", trendLabel}, []bool{false, true, true, true, true, false}, rows))
	for _, sp := range spikes {
		b.WriteString(sp)
		b.WriteByte('\n')
	}
	return b.String()
}
