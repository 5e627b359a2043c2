package tools

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// posthogInFront serves the sandbox through a proxy that answers the
// requests override claims in its own way (a 200 that proves nothing).
func posthogInFront(t *testing.T, override func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	target, err := url.Parse(testSandbox(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !override(w, r) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func withClient(t *testing.T, opts client.Options) func(*Config) {
	return func(c *Config) {
		cl, err := client.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		c.Client = cl
	}
}

// checkUnknownOutcome: the write is neither reported done nor failed,
// and the message says how to find out.
func checkUnknownOutcome(t *testing.T, name, msg, check string) {
	t.Helper()
	if !strings.HasPrefix(msg, "UPSTREAM_ERROR: the outcome is unknown") || !strings.Contains(msg, "may or may not have") || !strings.Contains(msg, check) {
		t.Errorf("%s: %s", name, msg)
	}
	for _, wrong := range []string{"created view", "deleted view", "updated view", `{"view":""}`, "Narrow the time range", "date_from"} {
		if strings.Contains(msg, wrong) {
			t.Errorf("%s: says %q: %s", name, wrong, msg)
		}
	}
}

// TestViewWritesWithoutProof: answers that do not prove a write happened
// are reported as an unknown outcome, with the call that shows the truth.
func TestViewWritesWithoutProof(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	created := h.ok(NameManageViews, map[string]any{"action": "create", "name": "victim", "severity": []string{"error"}})
	id := regexp.MustCompile(`view ([A-Za-z0-9]{8}) `).FindStringSubmatch(created)[1]
	getCheck := `manage_views {"action":"get","short_id":"` + id + `"}`

	answers := map[string]func(w http.ResponseWriter){
		"valid JSON of the wrong shape": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id": 7, "ok": true}`))
		},
		"not JSON": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`<<garbage>>`))
		},
	}
	for name, answer := range answers {
		var method string
		host := posthogInFront(t, func(w http.ResponseWriter, r *http.Request) bool {
			if strings.Contains(r.URL.Path, "/logs/views") && r.Method == method {
				answer(w)
				return true
			}
			return false
		})
		hh := newHarness(t, sandbox.KeyFull, withClient(t, client.Options{Host: host}))
		method = http.MethodPost
		checkUnknownOutcome(t, "create, "+name, hh.fail(NameManageViews, map[string]any{"action": "create", "name": "n1"}),
			`manage_views {"action":"list","search":"n1"}`)
		method = http.MethodPatch
		checkUnknownOutcome(t, "update, "+name, hh.fail(NameManageViews, map[string]any{"action": "update", "short_id": id, "name": "n2"}), getCheck)
		method = http.MethodDelete
		checkUnknownOutcome(t, "delete, "+name, hh.fail(NameManageViews, map[string]any{"action": "delete", "short_id": id}), getCheck)
	}
	// Nothing above reached the view.
	if got := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id}); !strings.Contains(got, `"victim"`) {
		t.Errorf("the view changed:\n%s", got)
	}

	// A connection dropped after a write was sent, and a write that
	// takes longer than the client waits: never replayed, never "narrow
	// the time range".
	slow := newHarness(t, sandbox.KeyFull, withClient(t, client.Options{Host: h.sb.URL, AttemptTimeout: 150 * time.Millisecond, CallTimeout: time.Second}))
	slow.sb.InjectFault("/logs/views/"+id+"/", sandbox.Fault{Kind: sandbox.FaultSlow, Delay: time.Second}, 1)
	checkUnknownOutcome(t, "delete, timeout", slow.fail(NameManageViews, map[string]any{"action": "delete", "short_id": id}), getCheck)
	slow.sb.InjectFault("/logs/views/", sandbox.Fault{Kind: sandbox.FaultReset}, 1)
	checkUnknownOutcome(t, "create, connection reset", slow.fail(NameManageViews, map[string]any{"action": "create", "name": "n3"}),
		`manage_views {"action":"list","search":"n3"}`)
	slow.sb.InjectFault("/logs/views/"+id+"/", sandbox.Fault{Kind: sandbox.FaultUnavailable}, 5)
	checkUnknownOutcome(t, "update, 503", slow.fail(NameManageViews, map[string]any{"action": "update", "short_id": id, "pinned": true}), getCheck)
	slow.sb.ClearFaults()
}

// TestViewsRefuseArgumentsTheActionIgnores: like unknown arguments, an
// argument the action would ignore is refused, before anything is sent.
func TestViewsRefuseArgumentsTheActionIgnores(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"action": "list", "short_id": "abcd1234"}, `action "list" does not take short_id; it takes limit, offset, search`},
		{map[string]any{"action": "delete", "short_id": "abcd1234", "name": "x"}, `action "delete" does not take name`},
		{map[string]any{"action": "get", "short_id": "abcd1234", "limit": 5}, `action "get" does not take limit`},
		{map[string]any{"action": "update", "short_id": "abcd1234", "offset": 1}, `action "update" does not take offset`},
		{map[string]any{"action": "create", "name": "x", "limit": 5}, `action "create" does not take limit`},
		{map[string]any{"action": "create", "name": "x", "short_id": "abcd1234"}, "create takes no short_id"},
	} {
		if msg := h.fail(NameManageViews, tc.args); !strings.HasPrefix(msg, "INVALID_ARGUMENT: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %s", tc.args, msg)
		}
	}
	if n := len(h.sb.Requests()); n != 0 {
		t.Errorf("refused calls sent %d requests: %v", n, h.upstreamPaths())
	}
}
