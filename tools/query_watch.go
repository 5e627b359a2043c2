package tools

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

const (
	// defaultWatchPoll is the first pause between polls; it grows ×1.5 up
	// to watchPollCap× itself (1 s → 5 s): a watcher makes at most about
	// 25 requests a minute, far inside PostHog's 480 per minute per key.
	defaultWatchPoll = time.Second
	watchPollCap     = 5
	// maxSeen bounds the uuids a watch cursor carries to deduplicate
	// PostHog's repeated lines (its checkpoint is inclusive).
	maxSeen = 100
)

// watchPoll asks PostHog for the lines observed at or after checkpoint,
// earliest first, from position after ("" = the first).
type watchPoll func(ctx context.Context, checkpoint, after string) (*client.LogsPage, error)

// watchLoop polls until new lines arrive or the wait is over. Its clock,
// sleep and progress are injected so tests need no real time.
type watchLoop struct {
	poll     watchPoll
	sleep    func(ctx context.Context, d time.Duration) error
	clock    func() time.Time
	progress progressFunc
	first    time.Duration // first pause between polls
	wait     time.Duration
}

// watchState is where a watch stands: the checkpoint polled from, the
// newest checkpoint PostHog reported since (adopted once the lines of the
// current one are all read), the position within those lines when they
// came in more than one page, and the lines already shown.
type watchState struct {
	cp      string
	pending string
	afterT  string
	afterU  string
	seen    map[string]seenLine
}

// seenLine is what is known of a line already shown: when PostHog
// observed it and its (timestamp, uuid) position; both "" for the uuids a
// cursor carries.
type seenLine struct {
	observed string
	pos      string
}

func (s *watchState) after() string {
	if s.afterU == "" {
		return ""
	}
	return client.AfterCursor(s.afterT, s.afterU)
}

// watchOutcome is what one watch produced.
type watchOutcome struct {
	fresh  []client.LogRow  // new lines, earliest first
	page   *client.LogsPage // the page they came in
	polls  int
	waited time.Duration
}

// run polls (at once when pollNow, else after the first pause) until a
// poll brings lines not seen before or the wait is over. It returns
// ctx's error when cancelled.
func (w *watchLoop) run(ctx context.Context, s *watchState, pollNow bool) (watchOutcome, error) {
	start := w.clock()
	interval := w.first
	var out watchOutcome
	for {
		if !pollNow {
			remaining := w.wait - w.clock().Sub(start)
			if remaining <= 0 {
				out.waited = w.clock().Sub(start)
				return out, nil
			}
			if err := w.sleep(ctx, min(interval, remaining)); err != nil {
				return out, err
			}
			interval = min(interval*3/2, watchPollCap*w.first)
		}
		pollNow = false
		page, err := w.poll(ctx, s.cp, s.after())
		out.polls++
		if err != nil {
			return out, err
		}
		for _, r := range page.Results {
			if _, ok := s.seen[r.UUID]; !ok {
				out.fresh = append(out.fresh, r)
			}
		}
		if len(out.fresh) > 0 {
			out.page, out.waited = page, w.clock().Sub(start)
			return out, nil
		}
		if page.HasMore && len(page.Results) > 0 {
			// Only lines already shown on this page: read on at once.
			last := page.Results[len(page.Results)-1]
			s.afterT, s.afterU = last.Timestamp, last.UUID
			pollNow = true
			s.record(page.Results)
			s.prune()
		} else {
			s.settle(page, s.afterU == "")
		}
		elapsed := w.clock().Sub(start)
		if elapsed >= w.wait {
			out.waited = elapsed
			return out, nil
		}
		w.progress(elapsed.Seconds(), w.wait.Seconds(), fmt.Sprintf("no new lines yet after %d polls", out.polls))
	}
}

// record remembers rows as seen, and the newest checkpoint they carry.
func (s *watchState) record(rows []client.LogRow) {
	for _, r := range rows {
		s.seen[r.UUID] = seenLine{observed: normTime(r.ObservedTimestamp), pos: normTime(r.Timestamp) + " " + r.UUID}
	}
	s.notePending(rows)
}

