package client

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

const throttledBody = `{"type":"throttled_error","code":"throttled","detail":"Request was throttled. Expected available in 3 seconds.","attr":null}`

func TestThrottleWaits(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		body       string
		check      func(t *testing.T, wait time.Duration)
	}{
		{
			name: "Retry-After header wins", retryAfter: "2", body: throttledBody,
			check: func(t *testing.T, wait time.Duration) {
				if wait != 2*time.Second {
					t.Errorf("wait %v, want 2s from Retry-After", wait)
				}
			},
		},
		{
			name: "seconds from the detail", body: throttledBody,
			check: func(t *testing.T, wait time.Duration) {
				if wait != 3*time.Second {
					t.Errorf("wait %v, want 3s from the detail", wait)
				}
			},
		},
		{
			name: "backoff without hints", body: `{"detail":"slow down"}`,
			check: func(t *testing.T, wait time.Duration) {
				// RetryWaitMin is 1ms in tests: the first backoff is within [0.5ms, 1ms].
				if wait < 500*time.Microsecond || wait > time.Millisecond {
					t.Errorf("wait %v outside the first backoff step", wait)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					writeJSON(w, 429, tt.body)
					return
				}
				writeJSON(w, 200, emptyPage())
			})
			c, rec := newTestClient(t, srv.URL)
			if _, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{}); err != nil {
				t.Fatalf("QueryLogs: %v", err)
			}
			if srv.count() != 2 {
				t.Fatalf("%d requests, want 2", srv.count())
			}
			waits := rec.all()
			if len(waits) != 1 {
				t.Fatalf("waits %v, want one", waits)
			}
			tt.check(t, waits[0])
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 503, `{"error":"busy"}`)
	})
	c, rec := newTestClient(t, srv.URL, func(o *Options) {
		o.MaxRetries = 5
		o.RetryWaitMin = 10 * time.Millisecond
		o.RetryWaitMax = 40 * time.Millisecond
	})
	c.jitter = func(n int64) int64 { return n - 1 } // the top of each range
	_, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
	e := asError(t, err)
	if e.Kind != KindUpstream || e.Status != 503 || e.Attempts != 6 {
		t.Fatalf("got %+v", e)
	}
	want := []time.Duration{10, 20, 40, 40, 40}
	waits := rec.all()
	if len(waits) != len(want) {
		t.Fatalf("waits %v", waits)
	}
	for i := range want {
		if waits[i] != want[i]*time.Millisecond {
			t.Errorf("wait %d = %v, want %v", i, waits[i], want[i]*time.Millisecond)
		}
	}
}

// TestReplayRules checks which requests are resent after which failures.
func TestReplayRules(t *testing.T) {
	type call func(c *Client) error
	calls := map[string]call{
		"QueryLogs": func(c *Client) error { _, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{}); return err },
		"Services": func(c *Client) error {
			_, err := c.Services(context.Background(), testAuth, ServicesQuery{})
			return err
		},
		"Sparkline": func(c *Client) error {
			_, err := c.Sparkline(context.Background(), testAuth, SparklineQuery{})
			return err
		},
		"Count":     func(c *Client) error { _, err := c.Count(context.Background(), testAuth, Filters{}); return err },
		"ListViews": func(c *Client) error { _, err := c.ListViews(context.Background(), testAuth, 0, 0); return err },
		"GetView":   func(c *Client) error { _, err := c.GetView(context.Background(), testAuth, "AbCd1234"); return err },
		"Attributes": func(c *Client) error {
			_, err := c.Attributes(context.Background(), testAuth, AttributesQuery{})
			return err
		},
		"CreateView": func(c *Client) error {
			_, err := c.CreateView(context.Background(), testAuth, ViewInput{Name: "errors"})
			return err
		},
		"Explain": func(c *Client) error {
			_, err := c.Explain(context.Background(), testAuth, ExplainRequest{UUID: "u", Timestamp: "2026-01-01T00:00:00Z"})
			return err
		},
		"UpdateView": func(c *Client) error {
			pinned := true
			_, err := c.UpdateView(context.Background(), testAuth, "AbCd1234", ViewPatch{Pinned: &pinned})
			return err
		},
		"DeleteView": func(c *Client) error { return c.DeleteView(context.Background(), testAuth, "AbCd1234") },
	}
	replayable := map[string]bool{"QueryLogs": true, "Services": true, "Sparkline": true, "Count": true,
		"ListViews": true, "GetView": true, "Attributes": true}

	failures := map[string]func(t *testing.T, w http.ResponseWriter){
		"503":   func(t *testing.T, w http.ResponseWriter) { writeJSON(w, 503, `{"error":"busy"}`) },
		"502":   func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(502) },
		"504":   func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(504) },
		"reset": func(t *testing.T, w http.ResponseWriter) { resetConnection(t, w) },
	}
	for failName, fail := range failures {
		for name, do := range calls {
			t.Run(failName+"/"+name, func(t *testing.T) {
				srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { fail(t, w) })
				c, _ := newTestClient(t, srv.URL)
				e := asError(t, do(c))
				want := 1
				if replayable[name] {
					want = 1 + DefaultMaxRetries
				}
				if got := srv.count(); got != want {
					t.Errorf("%s after %s sent %d times, want %d", name, failName, got, want)
				}
				switch name {
				case "CreateView", "UpdateView", "DeleteView":
					// The server may have acted: the write is reported as unproven, never as
					// a plain failure, and never with advice about time ranges.
					if e.Kind != KindOutcomeUnknown || !strings.Contains(e.Detail, "may or may not have been") || strings.Contains(e.Detail, "narrow") {
						t.Errorf("got %+v, want outcome_unknown", e)
					}
				default:
					if e.Kind != KindUpstream {
						t.Errorf("kind %s, want upstream", e.Kind)
					}
				}
			})
		}
	}
}

