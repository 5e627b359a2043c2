package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

var (
	e2eTraceID   = regexp.MustCompile(`trace_id=([0-9a-f]{32})`)
	e2eCursor    = regexp.MustCompile(`next_cursor: (c[12]\.\S+)`)
	e2eRow       = regexp.MustCompile(`(?m)^(▶ )?(\d{4}-\d\d-\d\dT[\d:.]+Z) .*uuid=([0-9a-f-]{36})$`)
	e2eEarlier   = regexp.MustCompile(`earlier lines: query_logs (\{"cursor": "c[12]\.[^"]+"\})`)
	e2eAcross    = regexp.MustCompile(`^trace [0-9a-f]{32} · (\d+) lines? across (.+), earliest first`)
	e2eNoNewLine = regexp.MustCompile(`^no new matching lines in [\d.]+ s \(\d+ polls?\)`)
)

// TestQueryModesEndToEnd follows one trace and the lines around one of
// its lines through a real MCP client, running every printed follow-up
// verbatim.
func TestQueryModesEndToEnd(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{}, nil)
	for _, version := range []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125} {
		t.Run(version, func(t *testing.T) {
			c := f.connect(t, version, bearer(sandbox.KeyFull))
			defer c.Close()
			found := mustCall(t, c, "query_logs", map[string]any{"services": []string{"api-gateway"}, "search": "POST /api/checkout", "date_from": "-3h", "limit": 20})
			var id, title, out string
			for _, m := range e2eTraceID.FindAllStringSubmatch(found, -1) {
				out = mustCall(t, c, "query_logs", map[string]any{"trace_id": m[1]})
				title = strings.SplitN(out, "\n", 2)[0]
				if strings.Contains(title, " → ") {
					id = m[1]
					break
				}
			}
			if id == "" {
				t.Fatalf("no trace crossing services among:\n%s", found)
			}
			m := e2eAcross.FindStringSubmatch(title)
			if m == nil {
				t.Fatalf("trace title: %q", title)
			}
			rows := e2eRow.FindAllStringSubmatch(out, -1)
			if len(rows) < 2 || !strings.Contains(out, rows[0][2]+" +0.000s ") {
				t.Fatalf("trace rows:\n%s", out)
			}

			// Paging one line at a time through the printed cursors: the same
			// lines, in the same order.
			page := mustCall(t, c, "query_logs", map[string]any{"trace_id": id, "limit": 1})
			var paged []string
			for i := 0; ; i++ {
				for _, r := range e2eRow.FindAllStringSubmatch(page, -1) {
					paged = append(paged, r[3])
				}
				next := e2eCursor.FindStringSubmatch(page)
				if next == nil || i > len(rows) {
					break
				}
				page = mustCall(t, c, "query_logs", map[string]any{"cursor": next[1]})
			}
			if len(paged) != len(rows) {
				t.Fatalf("paged %d lines, the trace has %d", len(paged), len(rows))
			}
			for i, r := range rows {
				if paged[i] != r[3] {
					t.Errorf("paged line %d is %s, want %s", i, paged[i], r[3])
				}
			}

			// The lines around the trace's first line, then the earlier ones.
			// (The sandbox's clock is real: a recent line may have no later
			// neighbour yet, so only the counts asked for are upper bounds.)
			last := rows[0]
			around := mustCall(t, c, "query_logs", map[string]any{"around": map[string]any{"uuid": last[3], "timestamp": last[2], "before": 3, "after": 3}})
			marked := 0
			for _, r := range e2eRow.FindAllStringSubmatch(around, -1) {
				if r[1] != "" {
					marked++
					if r[3] != last[3] {
						t.Errorf("marked line %s, want %s", r[3], last[3])
					}
				}
			}
			if n := len(e2eRow.FindAllString(around, -1)); marked != 1 || n < 4 || n > 7 || !strings.Contains(around, " · 3 before, ") {
				t.Fatalf("around:\n%s", around)
			}
			earlier := e2eEarlier.FindStringSubmatch(around)
			if earlier == nil {
				t.Fatalf("no earlier-lines call:\n%s", around)
			}
			var args map[string]any
			if err := json.Unmarshal([]byte(earlier[1]), &args); err != nil {
				t.Fatal(err)
			}
			if more := mustCall(t, c, "query_logs", args); len(e2eRow.FindAllString(more, -1)) == 0 {
				t.Errorf("earlier lines call returned no line:\n%s", more)
			}
			if next := e2eCursor.FindStringSubmatch(around); next != nil {
				mustCall(t, c, "query_logs", map[string]any{"cursor": next[1]})
			}
		})
	}
}

// progressRecorder collects the progress notifications of one token.
type progressRecorder struct {
	mu    sync.Mutex
	token string
	got   []map[string]any
	first chan struct{}
}

func recordProgress(c *mcpclient.Client, token string) *progressRecorder {
	p := &progressRecorder{token: token, first: make(chan struct{})}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != "notifications/progress" || n.Params.AdditionalFields["progressToken"] != token {
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.got = append(p.got, n.Params.AdditionalFields)
		if len(p.got) == 1 {
			close(p.first)
		}
	})
	return p
}

func (p *progressRecorder) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

func callWithProgress(ctx context.Context, c *mcpclient.Client, token string, args map[string]any) (string, bool, error) {
	var req mcp.CallToolRequest
	req.Params.Name = "query_logs"
	req.Params.Arguments = args
	req.Params.Meta = &mcp.Meta{ProgressToken: token}
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return "", false, err
	}
	var parts []string
	for _, content := range res.Content {
		if tc, ok := mcp.AsTextContent(content); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n"), res.IsError, nil
}

