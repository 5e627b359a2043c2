package mcpserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// fakeKeys is a minimal PostHog that only knows key introspection, for
// tests of the caller logic that need no log data.
type fakeKeys struct {
	mu    sync.Mutex
	hits  map[string]int // Authorization header → introspection requests
	delay time.Duration
}

func (f *fakeKeys) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits["Bearer "+key]
}

// Keys known to the fake: scopes and teams are in the name's spirit.
const (
	fakeKeyFull     = "phx_fake_full"      // logs:write, teams [1]
	fakeKeyRead     = "phx_fake_read"      // logs:read, teams [1]
	fakeKeyTwoTeams = "phx_fake_two_teams" // logs:read, teams [1, 2]
	fakeKeyAll      = "phx_fake_all"       // *, all teams
	fakeKeyDown     = "phx_fake_down"      // introspection answers 503
)

func newFakePostHog(t *testing.T) (*httptest.Server, *fakeKeys) {
	t.Helper()
	f := &fakeKeys{hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		f.mu.Lock()
		f.hits[auth]++
		delay := f.delay
		f.mu.Unlock()
		time.Sleep(delay)
		if r.URL.Path != "/api/personal_api_keys/@current/" {
			http.Error(w, `{"detail":"Endpoint not found."}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		var body map[string]any
		switch strings.TrimPrefix(auth, "Bearer ") {
		case fakeKeyFull:
			body = map[string]any{"label": "full", "scopes": []string{"logs:write"}, "scoped_teams": []int64{1}}
		case fakeKeyRead:
			body = map[string]any{"label": "read", "scopes": []string{"logs:read"}, "scoped_teams": []int64{1}}
		case fakeKeyTwoTeams:
			body = map[string]any{"label": "two", "scopes": []string{"logs:read"}, "scoped_teams": []int64{1, 2}}
		case fakeKeyAll:
			body = map[string]any{"label": "all", "scopes": []string{"*"}, "scoped_teams": nil}
		case fakeKeyDown:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"down"}`))
			return
		default:
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="x"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request Authorization header is invalid.","attr":null}`))
			return
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv, f
}

// newTestClient returns a client for url that does not wait between retries.
func newTestClient(t testing.TB, url string, metrics *Metrics) *client.Client {
	t.Helper()
	var transport http.RoundTripper
	if metrics != nil {
		transport = metrics.Transport(nil)
	}
	cl, err := client.New(client.Options{Host: url, MaxRetries: -1, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// newTestServer wires a Server for upstream url; edit adjusts the options.
func newTestServer(t testing.TB, url string, tcfg tools.Config, edit func(*Options)) *Server {
	t.Helper()
	metrics := NewMetrics()
	cl := newTestClient(t, url, metrics)
	tcfg.Client = cl
	ts, err := tools.New(tcfg)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Toolset: ts, Client: cl, Version: "test", PinnedProject: tcfg.PinnedProject, Metrics: metrics}
	if edit != nil {
		edit(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
