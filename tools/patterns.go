package tools

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

const (
	defaultPatternsLimit       = 15
	maxPatternsLimit           = 50
	defaultPatternChars        = 200
	maxPatternExamples         = 3
	fewBaselineLines     int64 = 100 // below this, "new" means little
)

func getLogPatternsTool() *tool {
	return &tool{
		name:  NameGetLogPatterns,
		scope: ScopeRead,
		define: func(v variant) mcp.Tool {
			props := append(sharedFilterProps(),
				prop{name: "limit", schema: integer("Default 15.", 1, maxPatternsLimit)},
				prop{name: "max_pattern_chars", schema: map[string]any{"type": "integer", "minimum": 0, "description": "Default 200; 0 = whole."}},
				prop{name: "examples", schema: integer("Example lines per pattern, default 0.", 0, maxPatternExamples)},
				prop{name: "compare", schema: strEnum("Baseline: the window just before, a day or a week earlier.", "previous", "day_before", "week_before")},
				prop{name: "baseline_from", schema: str("Explicit baseline start instead of compare.")},
				prop{name: "baseline_to", schema: str("Default: date_from.")},
				propFormat,
			)
			return newTool(NameGetLogPatterns,
				"What kinds of lines are in the window: templates by volume with errors, services, first/last seen, trend, each with a query_logs call returning exactly its lines. "+
					"With compare: patterns new, more, less or gone since the baseline. Use before query_logs: one call condenses thousands of lines.",
				withProject(v, props), readOnlyTool("Log patterns"))
		},
		handle: handler(handleGetLogPatterns),
	}
}

type patternsArgs struct {
	projectArgs
	filterArgs
	Limit           *int   `json:"limit"`
	MaxPatternChars *int   `json:"max_pattern_chars"`
	Examples        *int   `json:"examples"`
	Compare         string `json:"compare"`
	BaselineFrom    string `json:"baseline_from"`
	BaselineTo      string `json:"baseline_to"`
	formatArg

	limit, maxChars, examples int
}

func (a *patternsArgs) check() error {
	limit, err := limitArg(a.Limit, defaultPatternsLimit, maxPatternsLimit)
	if err != nil {
		return err
	}
	a.limit, a.maxChars = limit, defaultPatternChars
	if a.MaxPatternChars != nil {
		if *a.MaxPatternChars < 0 {
			return errors.New("max_pattern_chars must be 0 (whole templates) or more")
		}
		a.maxChars = *a.MaxPatternChars
	}
	if a.Examples != nil {
		if *a.Examples < 0 || *a.Examples > maxPatternExamples {
			return fmt.Errorf("examples must be between 0 and %d (got %d)", maxPatternExamples, *a.Examples)
		}
		a.examples = *a.Examples
	}
	switch a.Compare {
	case "", "previous", "day_before", "week_before":
	default:
		return fmt.Errorf(`compare must be "previous", "day_before" or "week_before" (got %s)`, echoQ(a.Compare))
	}
	switch {
	case a.Compare != "" && (a.BaselineFrom != "" || a.BaselineTo != ""):
		return errors.New("give either compare or baseline_from/baseline_to, not both")
	case a.BaselineTo != "" && a.BaselineFrom == "":
		return errors.New(`baseline_to needs baseline_from, e.g. {"baseline_from": "-2h", "baseline_to": "-1h"}`)
	}
	return nil
}

// baseline resolves the comparison window, if any. PostHog's own default
// (a week earlier) is never left to chance: the window is always sent.
func (a *patternsArgs) baseline(win timerange.Window, now time.Time) (*timerange.Window, error) {
	var shift time.Duration
	switch a.Compare {
	case "previous":
		return &timerange.Window{From: win.From.Add(-win.Duration()), To: win.From}, nil
	case "day_before":
		shift = 24 * time.Hour
	case "week_before":
		shift = 7 * 24 * time.Hour
	case "":
		if a.BaselineFrom == "" {
			return nil, nil
		}
		from, err := timerange.Parse(a.BaselineFrom, now)
		if err != nil {
			return nil, fmt.Errorf("baseline_from: %v", err)
		}
		to := win.From
		if a.BaselineTo != "" {
			if to, err = timerange.Parse(a.BaselineTo, now); err != nil {
				return nil, fmt.Errorf("baseline_to: %v", err)
			}
		}
		b := timerange.Window{From: from.UTC().Truncate(time.Millisecond), To: to.UTC().Truncate(time.Millisecond)}
		if !b.From.Before(b.To) {
			return nil, fmt.Errorf("baseline_from %s must be before baseline_to %s (which defaults to date_from)", isoTime(b.From), isoTime(b.To))
		}
		return &b, nil
	}
	return &timerange.Window{From: win.From.Add(-shift), To: win.To.Add(-shift)}, nil
}

func handleGetLogPatterns(ctx context.Context, e *env, r *request[patternsArgs]) *mcp.CallToolResult {
	base, err := r.args.baseline(r.win, e.now())
	if err != nil {
		return invalidArgs(err)
	}
	rep := patternsReport{e: e, args: r.args, win: r.win, baseline: base}
	if base == nil {
		// Whole templates (maxPatternChars 0) keep every pivot exact; they
		// are shortened here, after sanitising.
		res, err := e.client.Patterns(ctx, r.auth, client.PatternsQuery{Filters: r.filters, Limit: r.args.limit, MaxPatternChars: 0})
		if err != nil {
			return patternsError(err)
		}
		rep.fromPatterns(res)
	} else {
		res, err := e.client.PatternsDiff(ctx, r.auth, client.PatternsDiffQuery{Filters: r.filters, BaselineFrom: base.From, BaselineTo: base.To})
		if err != nil {
			return patternsError(err)
		}
		rep.fromDiff(res)
	}
	rep.shortenPivots(ctx, r.auth)
	if rep.total == 0 && rep.baseline == nil {
		rep.hints = e.unknownServices(ctx, r.auth, r.args.Services, r.win.From)
	}
	return answer(r.json, rep.text, rep.json)
}

func patternsError(err error) *mcp.CallToolResult {
	var ce *client.Error
	if errors.As(err, &ce) && ce.Kind == client.KindUnsupported {
		return errorResult(codeUnsupported, "this PostHog does not offer log patterns (an older deployment). Go on with query_logs (narrow with severity, services, search) and count_logs.")
	}
	return upstreamError("get log patterns", err)
}
