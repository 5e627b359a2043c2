package mcpserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// TestIntrospectionConcurrencyIsBounded: callers sending random keys and
// hanging up at once must not make the server open a connection to PostHog
// per key (each introspection outlives the request that asked for it).
func TestIntrospectionConcurrencyIsBounded(t *testing.T) {
	var inflight, peak, total atomic.Int64
	// PostHog holds every check until the callers have given up, so that
	// no slot comes free during the burst (however slowly the callers'
	// goroutines get scheduled).
	hold := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		total.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		select {
		case <-hold:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"detail":"Personal API key found in request Authorization header is invalid."}`))
	}))
	defer upstream.Close()
	s := newTestServer(t, upstream.URL, tools.Config{}, nil)
	r := s.callers

	const keys = 200
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			defer cancel()
			_, _ = r.resolve(ctx, fmt.Sprintf("phx_random_%04d", i), 0, "")
		})
	}
	wg.Wait()
	r.mu.Lock()
	cached := len(r.entries)
	r.mu.Unlock()
	if cached > maxConcurrentIntrospections {
		t.Errorf("%d entries after callers gave up, want at most %d", cached, maxConcurrentIntrospections)
	}
	close(hold)
	deadline := time.Now().Add(10 * time.Second)
	for (inflight.Load() > 0 || len(r.slots) > 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p := peak.Load(); p > maxConcurrentIntrospections {
		t.Fatalf("%d introspections in flight at once (%d in all), want at most %d", p, total.Load(), maxConcurrentIntrospections)
	}

	// Slots are given back: a key that works is still served.
	if _, err := r.resolve(context.Background(), "phx_after", 0, ""); err == nil {
		t.Fatal("want the fake's 401")
	}
}

// TestEvictionKeepsWorkingKeys: a flood of rejected keys fills the cache,
// but what it evicts is those, not the keys in use.
func TestEvictionKeepsWorkingKeys(t *testing.T) {
	r, fake, _ := newResolverForTest(t, 0)
	r.maxKeys = 3
	if _, err := r.resolve(context.Background(), fakeKeyRead, 0, ""); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		_, _ = r.resolve(context.Background(), fmt.Sprintf("phx_random_%02d", i), 0, "")
	}
	if _, err := r.resolve(context.Background(), fakeKeyRead, 0, ""); err != nil {
		t.Fatal(err)
	}
	if n := fake.count(fakeKeyRead); n != 1 {
		t.Fatalf("the working key was introspected %d times: rejected keys evicted it", n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.entries) > 3 {
		t.Fatalf("%d cached keys, want at most 3", len(r.entries))
	}
}

type panickingTransport struct{}

func (panickingTransport) RoundTrip(*http.Request) (*http.Response, error) { panic("transport bug") }

// TestIntrospectionPanicDoesNotCrash: introspection runs on its own
// goroutine, where nothing else would recover a panic: one would end the
// process for every caller.
func TestIntrospectionPanicDoesNotCrash(t *testing.T) {
	cl, err := client.New(client.Options{Host: "http://127.0.0.1:9", MaxRetries: -1, Transport: panickingTransport{}})
	if err != nil {
		t.Fatal(err)
	}
	r := newCallerResolver(cl, 0, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := r.resolve(ctx, fakeKeyRead, 0, "")
	if err != nil || c.Info != nil {
		t.Fatalf("got %+v, %v; want a failed introspection (full catalogue)", c, err)
	}
	if len(r.slots) != 0 {
		t.Fatal("the panicking introspection kept its slot")
	}
}
