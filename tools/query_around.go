package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

const (
	defaultAroundSide = 10
	maxAroundSide     = 100
	// aroundWindow is how far either side of the anchor neighbours are
	// looked for when no window is given.
	aroundWindow = time.Hour
	// anchorPages bounds the pages read to find the anchor within a
	// second of its timestamp (1,000 lines each).
	anchorPages = 5
)

var sameChoices = []string{"service", "pod", "host", "trace", "none"}

// check validates around and fills its default window.
func (a *aroundArg) check(args *queryLogsArgs) error {
	if !uuidPattern.MatchString(a.UUID) {
		return errors.New(`around.uuid must be a line's uuid as query_logs prints it, e.g. {"uuid": "0199a3c2-5b7e-7c1a-9d2e-8f6a1b2c3d4e", "timestamp": "2026-11-25T14:01:58.123Z"}`)
	}
	ts, err := a.anchorTime()
	if err != nil {
		return err
	}
	for _, side := range []struct {
		name string
		v    *int
	}{{"before", a.Before}, {"after", a.After}} {
		if side.v != nil && (*side.v < 0 || *side.v > maxAroundSide) {
			return fmt.Errorf("around.%s must be between 0 and %d (got %d)", side.name, maxAroundSide, *side.v)
		}
	}
	if a.Same != "" && !slices.Contains(sameChoices, a.Same) {
		return fmt.Errorf("around.same must be one of %s (got %q)", strings.Join(sameChoices, ", "), a.Same)
	}
	if args.Order != "" {
		return errors.New("around lists lines in time order around the anchor: drop order")
	}
	if args.DateFrom == "" && args.DateTo == "" {
		args.DateFrom = ts.Add(-aroundWindow).Format(time.RFC3339Nano)
		args.DateTo = ts.Add(aroundWindow).Format(time.RFC3339Nano)
	}
	return nil
}

func (a *aroundArg) anchorTime() (time.Time, error) {
	if !isAbsolute(a.Timestamp) {
		return time.Time{}, errors.New(`around.timestamp must be the line's own timestamp as query_logs printed it, e.g. "2026-11-25T14:01:58.123Z"`)
	}
	ts, err := timerange.Parse(a.Timestamp, time.Now())
	if err != nil {
		return ts, fmt.Errorf(`around.timestamp: %v; pass the line's timestamp as query_logs printed it, e.g. "2026-11-25T14:01:58.123Z"`, err)
	}
	return ts.UTC(), nil
}

func sideOrDefault(v *int) int {
	if v == nil {
		return defaultAroundSide
	}
	return *v
}

