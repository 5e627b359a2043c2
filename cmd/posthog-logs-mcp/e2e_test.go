package main

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// TestEveryToolOverBothTransports drives every tool and every manage_views
// action through mcp-go's client, against the built binary over stdio and
// over Streamable HTTP, on the protocol versions IDE clients speak. Each
// step checks the facts in the output and the request PostHog (the
// sandbox) received.
func TestEveryToolOverBothTransports(t *testing.T) {
	sb := testSandbox(t)
	for _, version := range []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125} {
		t.Run("stdio/"+version, func(t *testing.T) {
			runEveryTool(t, sb, startStdio(t, version, sandboxEnv(t, sandbox.KeyFull)))
		})
		t.Run("http/"+version, func(t *testing.T) {
			_, base := startHTTPBinary(t, environ("POSTHOG_HOST="+sb.URL))
			runEveryTool(t, sb, connectHTTP(t, base, version, sandbox.KeyFull))
		})
	}
}

func connectHTTP(t *testing.T, base, version, key string) *mcpclient.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(base+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + key}))
	if err != nil {
		t.Fatal(err)
	}
	c := mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(version))
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e-http", Version: "1"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatal(err)
	}
	if res.ProtocolVersion != version {
		t.Fatalf("negotiated %s, want %s", res.ProtocolVersion, version)
	}
	return c
}

// upstream is one request the sandbox received on a logs endpoint.
type upstream struct {
	method, path string
	query        url.Values
	body         map[string]any
}

