package client

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSizeCap(t *testing.T) {
	for _, withLength := range []bool{false, true} {
		name := "chunked"
		if withLength {
			name = "content-length"
		}
		t.Run(name, func(t *testing.T) {
			const size = 40 << 20
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", "application/json")
				if withLength {
					w.Header().Set("Content-Length", "41943060")
				}
				_, _ = w.Write([]byte(`{"results":[{"body":"`))
				for written := 0; written < size; written += len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return // the client stopped reading
					}
				}
				_, _ = w.Write([]byte(`"}]}`))
			})
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.MaxResponseBytes = 1 << 20 })
			start := time.Now()
			_, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
			e := asError(t, err)
			if e.Kind != KindTooLarge || e.Status != 200 {
				t.Fatalf("got %+v", e)
			}
			if srv.count() != 1 {
				t.Errorf("too-large response downloaded %d times, want once", srv.count())
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v: the body should not be read to the end", time.Since(start))
			}
		})
	}
}

func TestGarbageJSON(t *testing.T) {
	bodies := []string{`{"results": [`, `not json at all`, `<html>oops</html>`, `{"results": "nope"}`, `[1,2,3]`, ``}
	for _, body := range bodies {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, body) })
		c, _ := newTestClient(t, srv.URL)
		page, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
		e := asError(t, err)
		if page != nil || e.Kind != KindUpstream || e.Status != 200 || srv.count() != 1 {
			t.Errorf("body %q: page %v, err %+v, %d requests", body, page, e, srv.count())
		}
		if strings.Contains(e.Detail, "<html>") {
			t.Errorf("detail echoes HTML: %q", e.Detail)
		}
	}
}

func TestEnvironmentsFallback(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasPrefix(r.URL.Path, "/api/projects/") {
			writeJSON(w, 404, `{"type":"invalid_request","code":"not_found","detail":"Endpoint not found.","attr":null}`)
			return
		}
		writeJSON(w, 200, `{"count": 7}`)
	})
	c, rec := newTestClient(t, srv.URL)
	for i := 0; i < 2; i++ {
		n, err := c.Count(context.Background(), testAuth, Filters{})
		if err != nil || n != 7 {
			t.Fatalf("Count = %d, %v", n, err)
		}
	}
	paths := []string{}
	for _, r := range srv.requests() {
		paths = append(paths, r.Path)
	}
	want := []string{"/api/projects/42/logs/count/", "/api/environments/42/logs/count/", "/api/environments/42/logs/count/"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths %v, want %v (fallback remembered)", paths, want)
	}
	if len(rec.all()) != 0 {
		t.Errorf("fallback should not wait: %v", rec.all())
	}
}

func TestProjectNotFoundIsNotAFallback(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 404, `{"type":"invalid_request","code":"not_found","detail":"Project not found.","attr":null}`)
	})
	c, _ := newTestClient(t, srv.URL)
	_, err := c.Count(context.Background(), testAuth, Filters{})
	if e := asError(t, err); e.Kind != KindNotFound || srv.count() != 1 || e.Path != "/api/projects/42/logs/count/" {
		t.Errorf("got %+v after %d requests", e, srv.count())
	}
}

func TestFallbackNotPinnedWhenNeitherPrefixExists(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 404, `{"detail":"Endpoint not found."}`)
	})
	c, _ := newTestClient(t, srv.URL)
	_, err := c.Count(context.Background(), testAuth, Filters{})
	if e := asError(t, err); e.Kind != KindNotFound || srv.count() != 2 {
		t.Errorf("got %+v after %d requests", e, srv.count())
	}
	if c.useEnvironments.Load() {
		t.Error("the environments alias was pinned although it does not exist either")
	}
}