// notePending keeps the newest checkpoint rows carry.
func (s *watchState) notePending(rows []client.LogRow) {
	for _, r := range rows {
		if cp := r.Checkpoint(); !cp.IsZero() && cp.Format(fixedTime) > s.pending {
			s.pending = cp.Format(fixedTime)
		}
	}
}

// prune forgets the lines PostHog will not send again: those observed
// before the newest checkpoint it reported, except, while the lines of
// the current checkpoint are read page by page, those still ahead of the
// position (the pages to come may hold them).
func (s *watchState) prune() {
	cut := max(normTime(s.cp), s.pending)
	pos := ""
	if s.afterU != "" {
		pos = normTime(s.afterT) + " " + s.afterU
	}
	for id, l := range s.seen {
		if l.observed == "" || l.observed >= cut || (pos != "" && (l.pos == "" || l.pos > pos)) {
			continue
		}
		delete(s.seen, id)
	}
}

// settle ends the reading of one checkpoint's lines: the checkpoint
// moves to PostHog's newest (ingestion is complete up to it), and only
// the lines PostHog will send again (observed at or after it) stay seen.
// complete says page holds every line of the checkpoint, so anything
// seen but absent from it will not come again.
func (s *watchState) settle(page *client.LogsPage, complete bool) {
	if complete {
		s.seen = make(map[string]seenLine, len(page.Results))
	}
	s.record(page.Results)
	s.afterT, s.afterU = "", ""
	if s.pending > normTime(s.cp) {
		s.cp = compactISO(s.pending)
	}
	s.pending = ""
	s.prune()
}