func TestThrottleRetriedEvenForCreateAndExplain(t *testing.T) {
	for _, name := range []string{"CreateView", "Explain", "DeleteView"} {
		t.Run(name, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					writeJSON(w, 429, `{"detail":"Request was throttled. Expected available in 1 seconds."}`)
					return
				}
				switch name {
				case "CreateView":
					writeJSON(w, 201, `{"id":"x","short_id":"AbCd1234","name":"errors"}`)
				case "Explain":
					writeJSON(w, 200, `{"headline":"h"}`)
				default:
					w.WriteHeader(204)
				}
			})
			c, rec := newTestClient(t, srv.URL)
			var err error
			switch name {
			case "CreateView":
				_, err = c.CreateView(context.Background(), testAuth, ViewInput{Name: "errors"})
			case "Explain":
				_, err = c.Explain(context.Background(), testAuth, ExplainRequest{UUID: "u", Timestamp: "t"})
			default:
				err = c.DeleteView(context.Background(), testAuth, "AbCd1234")
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if srv.count() != 2 || len(rec.all()) != 1 || rec.all()[0] != time.Second {
				t.Errorf("requests %d, waits %v", srv.count(), rec.all())
			}
		})
	}
}

func TestRetrySucceedsAfter503(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= 2 {
					w.Header().Set("Retry-After", "1")
					writeJSON(w, 503, `{"error":"busy"}`)
					return
				}
				if r.Method == "GET" {
					writeJSON(w, 200, `{"results":[{"name":"http.route","propertyFilterType":"log_attribute"}],"count":1}`)
				} else {
					writeJSON(w, 200, emptyPage())
				}
			})
			c, rec := newTestClient(t, srv.URL)
			var err error
			if method == "GET" {
				_, err = c.Attributes(context.Background(), testAuth, AttributesQuery{})
			} else {
				_, err = c.QueryLogs(context.Background(), testAuth, LogsQuery{})
			}
			if err != nil {
				t.Fatal(err)
			}
			if srv.count() != 3 {
				t.Errorf("%d requests, want 3", srv.count())
			}
			for _, w := range rec.all() {
				if w != time.Second {
					t.Errorf("503 Retry-After ignored: waits %v", rec.all())
				}
			}
		})
	}
}

func TestDialFailureRetriedForCreate(t *testing.T) {
	// Nothing listens on the port: the request never left, so even a create may be retried.
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	url := srv.URL
	srv.Close()
	c, rec := newTestClient(t, url)
	_, err := c.CreateView(context.Background(), testAuth, ViewInput{Name: "x"})
	e := asError(t, err)
	if e.Kind != KindUpstream || e.Attempts != 1+DefaultMaxRetries || len(rec.all()) != DefaultMaxRetries {
		t.Errorf("got %+v after waits %v", e, rec.all())
	}
}

