package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// storedView reads a view as the sandbox stores it, bypassing the tools
// and the client: what PostHog would hold.
func storedView(t *testing.T, h *harness, id string) (name string, filters map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.sb.URL+"/api/projects/1/logs/views/"+id+"/", nil)
	req.Header.Set("Authorization", "Bearer "+sandbox.KeyFull)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Name    string         `json:"name"`
		Filters map[string]any `json:"filters"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stored view %s: %v", id, err)
	}
	return v.Name, v.Filters
}

// storedProps are the stored view's property filters, decoded.
func storedProps(t *testing.T, filters map[string]any) []client.PropertyFilter {
	t.Helper()
	raw, _ := json.Marshal(filters["filterGroup"])
	props, err := client.DecodeFilterGroup(raw)
	if err != nil {
		t.Fatal(err)
	}
	return props
}

// getCalls returns the two calls manage_views get prints: the view's
// lines (query_logs) and its update.
func getCalls(t *testing.T, h *harness, id string) (query, update map[string]any) {
	t.Helper()
	out := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id})
	queries, updates := printedCalls(t, out, NameQueryLogs), printedCalls(t, out, NameManageViews)
	if len(queries) < 1 || len(updates) != 1 {
		t.Fatalf("get prints no ready calls:\n%s", out)
	}
	return queries[0], updates[0]
}

// TestViewsReadModifyWriteParity creates a view, checks what the sandbox
// stored, passes what get printed back to update, and checks the store
// did not move; the view's lines are those of a direct query with the
// same filters.
func TestViewsReadModifyWriteParity(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = 1 << 30 })
	list := h.ok(NameManageViews, map[string]any{"action": "list"})
	if !regexp.MustCompile(`(?m)^\d+ saved views`).MatchString(list) || !strings.Contains(list, "short_id") {
		t.Errorf("list:\n%s", list)
	}
	if rows := regexp.MustCompile(`(?m)^[A-Za-z0-9]{8}  .*  (yes|no)  `).FindAllStringSubmatch(list, -1); len(rows) < 2 || rows[0][1] != "yes" {
		t.Errorf("pinned views come first:\n%s", list)
	}
	if none := h.ok(NameManageViews, map[string]any{"action": "list", "search": "no such view"}); !strings.Contains(none, `No view name contains "no such view"; list without search shows all`) {
		t.Errorf("search without match:\n%s", none)
	}
	created := h.ok(NameManageViews, map[string]any{
		"action": "create", "name": "checkout slow calls", "pinned": true,
		"date_from": "-3h", "severity": []string{"INFO", "warning"}, "services": []string{"checkout"},
		"filters": []map[string]any{
			{"key": "k8s.namespace.name", "value": "shop"},
			{"key": "deployment.environment", "value": "production", "scope": "resource"},
			{"key": "duration_ms", "value": 100, "operator": "gt"},
		},
	})
	id := regexp.MustCompile(`view ([A-Za-z0-9]{8}) `).FindStringSubmatch(created)
	if id == nil {
		t.Fatalf("create:\n%s", created)
	}

	// What PostHog holds: its own grammar (-3h stays -3h, minutes would be
	// M), resource scopes, numbers as numbers.
	_, stored := storedView(t, h, id[1])
	props := storedProps(t, stored)
	wantTypes := map[string]string{"k8s.namespace.name": "log_resource_attribute", "deployment.environment": "log_resource_attribute", "duration_ms": "log_attribute"}
	for _, p := range props {
		if p.Type != wantTypes[p.Key] {
			t.Errorf("stored %s as %s, want %s", p.Key, p.Type, wantTypes[p.Key])
		}
		if p.Key == "duration_ms" {
			if _, ok := p.Value.(json.Number); !ok {
				t.Errorf("stored duration_ms value %#v, want a number", p.Value)
			}
		}
	}
	if len(props) != 3 || fmt.Sprint(stored["serviceNames"]) != "[checkout]" || fmt.Sprint(stored["severityLevels"]) != "[info warn]" {
		t.Errorf("stored filters: %v", stored)
	}

	// get → update, as printed, changing only the name: the store keeps
	// every filter exactly.
	query, update := getCalls(t, h, id[1])
	if update["action"] != "update" || update["short_id"] != id[1] || update["name"] != "checkout slow calls" || update["pinned"] != true {
		t.Errorf("update call: %v", update)
	}
	update["name"] = "checkout slow calls (renamed)"
	h.ok(NameManageViews, update)
	name, again := storedView(t, h, id[1])
	if name != "checkout slow calls (renamed)" || !reflect.DeepEqual(again, stored) {
		t.Errorf("update with get's output changed the stored filters:\nbefore %v\nafter  %v", stored, again)
	}
	if _, update2 := getCalls(t, h, id[1]); !reflect.DeepEqual(update2, update) {
		t.Errorf("get after update prints %v, want %v", update2, update)
	}

	// The view's lines are those of a direct query with the same filters.
	direct := directQuery(t, client.Filters{
		From: testNow.Add(-3 * time.Hour), To: testNow, Severities: []string{"info", "warn"}, Services: []string{"checkout"},
		Properties: []client.PropertyFilter{
			{Key: "k8s.namespace.name", Type: "log_resource_attribute", Operator: "exact", Value: "shop"},
			{Key: "deployment.environment", Type: "log_resource_attribute", Operator: "exact", Value: "production"},
			{Key: "duration_ms", Type: "log_attribute", Operator: "gt", Value: 100.0},
		},
	})
	if len(direct) == 0 {
		t.Fatal("the direct query finds nothing; the comparison would prove little")
	}
	for name, args := range map[string]map[string]any{"view id": {"view": id[1]}, "printed query": query} {
		args["limit"], args["format"] = 1000, "json"
		got, _ := pageUUIDs(t, "json", h.ok(NameQueryLogs, args))
		if !slices.Equal(got, direct) {
			t.Errorf("%s: %d rows, a direct query with the same filters has %d", name, len(got), len(direct))
		}
	}

	// A partial update changes that field and keeps every other one.
	h.ok(NameManageViews, map[string]any{"action": "update", "short_id": id[1], "services": []string{"payments"}})
	_, partial := storedView(t, h, id[1])
	if fmt.Sprint(partial["serviceNames"]) != "[payments]" {
		t.Errorf("update of services stored %v", partial["serviceNames"])
	}
	partial["serviceNames"] = stored["serviceNames"]
	if !reflect.DeepEqual(partial, stored) {
		t.Errorf("update of services changed other filters:\nbefore %v\nafter  %v", stored, partial)
	}
	h.ok(NameManageViews, map[string]any{"action": "update", "short_id": id[1], "severity": []string{"fatal"}})
	if _, sev := storedView(t, h, id[1]); fmt.Sprint(sev["severityLevels"]) != "[fatal]" || fmt.Sprint(sev["serviceNames"]) != "[payments]" {
		t.Errorf("update of severity stored %v", sev)
	}

	// A filter given beside the view narrows it.
	h.sb.ResetRequests()
	h.ok(NameQueryLogs, map[string]any{"view": id[1], "date_from": "-24h", "filters": []map[string]any{{"key": "user.id", "operator": "is_set"}}})
	var sent struct {
		Query struct {
			FilterGroup json.RawMessage `json:"filterGroup"`
		} `json:"query"`
	}
	for _, r := range h.sb.Requests() {
		if strings.HasSuffix(r.Path, "/logs/query/") {
			if err := json.Unmarshal(r.Body, &sent); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, key := range []string{"k8s.namespace.name", "duration_ms", "user.id"} {
		if !strings.Contains(string(sent.Query.FilterGroup), key) {
			t.Errorf("view filters and the explicit filter must all apply; %s missing from %s", key, sent.Query.FilterGroup)
		}
	}
	h.ok(NameManageViews, map[string]any{"action": "delete", "short_id": id[1]})
	if msg := h.fail(NameManageViews, map[string]any{"action": "get", "short_id": id[1]}); !strings.HasPrefix(msg, "NOT_FOUND") {
		t.Error(msg)
	}
	h.sb.ResetRequests()
	for _, bad := range []string{"../x", "a?b=c", "abc", "abcdefghi"} {
		if msg := h.fail(NameManageViews, map[string]any{"action": "delete", "short_id": bad}); !strings.HasPrefix(msg, "INVALID_ARGUMENT") {
			t.Errorf("short_id %q: %s", bad, msg)
		}
	}
	if len(h.sb.Requests()) != 0 {
		t.Error("malformed short_ids reached PostHog")
	}
}

// directQuery asks the sandbox for every row matching f, latest first.
func directQuery(t *testing.T, f client.Filters) []string {
	t.Helper()
	cl, err := client.New(client.Options{Host: testSandbox(t).URL})
	if err != nil {
		t.Fatal(err)
	}
	page, err := cl.QueryLogs(context.Background(), client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID},
		client.LogsQuery{Filters: f, Order: "latest", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range page.Results {
		ids = append(ids, r.UUID)
	}
	return ids
}

// TestEveryStoredViewRuns runs query_logs with each of the sandbox's
// saved views: their filters (numbers, is_set, relative PostHog dates)
// must translate to our vocabulary and back.
func TestEveryStoredViewRuns(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	list := h.ok(NameManageViews, map[string]any{"action": "list"})
	ids := regexp.MustCompile(`(?m)^([A-Za-z0-9]{8})  `).FindAllStringSubmatch(list, -1)
	if len(ids) < 3 {
		t.Fatalf("expected the sandbox's views:\n%s", list)
	}
	for _, id := range ids {
		out := h.ok(NameQueryLogs, map[string]any{"view": id[1], "limit": 5})
		if !strings.Contains(out, "view "+id[1]) {
			t.Errorf("view %s: %s", id[1], out)
		}
		get := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id[1]})
		if !strings.Contains(get, "to change it, edit and run: manage_views {") {
			t.Errorf("get %s: %s", id[1], get)
		}
	}
}

// TestViewsJSON checks format "json" keeps read-modify-write parity: the
// filters a JSON get returns can be sent back unchanged.
func TestViewsJSON(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	var list struct {
		Count int        `json:"count"`
		Views []viewJSON `json:"views"`
	}
	if err := json.Unmarshal([]byte(h.ok(NameManageViews, map[string]any{"action": "list", "format": "json"})), &list); err != nil || list.Count < 3 || len(list.Views) < 3 {
		t.Fatalf("json list: %v %+v", err, list)
	}
	var created struct {
		Result string   `json:"result"`
		View   viewJSON `json:"view"`
	}
	out := h.ok(NameManageViews, map[string]any{"action": "create", "name": "json view", "date_from": "-2h", "services": []string{"auth"}, "format": "json"})
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Result != "created" || created.View.DateFrom != "-2h" {
		t.Fatalf("json create: %v\n%s", err, out)
	}
	// The view object, without what only describes it, is an update call.
	var args map[string]any
	_ = json.Unmarshal([]byte(out), &struct {
		View *map[string]any `json:"view"`
	}{&args})
	delete(args, "created_by")
	delete(args, "updated_at")
	args["action"], args["format"] = "update", "json"
	var updated struct {
		View viewJSON `json:"view"`
	}
	if err := json.Unmarshal([]byte(h.ok(NameManageViews, args)), &updated); err != nil || !reflect.DeepEqual(updated.View.viewQuery, created.View.viewQuery) {
		t.Errorf("update with the JSON view changed it: %+v vs %+v (%v)", updated.View.viewQuery, created.View.viewQuery, err)
	}
	if out := h.ok(NameManageViews, map[string]any{"action": "delete", "short_id": created.View.ShortID, "format": "json"}); out != `{"deleted":"`+created.View.ShortID+`"}` {
		t.Errorf("json delete: %s", out)
	}
}
