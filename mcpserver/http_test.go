package mcpserver

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`

func TestCheckListenAddress(t *testing.T) {
	tests := []struct {
		addr      string
		serverKey bool
		wantErr   string
	}{
		{"127.0.0.1:8080", true, ""},
		{"[::1]:8080", true, ""},
		{"localhost:8080", true, ""},
		{"0.0.0.0:8080", true, "refusing to listen"},
		{":8080", true, "refusing to listen"},
		{"10.1.2.3:8080", true, "refusing to listen"},
		{"mcp.example.com:8080", true, "refusing to listen"},
		{"0.0.0.0:8080", false, ""},
		{"8080", false, "invalid listen address"},
	}
	for _, tt := range tests {
		err := CheckListenAddress(tt.addr, tt.serverKey)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckListenAddress(%q, %v) = %v, want %q", tt.addr, tt.serverKey, err, tt.wantErr)
		}
	}
}

// do sends one request to h as if it arrived on the listener at local.
func do(h http.Handler, local string, method, path string, header map[string]string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Host = "127.0.0.1:8080"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	addr, _ := net.ResolveTCPAddr("tcp", local)
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, addr))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHTTPGuards(t *testing.T) {
	upstream, fake := newFakePostHog(t)
	srv := newTestServer(t, upstream.URL, tools.Config{}, func(o *Options) { o.ServerKey = fakeKeyFull })
	h := srv.HTTPHandler(HTTPConfig{Listen: "127.0.0.1:8080", AllowedHosts: []string{"mcp.internal:443"}, MaxBodyBytes: 4096})
	const loopback, lan = "127.0.0.1:8080", "10.0.0.5:8080"
	bearer := func(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for a, b := range m {
			out[a] = b
		}
		return out
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 5000) + `"}}`

	tests := []struct {
		name       string
		local      string
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantInBody string
		wantAuthz  bool // a WWW-Authenticate: Bearer challenge
	}{
		{"healthz", loopback, "GET", "/healthz", nil, "", 200, "ok", false},
		{"metrics", loopback, "GET", "/metrics", nil, "", 200, "posthog_logs_mcp_tool_calls_total", false},
		{"initialize with a key", lan, "POST", "/mcp", bearer(fakeKeyRead), initializeBody, 200, `"serverInfo"`, false},
		{"no key on a non-loopback listener", lan, "POST", "/mcp", nil, initializeBody, 401, "no PostHog API key", true},
		{"no key on loopback uses the server key", loopback, "POST", "/mcp", nil, initializeBody, 200, `"serverInfo"`, false},
		{"malformed authorization", loopback, "POST", "/mcp", map[string]string{"Authorization": "Basic abc"}, initializeBody, 401, "malformed", true},
		{"rejected key", lan, "POST", "/mcp", bearer("phx_not_a_key"), initializeBody, 401, "rejected", true},
		{"project outside the key", lan, "POST", "/mcp", with(bearer(fakeKeyRead), ProjectHeader, "2"), initializeBody, 403, "project 2", false},
		{"project inside the key", lan, "POST", "/mcp", with(bearer(fakeKeyTwoTeams), ProjectHeader, "2"), initializeBody, 200, `"serverInfo"`, false},
		{"malformed project", lan, "POST", "/mcp", with(bearer(fakeKeyRead), ProjectHeader, "-3"), initializeBody, 400, "positive integer", false},
		{"foreign host", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Host", "evil.example:8080"), initializeBody, 403, "Host", false},
		{"foreign host on healthz too", loopback, "GET", "/healthz", map[string]string{"Host": "evil.example"}, "", 403, "Host", false},
		{"allowed host", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Host", "mcp.internal"), initializeBody, 200, `"serverInfo"`, false},
		{"localhost host", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Host", "localhost:8080"), initializeBody, 200, `"serverInfo"`, false},
		{"ipv6 loopback host", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Host", "[::1]:8080"), initializeBody, 200, `"serverInfo"`, false},
		{"foreign origin", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Origin", "https://evil.example"), initializeBody, 403, "Origin", false},
		{"origin with a path", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Origin", "http://localhost/x"), initializeBody, 403, "Origin", false},
		{"null origin", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Origin", "null"), initializeBody, 403, "Origin", false},
		{"localhost origin", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Origin", "http://localhost:6274"), initializeBody, 200, `"serverInfo"`, false},
		{"allowed origin", loopback, "POST", "/mcp", with(bearer(fakeKeyRead), "Origin", "https://mcp.internal"), initializeBody, 200, `"serverInfo"`, false},
		{"body over the limit", loopback, "POST", "/mcp", bearer(fakeKeyRead), big, 413, "larger than 4096", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(h, tt.local, tt.method, tt.path, tt.header, tt.body)
			body := w.Body.String()
			if w.Code != tt.wantStatus || !strings.Contains(body, tt.wantInBody) {
				t.Fatalf("status %d body %q; want %d containing %q", w.Code, body, tt.wantStatus, tt.wantInBody)
			}
			if got := strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer"); got != tt.wantAuthz {
				t.Fatalf("WWW-Authenticate %q", w.Header().Get("WWW-Authenticate"))
			}
			if w.Code >= 400 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("error with Content-Type %q", w.Header().Get("Content-Type"))
			}
			if w.Code >= 400 && !json.Valid([]byte(body)) {
				t.Fatalf("error body is not JSON: %q", body)
			}
			for _, k := range []string{fakeKeyFull, fakeKeyRead, "phx_not_a_key"} {
				if strings.Contains(body, k) {
					t.Fatalf("response leaks a key: %q", body)
				}
			}
		})
	}
	if fake.count(fakeKeyFull) != 1 {
		t.Errorf("the server key was introspected %d times, want 1 (loopback fallback, cached)", fake.count(fakeKeyFull))
	}
}

func TestHTTPBodyLimitWithoutContentLength(t *testing.T) {
	upstream, _ := newFakePostHog(t)
	srv := newTestServer(t, upstream.URL, tools.Config{}, nil)
	ts := httptest.NewServer(srv.HTTPHandler(HTTPConfig{}))
	defer ts.Close()
	// A chunked body has no Content-Length: the limit must still hold.
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"`))
		chunk := []byte(strings.Repeat("y", 64<<10))
		for range (DefaultMaxBodyBytes / len(chunk)) + 2 {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("POST", ts.URL+"/mcp", pr)
	req.Header.Set("Authorization", "Bearer "+fakeKeyRead)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	_ = pr.Close()
}

// TestServerKeyOnlyForLoopbackNames: the server's own key serves requests
// without a key only when they are addressed to localhost. With
// --allowed-hosts "*" the Host check lets a DNS-rebound page through
// (Host: attacker.example, resolved to 127.0.0.1): it must not get to act
// with the server's key. Nor may a reverse proxy on the same machine hand
// it to whoever reaches the proxy.
func TestServerKeyOnlyForLoopbackNames(t *testing.T) {
	upstream, _ := newFakePostHog(t)
	srv := newTestServer(t, upstream.URL, tools.Config{}, func(o *Options) { o.ServerKey = fakeKeyFull })
	h := srv.HTTPHandler(HTTPConfig{Listen: "127.0.0.1:8080", AllowedHosts: []string{"*"}})
	const loopback = "127.0.0.1:8080"
	tests := []struct {
		name       string
		header     map[string]string
		wantStatus int
	}{
		{"localhost", map[string]string{"Host": "localhost:8080"}, 200},
		{"127.0.0.1", map[string]string{"Host": "127.0.0.1:8080"}, 200},
		{"[::1]", map[string]string{"Host": "[::1]:8080"}, 200},
		{"localhost with a localhost origin", map[string]string{"Host": "localhost:8080", "Origin": "http://localhost:6274"}, 200},
		{"DNS rebinding", map[string]string{"Host": "attacker.example:8080", "Origin": "http://attacker.example:8080"}, 401},
		{"DNS rebinding without origin", map[string]string{"Host": "attacker.example:8080"}, 401},
		{"foreign origin", map[string]string{"Host": "localhost:8080", "Origin": "https://attacker.example"}, 401},
		{"proxied name", map[string]string{"Host": "mcp.company.example"}, 401},
		{"proxied name with its own key", map[string]string{"Host": "mcp.company.example", "Authorization": "Bearer " + fakeKeyRead}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(h, loopback, "POST", "/mcp", tt.header, initializeBody)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body.String(), tt.wantStatus)
			}
		})
	}
}
