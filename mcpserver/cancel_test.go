package mcpserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// blockingPostHog answers introspection (logs:read, project 1) and holds
// every other request until unblock.
type blockingPostHog struct {
	started chan struct{}
	mu      sync.Mutex
	release chan struct{}
}

func newBlockingPostHog(t *testing.T) (*httptest.Server, *blockingPostHog) {
	t.Helper()
	b := &blockingPostHog{started: make(chan struct{}, 64), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/personal_api_keys/@current/" {
			_ = json.NewEncoder(w).Encode(map[string]any{"label": "k", "scopes": []string{"logs:read"}, "scoped_teams": []int64{1}})
			return
		}
		b.mu.Lock()
		release := b.release
		b.mu.Unlock()
		select {
		case <-release:
		default:
			b.started <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		http.Error(w, `{"detail":"Endpoint not found."}`, http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(b.unblock)
	return srv, b
}

// unblock lets held and later requests through, until block.
func (b *blockingPostHog) unblock() {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.release:
	default:
		close(b.release)
	}
}

// block holds the requests that arrive from now on.
func (b *blockingPostHog) block() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.release = make(chan struct{})
}

func postMCP(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCancellationCannotCrossCallers: over stateless HTTP every request
// has the same (empty) session id, so mcp-go alone would let any caller
// cancel another caller's in-flight request by naming its JSON-RPC id
// (small sequential integers). A cancellation reaches only the same key's
// requests.
func TestCancellationCannotCrossCallers(t *testing.T) {
	upstream, ph := newBlockingPostHog(t)
	s := newTestServer(t, upstream.URL, tools.Config{}, nil)
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	defer hs.Close()
	const victim, other = "phx_victim_key", "phx_other_key"

	// startCall starts a slow tool call; the channel closes when it answers.
	startCall := func(key string, id int) <-chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			postMCP(t, hs.URL, key, `{"jsonrpc":"2.0","id":`+string(rune('0'+id))+`,"method":"tools/call","params":{"name":"list_services","arguments":{}}}`)
		}()
		select {
		case <-ph.started:
		case <-time.After(10 * time.Second):
			t.Fatal("the call never reached PostHog")
		}
		return done
	}
	cancel := func(key string, id int) {
		code, body := postMCP(t, hs.URL, key, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":`+string(rune('0'+id))+`}}`)
		if code != http.StatusAccepted {
			t.Fatalf("cancellation: %d %s", code, body)
		}
	}

	done := startCall(victim, 7)
	cancel(other, 7)
	select {
	case <-done:
		t.Fatal("another key's notifications/cancelled ended the victim's call")
	case <-time.After(200 * time.Millisecond):
	}
	ph.unblock()
	<-done

	// A caller may still cancel its own request.
	ph.block()
	done = startCall(victim, 8)
	cancel(victim, 8)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a caller's own cancellation did not end its call")
	}
	ph.unblock()
}