// queryAround prints the lines just before and after one line, in time
// order, the anchor marked: two queries from the anchor's exact position
// (PostHog's (timestamp, uuid) cursor), one each way, merged.
func (e *env) queryAround(ctx context.Context, c *call, a *aroundArg, st cursorState, view string) *mcp.CallToolResult {
	auth := client.Auth{Key: c.caller.Key, ProjectID: st.Project}
	ts, _ := a.anchorTime() // checked before
	anchor, err := e.findAnchor(ctx, auth, strings.ToLower(a.UUID), ts)
	if err != nil {
		return upstreamError("find the anchor line", err)
	}
	if anchor == nil {
		return errorResult(codeNotFound, fmt.Sprintf("no line with uuid %s within a second of %s in project %d; check: uuid and timestamp exactly as query_logs printed them (the pair from one row), the project, and that the line is still retained",
			strings.ToLower(a.UUID), timerange.FormatTime(ts), st.Project))
	}
	at, err := time.Parse(time.RFC3339Nano, anchor.Timestamp)
	if err != nil || at.Before(st.From) || !at.Before(st.To) {
		return invalidArgs(fmt.Errorf("the window %s does not contain the anchor line (%s): widen it or leave date_from/date_to out (default ±1h around the line)",
			timerange.Window{From: st.From, To: st.To}, rowTime(anchor.Timestamp)))
	}
	same := a.Same
	if same == "" {
		same = "service"
	}
	sameFilter, sameLabel, err := e.sameAs(*anchor, same)
	if err != nil {
		return invalidArgs(err)
	}
	if sameFilter != nil {
		st.Props = append(st.Props, *sameFilter)
	}
	st.Order = "earliest"
	before, after := sideOrDefault(a.Before), sideOrDefault(a.After)

	pos := client.AfterCursor(anchor.Timestamp, anchor.UUID)
	filters := client.Filters{From: st.From, To: st.To, Severities: st.Sev, Services: st.Services, Search: st.Search, Properties: st.Props}
	var wg sync.WaitGroup
	var pages [2]*client.LogsPage
	var errs [2]error
	for i, side := range []struct {
		order string
		n     int
	}{{"latest", before}, {"earliest", after}} {
		if side.n == 0 {
			pages[i] = &client.LogsPage{}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pages[i], errs[i] = e.client.QueryLogs(ctx, auth, client.LogsQuery{Filters: filters, Order: side.order, Limit: side.n, After: pos})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return upstreamError("query the lines around the anchor", err)
	}
	earlier := pages[0].Results[:min(before, len(pages[0].Results))]
	later := pages[1].Results[:min(after, len(pages[1].Results))]
	rows := make([]client.LogRow, 0, len(earlier)+1+len(later))
	seen := map[string]bool{anchor.UUID: true}
	for i := len(earlier) - 1; i >= 0; i-- {
		if !seen[earlier[i].UUID] {
			seen[earlier[i].UUID] = true
			rows = append(rows, earlier[i])
		}
	}
	nBefore := len(rows)
	rows = append(rows, *anchor)
	for _, r := range later {
		if !seen[r.UUID] {
			seen[r.UUID] = true
			rows = append(rows, r)
		}
	}
	moreLater := pages[1].HasMore || len(pages[1].Results) > after
	moreEarlier := pages[0].HasMore || len(pages[0].Results) > before
	w := aroundView{anchor: anchor, before: before, after: after, same: sameLabel, view: view, st: st}
	for {
		out := w.render(e, rows, nBefore, moreEarlier, moreLater)
		if out.shown > nBefore || nBefore == 0 {
			if st.Format == "json" {
				return jsonResult(out.json())
			}
			return textResult(out.text())
		}
		// The budget cut the page before the anchor: drop the earliest
		// lines instead (the earlier-lines call still reaches them).
		drop := nBefore - out.shown + 1
		rows, nBefore, moreEarlier = rows[drop:], nBefore-drop, true
	}
}

// aroundView is what an around page prints besides its rows.
type aroundView struct {
	anchor        *client.LogRow
	before, after int // as asked
	same, view    string
	st            cursorState
}

// render lays out rows (nBefore of them before the anchor) within the
// output budget.
func (w aroundView) render(e *env, rows []client.LogRow, nBefore int, moreEarlier, moreLater bool) *logsOutput {
	var earlierCursor string
	if moreEarlier {
		prev := w.st
		prev.Order, prev.AfterTS, prev.AfterID = "latest", rows[0].Timestamp, rows[0].UUID
		earlierCursor = encodeCursor(prev)
	}
	out := e.analyseLogsWith(w.st, &client.LogsPage{Results: rows, HasMore: moreLater}, w.view, func(i int, r *cleanRow) {
		r.Anchor = i == nBefore
	})
	if earlierCursor != "" {
		out.notes = append(out.notes, `earlier lines: query_logs {"cursor": "`+earlierCursor+`"} (latest first)`)
	}
	out.headline = func(k int, more bool) string {
		return w.title(nBefore, max(k-nBefore-1, 0), moreEarlier, more)
	}
	if w.st.Format == "json" {
		out.modeFor = func(k int) any {
			return map[string]any{
				"anchor":         map[string]string{"uuid": e.clean.String(w.anchor.UUID), "timestamp": rowTime(w.anchor.Timestamp)},
				"same":           w.same,
				"before":         min(nBefore, k),
				"after":          max(k-nBefore-1, 0),
				"earlier_cursor": earlierCursor,
			}
		}
	}
	out.fit(len(out.rows), false)
	return out
}

// title is the first line of an around page.
func (w aroundView) title(nBefore, nAfter int, moreEarlier, moreLater bool) string {
	var b strings.Builder
	b.WriteString("around ")
	b.WriteString(rowTime(w.anchor.Timestamp))
	b.WriteString(" (▶) · ")
	b.WriteString(strconv.Itoa(nBefore))
	b.WriteString(" before")
	if nBefore < w.before && !moreEarlier {
		b.WriteString(" (no more in window)")
	}
	b.WriteString(", ")
	b.WriteString(strconv.Itoa(nAfter))
	b.WriteString(" after")
	if nAfter < w.after && !moreLater {
		b.WriteString(" (no more in window)")
	}
	b.WriteString(" · same ")
	b.WriteString(w.same)
	b.WriteString(" · window ")
	b.WriteString(timerange.Window{From: w.st.From, To: w.st.To}.String())
	b.WriteString(" (UTC)")
	if w.view != "" {
		b.WriteString(" · view ")
		b.WriteString(w.view)
	}
	return b.String()
}

// sameAs is the filter that keeps the neighbours sharing the anchor's
// service, pod, host or trace, and how to name it.
func (e *env) sameAs(anchor client.LogRow, same string) (*client.PropertyFilter, string, error) {
	resource := func(key, what string) (*client.PropertyFilter, string, error) {
		v := anchor.ResourceAttributes[key]
		if v == "" {
			return nil, "", fmt.Errorf(`the anchor line has no %s (%s); use same "service" or "none"`, what, key)
		}
		return &client.PropertyFilter{Key: key, Type: "log_resource_attribute", Operator: "exact", Value: v}, key + "=" + quoteIfNeeded(e.clean.String(v)), nil
	}
	switch same {
	case "service":
		if anchor.Service() == "" {
			return &client.PropertyFilter{Key: serviceKey, Type: "log_resource_attribute", Operator: "is_not_set"}, "service " + noService, nil
		}
		return resource(serviceKey, "service")
	case "pod":
		return resource("k8s.pod.name", "pod")
	case "host":
		return resource("host.name", "host")
	case "trace":
		if anchor.TraceID == "" || !traceIDPattern.MatchString(anchor.TraceID) {
			return nil, "", errors.New(`the anchor line has no trace id; use same "service" or "none"`)
		}
		f := traceFilter(strings.ToLower(anchor.TraceID))
		return &f, "trace_id=" + strings.ToLower(anchor.TraceID), nil
	}
	return nil, "none (all lines matching the filters)", nil
}

// findAnchor looks the line up by uuid near its timestamp: first the
// millisecond query_logs printed (its timestamps are cut to ms), then a
// second either side, as explain_log accepts. nil means not found.
func (e *env) findAnchor(ctx context.Context, auth client.Auth, uuid string, ts time.Time) (*client.LogRow, error) {
	for _, span := range []time.Duration{2 * time.Millisecond, time.Second} {
		f := client.Filters{From: ts.Add(-span), To: ts.Add(span)}
		after := ""
		for range anchorPages {
			page, err := e.client.QueryLogs(ctx, auth, client.LogsQuery{Filters: f, Order: "earliest", Limit: maxQueryLimit, After: after})
			if err != nil {
				return nil, err
			}
			for i := range page.Results {
				if strings.EqualFold(page.Results[i].UUID, uuid) {
					return &page.Results[i], nil
				}
			}
			if !page.HasMore || len(page.Results) == 0 {
				break
			}
			last := page.Results[len(page.Results)-1]
			after = client.AfterCursor(last.Timestamp, last.UUID)
		}
	}
	return nil, nil
}