// TestWatchEndToEnd: a watch over a filter nothing matches ends with "no
// new matching lines", reports progress while it waits, and its printed
// cursor keeps watching when run verbatim.
func TestWatchEndToEnd(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{WatchPoll: 20 * time.Millisecond}, nil)
	for _, version := range []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125} {
		t.Run(version, func(t *testing.T) {
			c := f.connect(t, version, bearer(sandbox.KeyFull))
			defer c.Close()
			progress := recordProgress(c, "watch-1")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			nothing := map[string]any{"services": []string{"no-such-service"}, "wait_seconds": 1}
			out, isErr, err := callWithProgress(ctx, c, "watch-1", nothing)
			if err != nil || isErr || !e2eNoNewLine.MatchString(out) {
				t.Fatalf("watch: err=%v isError=%v\n%s", err, isErr, out)
			}
			if progress.count() == 0 {
				t.Error("no progress notification while waiting")
			}
			next := e2eCursor.FindStringSubmatch(out)
			if next == nil || !strings.Contains(out, "next_cursor keeps watching (1 s") {
				t.Fatalf("no watch cursor:\n%s", out)
			}
			again := mustCall(t, c, "query_logs", map[string]any{"cursor": next[1]})
			if !e2eNoNewLine.MatchString(again) || e2eCursor.FindStringSubmatch(again) == nil {
				t.Errorf("the cursor does not keep watching:\n%s", again)
			}
		})
	}
}

// TestWatchCancellation: cancelling the call ends the watch at once; the
// server polls no more.
func TestWatchCancellation(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{WatchPoll: 20 * time.Millisecond}, nil)
	c := f.connect(t, mcp.ProtocolVersion20251125, bearer(sandbox.KeyFull))
	defer c.Close()
	progress := recordProgress(c, "watch-cancel")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := callWithProgress(ctx, c, "watch-cancel", map[string]any{"services": []string{"no-such-service"}, "wait_seconds": 120})
		done <- err
	}()
	select {
	case <-progress.first:
	case <-time.After(30 * time.Second):
		t.Fatal("no progress from a watch of 120 s")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled watch returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not end on cancellation")
	}
	// The server side stops too: its polls end (the upstream requests of
	// the watch stop growing) well before the 120 s.
	polls := func() int {
		n := 0
		for _, r := range upstreamRequests(f.sb, "/logs/query/") {
			if strings.Contains(string(r.Body), "no-such-service") {
				n++
			}
		}
		return n
	}
	if n := polls(); n < 2 {
		t.Fatalf("%d upstream queries before the cancel: the watch never polled", n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		before := polls()
		polledOn := false
		for range 10 {
			time.Sleep(30 * time.Millisecond) // longer than a poll interval at its start
			if polls() != before {
				polledOn = true
				break
			}
		}
		if !polledOn {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server kept polling after the call was cancelled")
		}
	}
}

// movableClock is a clock a test moves by hand.
type movableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movableClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestWatchSeesSandboxLinesArrive: with the sandbox's clock moved by
// hand, a watch returns the lines that became visible after it started,
// each once, and its printed cursor then returns only the lines of the
// next move.
func TestWatchSeesSandboxLinesArrive(t *testing.T) {
	clk := &movableClock{now: time.Now().UTC().Truncate(time.Hour).Add(40 * time.Minute)}
	sb, err := sandbox.Start(sandbox.Config{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	s := newTestServer(t, sb.URL, tools.Config{Now: clk.Now, WatchPoll: 10 * time.Millisecond}, nil)
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	t.Cleanup(hs.Close)
	f := &httpFixture{sb: sb, server: s, http: hs}
	c := f.connect(t, mcp.ProtocolVersion20251125, bearer(sandbox.KeyFull))
	defer c.Close()

	watch := func(token string, args map[string]any) string {
		t.Helper()
		progress := recordProgress(c, token)
		done := make(chan string, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, isErr, err := callWithProgress(ctx, c, token, args)
			if err != nil || isErr {
				out = "FAILED: " + out
				if err != nil {
					out += err.Error()
				}
			}
			done <- out
		}()
		// Move the clock once the watch has polled and found nothing.
		select {
		case <-progress.first:
		case out := <-done:
			t.Fatalf("the watch returned before anything arrived:\n%s", out)
		case <-time.After(30 * time.Second):
			t.Fatal("no progress from the watch")
		}
		clk.Add(2 * time.Minute)
		return <-done
	}
	first := watch("arrive-1", map[string]any{"wait_seconds": 60, "limit": 1000, "max_body_chars": 20})
	if !regexp.MustCompile(`^\d+ new lines?, earliest first, after `).MatchString(first) {
		t.Fatalf("first watch:\n%s", first)
	}
	rows := e2eRow.FindAllStringSubmatch(first, -1)
	if len(rows) == 0 {
		t.Fatalf("no lines:\n%s", first)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r[3]] {
			t.Errorf("line %s twice", r[3])
		}
		seen[r[3]] = true
	}
	next := e2eCursor.FindStringSubmatch(first)
	if next == nil {
		t.Fatalf("no cursor:\n%s", first)
	}
	// The cursor, verbatim: only lines that arrived after the first answer.
	second := watch("arrive-2", map[string]any{"cursor": next[1]})
	if strings.HasPrefix(second, "FAILED") || strings.Contains(first, "showing ") {
		t.Fatalf("second watch:\n%s", second)
	}
	for _, r := range e2eRow.FindAllStringSubmatch(second, -1) {
		if seen[r[3]] {
			t.Errorf("line %s came again", r[3])
		}
	}
	if len(e2eRow.FindAllString(second, -1)) == 0 {
		t.Errorf("second watch found nothing:\n%s", second)
	}
}
