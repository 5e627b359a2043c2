package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind (retry loops, limiter or
// budget waiters, response readers), once the shared sandbox is closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(closingSandbox{m})
}

// closingSandbox runs the tests, then closes the sandbox they shared.
type closingSandbox struct{ m *testing.M }

func (c closingSandbox) Run() int {
	code := c.m.Run()
	if sharedSandbox != nil {
		_ = sharedSandbox.Close()
	}
	return code
}

const goodView = `{"id":"0199","short_id":"AbCd1234","name":"errors","filters":{},"columns":null,"pinned":false}`

// TestWritesNeedProof: a create or update succeeds only when PostHog answers with the view,
// a delete only on 204; anything else is an unproven write that says how to check.
func TestWritesNeedProof(t *testing.T) {
	type write func(c *Client) error
	create := func(c *Client) error {
		_, err := c.CreateView(context.Background(), testAuth, ViewInput{Name: "errors"})
		return err
	}
	update := func(c *Client) error {
		name := "errors"
		_, err := c.UpdateView(context.Background(), testAuth, "AbCd1234", ViewPatch{Name: &name})
		return err
	}
	del := func(c *Client) error { return c.DeleteView(context.Background(), testAuth, "AbCd1234") }
	tests := []struct {
		name   string
		call   write
		status int
		body   string
		ok     bool
		check  string // the advice of an unproven write
	}{
		{"create answered with the view", create, 201, goodView, true, ""},
		{"create answered 200 with the view", create, 200, goodView, true, ""},
		{"create answered garbage", create, 201, `not json`, false, "manage_views list"},
		{"create answered {}", create, 201, `{}`, false, "manage_views list"},
		{"create answered a view without a short id", create, 201, `{"id":"x","short_id":"","name":"errors"}`, false, "manage_views list"},
		{"create answered a view without a name", create, 201, `{"short_id":"AbCd1234","name":""}`, false, "manage_views list"},
		{"create answered a bad short id", create, 201, `{"short_id":"../x","name":"n"}`, false, "manage_views list"},
		{"create answered a list", create, 201, `[` + goodView + `]`, false, "manage_views list"},
		{"create answered nothing", create, 201, ``, false, "manage_views list"},
		{"update answered with the view", update, 200, goodView, true, ""},
		{"update answered another view", update, 200, strings.Replace(goodView, "AbCd1234", "ZzZz9999", 1), false, "manage_views get AbCd1234"},
		{"update answered the wrong shape", update, 200, `{"ok":true}`, false, "manage_views get AbCd1234"},
		{"update answered 500", update, 500, `{"detail":"boom"}`, false, "manage_views get AbCd1234"},
		{"delete answered 204", del, 204, ``, true, ""},
		{"delete answered 200 with garbage", del, 200, `<<garbage>>`, false, "manage_views get AbCd1234"},
		{"delete answered 200 empty", del, 200, ``, false, "manage_views get AbCd1234"},
		{"delete answered 202", del, 202, `{}`, false, "manage_views get AbCd1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tt.body == "" {
					w.WriteHeader(tt.status)
					return
				}
				writeJSON(w, tt.status, tt.body)
			})
			c, _ := newTestClient(t, srv.URL)
			err := tt.call(c)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := asError(t, err)
			if e.Kind != KindOutcomeUnknown || e.Status != tt.status || !strings.Contains(e.Detail, "the outcome is unknown") ||
				!strings.Contains(e.Detail, "may or may not have been") || !strings.Contains(e.Detail, tt.check) || e.NotSent {
				t.Errorf("got %+v", e)
			}
			if srv.count() != 1 {
				t.Errorf("an unproven write was sent %d times", srv.count())
			}
		})
	}
}

// TestWriteTimeoutSaysMaybe: a write that gets no answer in time may have happened; it
// must say so, and must not advise narrowing a time range.
func TestWriteTimeoutSaysMaybe(t *testing.T) {
	release := make(chan struct{})
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.AttemptTimeout = 50 * time.Millisecond })
	_, err := c.CreateView(context.Background(), testAuth, ViewInput{Name: "slow"})
	e := asError(t, err)
	if e.Kind != KindOutcomeUnknown || !strings.Contains(e.Detail, "may or may not have been created") || strings.Contains(e.Detail, "narrow") || srv.count() != 1 {
		t.Errorf("got %+v after %d requests", e, srv.count())
	}
}

// TestGetViewNeedsAView: a read answered by something that is not a view is an upstream
// error, not an empty view.
func TestGetViewNeedsAView(t *testing.T) {
	_, c := serveFixed(t, 200, `{"detail":"ok"}`)
	_, err := c.GetView(context.Background(), testAuth, "AbCd1234")
	if e := asError(t, err); e.Kind != KindUpstream {
		t.Errorf("got %+v", e)
	}
}