func TestBudget(t *testing.T) {
	t.Run("server wait beyond the budget fails at once as throttled", func(t *testing.T) {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Retry-After", "30")
			writeJSON(w, 429, throttledBody)
		})
		c, rec := newTestClient(t, srv.URL, func(o *Options) { o.CallTimeout = 2 * time.Second })
		_, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
		e := asError(t, err)
		if e.Kind != KindThrottled || e.RetryAfter != 30*time.Second || srv.count() != 1 || len(rec.all()) != 0 {
			t.Errorf("got %+v, %d requests, waits %v", e, srv.count(), rec.all())
		}
	})
	t.Run("slow server exhausts the budget", func(t *testing.T) {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		})
		c, _ := newTestClient(t, srv.URL, func(o *Options) {
			o.AttemptTimeout = 60 * time.Millisecond
			o.CallTimeout = 200 * time.Millisecond
			o.MaxRetries = 10
		})
		start := time.Now()
		_, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
		e := asError(t, err)
		if e.Kind != KindTimeout {
			t.Errorf("kind %s, want timeout: %v", e.Kind, e)
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("took %v, budget was 200ms", elapsed)
		}
		if n := srv.count(); n < 2 {
			t.Errorf("attempt timeouts of a read should be retried within the budget; %d requests", n)
		}
		if !strings.Contains(e.Detail, "narrow the time range") && !strings.Contains(e.Detail, "budget") {
			t.Errorf("detail %q", e.Detail)
		}
	})
	t.Run("attempt timeout of explain is not replayed", func(t *testing.T) {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			<-r.Context().Done()
		})
		c, _ := newTestClient(t, srv.URL, func(o *Options) {
			o.AttemptTimeout = 50 * time.Millisecond
			o.CallTimeout = 2 * time.Second
		})
		_, err := c.Explain(context.Background(), testAuth, ExplainRequest{UUID: "u", Timestamp: "t"})
		if e := asError(t, err); e.Kind != KindTimeout || srv.count() != 1 {
			t.Errorf("got %+v after %d requests", e, srv.count())
		}
	})
	t.Run("caller's deadline wins", func(t *testing.T) {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { <-r.Context().Done() })
		c, _ := newTestClient(t, srv.URL)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Count(ctx, testAuth, Filters{})
		if e := asError(t, err); e.Kind != KindTimeout || !strings.Contains(e.Detail, "budget") {
			t.Errorf("got %+v", e)
		}
	})
	t.Run("caller cancels during a wait", func(t *testing.T) {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 503, `{"error":"busy"}`) })
		c, _ := newTestClient(t, srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
		_, err := c.Count(ctx, testAuth, Filters{})
		e := asError(t, err)
		if e.Kind != KindTimeout || !strings.Contains(e.Detail, "canceled") || !strings.Contains(e.Detail, "busy") {
			t.Errorf("got %+v", e)
		}
	})
}

func TestNoRetryFor500AndClientErrors(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 500} {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, status, `{"detail":"A server error occurred."}`)
		})
		c, _ := newTestClient(t, srv.URL)
		_, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
		e := asError(t, err)
		if srv.count() != 1 {
			t.Errorf("status %d sent %d times", status, srv.count())
		}
		if status == 500 && !strings.Contains(e.Detail, "narrow the time range or add filters") {
			t.Errorf("opaque 500 after a query lacks advice: %q", e.Detail)
		}
	}
}

func TestMaxRetriesNegativeDisablesRetries(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 503, `{"error":"busy"}`) })
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.MaxRetries = -1 })
	_, _ = c.Count(context.Background(), testAuth, Filters{})
	if srv.count() != 1 {
		t.Errorf("%d requests", srv.count())
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := map[string]time.Duration{
		"": 0, "5": 5 * time.Second, "0.5": 500 * time.Millisecond, "-1": 0, "abc": 0, "0": 0,
		"99999999": maxServerWait,
		time.Now().Add(time.Hour * 5).UTC().Format(http.TimeFormat): maxServerWait,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	if got := waitFromDetail("Request was throttled. Expected available in 17 seconds."); got != 17*time.Second {
		t.Errorf("detail wait %v", got)
	}
	if got := waitFromDetail("Request was throttled."); got != 0 {
		t.Errorf("detail wait %v", got)
	}
}
