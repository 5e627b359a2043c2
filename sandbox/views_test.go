package sandbox

import (
	"net/http"
	"regexp"
	"testing"
)

type viewJSON struct {
	ID        string         `json:"id"`
	ShortID   string         `json:"short_id"`
	Name      string         `json:"name"`
	Filters   map[string]any `json:"filters"`
	Columns   []string       `json:"columns"`
	Pinned    bool           `json:"pinned"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at"`
	CreatedBy struct {
		ID         int    `json:"id"`
		UUID       string `json:"uuid"`
		DistinctID string `json:"distinct_id"`
		FirstName  string `json:"first_name"`
		LastName   string `json:"last_name"`
		Email      string `json:"email"`
	} `json:"created_by"`
}

type viewList struct {
	Count    int        `json:"count"`
	Next     *string    `json:"next"`
	Previous *string    `json:"previous"`
	Results  []viewJSON `json:"results"`
}

var shortIDShape = regexp.MustCompile(`^[A-Za-z0-9]{8}$`)

func TestSeededViews(t *testing.T) {
	srv := shared(t)
	resp := call(t, srv, "GET", KeyReadOnly, logsPath("views"), nil)
	var list viewList
	resp.decode(t, &list)
	pinned := 0
	for _, v := range list.Results {
		if !shortIDShape.MatchString(v.ShortID) || v.CreatedBy.Email == "" || v.Filters["dateRange"] == nil {
			t.Errorf("view %+v", v)
		}
		if v.Pinned {
			pinned++
		}
	}
	if list.Count != 3 || len(list.Results) != 3 || pinned != 1 {
		t.Fatalf("%d views (%d listed), %d pinned", list.Count, len(list.Results), pinned)
	}
	// Project 2 has its own (empty) set of views.
	resp = call(t, srv, "GET", KeyOtherProject, "/api/projects/2/logs/views/", nil)
	resp.decode(t, &list)
	if resp.status != http.StatusOK || list.Count != 0 {
		t.Fatalf("project 2 views: %d %s", resp.status, resp.body)
	}
}

func TestViewLifecycle(t *testing.T) {
	srv := private(t)
	filters := map[string]any{"severityLevels": []string{"error"}, "dateRange": map[string]any{"date_from": "-1h"}}

	resp := call(t, srv, "POST", KeyFull, logsPath("views"), map[string]any{"name": "new errors", "filters": filters, "short_id": "IGNORED1"})
	if resp.status != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	var created viewJSON
	resp.decode(t, &created)
	if !shortIDShape.MatchString(created.ShortID) || created.ShortID == "IGNORED1" || created.Name != "new errors" || created.Pinned || created.CreatedBy.Email == "" || created.Filters["severityLevels"] == nil {
		t.Fatalf("created %+v", created)
	}
	path := logsPath("views/" + created.ShortID)

	resp = call(t, srv, "GET", KeyReadOnly, path, nil)
	var fetched viewJSON
	resp.decode(t, &fetched)
	if resp.status != http.StatusOK || fetched.ID != created.ID {
		t.Fatalf("get: %d %s", resp.status, resp.body)
	}

	resp = call(t, srv, "PATCH", KeyFull, path, map[string]any{"pinned": true})
	var patched viewJSON
	resp.decode(t, &patched)
	if resp.status != http.StatusOK || !patched.Pinned || patched.Name != "new errors" || patched.Filters["severityLevels"] == nil {
		t.Fatalf("patch: %d %s", resp.status, resp.body)
	}

	for _, bad := range []struct {
		method string
		body   map[string]any
	}{
		{"PUT", map[string]any{"pinned": false}},
		{"PATCH", map[string]any{"name": ""}},
		{"PATCH", map[string]any{"pinned": "yes"}},
		{"PATCH", map[string]any{"columns": "body"}},
	} {
		if resp := call(t, srv, bad.method, KeyFull, path, bad.body); resp.status != http.StatusBadRequest {
			t.Errorf("%s %v: %d %s", bad.method, bad.body, resp.status, resp.body)
		}
	}
	resp = call(t, srv, "PUT", KeyFull, path, map[string]any{"name": "renamed", "columns": []string{"body"}})
	var put viewJSON
	resp.decode(t, &put)
	if resp.status != http.StatusOK || put.Name != "renamed" || len(put.Columns) != 1 || !put.Pinned {
		t.Fatalf("put: %d %s", resp.status, resp.body)
	}
	if resp := call(t, srv, "PATCH", KeyReadOnly, path, map[string]any{"pinned": false}); resp.status != http.StatusForbidden {
		t.Fatalf("read-only patch: %d", resp.status)
	}

	resp = call(t, srv, "GET", KeyFull, logsPath("views")+"?limit=2", nil)
	var list viewList
	resp.decode(t, &list)
	if list.Count != 4 || len(list.Results) != 2 || list.Results[0].ShortID != created.ShortID || list.Next == nil || list.Previous != nil {
		t.Fatalf("list: %s", resp.body)
	}
	resp = call(t, srv, "GET", KeyFull, logsPath("views")+"?limit=2&offset=2", nil)
	resp.decode(t, &list)
	if len(list.Results) != 2 || list.Next != nil || list.Previous == nil {
		t.Fatalf("second page: %s", resp.body)
	}

	resp = call(t, srv, "DELETE", KeyFull, path, nil)
	if resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("delete: %d %q", resp.status, resp.body)
	}
	if resp := call(t, srv, "GET", KeyFull, path, nil); resp.status != http.StatusNotFound {
		t.Fatalf("get after delete: %d", resp.status)
	}
	if resp := call(t, srv, "DELETE", KeyFull, path, nil); resp.status != http.StatusNotFound {
		t.Fatalf("second delete: %d", resp.status)
	}
}

func TestViewShortIDValidation(t *testing.T) {
	srv := private(t)
	for _, id := range []string{"short", "abcdefghi", "abc-efgh", "abcd%20fg", "..%2F..%2F"} {
		resp := call(t, srv, "GET", KeyFull, "/api/projects/1/logs/views/"+id+"/", nil)
		if resp.status != http.StatusNotFound {
			t.Errorf("%s: %d %s", id, resp.status, resp.body)
		}
	}
	resp := call(t, srv, "GET", KeyFull, "/api/projects/1/logs/views/abcdefgh/extra/", nil)
	if resp.status != http.StatusNotFound {
		t.Errorf("nested path: %d", resp.status)
	}
}
