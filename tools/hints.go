package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// Hints printed with empty answers must be true: a "wider" window is
// wider, a service said to be unknown is unknown, a scope suggested can
// help.

// widerWindow suggests a window longer than win, or "" when the longest
// we would suggest is not longer.
func widerWindow(win timerange.Window) string {
	for _, w := range []struct {
		length time.Duration
		expr   string
	}{{24 * time.Hour, "-24h"}, {7 * 24 * time.Hour, "-7d"}} {
		if win.Duration() < w.length {
			return fmt.Sprintf(`a wider window (date_from %q)`, w.expr)
		}
	}
	return ""
}

// unknownServices checks service names a caller filtered on against the
// services that logged in the last day (or since from, when earlier),
// and names the closest known one for each unknown name: a misspelt
// service explains an empty answer better than any other hint. It
// returns nothing when every name is known.
func (e *env) unknownServices(ctx context.Context, auth client.Auth, services []string, from time.Time) []string {
	if len(services) == 0 {
		return nil
	}
	now := e.now()
	since, span := now.Add(-24*time.Hour), "in the last 24h"
	if from.Before(since) {
		since, span = from, "since "+timerange.FormatTime(from)
	}
	res, err := e.client.Services(ctx, auth, client.ServicesQuery{Filters: client.Filters{From: since, To: now}})
	if err != nil {
		return []string{"check service names with list_services"}
	}
	known := make([]string, 0, len(res.Services))
	for _, s := range res.Services {
		known = append(known, s.Name)
	}
	var hints []string
	for _, want := range services {
		if want == noService || slices.Contains(known, want) {
			continue
		}
		h := fmt.Sprintf("service %s has no logs %s", echoQ(want), span)
		if best := closest(want, known); best != "" {
			h += fmt.Sprintf(` (closest: %s)`, echoQ(best))
		}
		hints = append(hints, h+"; list_services shows the exact names")
	}
	return hints
}

// widerOrFewer is the advice for an empty answer without a service to
// blame: a wider window when one is wider, fewer filters when some were
// given.
func widerOrFewer(win timerange.Window, f filterArgs) string {
	var tries []string
	if w := widerWindow(win); w != "" {
		tries = append(tries, w)
	}
	if len(f.Severity) > 0 || len(f.Services) > 0 || f.Search != "" || len(f.Filters) > 0 {
		tries = append(tries, "fewer filters")
	}
	advice := "list_services shows who is logging."
	if len(tries) > 0 {
		advice = "Try " + strings.Join(tries, " or ") + "; " + advice
	}
	return advice
}