// compactISO writes a timestamp as RFC 3339 without trailing zeros: the
// shorter form for cursors.
func compactISO(ts string) string {
	t, err := client.ParseTime(ts)
	if err != nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// fixedTime writes timestamps at a fixed width, so that they compare as
// strings.
const fixedTime = "2006-01-02T15:04:05.000000000Z"

// normTime writes a PostHog timestamp (Z, +00:00 or no zone) at a fixed
// width in UTC; "" when unparsable.
func normTime(ts string) string {
	t, err := client.ParseTime(ts)
	if err != nil {
		return ""
	}
	return t.Format(fixedTime)
}

// seenList is the cursor's share of seen: the most recently observed
// uuids, at most maxSeen.
func (s *watchState) seenList() []string {
	ids := make([]string, 0, len(s.seen))
	for id := range s.seen {
		if uuidPattern.MatchString(id) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := strings.Compare(s.seen[b].observed, s.seen[a].observed); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return ids[:min(len(ids), maxSeen)]
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// queryWatch waits for new lines matching the query: the first call takes
// its checkpoint from an ordinary query (or the request time), a cursor
// continues from where the last call stopped.
func (e *env) queryWatch(ctx context.Context, c *call, st cursorState, view string) *mcp.CallToolResult {
	auth := client.Auth{Key: c.caller.Key, ProjectID: st.Project}
	filters := client.Filters{From: st.From, Severities: st.Sev, Services: st.Services, Search: st.Search, Properties: st.Props}
	s := &watchState{cp: st.Checkpoint, pending: st.Pending, afterT: st.AfterTS, afterU: st.AfterID, seen: map[string]seenLine{}}
	for _, id := range st.Seen {
		s.seen[id] = seenLine{}
	}
	resumed := st.Checkpoint != ""
	if !resumed {
		requested := e.cfg.Now().UTC()
		first, err := e.client.QueryLogs(ctx, auth, client.LogsQuery{Filters: filters, Order: "latest", Limit: st.Limit})
		if err != nil {
			return upstreamError("query logs", err)
		}
		s.cp = requested.Format(time.RFC3339Nano)
		if len(first.Results) > 0 && !first.Results[0].Checkpoint().IsZero() {
			s.cp = first.Results[0].Checkpoint().Format(time.RFC3339Nano)
		}
		s.record(first.Results)
		s.pending = ""
	}
	st.To = time.Time{} // a watch's window stays open
	from := s.cp
	pollEvery := e.cfg.WatchPoll
	if pollEvery <= 0 {
		pollEvery = defaultWatchPoll
	}
	loop := &watchLoop{
		poll: func(ctx context.Context, cp, after string) (*client.LogsPage, error) {
			from, err := client.ParseTime(cp)
			if err != nil {
				return nil, err // cursors are validated: cannot happen
			}
			return e.client.QueryLogs(ctx, auth, client.LogsQuery{Filters: filters, Order: "earliest", Limit: st.Limit, After: after, LiveLogsCheckpoint: from})
		},
		sleep: sleepCtx, clock: time.Now, progress: progressFrom(ctx),
		first: pollEvery, wait: time.Duration(st.Wait) * time.Second,
	}
	res, err := loop.run(ctx, s, resumed)
	if err != nil {
		if ctx.Err() != nil {
			return errorResult(codeCancelled, "the watch was cancelled by the client")
		}
		return upstreamError("poll for new logs", err)
	}
	if res.page != nil {
		s.notePending(res.page.Results) // even if no line of it is shown
	}
	out := e.analyseLogs(st, &client.LogsPage{Results: res.fresh}, view)
	out.cursorFor = func(k int) (string, bool) { return s.showing(res, k).cursor(st), true }
	out.headline = func(k int, _ bool) string { return watchTitle(k, res, from, st.From, view) }
	out.notes = append(out.notes, fmt.Sprintf("next_cursor keeps watching (%d s; pass wait_seconds with it to change)", st.Wait))
	if st.Format == "json" {
		out.modeFor = func(k int) any {
			return map[string]any{"watch": map[string]any{
				"new_lines": k, "waited_seconds": roundSeconds(res.waited), "polls": res.polls, "checkpoint": from,
			}}
		}
	}
	out.fit(len(out.rows), false)
	if st.Format == "json" {
		return jsonResult(out.json())
	}
	return textResult(out.text())
}

// showing is the state once the first k new lines are shown. The next watch
// starts after the last line shown: if the output budget or the page size
// cut the new lines, it reads on from there with the same checkpoint;
// else from PostHog's newest checkpoint.
func (s *watchState) showing(res watchOutcome, k int) *watchState {
	w := &watchState{cp: s.cp, pending: s.pending, afterT: s.afterT, afterU: s.afterU, seen: maps.Clone(s.seen)}
	w.record(res.fresh[:k])
	switch {
	case k < len(res.fresh):
		last := res.fresh[k-1]
		w.afterT, w.afterU = last.Timestamp, last.UUID
		w.prune()
	case res.page != nil && res.page.HasMore:
		last := res.page.Results[len(res.page.Results)-1]
		w.afterT, w.afterU = last.Timestamp, last.UUID
		w.prune()
	case res.page != nil:
		w.settle(res.page, w.afterU == "")
	}
	return w
}

// cursor is the watch cursor that continues from this state.
func (s *watchState) cursor(st cursorState) string {
	st.Checkpoint, st.Pending, st.AfterTS, st.AfterID, st.Seen = s.cp, compactISO(s.pending), s.afterT, s.afterU, s.seenList()
	return encodeCursor(st)
}

// watchTitle is the first line of a watch result showing k new lines.
func watchTitle(k int, res watchOutcome, checkpoint string, from time.Time, view string) string {
	var b strings.Builder
	if k == 0 {
		b.WriteString("no new matching lines in ")
	} else {
		b.WriteString(strconv.Itoa(k))
		b.WriteString(" new line")
		if k > 1 {
			b.WriteString("s")
		}
		b.WriteString(", earliest first, after ")
	}
	b.WriteString(strconv.FormatFloat(roundSeconds(res.waited), 'f', -1, 64))
	b.WriteString(" s (")
	b.WriteString(strconv.Itoa(res.polls))
	if res.polls == 1 {
		b.WriteString(" poll")
	} else {
		b.WriteString(" polls")
	}
	b.WriteString(") · ingested since ")
	b.WriteString(rowTimeOrEmpty(checkpoint))
	b.WriteString(" · window from ")
	b.WriteString(timerange.FormatTime(from))
	b.WriteString(" (UTC)")
	if view != "" {
		b.WriteString(" · view ")
		b.WriteString(view)
	}
	return b.String()
}

func roundSeconds(d time.Duration) float64 {
	return float64(d.Round(100*time.Millisecond)) / float64(time.Second)
}