func TestHosts(t *testing.T) {
	tests := []struct {
		host, base string
		ok         bool
	}{
		{"", USHost, true},
		{"us", USHost, true},
		{"EU", EUHost, true},
		{"https://posthog.example.com/", "https://posthog.example.com", true},
		{"https://example.com/posthog/", "https://example.com/posthog", true},
		{"http://localhost:8000", "http://localhost:8000", true},
		{"http://127.0.0.1:8000", "http://127.0.0.1:8000", true},
		{"http://[::1]:8000", "http://[::1]:8000", true},
		{"http://posthog.example.com", "", false},
		{"http://10.0.0.1", "", false},
		{"http://127.0.0.1.nip.io", "", false},
		{"ftp://example.com", "", false},
		{"https://user:pass@example.com", "", false},
		{"https://example.com/?x=1", "", false},
		{"eu.posthog.com", "https://eu.posthog.com", true},
		{" posthog.example.com/ ", "https://posthog.example.com", true},
		{"posthog.example.com:8443/prefix", "https://posthog.example.com:8443/prefix", true},
		{"localhost:8000", "https://localhost:8000", true},
		{"http:/example.com", "", false},
		{"not a host", "", false},
		{"example.com?x=1", "", false},
		{"user@example.com", "", false},
	}
	for _, tt := range tests {
		c, err := New(Options{Host: tt.host})
		if (err == nil) != tt.ok {
			t.Errorf("host %q: err %v, want ok=%v", tt.host, err, tt.ok)
			continue
		}
		if tt.ok && c.BaseURL() != tt.base {
			t.Errorf("host %q: base %q, want %q", tt.host, c.BaseURL(), tt.base)
		}
	}
}

func TestShortIDRejectedBeforeSending(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, `{}`) })
	c, _ := newTestClient(t, srv.URL)
	name := "x"
	for _, id := range []string{"../x", "a?b=c", "AbCd123", "AbCd12345", "AbCd/234", "AbCd%234", "", "ÄbCd1234"} {
		_, errGet := c.GetView(context.Background(), testAuth, id)
		_, errPatch := c.UpdateView(context.Background(), testAuth, id, ViewPatch{Name: &name})
		errDelete := c.DeleteView(context.Background(), testAuth, id)
		for _, err := range []error{errGet, errPatch, errDelete} {
			if e := asError(t, err); e.Kind != KindValidation {
				t.Errorf("id %q: %+v", id, e)
			}
		}
	}
	if srv.count() != 0 {
		t.Errorf("%d requests were sent for invalid ids", srv.count())
	}
	if !ValidShortID("AbCd1234") {
		t.Error("a valid id was refused")
	}
}

func TestRequestValidationBeforeSending(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, emptyPage()) })
	c, _ := newTestClient(t, srv.URL)
	ctx := context.Background()
	bad := []error{
		func() error { _, err := c.QueryLogs(ctx, Auth{Key: "", ProjectID: 1}, LogsQuery{}); return err }(),
		func() error {
			_, err := c.QueryLogs(ctx, Auth{Key: "phx_a\r\nX-Evil: 1", ProjectID: 1}, LogsQuery{})
			return err
		}(),
		func() error { _, err := c.QueryLogs(ctx, Auth{Key: testKey}, LogsQuery{}); return err }(),
		func() error { _, err := c.QueryLogs(ctx, Auth{Key: testKey, ProjectID: -3}, LogsQuery{}); return err }(),
		func() error { _, err := c.QueryLogs(ctx, testAuth, LogsQuery{Order: "random"}); return err }(),
		func() error { _, err := c.QueryLogs(ctx, testAuth, LogsQuery{Limit: -1}); return err }(),
		func() error {
			_, err := c.QueryLogs(ctx, testAuth, LogsQuery{Filters: Filters{Severities: []string{"loud"}}})
			return err
		}(),
		func() error {
			now := time.Now()
			_, err := c.QueryLogs(ctx, testAuth, LogsQuery{Filters: Filters{From: now, To: now.Add(-time.Hour)}})
			return err
		}(),
		func() error {
			_, err := c.Sparkline(ctx, testAuth, SparklineQuery{BreakdownBy: "host"})
			return err
		}(),
		func() error {
			_, err := c.Services(ctx, testAuth, ServicesQuery{NameSearch: strings.Repeat("a", 201)})
			return err
		}(),
		func() error { _, err := c.Values(ctx, testAuth, ValuesQuery{}); return err }(),
		func() error { _, err := c.Explain(ctx, testAuth, ExplainRequest{UUID: "u"}); return err }(),
		func() error { _, err := c.CreateView(ctx, testAuth, ViewInput{Name: " "}); return err }(),
		func() error {
			_, err := c.CreateView(ctx, testAuth, ViewInput{Name: strings.Repeat("n", 401)})
			return err
		}(),
		func() error {
			_, err := c.CreateView(ctx, testAuth, ViewInput{Name: "n", Filters: ViewFilters{FilterGroup: []byte("{")}})
			return err
		}(),
		func() error { _, err := c.UpdateView(ctx, testAuth, "AbCd1234", ViewPatch{}); return err }(),
		func() error { _, err := c.ListViews(ctx, testAuth, -1, 0); return err }(),
		func() error {
			_, err := c.QueryLogs(ctx, testAuth, LogsQuery{Filters: Filters{Properties: []PropertyFilter{
				{Key: "k", Type: "log_attribute", Operator: "is_set", Value: "x"}}}})
			return err
		}(),
	}
	for i, err := range bad {
		if e := asError(t, err); e.Kind != KindValidation || e.Status != 0 {
			t.Errorf("case %d: %+v", i, e)
		}
	}
	if srv.count() != 0 {
		t.Errorf("%d invalid requests were sent", srv.count())
	}
}

