package sandbox

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestErrorAnswers checks each error case of the contract: status and body.
func TestErrorAnswers(t *testing.T) {
	srv := shared(t)
	hour := dateRange(-time.Hour, 0)
	someRow := query(t, srv, map[string]any{"dateRange": hour, "limit": 1}).Results[0]
	rowTime := parseRowTime(t, someRow.Timestamp)

	cases := []struct {
		name     string
		method   string
		key      string
		path     string
		body     any
		status   int
		exact    string // the whole body, compared as JSON
		contains string // or a fragment of it
	}{
		{"query without dateRange", "POST", KeyFull, logsPath("query"), q(map[string]any{"limit": 5}), 400,
			"", `"code":"parse_error"`},
		{"services without dateRange", "POST", KeyFull, logsPath("services"), q(map[string]any{}), 400,
			"", `DateRange`},
		{"unknown dateRange key", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": map[string]any{"date_from": "-1h", "from": "x"}}), 400,
			"", `"code":"parse_error"`},
		{"unparseable date", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": map[string]any{"date_from": "yesterday-ish"}}), 400,
			"", `"code":"parse_error"`},
		{"no query", "POST", KeyFull, logsPath("query"), map[string]any{"dateRange": hour}, 400,
			`{"error":"No query provided"}`, ""},
		{"no query on count", "POST", KeyFull, logsPath("count"), "", 400,
			`{"error":"No query provided"}`, ""},
		{"invalid severity is an opaque 500", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": hour, "severityLevels": []string{"warning"}}), 500,
			`{"type":"server_error","code":"error","detail":"A server error occurred.","attr":null}`, ""},
		{"upper-case severity too", "POST", KeyFull, logsPath("sparkline"), q(map[string]any{"severityLevels": []string{"ERROR"}}), 500, "", "server_error"},
		{"unknown filter operator", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": hour, "filterGroup": nested(filter("log_attribute", "a", "similar_to", "b"))}), 500, "", "server_error"},
		{"unknown filter type", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": hour, "filterGroup": nested(filter("event", "a", "exact", "b"))}), 500, "", "server_error"},
		{"unknown log field", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": hour, "filterGroup": nested(filter("log", "service_name", "exact", "b"))}), 400, "", "Unable to resolve field"},
		{"invalid regex", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": hour, "filterGroup": nested(filter("log", "message", "regex", "(unclosed"))}), 400, "", "validation_error"},
		{"undecodable cursor", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": hour, "after": "%%%not-base64"}), 400, "", "cursor"},
		{"cursor of the wrong shape", "POST", KeyFull, logsPath("query"), q(map[string]any{"dateRange": hour, "after": "eyJmb28iOjF9"}), 400, "", "cursor"},
		{"unknown sparkline breakdown", "POST", KeyFull, logsPath("sparkline"), q(map[string]any{"sparklineBreakdownBy": "pod"}), 500, "", "server_error"},
		{"serviceNameSearch too long", "POST", KeyFull, logsPath("services"), q(map[string]any{"dateRange": hour, "serviceNameSearch": strings.Repeat("x", 201)}), 400, "", `"attr":"serviceNameSearch"`},
		{"values without key", "GET", KeyFull, logsPath("values"), nil, 400, `"key is required"`, ""},
		{"attributes with a bad attribute_type", "GET", KeyFull, logsPath("attributes") + "?attribute_type=span", nil, 400, "", "attribute_type"},
		{"attributes with a bad limit", "GET", KeyFull, logsPath("attributes") + "?limit=ten", nil, 400, "", `"attr":"limit"`},
		{"unknown key", "POST", "phx_not_a_real_key", logsPath("query"), q(map[string]any{"dateRange": hour}), 401,
			`{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request Authorization header is invalid.","attr":null}`, ""},
		{"no key", "GET", "", "/api/personal_api_keys/@current/", nil, 401, "", "not_authenticated"},
		{"project 2 holds no logs", "POST", KeyOtherProject, "/api/projects/2/logs/query/", q(map[string]any{"dateRange": hour}), 200, "", `"results":[]`},
		{"read-only key explains", "POST", KeyReadOnly, logsPath("explainLogWithAI"), map[string]any{"uuid": someRow.UUID, "timestamp": someRow.Timestamp}, 403,
			`{"type":"authentication_error","code":"permission_denied","detail":"API key missing required scope 'logs:write'","attr":null}`, ""},
		{"read-only key creates a view", "POST", KeyReadOnly, logsPath("views"), map[string]any{"name": "x"}, 403, "", "logs:write"},
		{"wrong project", "POST", KeyReadOnly, "/api/projects/2/logs/query/", q(map[string]any{"dateRange": hour}), 403,
			`{"type":"authentication_error","code":"permission_denied","detail":"API key does not have access to the requested project: ID 2.","attr":null}`, ""},
		{"other project's key on project 1", "POST", KeyOtherProject, logsPath("query"), q(map[string]any{"dateRange": hour}), 403, "", "ID 1."},
		{"unknown project", "POST", KeyFull, "/api/projects/9/logs/query/", q(map[string]any{"dateRange": hour}), 404,
			`{"type":"invalid_request","code":"not_found","detail":"Project not found.","attr":null}`, ""},
		{"non-numeric project", "GET", KeyFull, "/api/projects/abc/logs/attributes/", nil, 404, "", "Project not found."},
		{"unknown route", "GET", KeyFull, "/api/projects/1/logs/nothing/", nil, 404,
			`{"type":"invalid_request","code":"not_found","detail":"Endpoint not found.","attr":null}`, ""},
		{"unknown route outside logs", "GET", "", "/api/projects/1/insights/", nil, 404, "", "Endpoint not found."},
		{"wrong method", "GET", KeyFull, logsPath("query"), nil, 405, "", "method_not_allowed"},
		{"explain without AI consent", "POST", KeyNoAIConsent, logsPath("explainLogWithAI"), map[string]any{"uuid": someRow.UUID, "timestamp": someRow.Timestamp}, 403,
			`{"type":"authentication_error","code":"permission_denied","detail":"AI data processing must be approved by your organization before using log explanation","attr":null}`, ""},
		{"explain without uuid", "POST", KeyFull, logsPath("explainLogWithAI"), map[string]any{"timestamp": someRow.Timestamp}, 400,
			`{"uuid":["This field is required."]}`, ""},
		{"explain unknown uuid", "POST", KeyFull, logsPath("explainLogWithAI"), map[string]any{"uuid": "01a21301-0000-7000-8000-000000000000", "timestamp": someRow.Timestamp}, 404,
			`{"error":"Log not found"}`, ""},
		{"explain timestamp off by more than a second", "POST", KeyFull, logsPath("explainLogWithAI"),
			map[string]any{"uuid": someRow.UUID, "timestamp": rowTime.Add(1100 * time.Millisecond).Format(time.RFC3339Nano)}, 404, `{"error":"Log not found"}`, ""},
		{"explain with an empty body", "POST", KeyFull, logsPath("explainLogWithAI"), "", 400,
			`{"uuid":["This field is required."],"timestamp":["This field is required."]}`, ""},
		{"explain with a bad timestamp", "POST", KeyFull, logsPath("explainLogWithAI"), map[string]any{"uuid": someRow.UUID, "timestamp": "yesterday"}, 400, "", `"timestamp":["Datetime has wrong format.`},
		{"view with an empty body", "POST", KeyFull, logsPath("views"), "", 400, "", `"attr":"name"`},
		{"view without name", "POST", KeyFull, logsPath("views"), map[string]any{"filters": map[string]any{}}, 400,
			`{"type":"validation_error","code":"required","detail":"This field is required.","attr":"name"}`, ""},
		{"view name too long", "POST", KeyFull, logsPath("views"), map[string]any{"name": strings.Repeat("n", 401)}, 400, "", "max_length"},
		{"malformed short_id", "GET", KeyFull, logsPath("views/short"), nil, 404, "", "not_found"},
		{"unknown short_id", "GET", KeyFull, logsPath("views/ZZZZ9999"), nil, 404, "", "not_found"},
		{"body over 1 MiB", "POST", KeyFull, logsPath("query"), `{"query":{"searchTerm":"` + strings.Repeat("a", 1<<20) + `"}}`, 413, "", "payload_too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := call(t, srv, tc.method, tc.key, tc.path, tc.body)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if tc.exact != "" {
				var got, want any
				if err := json.Unmarshal(resp.body, &got); err != nil {
					t.Fatalf("body is not JSON: %s", resp.body)
				}
				json.Unmarshal([]byte(tc.exact), &want)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("body %s, want %s", resp.body, tc.exact)
				}
			}
			if tc.contains != "" && !strings.Contains(string(resp.body), tc.contains) {
				t.Fatalf("body %s does not contain %s", resp.body, tc.contains)
			}
			if resp.status == http.StatusUnauthorized && !strings.HasPrefix(resp.header.Get("WWW-Authenticate"), `Bearer resource_metadata="`) {
				t.Fatalf("401 without WWW-Authenticate: %v", resp.header)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

// TestScopes checks the scope rules: write implies read, "*" and empty
// mean everything, teams restrict projects.
func TestScopes(t *testing.T) {
	tests := []struct {
		scopes []string
		scope  string
		want   bool
	}{
		{[]string{"logs:read"}, "logs:read", true},
		{[]string{"logs:read"}, "logs:write", false},
		{[]string{"logs:write"}, "logs:read", true},
		{[]string{"*"}, "logs:write", true},
		{nil, "logs:write", true},
		{[]string{}, "logs:read", true},
		{[]string{"insight:read"}, "logs:read", false},
		{[]string{"insight:write"}, "logs:read", false},
	}
	for _, tt := range tests {
		if got := (Key{Scopes: tt.scopes}).allows(tt.scope); got != tt.want {
			t.Errorf("scopes %v allows %s = %v, want %v", tt.scopes, tt.scope, got, tt.want)
		}
	}
	if !(Key{}).canAccess(42) || !(Key{Teams: []int64{}}).canAccess(42) || (Key{Teams: []int64{1}}).canAccess(2) {
		t.Error("team rules wrong")
	}
}

// TestAliasesAndSlashes: /api/environments/ serves the logs endpoints, the
// trailing slash is optional, and @current means project 1.
func TestAliasesAndSlashes(t *testing.T) {
	srv := shared(t)
	body := q(map[string]any{"dateRange": dateRange(-time.Hour, 0)})
	for _, path := range []string{"/api/environments/1/logs/count/", "/api/projects/1/logs/count", "/api/projects/@current/logs/count/"} {
		resp := call(t, srv, "POST", KeyFull, path, body)
		if resp.status != http.StatusOK {
			t.Errorf("%s: %d %s", path, resp.status, resp.body)
		}
	}
}

// TestCustomKeys: Config.Keys replaces the demo keys, and a key without
// any logs scope is refused with the contract's message.
func TestCustomKeys(t *testing.T) {
	srv, err := Start(Config{Now: testNow, Lines: 1000, Keys: []Key{
		{Token: "phx_insights_only", Scopes: []string{"insight:read"}, Teams: []int64{1}},
		{Token: "phx_any_project", Scopes: []string{"logs:read"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	body := q(map[string]any{"dateRange": dateRange(-time.Hour, 0)})
	resp := call(t, srv, "POST", "phx_insights_only", logsPath("query"), body)
	want := `{"type":"authentication_error","code":"permission_denied","detail":"API key missing required scope 'logs:read'","attr":null}`
	if resp.status != http.StatusForbidden || string(resp.body) != want {
		t.Fatalf("%d %s", resp.status, resp.body)
	}
	for _, project := range []string{"1", "2"} {
		if resp := call(t, srv, "POST", "phx_any_project", "/api/projects/"+project+"/logs/count/", body); resp.status != http.StatusOK {
			t.Fatalf("project %s: %d %s", project, resp.status, resp.body)
		}
	}
	if resp := call(t, srv, "POST", KeyFull, logsPath("count"), body); resp.status != http.StatusUnauthorized {
		t.Fatalf("demo key still accepted: %d", resp.status)
	}
}
