package mcpserver

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

func toolCallBody(id string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"list_services","arguments":{}}}`
}

// startBlockedCalls starts n tool calls that PostHog holds, waits until
// all reached it, and returns a channel of their response bodies.
func startBlockedCalls(t *testing.T, url string, ph *blockingPostHog, n int) <-chan string {
	t.Helper()
	out := make(chan string, n)
	for i := range n {
		go func() {
			_, body := postMCP(t, url, "phx_caller_key", toolCallBody(string(rune('1'+i))))
			out <- body
		}()
	}
	for range n {
		select {
		case <-ph.started:
		case <-time.After(10 * time.Second):
			t.Fatal("a call never reached PostHog")
		}
	}
	return out
}

// TestCallsBeyondTheBoundAreRateLimited: with every slot taken, a call
// waits briefly, then gets RATE_LIMITED as an isError result; the calls
// holding the slots are unaffected and the slots come back.
func TestCallsBeyondTheBoundAreRateLimited(t *testing.T) {
	upstream, ph := newBlockingPostHog(t)
	s := newTestServer(t, upstream.URL, tools.Config{}, func(o *Options) {
		o.MaxConcurrentCalls = 2
		o.CallQueueWait = 50 * time.Millisecond
	})
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	defer hs.Close()

	held := startBlockedCalls(t, hs.URL, ph, 2)
	code, body := postMCP(t, hs.URL, "phx_caller_key", toolCallBody("9"))
	if code != http.StatusOK || !strings.Contains(body, `"isError":true`) || !strings.Contains(body, busyMessage) {
		t.Fatalf("third call: %d %s; want an isError result %q", code, body, busyMessage)
	}
	ph.unblock()
	for range 2 {
		if body := <-held; strings.Contains(body, "RATE_LIMITED") || !strings.Contains(body, `"result"`) {
			t.Errorf("a call holding a slot got %s", body)
		}
	}
	if n := s.calls.running(); n != 0 {
		t.Fatalf("%d calls still counted as running", n)
	}
	code, body = postMCP(t, hs.URL, "phx_caller_key", toolCallBody("10"))
	if code != http.StatusOK || strings.Contains(body, "RATE_LIMITED") {
		t.Fatalf("after the burst: %d %s", code, body)
	}
}

// TestRunHTTPShutdownGrace: on shutdown a call still running when the
// grace period ends is answered CANCELLED (not a dropped connection), a
// call that ends within it keeps its own answer, and RunHTTP returns nil.
func TestRunHTTPShutdownGrace(t *testing.T) {
	for _, tt := range []struct {
		name       string
		finishCall bool // PostHog answers within the grace period
	}{
		{"call cancelled at the end of the grace period", false},
		{"call finishing within the grace period", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			upstream, ph := newBlockingPostHog(t)
			grace := 300 * time.Millisecond
			if tt.finishCall {
				grace = 20 * time.Second
			}
			s := newTestServer(t, upstream.URL, tools.Config{}, func(o *Options) { o.ShutdownGrace = grace })
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			addr := make(chan net.Addr, 1)
			served := make(chan error, 1)
			go func() {
				served <- s.RunHTTP(ctx, HTTPConfig{Listen: "127.0.0.1:0", OnListen: func(a net.Addr) { addr <- a }})
			}()
			url := "http://" + (<-addr).String()
			held := startBlockedCalls(t, url, ph, 1)
			stop()
			if tt.finishCall {
				time.Sleep(100 * time.Millisecond)
				ph.unblock()
			}
			var body string
			select {
			case body = <-held:
			case <-time.After(15 * time.Second):
				t.Fatal("the running call got no answer")
			}
			cancelled := strings.Contains(body, cancelledMessage) && strings.Contains(body, `"isError":true`)
			if !strings.Contains(body, `"result"`) || cancelled == tt.finishCall {
				t.Fatalf("answer %q; want a result, CANCELLED: %v", body, !tt.finishCall)
			}
			if err := <-served; err != nil {
				t.Fatalf("RunHTTP: %v", err)
			}
		})
	}
}

// TestDrainRefusesNewCalls: once shutdown begins, a new call is answered
// CANCELLED at once instead of starting work the server will not finish.
func TestDrainRefusesNewCalls(t *testing.T) {
	upstream, _ := newBlockingPostHog(t)
	s := newTestServer(t, upstream.URL, tools.Config{}, func(o *Options) { o.ShutdownGrace = time.Millisecond })
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	defer hs.Close()
	s.drain()
	if _, body := postMCP(t, hs.URL, "phx_caller_key", toolCallBody("1")); !strings.Contains(body, cancelledMessage) {
		t.Fatalf("call after shutdown began: %s", body)
	}
}

// TestMemoryIsReleasedAfterABurst: when the last call of a burst ends and
// the heap holds enough garbage, memory goes back to the OS once, not
// after every call, not more often than the interval, and not when there
// is nothing worth reclaiming.
func TestMemoryIsReleasedAfterABurst(t *testing.T) {
	g := newCallGate(4, time.Second)
	var released atomic.Int32
	var reclaimable atomic.Uint64
	reclaimable.Store(1 << 30)
	g.release = func() { released.Add(1) }
	g.reclaimable = reclaimable.Load
	g.releaseDelay, g.releaseEvery = 20*time.Millisecond, time.Hour
	defer g.stopTimers()

	burst := func(n int) {
		var wg sync.WaitGroup
		for range n {
			if !g.acquire(context.Background()) {
				t.Fatal("no slot")
			}
			wg.Go(func() { time.Sleep(5 * time.Millisecond); g.leave() })
		}
		wg.Wait()
	}
	burst(4)
	waitFor(t, func() bool { return released.Load() == 1 }, "a release after the burst")

	// A burst within the interval: no release now, one deferred to the
	// interval's end.
	burst(4)
	time.Sleep(50 * time.Millisecond)
	if n := released.Load(); n != 1 {
		t.Fatalf("%d releases within the interval, want 1", n)
	}
	g.mu.Lock()
	deferred := g.releasing != nil
	g.lastRelease = time.Now().Add(-2 * time.Hour) // the interval is over
	g.mu.Unlock()
	if !deferred {
		t.Fatal("no release deferred to the end of the interval")
	}
	g.stopTimers()
	g.releaseAfterBurst()
	if n := released.Load(); n != 2 {
		t.Fatalf("%d releases at the end of the interval, want 2", n)
	}

	// Nothing worth reclaiming: no forced collection.
	reclaimable.Store(1 << 20)
	g.mu.Lock()
	g.lastRelease = time.Now().Add(-2 * time.Hour)
	g.mu.Unlock()
	burst(2)
	time.Sleep(50 * time.Millisecond)
	if n := released.Load(); n != 2 {
		t.Fatalf("%d releases with nothing to reclaim, want 2", n)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