func runEveryTool(t *testing.T, sb *sandbox.Server, c *mcpclient.Client) {
	// call runs one tool and returns its text and the logs requests it sent.
	call := func(name string, args map[string]any) (string, []upstream) {
		t.Helper()
		sb.ResetRequests()
		text, isError, err := callTool(c, name, args)
		if err != nil || isError {
			t.Fatalf("%s %v: %v\n%s", name, args, err, text)
		}
		var sent []upstream
		for _, r := range sb.Requests() {
			if !strings.Contains(r.Path, "/logs/") {
				continue // key introspection
			}
			u := upstream{method: r.Method, path: strings.TrimPrefix(r.Path, "/api/projects/1/"), query: r.Query}
			if len(r.Body) > 0 {
				_ = json.Unmarshal(r.Body, &u.body)
			}
			if r.Auth != "Bearer "+sandbox.KeyFull {
				t.Errorf("%s: upstream request carried another key", name)
			}
			sent = append(sent, u)
		}
		return text, sent
	}
	query := func(u upstream) map[string]any {
		q, _ := u.body["query"].(map[string]any)
		return q
	}
	expect := func(step, text string, sent []upstream, method, path string, facts ...string) {
		t.Helper()
		if len(sent) == 0 || sent[len(sent)-1].method != method || sent[len(sent)-1].path != path {
			t.Errorf("%s: upstream %+v, want %s %s last", step, sent, method, path)
		}
		for _, f := range facts {
			if !strings.Contains(text, f) {
				t.Errorf("%s: output lacks %q:\n%.800s", step, f, text)
			}
		}
	}

	text, sent := call("list_services", map[string]any{"date_from": "-24h"})
	expect("list_services", text, sent, "POST", "logs/services/", "services with logs", "checkout", "payments")
	if dr, _ := query(sent[0])["dateRange"].(map[string]any); dr == nil || !strings.HasSuffix(dr["date_from"].(string), "Z") {
		t.Errorf("list_services sent no absolute dateRange: %+v", sent[0].body)
	}

	text, sent = call("get_sparkline", map[string]any{"date_from": "-6h", "services": []string{"checkout"}})
	expect("get_sparkline", text, sent, "POST", "logs/sparkline/", "log volume by severity", "spike: error")
	if q := query(sent[0]); q["sparklineBreakdownBy"] != "severity" || !strings.Contains(toJSON(q["serviceNames"]), "checkout") {
		t.Errorf("sparkline query: %+v", q)
	}

	text, sent = call("query_logs", map[string]any{"services": []string{"checkout"}, "severity": []string{"ERROR", "critical"}, "date_from": "-6h", "limit": 3})
	expect("query_logs", text, sent, "POST", "logs/query/", "3 logs, latest first", "service.name=checkout", "next_cursor: c")
	if q := query(sent[0]); toJSON(q["severityLevels"]) != `["error","fatal"]` || q["limit"] != 3.0 {
		t.Errorf("query: %+v", q)
	}
	cursor := regexp.MustCompile(`next_cursor: (\S+)`).FindStringSubmatch(text)[1]
	text, sent = call("query_logs", map[string]any{"cursor": cursor})
	expect("query_logs cursor", text, sent, "POST", "logs/query/", "3 logs")
	if q := query(sent[0]); q["after"] == nil || toJSON(q["severityLevels"]) != `["error","fatal"]` {
		t.Errorf("the cursor did not continue the same query: %+v", q)
	}

	text, sent = call("list_attributes", map[string]any{})
	expect("list_attributes", text, sent, "GET", "logs/attributes/", "http.route", "k8s.pod.name")

	text, sent = call("get_attribute_values", map[string]any{"key": "http.route", "services": []string{"checkout"}})
	expect("get_attribute_values", text, sent, "GET", "logs/values/", "http.route (log attribute)", "/api/")
	if q := sent[0].query; q.Get("key") != "http.route" || q.Get("attribute_type") != "log" || !strings.Contains(q.Get("serviceNames"), "checkout") {
		t.Errorf("values query: %v", q)
	}

	text, _ = call("query_logs", map[string]any{"severity": []string{"error"}, "date_from": "-6h", "limit": 1, "format": "json"})
	var page struct {
		Rows []struct {
			UUID      string `json:"uuid"`
			Timestamp string `json:"timestamp"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(text), &page); err != nil || len(page.Rows) != 1 {
		t.Fatalf("json query: %v\n%s", err, text)
	}
	text, sent = call("explain_log", map[string]any{"uuid": page.Rows[0].UUID, "timestamp": page.Rows[0].Timestamp})
	expect("explain_log", text, sent, "POST", "logs/explainLogWithAI/", "(severity: ", "probable causes:")
	if sent[0].body["uuid"] != page.Rows[0].UUID {
		t.Errorf("explain body: %+v", sent[0].body)
	}

	text, sent = call("manage_views", map[string]any{"action": "list"})
	expect("views list", text, sent, "GET", "logs/views/", "saved views", "checkout errors")

	name := "e2e " + c.GetSessionId() + time.Now().Format("150405.000000")
	text, sent = call("manage_views", map[string]any{"action": "create", "name": name, "date_from": "-30m", "severity": []string{"warn"}, "services": []string{"payments"}})
	expect("views create", text, sent, "POST", "logs/views/", "created view")
	if f, _ := sent[0].body["filters"].(map[string]any); sent[0].body["name"] != name || toJSON(f["dateRange"]) != `{"date_from":"-30M"}` {
		t.Errorf("create body: %+v", sent[0].body)
	}
	id := regexp.MustCompile(`view ([A-Za-z0-9]{8}) `).FindStringSubmatch(text)[1]

	text, sent = call("manage_views", map[string]any{"action": "get", "short_id": id})
	expect("views get", text, sent, "GET", "logs/views/"+id+"/", `"date_from":"-30m"`, `"services":["payments"]`)

	text, sent = call("manage_views", map[string]any{"action": "update", "short_id": id, "severity": []string{"error"}})
	expect("views update", text, sent, "PATCH", "logs/views/"+id+"/", `"severity":["error"]`, `"services":["payments"]`)

	text, sent = call("manage_views", map[string]any{"action": "delete", "short_id": id})
	expect("views delete", text, sent, "DELETE", "logs/views/"+id+"/", "deleted view "+id)
	if text, isError, _ := callTool(c, "manage_views", map[string]any{"action": "get", "short_id": id}); !isError || !strings.HasPrefix(text, "NOT_FOUND") {
		t.Errorf("get after delete: %s", text)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
