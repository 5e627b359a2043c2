package mcpserver

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers (a logger).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveFrom sends one MCP request through the handler as if from addr.
func serveFrom(h http.Handler, addr, key, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	req.Host = "127.0.0.1:8080"
	req.RemoteAddr = addr
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const toolsList = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`

// TestKeyFloodIsBounded: 2,000 requests with random keys from one address,
// while PostHog takes 200 ms per key check, cause a bounded number of
// checks and log lines; a key already known is served from the cache even
// from the flooding address, and a new legitimate key from another address
// gets its first answer without queueing behind the flood.
func TestKeyFloodIsBounded(t *testing.T) {
	url, fake := newFakePostHog(t)
	logs := &syncBuffer{}
	s := newTestServer(t, url.URL, tools.Config{}, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	defer s.callers.events.stop()
	h := s.HTTPHandler(HTTPConfig{Listen: "127.0.0.1:8080"})
	const flooder, other = "10.0.0.66:40000", "10.0.0.7:40000"
	if rec := serveFrom(h, flooder, fakeKeyFull, toolsList); rec.Code != http.StatusOK {
		t.Fatalf("known key before the flood: %d %s", rec.Code, rec.Body)
	}
	fake.mu.Lock()
	fake.delay = 200 * time.Millisecond
	fake.mu.Unlock()

	const keys = 2000
	floodStart := time.Now()
	var next atomic.Int64
	statuses := make(map[int]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := next.Add(1); i <= keys; i = next.Add(1) {
				rec := serveFrom(h, flooder, fmt.Sprintf("phx_flood_%05d", i), toolsList)
				mu.Lock()
				statuses[rec.Code]++
				mu.Unlock()
			}
		})
	}
	// During the flood: the known key, from the flooding address itself,
	// and a new key from elsewhere.
	time.Sleep(50 * time.Millisecond)
	if rec := serveFrom(h, flooder, fakeKeyFull, toolsList); rec.Code != http.StatusOK {
		t.Errorf("known key during the flood: %d %s", rec.Code, rec.Body)
	}
	start := time.Now()
	rec := serveFrom(h, other, fakeKeyRead, toolsList)
	newKey := time.Since(start)
	if rec.Code != http.StatusOK {
		t.Errorf("new key from another address during the flood: %d %s", rec.Code, rec.Body)
	}
	wg.Wait()
	flood := time.Since(floodStart)

	checks := 0
	fake.mu.Lock()
	for auth, n := range fake.hits {
		if strings.HasPrefix(auth, "Bearer phx_flood_") {
			checks += n
		}
	}
	fake.mu.Unlock()
	// The address's burst, then its rate for as long as the flood lasted.
	if allowed := addrCheckBurst + int(flood.Seconds()*addrCheckRate) + 2; checks > allowed {
		t.Errorf("the flood made %d key checks upstream in %s, want at most %d", checks, flood, allowed)
	}
	if statuses[http.StatusTooManyRequests] < keys-checks-10 {
		t.Errorf("answers by status %v, want the refused checks answered 429", statuses)
	}
	if n := fake.count(fakeKeyFull); n != 1 {
		t.Errorf("the known key was checked %d times, want 1 (cached)", n)
	}
	// Not a timing benchmark: before the limits, the new key waited for a
	// free slot behind ~2,000 checks of 200 ms, 32 at a time (~12 s).
	if newKey > 3*time.Second {
		t.Errorf("the new key waited %s for its first answer", newKey)
	}
	s.callers.events.flush()
	lines := strings.Count(logs.String(), "\n")
	if lines > 10 {
		t.Errorf("%d log lines for the flood, want a few:\n%.2000s", lines, logs.String())
	}
	if !strings.Contains(logs.String(), "refused_rate_limited=") {
		t.Errorf("no summary line counting the refused checks:\n%s", logs.String())
	}
}

// TestRejectedKeysAreRemembered: a rejected key retried many times costs
// one check and one log line.
func TestRejectedKeysAreRemembered(t *testing.T) {
	url, fake := newFakePostHog(t)
	logs := &syncBuffer{}
	s := newTestServer(t, url.URL, tools.Config{}, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	defer s.callers.events.stop()
	h := s.HTTPHandler(HTTPConfig{Listen: "127.0.0.1:8080"})
	for range 100 {
		if rec := serveFrom(h, "10.0.0.1:1", "phx_bad_key", toolsList); rec.Code != http.StatusUnauthorized {
			t.Fatalf("bad key: %d %s", rec.Code, rec.Body)
		}
	}
	if n := fake.count("phx_bad_key"); n != 1 {
		t.Errorf("a rejected key was checked %d times, want 1", n)
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 {
		t.Errorf("%d log lines, want 1:\n%s", n, logs.String())
	}
}

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var b tokenBucket
	for i := range 3 {
		if ok, _ := b.take(t0, 3, 1); !ok {
			t.Fatalf("token %d of the burst refused", i)
		}
	}
	ok, wait := b.take(t0, 3, 1)
	if ok || wait != time.Second {
		t.Fatalf("after the burst: ok %v, wait %s; want refused, 1s", ok, wait)
	}
	if ok, _ := b.take(t0.Add(1500*time.Millisecond), 3, 1); !ok {
		t.Fatal("refused after refilling")
	}
	if ok, _ := b.take(t0.Add(1500*time.Millisecond), 3, 1); ok {
		t.Fatal("half a token granted")
	}
	// A reading of the clock older than the last one refills nothing, and
	// does not make the next reading refill twice.
	if ok, _ := b.take(t0.Add(1200*time.Millisecond), 3, 1); ok {
		t.Fatal("an older reading refilled the bucket")
	}
	if ok, _ := b.take(t0.Add(1900*time.Millisecond), 3, 1); ok {
		t.Fatal("the refill after an older reading was counted twice")
	}
}

func TestClientAddr(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3:5555":                 "10.1.2.3",
		"[2001:db8:1:2:3:4:5:6]:443":    "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443":    "2001:db8:1:2::/64",
		"not an address":                "not an address",
		"[::ffff:192.0.2.1]:80":         "192.0.2.1",
		"192.0.2.1":                     "192.0.2.1",
		"[2001:db8:1:3:3:4:5:6]:443":    "2001:db8:1:3::/64",
		"[fe80::1%eth0]:443":            "fe80::1%eth0",
		"127.0.0.1:8080":                "127.0.0.1",
		"[::1]:8080":                    "::/64",
		"[2001:db8::]:1":                "2001:db8::/64",
		"[2001:db8:0:0:1::]:1":          "2001:db8::/64",
		"[2001:db8:0:1::]:1":            "2001:db8:0:1::/64",
		"[2001:0db8:0000:0000::1]:8080": "2001:db8::/64",
	} {
		if got := clientAddr(in); got != want {
			t.Errorf("clientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
