package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sanitize"
)

// fetchPage asks the sandbox directly for the page a cursor state describes.
func fetchPage(t *testing.T, st cursorState) *client.LogsPage {
	t.Helper()
	cl, err := client.New(client.Options{Host: testSandbox(t).URL})
	if err != nil {
		t.Fatal(err)
	}
	page, err := cl.QueryLogs(context.Background(), client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID},
		client.LogsQuery{Filters: client.Filters{From: st.From, To: st.To, Services: st.Services}, Order: st.Order, Limit: st.Limit})
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func (o *logsOutput) printed() string {
	if o.st.Format == "json" {
		b, err := json.Marshal(o.json())
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	return o.text()
}

// TestOutputBudgetIsExact lays out real pages under budgets at every
// row boundary: the output never exceeds the budget, and one row more
// would not have fitted. Whole bodies (max_body_chars 0) and both
// formats included.
func TestOutputBudgetIsExact(t *testing.T) {
	e := newEnv(Config{Redact: true, Now: func() time.Time { return testNow }})
	const view = `abcd1234 "a view"`
	for _, format := range []string{"", "json"} {
		for _, maxBody := range []int{0, defaultMaxBodyChars} {
			for _, services := range [][]string{nil, {"checkout"}} {
				st := cursorState{Project: 1, From: testNow.Add(-3 * time.Hour), To: testNow, Services: services, Order: "latest", Limit: 15, MaxBody: maxBody, Format: format}
				page := fetchPage(t, st)
				name := fmt.Sprintf("format=%q max_body=%d services=%v", format, maxBody, services)
				// forced is the length of the page showing k rows (the
				// budget is printed in the note of a cut page).
				forced := func(k, budget int) int {
					e.cfg.MaxOutputChars = budget
					o := e.analyseLogs(st, page, view)
					o.fit(k, true)
					return len(o.printed())
				}
				for k := 1; k < len(page.Results); k++ {
					at := forced(k, 9999)
					for _, budget := range []int{at, forced(k+1, 9999) - 1, at + 1} {
						if budget < 1500 {
							continue
						}
						e.cfg.MaxOutputChars = budget
						o := e.renderLogs(st, page, view)
						out := o.printed()
						// Only a lone row whose body is already down to the
						// minimum may exceed a tiny budget.
						if len(out) > budget && (o.shown > 1 || utf8.RuneCountInString(o.rows[0].Body) > minShrunkBody) {
							t.Fatalf("%s budget %d: output of %d chars (%d rows)", name, budget, len(out), o.shown)
						}
						if o.shown < len(page.Results) {
							if more := forced(o.shown+1, budget); more <= budget {
								t.Fatalf("%s budget %d: %d rows shown in %d chars, but %d rows take %d chars and fit", name, budget, o.shown, len(out), o.shown+1, more)
							}
						}
					}
				}
			}
		}
	}
}

// TestOutputSizeMatchesOutput checks the arithmetic behind the budget:
// the size predicted for every row count is the length printed.
func TestOutputSizeMatchesOutput(t *testing.T) {
	e := newEnv(Config{Redact: true, MaxOutputChars: 1 << 30, Now: func() time.Time { return testNow }})
	for _, format := range []string{"", "json"} {
		st := cursorState{Project: 1, From: testNow.Add(-3 * time.Hour), To: testNow, Order: "earliest", Limit: 40, MaxBody: 80, Format: format,
			Search: "a<b>&\"c\"", Props: []client.PropertyFilter{{Key: "k", Type: "log_attribute", Operator: "exact", Value: "v"}}}
		page := fetchPage(t, cursorState{Project: 1, From: st.From, To: st.To, Order: st.Order, Limit: st.Limit})
		for k := 1; k <= len(page.Results); k++ {
			o := e.analyseLogs(st, page, "")
			o.fit(k, true)
			if got, want := len(o.printed()), o.size(k); got != want {
				t.Fatalf("format %q, %d rows: predicted %d chars, printed %d", format, k, want, got)
			}
		}
	}
}

// TestSharedHeaderAtAnyRowCount cuts the same page to 1, 2 and all rows
// by the budget: whatever is taken out of rows (service, shared
// attributes) is still printed, in text and JSON.
func TestSharedHeaderAtAnyRowCount(t *testing.T) {
	args := map[string]any{"services": []string{"checkout"}, "date_from": "-3h", "limit": 5, "max_body_chars": 0}
	raw := fetchPage(t, cursorState{Project: 1, From: testNow.Add(-3 * time.Hour), To: testNow, Services: []string{"checkout"}, Order: "latest", Limit: 5})
	clean := sanitize.Sanitizer{Redact: true}
	for _, format := range []string{"text", "json"} {
		args["format"] = format
		seen := map[int]bool{}
		for budget := 800; budget < 8000 && len(seen) < 3; budget += 20 {
			h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = budget })
			out := h.ok(NameQueryLogs, args)
			ids, _ := pageUUIDs(t, format, out)
			shown := len(ids)
			if shown == 0 || seen[shown] || (shown > 2 && shown < 5) {
				continue
			}
			seen[shown] = true
			if format == "text" {
				if !strings.Contains(out, "same on every row: service.name=checkout") {
					t.Errorf("text, %d of 5 rows: the shared service is not printed:\n%s", shown, out)
				}
				// Every attribute of a shown row is printed: on its line,
				// in the header, or (log attributes) in its body.
				header := ""
				for _, l := range strings.Split(out, "\n") {
					if strings.HasPrefix(l, "same ") {
						header += l + "\n"
					}
				}
				for i, id := range ids {
					line := rowLine(t, out, id)
					check := func(attrs map[string]string, elidable bool) {
						for k, v := range attrs {
							k, v = clean.Attribute(k, v)
							kv := k + "=" + quoteIfNeeded(v)
							if k == serviceKey || strings.Contains(line, kv) || strings.Contains(header, kv) || elidable && strings.Contains(line, v) {
								continue
							}
							t.Errorf("text, %d of 5 rows: attribute %s of row %d lost:\n%s", shown, kv, i, out)
						}
					}
					check(raw.Results[i].ResourceAttributes, false)
					check(raw.Results[i].Attributes, true)
				}
				continue
			}
			var page struct {
				Shared *sharedJSON `json:"same_on_every_row"`
				Rows   []cleanRow  `json:"rows"`
			}
			if err := json.Unmarshal([]byte(out), &page); err != nil {
				t.Fatal(err)
			}
			if page.Shared == nil || page.Shared.Resource[serviceKey] != "checkout" {
				t.Errorf("json, %d of 5 rows: no shared service:\n%s", shown, out)
				continue
			}
			for i, r := range page.Rows {
				attrs := maps.Clone(r.Attrs)
				if attrs == nil {
					attrs = map[string]string{}
				}
				maps.Copy(attrs, page.Shared.Attrs)
				res := maps.Clone(r.Resource)
				if res == nil {
					res = map[string]string{}
				}
				maps.Copy(res, page.Shared.Resource)
				want := map[string]string{}
				for k, v := range raw.Results[i].Attributes {
					k, v = clean.Attribute(k, v)
					want[k] = v
				}
				if !maps.Equal(attrs, want) {
					t.Errorf("json, %d of 5 rows: row %d attributes %v, PostHog sent %v", shown, i, attrs, want)
				}
				want = map[string]string{}
				for k, v := range raw.Results[i].ResourceAttributes {
					k, v = clean.Attribute(k, v)
					want[k] = v
				}
				if !maps.Equal(res, want) {
					t.Errorf("json, %d of 5 rows: row %d resource attributes %v, PostHog sent %v", shown, i, res, want)
				}
			}
		}
		for _, n := range []int{1, 2, 5} {
			if !seen[n] {
				t.Errorf("%s: no budget showed %d of 5 rows; seen %v", format, n, seen)
			}
		}
	}
}

// rowLine is the printed line of the row with this uuid.
func rowLine(t *testing.T, out, uuid string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^.*uuid=` + uuid + `$`).FindString(out)
	if m == "" {
		t.Fatalf("no line for row %s", uuid)
	}
	return m
}
