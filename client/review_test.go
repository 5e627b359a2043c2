package client

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestEnvironmentsPinRevisited: a host that once served logs only under the deprecated
// /api/environments/ alias and later drops it (an upgrade while the server runs) must not
// fail forever: a routing 404 under the pinned alias tries the canonical prefix.
func TestEnvironmentsPinRevisited(t *testing.T) {
	var upgraded atomic.Bool
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		servesProjects := upgraded.Load()
		if strings.HasPrefix(r.URL.Path, "/api/projects/") != servesProjects {
			writeJSON(w, 404, `{"type":"invalid_request","code":"not_found","detail":"Endpoint not found.","attr":null}`)
			return
		}
		writeJSON(w, 200, `{"count": 3}`)
	})
	c, _ := newTestClient(t, srv.URL)
	if n, err := c.Count(context.Background(), testAuth, Filters{}); err != nil || n != 3 {
		t.Fatalf("before the upgrade: %d, %v", n, err)
	}
	if !c.useEnvironments.Load() {
		t.Fatal("the alias was not remembered")
	}
	upgraded.Store(true)
	for i := 0; i < 2; i++ {
		if n, err := c.Count(context.Background(), testAuth, Filters{}); err != nil || n != 3 {
			t.Fatalf("after the upgrade (call %d): %d, %v", i+1, n, err)
		}
	}
	if c.useEnvironments.Load() {
		t.Error("the alias is still pinned although the host now serves /api/projects/")
	}
	var paths []string
	for _, r := range srv.requests() {
		paths = append(paths, r.Path)
	}
	want := []string{
		"/api/projects/42/logs/count/", "/api/environments/42/logs/count/", // probe, pin
		"/api/environments/42/logs/count/", "/api/projects/42/logs/count/", // alias gone: back to projects
		"/api/projects/42/logs/count/",
	}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths\n got %v\nwant %v", paths, want)
	}
}

// TestKeyNotLeakedByTruncation: a server echoing the key at the end of a long detail must
// not leave a prefix of it behind when the detail is cut to its bound.
func TestKeyNotLeakedByTruncation(t *testing.T) {
	key := "custom-key-without-known-prefix-0123456789abcdefghij"
	for pad := maxDetailBytes - 30; pad <= maxDetailBytes; pad += 3 {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			echoed := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			writeJSON(w, 400, `{"type":"validation_error","code":"invalid","detail":"`+strings.Repeat("x", pad)+` `+echoed+`","attr":"`+strings.Repeat("y", 90)+echoed+`"}`)
		})
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Logger = logger })
		_, err := c.Count(context.Background(), Auth{Key: key, ProjectID: 1}, Filters{})
		e := asError(t, err)
		for where, text := range map[string]string{"Error()": e.Error(), "Detail": e.Detail, "Attr": e.Attr, "logs": logs.String()} {
			if strings.Contains(text, key[:12]) {
				t.Fatalf("pad %d: a prefix of the key leaked in %s: %q", pad, where, text)
			}
		}
	}
}

// TestConnectionReusedAfterBodilessSuccess: a 2xx whose body is not decoded (a DELETE
// answered 200 with a body instead of 204) is still read, so the connection is reused.
func TestConnectionReusedAfterBodilessSuccess(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			writeJSON(w, 200, `{"deleted":true,"pad":"`+strings.Repeat("x", 8<<10)+`"}`)
			return
		}
		writeJSON(w, 200, emptyPage())
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, _ := newTestClient(t, srv.URL)
	for i := 0; i < 3; i++ {
		// Not a 204: unproven, but the body is still read so the connection is reused.
		if e := asError(t, c.DeleteView(context.Background(), testAuth, "AbCd1234")); e.Kind != KindOutcomeUnknown {
			t.Fatal(e)
		}
		if _, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 6 sequential calls, want 1 (reused)", n)
	}
}

// TestServerWaitOverflow: absurdly long waits (or "Inf") are capped, not wrapped into a
// negative duration that silently disables the wait and the fail-fast-as-throttled rule.
func TestServerWaitOverflow(t *testing.T) {
	for v, want := range map[string]time.Duration{"99999999999": maxServerWait, "1e12": maxServerWait, "Inf": 0, "+Inf": 0, "NaN": 0} {
		if got := parseRetryAfter(v); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	if got := waitFromDetail("Request was throttled. Expected available in 99999999999999 seconds."); got != maxServerWait {
		t.Errorf("waitFromDetail = %v, want %v", got, maxServerWait)
	}

	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 429, `{"type":"throttled_error","code":"throttled","detail":"Request was throttled. Expected available in 99999999999 seconds.","attr":null}`)
	})
	c, rec := newTestClient(t, srv.URL)
	_, err := c.Count(context.Background(), testAuth, Filters{})
	e := asError(t, err)
	if e.Kind != KindThrottled || e.RetryAfter != maxServerWait || srv.count() != 1 || len(rec.all()) != 0 {
		t.Errorf("got %+v after %d requests and waits %v; want one request failing at once as throttled", e, srv.count(), rec.all())
	}
}

// TestDefaultTransportPoolsForConcurrentCallers: one Client serves many callers; the default
// transport must keep their connections for reuse instead of closing all but GOMAXPROCS+1
// of them. Each round holds every call in the handler until all have arrived, so round one
// needs exactly `callers` connections; round two must reuse them all and open none. (A
// connection is back in the pool before the call that used it returns: the transport
// pools it before the body read reports EOF.) No timing enters the assertion.
func TestDefaultTransportPoolsForConcurrentCallers(t *testing.T) {
	const callers = 32
	var conns atomic.Int32
	var mu sync.Mutex
	arrived, release := 0, make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == callers {
			close(release)
		}
		ch := release
		mu.Unlock()
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
		writeJSON(w, 200, emptyPage())
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(Options{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	round := func() {
		mu.Lock()
		arrived, release = 0, make(chan struct{})
		mu.Unlock()
		var wg sync.WaitGroup
		for g := 0; g < callers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	round()
	if n := conns.Load(); n != callers {
		t.Fatalf("%d connections for %d calls in flight at once, want %d", n, callers, callers)
	}
	round()
	if n := conns.Load(); n != callers {
		t.Errorf("the second round opened %d new connections: the pool did not keep the first round's %d", n-callers, callers)
	}
	c.CloseIdleConnections()
}
