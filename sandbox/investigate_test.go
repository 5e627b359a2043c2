package sandbox

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestIncidentFindableThroughPatterns plays the investigation the tools
// build on: the promotion error is a new pattern against the window
// before the deploy, its pivot keys select exactly its lines on
// logs/query, and group-by shows it confined to checkout 2.14.0.
func TestIncidentFindableThroughPatterns(t *testing.T) {
	srv := shared(t)
	current := dateRange(-2*time.Hour-10*time.Minute, -time.Hour-25*time.Minute) // deploy .. after the rollback
	baseline := dateRange(-2*time.Hour-55*time.Minute, -2*time.Hour-10*time.Minute)

	diff := patternsDiff(t, srv, map[string]any{"query": map[string]any{"dateRange": current}, "baselineDateRange": baseline})
	var promo []patternJSON
	for _, e := range diff.Entries {
		if strings.HasPrefix(e.Pattern.Pattern, "failed to apply promotion") {
			if e.Classification != "new" {
				t.Errorf("promotion error %q classified %s", e.Pattern.Pattern, e.Classification)
			}
			promo = append(promo, e.Pattern)
		}
	}
	if len(promo) == 0 {
		t.Fatal("no promotion error pattern in the diff")
	}
	if diff.Entries[0].Classification != "new" || !strings.Contains(diff.Entries[0].Pattern.Pattern, "promotion") {
		t.Errorf("the diff does not lead with the promotion error: %s %q", diff.Entries[0].Classification, diff.Entries[0].Pattern.Pattern)
	}

	for _, p := range promo {
		if !strings.Contains(p.Pattern, "TypeError: Cannot read properties of undefined (reading 'percentOff')") {
			t.Errorf("template lost the error: %q", p.Pattern)
		}
		// The pivot PostHog documents: same window, services and
		// severities narrowed, message regex.
		pivot := map[string]any{
			"dateRange":      current,
			"serviceNames":   p.Services,
			"severityLevels": slices.Sorted(maps.Keys(p.SeverityCounts)),
			"filterGroup":    nested(filter("log", "message", "regex", *p.MatchRegex)),
			"limit":          2000,
		}
		rows := query(t, srv, pivot)
		if len(rows.Results) != p.Count || rows.HasMore {
			t.Errorf("%q: pivot returned %d rows, pattern has %d", p.Pattern, len(rows.Results), p.Count)
		}
		for _, r := range rows.Results {
			if templateOf(r.Body) != p.Pattern {
				t.Errorf("pivot row of another template: %q", r.Body)
			}
		}

		// Which release? Group the pattern's error lines by service.version.
		versions := groupBy(t, srv, map[string]any{
			"dateRange":      current,
			"severityLevels": []string{"error", "fatal"},
			"filterGroup":    nested(filter("log", "pattern", "exact", []string{p.Pattern})),
			"groupBys":       []any{dim("service.name", "resource"), dim("service.version", "resource")},
		})
		if len(versions.Groups) != 1 || versions.Groups[0].Values[0] != "checkout" || versions.Groups[0].Values[1] != "2.14.0" ||
			versions.TotalLogs != p.Count {
			t.Errorf("%q by version: %+v", p.Pattern, versions)
		}
	}

	// Checkout's errors before the deploy come from the old release only:
	// the new release is where the errors are.
	before := groupBy(t, srv, map[string]any{
		"dateRange": baseline, "serviceNames": []string{"checkout"}, "severityLevels": []string{"error", "fatal"},
		"groupBys": []any{dim("service.version", "resource")},
	})
	for _, g := range before.Groups {
		if g.Value == "2.14.0" {
			t.Errorf("2.14.0 logged errors before its deploy: %+v", g)
		}
	}
}