// TestRefusalsAreNotSent: everything the client refuses locally says so (NotSent), and
// filter positions use the index base of the filters list.
func TestRefusalsAreNotSent(t *testing.T) {
	srv, c := serveFixed(t, 200, emptyPage())
	ctx := context.Background()
	refusals := map[string]error{
		"no key": func() error { _, err := c.QueryLogs(ctx, Auth{ProjectID: 1}, LogsQuery{}); return err }(),
		"project 0": func() error {
			_, err := c.QueryLogs(ctx, Auth{Key: testKey}, LogsQuery{})
			return err
		}(),
		"invalid regex": func() error {
			_, err := c.QueryLogs(ctx, testAuth, LogsQuery{Filters: Filters{Properties: []PropertyFilter{
				{Key: "message", Type: TypeLog, Operator: "regex", Value: "(("}}}})
			return err
		}(),
		"cohort filter": func() error {
			_, err := c.Count(ctx, testAuth, Filters{Properties: []PropertyFilter{{Key: "id", Type: "cohort", Operator: "exact", Value: "1"}}})
			return err
		}(),
		"bad short id": func() error { _, err := c.GetView(ctx, testAuth, "../x"); return err }(),
	}
	for name, err := range refusals {
		if e := asError(t, err); !e.NotSent || e.Kind != KindValidation {
			t.Errorf("%s: %+v", name, e)
		}
	}
	if e := asError(t, refusals["invalid regex"]); !strings.HasPrefix(e.Detail, `filters[0] ("message")`) {
		t.Errorf("filter position: %q", e.Detail)
	}
	if srv.count() != 0 {
		t.Errorf("%d requests sent", srv.count())
	}
	// What PostHog itself refuses was sent.
	srv, c = serveFixed(t, 400, `{"type":"validation_error","code":"invalid","detail":"bad","attr":null}`)
	_, err := c.QueryLogs(ctx, testAuth, LogsQuery{})
	if e := asError(t, err); e.NotSent || srv.count() != 1 {
		t.Errorf("a server refusal is marked not sent: %+v", e)
	}
}

// TestBufferPoolDropsHugeBuffers: a buffer that held a 30 MB answer is not kept in the pool.
func TestBufferPoolDropsHugeBuffers(t *testing.T) {
	if putBuffer(&bodyBuffer{b: make([]byte, 0, 30<<20)}) {
		t.Error("a 30 MB buffer was pooled")
	}
	if !putBuffer(&bodyBuffer{b: make([]byte, 0, 1<<20)}) {
		t.Error("a 1 MB buffer was not pooled")
	}
}

// bigPage is a valid logs page of about size bytes.
func bigPage(size int) string {
	return `{"results":[{"uuid":"u","body":"` + strings.Repeat("x", size) + `"}],"hasMore":false,"nextCursor":null}`
}

// TestByteBudgetAcrossCalls: concurrent calls whose answers together exceed the budget
// never hold more than the budget at once, all complete, and the budget is given back.
func TestByteBudgetAcrossCalls(t *testing.T) {
	const limit = 1 << 20
	body := bigPage(900 << 10)
	for _, chunked := range []bool{true, false} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", "application/json")
				if !chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				}
				// Trickle the body so that calls overlap.
				for i := 0; i < len(body); i += 64 << 10 {
					_, _ = w.Write([]byte(body[i:min(i+64<<10, len(body))]))
					w.(http.Flusher).Flush()
					time.Sleep(time.Millisecond)
				}
			})
			c, _ := newTestClient(t, srv.URL, func(o *Options) {
				o.MaxResponseBytes = limit
				o.MaxBufferedBytes = 1 // raised to the minimum: 4 MiB of small bodies, one full answer
				o.CallTimeout = 30 * time.Second
				o.AttemptTimeout = 30 * time.Second
			})
			var wg sync.WaitGroup
			for i := 0; i < 12; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			used, peak := c.budget.stats()
			if used != 0 {
				t.Errorf("%d bytes still charged after every call returned", used)
			}
			if peak > c.budget.size() || peak < int64(len(body)) {
				t.Errorf("peak %d bytes held at once, budget %d", peak, c.budget.size())
			}
			for name, part := range map[string]*byteBudget{"small": c.budget.small, "big": c.budget.big} {
				if _, p := part.stats(); p > part.size {
					t.Errorf("%s: peak %d over its %d bytes", name, p, part.size)
				}
			}
			t.Logf("peak %d of %d bytes for 12 answers of %d bytes", peak, c.budget.size(), len(body))
		})
	}
}

// TestByteBudgetBusy: when other calls hold the whole budget past the deadline, a call
// fails as busy (not as PostHog's doing) and succeeds again once the bytes are free.
func TestByteBudgetBusy(t *testing.T) {
	srv, _ := serveFixed(t, 200, bigPage(10<<10))
	c, _ := newTestClient(t, srv.URL, func(o *Options) {
		o.MaxResponseBytes = 1 << 20
		o.AttemptTimeout = 100 * time.Millisecond
		o.MaxRetries = -1
	})
	for _, part := range []*byteBudget{c.budget.small, c.budget.big} {
		if err := part.acquire(context.Background(), part.size); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
	e := asError(t, err)
	if e.Kind != KindBusy || !strings.Contains(e.Detail, "server busy") || e.NotSent {
		t.Errorf("got %+v", e)
	}
	c.budget.small.release(c.budget.small.size)
	c.budget.big.release(c.budget.big.size)
	if _, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{}); err != nil {
		t.Fatal(err)
	}
	if used, _ := c.budget.stats(); used != 0 {
		t.Errorf("%d bytes still charged", used)
	}
}

func TestByteBudgetOrderAndCancel(t *testing.T) {
	b := newByteBudget(10)
	ctx := context.Background()
	if err := b.acquire(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if err := b.acquire(ctx, 11); err == nil {
		t.Error("more than the whole budget was granted")
	}
	// A waiter that gives up leaves the queue; the next one is served.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := b.acquire(short, 5); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- b.acquire(ctx, 4) }()
	b.release(8)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if used, peak := b.stats(); used != 4 || peak != 8 {
		t.Errorf("used %d peak %d", used, peak)
	}
	b.release(4)
}
