package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
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
			props := append(commonFilterProps(),
				prop{name: "name_search", schema: str("Substring of the service name.")},
				prop{name: "limit", schema: integer("Default 25.", 1, maxServicesLimit)},
				propFormat,
			)
			return newTool(NameListServices,
				"Start here: services logging in the window by volume, with errors, error rate, share and a trend sparkline with spikes. "+
					"Gives the exact names for services filters.",
				withProject(v, props), readOnlyTool("List services"))
		},
		handle: handleListServices,
	}
}

type servicesArgs struct {
	projectArgs
	filterArgs
	NameSearch string `json:"name_search"`
	Limit      *int   `json:"limit"`
	Format     string `json:"format"`
}

func handleListServices(ctx context.Context, e *env, c *call) *mcp.CallToolResult {
	var args servicesArgs
	if err := c.decode(&args); err != nil {
		return invalidArgs(err)
	}
	limit, err := limitArg(args.Limit, defaultServicesLimit, maxServicesLimit)
	if err != nil {
		return invalidArgs(err)
	}
	asJSON, err := formatFlag(args.Format)
	if err != nil {
		return invalidArgs(err)
	}
	if len(args.NameSearch) > 200 {
		return invalidArgs(fmt.Errorf("name_search is limited to 200 characters"))
	}
	auth, f, win, err := c.scopedFilters(args.projectArgs, args.filterArgs, e.now())
	if err != nil {
		return invalidArgs(err)
	}
	res, err := e.client.Services(ctx, auth, client.ServicesQuery{Filters: f, NameSearch: args.NameSearch})
	if err != nil {
		return upstreamError("list services", err)
	}

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
	if len(shown) > limit {
		shown = shown[:limit]
	}
	chart := volumeChart{win: win, axis: axis, width: width, breakdown: "service", base: args.filterArgs}

	if asJSON {
		type svcJSON struct {
			client.Service
			Trend  []int64     `json:"trend,omitempty"`
			Spikes []spikeJSON `json:"spikes,omitempty"`
		}
		out := struct {
			Window        windowJSON `json:"window"`
			TotalServices int        `json:"total_services"`
			BucketSec     int64      `json:"bucket_seconds,omitempty"`
			Services      []svcJSON  `json:"services"`
		}{Window: windowJSON{isoTime(win.From), isoTime(win.To)}, TotalServices: total, BucketSec: int64(width / time.Second)}
		for _, s := range shown {
			t := trend[s.Name] // keyed by the name as PostHog sent it
			s.Name = e.clean.String(s.Name)
			sj := svcJSON{Service: s}
			if t != nil {
				sj.Trend = t.counts
				for _, sp := range findSpikes(t.counts) {
					sj.Spikes = append(sj.Spikes, chart.spikeJSON(s.Name, sp))
				}
			}
			out.Services = append(out.Services, sj)
		}
		return jsonResult(out)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%d services with logs · window %s (UTC)", total, win)
	if len(shown) < total {
		fmt.Fprintf(&b, " · top %d by volume (raise limit or use name_search for the rest)", len(shown))
	}
	b.WriteByte('\n')
	if len(shown) == 0 {
		var tries []string
		if win.Duration() < 24*time.Hour {
			tries = append(tries, `a wider window (date_from "-24h")`)
		}
		if len(args.Services) > 0 || args.NameSearch != "" {
			tries = append(tries, "without services/name_search, to see the exact names")
		}
		if len(f.Severities) > 0 || f.Search != "" || len(f.Properties) > 0 {
			tries = append(tries, "fewer filters")
		}
		b.WriteString("No services logged in this window.")
		if len(tries) > 0 {
			b.WriteString(" Try " + strings.Join(tries, "; ") + ".")
		}
		b.WriteByte('\n')
		return textResult(b.String())
	}
	trendLabel := "trend"
	if len(axis) > 0 {
		trendLabel = fmt.Sprintf("trend (%s buckets)", widthLabel(width))
		if p := partialEdges(axis, width, win.From, win.To); p != "" {
			trendLabel = fmt.Sprintf("trend (%s buckets, %s)", widthLabel(width), p)
		}
	}
	rows := make([][]string, 0, len(shown))
	var spikes []string
	for _, s := range shown {
		name := e.clean.String(s.Name)
		line := ""
		if t := trend[s.Name]; t != nil {
			line = sparkline(t.counts)
			for _, sp := range findSpikes(t.counts) {
				from, to := chart.spikeWindow(sp)
				q, _ := json.Marshal(chart.spikeQuery(s.Name, from, to))
				spikes = append(spikes, fmt.Sprintf("spike: %s %s → %s, %s logs %s → query_logs %s",
					name, shortTime(from, chart.withDate()), shortTime(to, chart.withDate()), thousands(sp.total), sp.versus(width), q))
			}
		}
		rows = append(rows, []string{
			name, thousands(s.LogCount), thousands(s.ErrorCount),
			fmt.Sprintf("%.1f%%", s.ErrorRate*100), fmt.Sprintf("%.1f%%", s.VolumeSharePct), line,
		})
	}
	b.WriteString(table([]string{"service", "logs", "errors", "error%", "share", trendLabel}, []bool{false, true, true, true, true, false}, rows))
	for _, s := range spikes {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return textResult(b.String())
}