func TestNoCookieJar(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s3cr3t", Path: "/"})
		writeJSON(w, 200, emptyPage())
	})
	c, _ := newTestClient(t, srv.URL)
	for i := 0; i < 2; i++ {
		if _, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range srv.requests() {
		if r.Header.Get("Cookie") != "" {
			t.Errorf("cookie sent back: %q", r.Header.Get("Cookie"))
		}
	}
}

func TestHeaders(t *testing.T) {
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, emptyPage()) })
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.UserAgent = "posthog-logs-mcp/1.2.3" })
	if _, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{}); err != nil {
		t.Fatal(err)
	}
	other := Auth{Key: "phx_other_key_for_another_caller", ProjectID: 7}
	if _, err := c.QueryLogs(context.Background(), other, LogsQuery{}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if got := reqs[0].Header.Get("User-Agent"); got != "posthog-logs-mcp/1.2.3" {
		t.Errorf("User-Agent %q", got)
	}
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization %q", got)
	}
	if got := reqs[1].Header.Get("Authorization"); got != "Bearer "+other.Key || reqs[1].Path != "/api/projects/7/logs/query/" {
		t.Errorf("per-call auth not used: %q %s", got, reqs[1].Path)
	}
	if got := reqs[0].Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}

	d, _ := New(Options{Host: srv.URL})
	if _, err := d.QueryLogs(context.Background(), testAuth, LogsQuery{}); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[2].Header.Get("User-Agent"); got != DefaultUserAgent {
		t.Errorf("default User-Agent %q", got)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	target := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, emptyPage()) })
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusFound)
	})
	c, _ := newTestClient(t, srv.URL)
	_, err := c.QueryLogs(context.Background(), testAuth, LogsQuery{})
	if e := asError(t, err); e.Kind != KindUpstream || e.Status != 302 || !strings.Contains(e.Detail, "redirect") {
		t.Errorf("got %+v", e)
	}
	if target.count() != 0 {
		t.Error("the key followed a redirect")
	}
}

// TestKeyNeverLeaks makes the server echo the key everywhere and checks errors and logs.
func TestKeyNeverLeaks(t *testing.T) {
	keys := []string{testKey, "custom-key-without-known-prefix-9876"}
	for _, key := range keys {
		srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			auth := r.Header.Get("Authorization")
			switch n {
			case 1:
				writeJSON(w, 503, `{"error":"backend saw `+auth+`"}`)
			case 2:
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(502)
				_, _ = w.Write([]byte("proxy rejected " + auth))
			default:
				writeJSON(w, 401, `{"type":"authentication_error","code":"authentication_failed","detail":"Key `+strings.TrimPrefix(auth, "Bearer ")+` is invalid.","attr":"`+auth+`"}`)
			}
		})
		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Logger = logger })
		_, err := c.QueryLogs(context.Background(), Auth{Key: key, ProjectID: 1}, LogsQuery{})
		e := asError(t, err)
		if e.Kind != KindAuth {
			t.Errorf("kind %s", e.Kind)
		}
		for where, text := range map[string]string{"Error()": err.Error(), "Detail": e.Detail, "Attr": e.Attr, "logs": logs.String()} {
			if strings.Contains(text, key) {
				t.Errorf("key %q leaked in %s: %s", key, where, text)
			}
		}
		if logs.Len() == 0 {
			t.Error("the debug logger recorded nothing; the test would prove nothing")
		}
	}
}
