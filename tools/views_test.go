package tools

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// TestViewsReadModifyWriteParity creates a view, reads it, passes what get
// printed back to update unchanged, and checks nothing moved.
func TestViewsReadModifyWriteParity(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
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
		"action": "create", "name": "checkout errors", "pinned": true,
		"date_from": "-15m", "severity": []string{"ERROR", "warning"}, "services": []string{"checkout"}, "search": "declined",
		"filters": []map[string]any{{"key": "http.route", "value": "/api/pay"}, {"key": "k8s.namespace.name", "value": "prod"}},
	})
	id := regexp.MustCompile(`view ([A-Za-z0-9]{8}) `).FindStringSubmatch(created)
	if id == nil {
		t.Fatalf("create:\n%s", created)
	}
	// PostHog stores its own grammar: our -15m (minutes) is its -15M.
	var stored struct {
		Filters struct {
			DateRange   map[string]string `json:"dateRange"`
			FilterGroup json.RawMessage   `json:"filterGroup"`
		} `json:"filters"`
	}
	reqs := h.sb.Requests()
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Filters.DateRange["date_from"] != "-15M" || !strings.Contains(string(stored.Filters.FilterGroup), "log_resource_attribute") {
		t.Errorf("stored filters: %s", reqs[len(reqs)-1].Body)
	}

	get := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id[1]})
	filters := regexp.MustCompile(`(?m)^filters: (\{.*\})$`).FindStringSubmatch(get)
	if filters == nil {
		t.Fatalf("get:\n%s", get)
	}
	var q map[string]any
	if err := json.Unmarshal([]byte(filters[1]), &q); err != nil {
		t.Fatal(err)
	}
	if q["date_from"] != "-15m" || q["search"] != "declined" {
		t.Errorf("get in our vocabulary: %s", filters[1])
	}
	q["action"], q["short_id"], q["name"] = "update", id[1], "checkout errors (renamed)"
	h.ok(NameManageViews, q)
	again := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id[1]})
	if !strings.Contains(again, "filters: "+filters[1]) || !strings.Contains(again, "renamed") {
		t.Errorf("update with get's output changed the filters:\nbefore %s\nafter:\n%s", filters[1], again)
	}
	// A partial update keeps every other filter.
	h.ok(NameManageViews, map[string]any{"action": "update", "short_id": id[1], "severity": []string{"fatal"}})
	partial := h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id[1]})
	if !strings.Contains(partial, `"severity":["fatal"]`) || !strings.Contains(partial, `"search":"declined"`) {
		t.Errorf("partial update:\n%s", partial)
	}
	// The view drives query_logs; a filter given beside it narrows it.
	if out := h.ok(NameQueryLogs, map[string]any{"view": id[1], "date_from": "-24h"}); !strings.Contains(out, "view "+id[1]) {
		t.Errorf("query_logs with view:\n%.300s", out)
	}
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
	for _, key := range []string{"http.route", "k8s.namespace.name", "user.id"} {
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
		if !strings.Contains(get, "filters: {") {
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
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Result != "created" || created.View.Filters == nil || created.View.Filters.DateFrom != "-2h" {
		t.Fatalf("json create: %v\n%s", err, out)
	}
	args := map[string]any{}
	b, _ := json.Marshal(created.View.Filters)
	_ = json.Unmarshal(b, &args)
	args["action"], args["short_id"], args["format"] = "update", created.View.ShortID, "json"
	var updated struct {
		View viewJSON `json:"view"`
	}
	if err := json.Unmarshal([]byte(h.ok(NameManageViews, args)), &updated); err != nil || !reflect.DeepEqual(updated.View.Filters, created.View.Filters) {
		t.Errorf("update with the JSON filters changed them: %+v vs %+v (%v)", updated.View.Filters, created.View.Filters, err)
	}
	if out := h.ok(NameManageViews, map[string]any{"action": "delete", "short_id": created.View.ShortID, "format": "json"}); out != `{"deleted":"`+created.View.ShortID+`"}` {
		t.Errorf("json delete: %s", out)
	}
}
