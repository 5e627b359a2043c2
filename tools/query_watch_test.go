package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

// fakeClock is a clock that moves only when the watch sleeps.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
	// onSleep runs after each sleep (new lines arrive, or a cancel).
	onSleep func(n int)
}

func (c *fakeClock) clock() time.Time { return c.now }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	if c.onSleep != nil {
		c.onSleep(len(c.sleeps))
	}
	return ctx.Err()
}

func row(id int, observed string) client.LogRow {
	return client.LogRow{
		UUID:               fmt.Sprintf("01a212a1-0000-7000-8000-%012d", id),
		Timestamp:          fmt.Sprintf("2026-11-25T14:00:%02d.000000Z", id%60),
		ObservedTimestamp:  observed,
		LiveLogsCheckpoint: "2026-11-25T14:00:10Z",
	}
}

// fakePolls answers polls from a script and records what was asked.
type fakePolls struct {
	pages []*client.LogsPage
	asked []string // checkpoint|after of each poll
}

func (f *fakePolls) poll(_ context.Context, cp, after string) (*client.LogsPage, error) {
	f.asked = append(f.asked, cp+"|"+after)
	if len(f.pages) == 0 {
		return &client.LogsPage{}, nil
	}
	p := f.pages[0]
	if len(f.pages) > 1 {
		f.pages = f.pages[1:]
	}
	return p, nil
}

func newLoop(polls *fakePolls, clk *fakeClock, wait time.Duration, progress *[]string) *watchLoop {
	return &watchLoop{
		poll: polls.poll, sleep: clk.sleep, clock: clk.clock, first: time.Second, wait: wait,
		progress: func(p, total float64, msg string) {
			*progress = append(*progress, fmt.Sprintf("%.2f/%.0f %s", p, total, msg))
		},
	}
}

func TestWatchLoopBacksOffAndTimesOut(t *testing.T) {
	clk := &fakeClock{now: testNow}
	seenRow := row(1, "2026-11-25T14:00:20Z")
	polls := &fakePolls{pages: []*client.LogsPage{{Results: []client.LogRow{seenRow}}}}
	var progress []string
	s := &watchState{cp: "2026-11-25T14:00:00Z", seen: map[string]seenLine{seenRow.UUID: {}}}
	out, err := newLoop(polls, clk, 20*time.Second, &progress).run(context.Background(), s, false)
	if err != nil || len(out.fresh) != 0 {
		t.Fatalf("%v %v", out, err)
	}
	// 1 s, ×1.5, capped at 5 s, the last pause cut to the time left.
	want := []time.Duration{time.Second, 1500 * time.Millisecond, 2250 * time.Millisecond, 3375 * time.Millisecond, 5 * time.Second, 5 * time.Second, 1875 * time.Millisecond}
	if !slices.Equal(clk.sleeps, want) {
		t.Errorf("pauses %v, want %v", clk.sleeps, want)
	}
	if out.polls != len(want) || out.waited != 20*time.Second {
		t.Errorf("%d polls over %v", out.polls, out.waited)
	}
	if len(progress) != len(want)-1 || progress[0] != "1.00/20 no new lines yet after 1 polls" {
		t.Errorf("progress: %q", progress)
	}
	// The checkpoint moved to PostHog's, and the line seen at or after it stays seen.
	if s.cp != "2026-11-25T14:00:10Z" || len(s.seen) != 1 {
		t.Errorf("state after settling: %+v", s)
	}
	if polls.asked[0] != "2026-11-25T14:00:00Z|" || polls.asked[1] != "2026-11-25T14:00:10Z|" {
		t.Errorf("polled %v", polls.asked)
	}
}

func TestWatchLoopReturnsNewLinesOnly(t *testing.T) {
	clk := &fakeClock{now: testNow}
	old, fresh := row(1, "2026-11-25T14:00:20Z"), row(2, "2026-11-25T14:00:21Z")
	polls := &fakePolls{pages: []*client.LogsPage{
		{Results: []client.LogRow{old}},
		{Results: []client.LogRow{old}},
		{Results: []client.LogRow{old, fresh}},
	}}
	var progress []string
	s := &watchState{cp: "2026-11-25T14:00:00Z", seen: map[string]seenLine{old.UUID: {}}}
	out, err := newLoop(polls, clk, time.Minute, &progress).run(context.Background(), s, false)
	if err != nil || len(out.fresh) != 1 || out.fresh[0].UUID != fresh.UUID || out.polls != 3 {
		t.Fatalf("fresh %v polls %d err %v", out.fresh, out.polls, err)
	}
	if out.waited != 4750*time.Millisecond {
		t.Errorf("returned after %v, want at the third poll (1 + 1.5 + 2.25 s)", out.waited)
	}
}

func TestWatchLoopPagesThroughSeenLinesWithoutPausing(t *testing.T) {
	clk := &fakeClock{now: testNow}
	a, b, c := row(1, "2026-11-25T14:00:20Z"), row(2, "2026-11-25T14:00:20Z"), row(3, "2026-11-25T14:00:21Z")
	polls := &fakePolls{pages: []*client.LogsPage{
		{Results: []client.LogRow{a, b}, HasMore: true},
		{Results: []client.LogRow{c}},
	}}
	var progress []string
	s := &watchState{cp: "2026-11-25T14:00:00Z", seen: map[string]seenLine{a.UUID: {}, b.UUID: {}}}
	out, err := newLoop(polls, clk, time.Minute, &progress).run(context.Background(), s, true)
	if err != nil || len(out.fresh) != 1 || out.fresh[0].UUID != c.UUID {
		t.Fatalf("fresh %v err %v", out.fresh, err)
	}
	if len(clk.sleeps) != 0 || polls.asked[1] != "2026-11-25T14:00:00Z|"+client.AfterCursor(b.Timestamp, b.UUID) {
		t.Errorf("pauses %v, polls %v", clk.sleeps, polls.asked)
	}
}

func TestWatchLoopCancellationStopsAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := &fakeClock{now: testNow, onSleep: func(n int) {
		if n == 2 {
			cancel()
		}
	}}
	polls := &fakePolls{}
	var progress []string
	s := &watchState{cp: "2026-11-25T14:00:00Z", seen: map[string]seenLine{}}
	_, err := newLoop(polls, clk, 2*time.Minute, &progress).run(ctx, s, false)
	if !errors.Is(err, context.Canceled) || len(polls.asked) != 1 {
		t.Errorf("err %v after %d polls", err, len(polls.asked))
	}
}

func TestWatchStateSettle(t *testing.T) {
	s := &watchState{cp: "2026-11-25T14:00:00Z", seen: map[string]seenLine{
		row(1, "").UUID: {}, // from a cursor: nothing known
		row(2, "").UUID: {observed: normTime("2026-11-25T14:00:05Z")},
	}}
	page := &client.LogsPage{Results: []client.LogRow{row(2, "2026-11-25T14:00:05Z"), row(3, "2026-11-25T14:00:12+00:00")}}
	// A complete answer: what it lacks will not come again; lines observed
	// before the new checkpoint will not either.
	s.settle(page, true)
	if s.cp != "2026-11-25T14:00:10Z" || len(s.seen) != 1 || s.seen[row(3, "").UUID].observed == "" || s.pending != "" {
		t.Errorf("complete: %+v", s)
	}
	// An older checkpoint never replaces a newer one.
	s.settle(&client.LogsPage{Results: []client.LogRow{{UUID: row(4, "").UUID, LiveLogsCheckpoint: "2026-11-25T13:00:00Z"}}}, false)
	if s.cp != "2026-11-25T14:00:10Z" || len(s.seen) != 2 {
		t.Errorf("older checkpoint: %+v", s)
	}
	for i := range 150 {
		s.seen[row(100+i, "").UUID] = seenLine{observed: normTime(fmt.Sprintf("2026-11-25T14:01:%02d.%03dZ", i/10, i))}
	}
	if ids := s.seenList(); len(ids) != maxSeen || ids[0] != row(249, "").UUID {
		t.Errorf("seen list: %d, first %s", len(ids), ids[0])
	}
}

// TestWatchStatePrune: while a checkpoint's lines are read page by page,
// a line observed before PostHog's newest checkpoint is forgotten only
// once the position has passed it.
func TestWatchStatePrune(t *testing.T) {
	s := &watchState{cp: "2026-11-25T14:00:00Z", seen: map[string]seenLine{}}
	a, b, c := row(1, "2026-11-25T14:00:01Z"), row(2, "2026-11-25T14:00:02Z"), row(3, "2026-11-25T14:00:30Z")
	s.record([]client.LogRow{a, b, c}) // their checkpoint: 14:00:10
	s.afterT, s.afterU = a.Timestamp, a.UUID
	s.prune()
	if _, ok := s.seen[a.UUID]; ok {
		t.Error("a line behind the position and the checkpoint is kept")
	}
	if _, ok := s.seen[b.UUID]; !ok {
		t.Error("a line ahead of the position was forgotten: the next page would repeat it")
	}
	if _, ok := s.seen[c.UUID]; !ok {
		t.Error("a line observed after the checkpoint was forgotten")
	}
}

func TestWatchCursorValidation(t *testing.T) {
	base := cursorState{Project: 1, From: testNow.Add(-time.Hour), Order: "earliest", Limit: 50, Mode: modeWatch, Checkpoint: "2026-11-25T14:00:00Z", Wait: 30}
	if _, err := decodeCursor(encodeCursor(base), testNow); err != nil {
		t.Fatalf("valid watch cursor refused: %v", err)
	}
	for name, edit := range map[string]func(*cursorState){
		"no checkpoint": func(s *cursorState) { s.Checkpoint = "" },
		"bad seen":      func(s *cursorState) { s.Seen = []string{"x"} },
		"long wait":     func(s *cursorState) { s.Wait = 121 },
		"latest":        func(s *cursorState) { s.Order = "latest" },
		"trace fields":  func(s *cursorState) { s.TraceStart = "2026-11-25T14:00:00Z" },
		"unknown mode":  func(s *cursorState) { s.Mode = "tail" },
		"bad pending":   func(s *cursorState) { s.Pending = "soon" },
		"plain with cp": func(s *cursorState) { s.Mode = ""; s.To = testNow },
		"half position": func(s *cursorState) { s.AfterID = "01a212a1-0000-7000-8000-000000000001" },
		"too many seen": func(s *cursorState) {
			for i := range maxSeen + 1 {
				s.Seen = append(s.Seen, row(i, "").UUID)
			}
		},
	} {
		st := base
		edit(&st)
		if _, err := decodeCursor(encodeCursor(st), testNow); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	trace := cursorState{Project: 1, From: testNow.Add(-time.Hour), To: testNow, Order: "earliest", Limit: 50, Mode: modeTrace,
		TraceStart: "2026-11-25T13:00:00Z", AfterTS: "2026-11-25T13:00:00Z", AfterID: "01a212a1-0000-7000-8000-000000000001",
		Props: []client.PropertyFilter{traceFilter("0123456789abcdef0123456789abcdef")}}
	if _, err := decodeCursor(encodeCursor(trace), testNow); err != nil {
		t.Fatalf("valid trace cursor refused: %v", err)
	}
	trace.Props = nil
	if _, err := decodeCursor(encodeCursor(trace), testNow); err == nil {
		t.Error("trace cursor without its trace accepted")
	}
}
