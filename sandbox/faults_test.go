package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	srv := private(t)
	body := q(map[string]any{"dateRange": dateRange(-time.Hour, 0), "limit": 1})
	cases := []struct {
		name  string
		fault Fault
		check func(t *testing.T, resp response)
	}{
		{"throttle", Fault{Kind: FaultThrottle}, func(t *testing.T, resp response) {
			want := `{"type":"throttled_error","code":"throttled","detail":"Request was throttled. Expected available in 1 seconds.","attr":null}`
			if resp.status != 429 || string(resp.body) != want || resp.header.Get("Retry-After") != "" {
				t.Fatalf("%d %v %s", resp.status, resp.header, resp.body)
			}
		}},
		{"throttle with Retry-After", Fault{Kind: FaultThrottleRetryAfter}, func(t *testing.T, resp response) {
			if resp.status != 429 || resp.header.Get("Retry-After") != "1" {
				t.Fatalf("%d %v", resp.status, resp.header)
			}
		}},
		{"unavailable", Fault{Kind: FaultUnavailable}, func(t *testing.T, resp response) {
			var out struct{ Error string }
			if resp.status != 503 || json.Unmarshal(resp.body, &out) != nil || out.Error == "" {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
		}},
		{"bad gateway", Fault{Kind: FaultBadGateway}, func(t *testing.T, resp response) {
			if resp.status != 502 || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/html") || !strings.Contains(string(resp.body), "<html>") {
				t.Fatalf("%d %v %s", resp.status, resp.header, resp.body)
			}
		}},
		{"garbage", Fault{Kind: FaultGarbage}, func(t *testing.T, resp response) {
			if resp.status != 200 || resp.header.Get("Content-Type") != "application/json" || json.Valid(resp.body) {
				t.Fatalf("%d %v %s", resp.status, resp.header, resp.body)
			}
		}},
		{"oversized", Fault{Kind: FaultOversized, Size: 3 << 20}, func(t *testing.T, resp response) {
			if resp.status != 200 || len(resp.body) != 3<<20 || !json.Valid(resp.body) || resp.header.Get("Content-Length") != "3145728" {
				t.Fatalf("%d, %d bytes, valid %v", resp.status, len(resp.body), json.Valid(resp.body))
			}
		}},
		{"slow then normal", Fault{Kind: FaultSlow, Delay: 150 * time.Millisecond}, func(t *testing.T, resp response) {
			if resp.status != 200 || !strings.Contains(string(resp.body), `"results"`) {
				t.Fatalf("%d %s", resp.status, resp.body)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.InjectFault("logs/query/", tc.fault, 1)
			start := time.Now()
			tc.check(t, call(t, srv, "POST", KeyFull, logsPath("query"), body))
			if tc.fault.Kind == FaultSlow && time.Since(start) < tc.fault.Delay {
				t.Fatalf("answered after %s", time.Since(start))
			}
			if resp := call(t, srv, "POST", KeyFull, logsPath("query"), body); resp.status != 200 {
				t.Fatalf("fault outlived its count: %d", resp.status)
			}
		})
	}
}

func TestFaultReset(t *testing.T) {
	srv := private(t)
	srv.InjectFault("", Fault{Kind: FaultReset}, 1)
	req, _ := http.NewRequest("POST", srv.URL+logsPath("count"), strings.NewReader(`{"query":{}}`))
	req.Header.Set("Authorization", "Bearer "+KeyFull)
	resp, err := (&http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer %d, want a broken connection", resp.StatusCode)
	}
	if resp := call(t, srv, "POST", KeyFull, logsPath("count"), q(map[string]any{})); resp.status != 200 {
		t.Fatalf("after the reset: %d", resp.status)
	}
}

// TestFaultSlowRespectsContext: a client giving up ends the wait.
func TestFaultSlowRespectsContext(t *testing.T) {
	srv := private(t)
	srv.InjectFault("logs/count/", Fault{Kind: FaultSlow, Delay: time.Minute}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+logsPath("count"), strings.NewReader(`{"query":{}}`))
	req.Header.Set("Authorization", "Bearer "+KeyFull)
	start := time.Now()
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	// Close must not wait for the minute either.
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on the slow request")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("too slow")
	}
}

func TestFaultMatching(t *testing.T) {
	srv := private(t)
	empty := q(map[string]any{})
	srv.InjectFault("logs/count/", Fault{Kind: FaultUnavailable}, 2)
	srv.InjectFault("", Fault{Kind: FaultThrottle}, 1)

	// The sparkline does not match the first fault, but matches the catch-all.
	if got := call(t, srv, "POST", KeyFull, logsPath("sparkline"), empty).status; got != 429 {
		t.Fatalf("sparkline: %d", got)
	}
	for i := range 2 {
		if got := call(t, srv, "POST", KeyFull, logsPath("count"), empty).status; got != 503 {
			t.Fatalf("count #%d: %d", i, got)
		}
	}
	if got := call(t, srv, "POST", KeyFull, logsPath("count"), empty).status; got != 200 {
		t.Fatalf("count after the faults: %d", got)
	}
	srv.InjectFault("", Fault{Kind: FaultGarbage}, 10)
	srv.ClearFaults()
	if got := call(t, srv, "POST", KeyFull, logsPath("count"), empty).status; got != 200 {
		t.Fatalf("after ClearFaults: %d", got)
	}
}

func TestRequestRecording(t *testing.T) {
	srv := private(t)
	srv.ResetRequests()
	srv.InjectFault("", Fault{Kind: FaultThrottle}, 1)
	call(t, srv, "POST", KeyFull, logsPath("query"), `{"query":{}}`)
	call(t, srv, "GET", KeyReadOnly, logsPath("values")+"?key=http.route&attribute_type=log", nil)
	call(t, srv, "GET", "", "/nowhere", nil)

	got := srv.Requests()
	if len(got) != 3 {
		t.Fatalf("%d requests recorded", len(got))
	}
	first, second := got[0], got[1]
	if first.Method != "POST" || first.Path != "/api/projects/1/logs/query/" || string(first.Body) != `{"query":{}}` || first.Auth != "Bearer "+KeyFull {
		t.Errorf("first %+v", first)
	}
	if second.Query.Get("key") != "http.route" || second.Auth != "Bearer "+KeyReadOnly || len(second.Body) != 0 {
		t.Errorf("second %+v", second)
	}
	got[0].Path = "changed"
	if srv.Requests()[0].Path == "changed" {
		t.Error("Requests returned the internal slice")
	}
	srv.ResetRequests()
	if len(srv.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}

func TestRecorderBound(t *testing.T) {
	s := &Sandbox{}
	req, _ := http.NewRequest("GET", "http://x/a", nil)
	for range 3*maxRecorded + 5 {
		s.recorder.add(req, nil)
	}
	if n := len(s.Requests()); n != maxRecorded {
		t.Fatalf("%d kept", n)
	}
}
