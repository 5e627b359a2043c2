package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxViewName is the server's limit on a view's name.
const maxViewName = 400

// ViewFilters is PostHog's stored filters object of a saved view (not validated by the server).
type ViewFilters struct {
	DateRange      *DateRange      `json:"dateRange,omitempty"`
	SearchTerm     string          `json:"searchTerm,omitempty"`
	SeverityLevels []string        `json:"severityLevels,omitempty"`
	ServiceNames   []string        `json:"serviceNames,omitempty"`
	FilterGroup    json.RawMessage `json:"filterGroup,omitempty"` // see DecodeFilterGroup
}

// DateRange is stored verbatim (PostHog's grammar: ISO 8601 or relative like "-1h"; "-30m" is thirty months).
type DateRange struct {
	DateFrom string `json:"date_from,omitempty"`
	DateTo   string `json:"date_to,omitempty"`
}

// Person is the creator of a view.
type Person struct {
	ID         int64  `json:"id"`
	UUID       string `json:"uuid"`
	DistinctID string `json:"distinct_id"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Email      string `json:"email"`
}

// View is a saved logs view, shared by the whole project.
type View struct {
	ID        string          `json:"id"`
	ShortID   string          `json:"short_id"`
	Name      string          `json:"name"`
	Filters   ViewFilters     `json:"filters"`
	Columns   json.RawMessage `json:"columns"`
	Pinned    bool            `json:"pinned"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
	CreatedBy *Person         `json:"created_by"`
}

// ViewList is one page of views, newest first; Next is the next page's URL or "".
type ViewList struct {
	Count   int    `json:"count"`
	Next    string `json:"next"`
	Results []View `json:"results"`
}

// ViewInput creates a view.
type ViewInput struct {
	Name    string      `json:"name"`
	Filters ViewFilters `json:"filters"`
	Pinned  bool        `json:"pinned"`
}

// ViewPatch updates a view: only non-nil fields are sent; the rest are kept.
type ViewPatch struct {
	Name    *string      `json:"name,omitempty"`
	Filters *ViewFilters `json:"filters,omitempty"`
	Pinned  *bool        `json:"pinned,omitempty"`
}

// ValidShortID reports whether s is a view short id: 8 characters of [A-Za-z0-9]. Methods
// refuse anything else before sending, so an id can never reshape the request path.
func ValidShortID(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ListViews runs GET logs/views/ (limit 0: the server's default of 100).
func (c *Client) ListViews(ctx context.Context, a Auth, limit, offset int) (*ViewList, error) {
	const path = "logs/views/"
	params := url.Values{}
	if err := pageParams(params, limit, offset, 0); err != nil {
		return nil, invalid(http.MethodGet, path, err)
	}
	out := &ViewList{}
	err := c.do(ctx, a.Key, &request{
		method: http.MethodGet, path: path, project: a.ProjectID, query: params, replay: replaySafe,
		decode: func(body []byte) error { return json.Unmarshal(body, out) },
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetView runs GET logs/views/{short_id}/.
func (c *Client) GetView(ctx context.Context, a Auth, shortID string) (*View, error) {
	path, err := viewPath(http.MethodGet, shortID)
	if err != nil {
		return nil, err
	}
	return c.viewCall(ctx, a, shortID, &request{method: http.MethodGet, path: path, replay: replaySafe})
}

// CreateView runs POST logs/views/ (scope logs:write). It is never replayed after an
// ambiguous failure, so a view is never created twice.
func (c *Client) CreateView(ctx context.Context, a Auth, in ViewInput) (*View, error) {
	const path = "logs/views/"
	if err := checkViewName(in.Name); err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	var err error
	if in.Filters, err = normalizeViewFilters(in.Filters); err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	return c.viewCall(ctx, a, "", &request{method: http.MethodPost, path: path, body: in, replay: replayNever,
		write: "The view may or may not have been created: check with manage_views list before creating it again."})
}

// UpdateView runs PATCH logs/views/{short_id}/ (scope logs:write), never replayed after an ambiguous failure.
func (c *Client) UpdateView(ctx context.Context, a Auth, shortID string, p ViewPatch) (*View, error) {
	path, err := viewPath(http.MethodPatch, shortID)
	if err != nil {
		return nil, err
	}
	if p.Name == nil && p.Filters == nil && p.Pinned == nil {
		return nil, invalid(http.MethodPatch, path, errors.New("nothing to update: set a name, filters or pinned"))
	}
	if p.Name != nil {
		if err := checkViewName(*p.Name); err != nil {
			return nil, invalid(http.MethodPatch, path, err)
		}
	}
	if p.Filters != nil {
		filters, err := normalizeViewFilters(*p.Filters)
		if err != nil {
			return nil, invalid(http.MethodPatch, path, err)
		}
		p.Filters = &filters
	}
	return c.viewCall(ctx, a, shortID, &request{method: http.MethodPatch, path: path, body: p, replay: replayNever,
		write: fmt.Sprintf("The view may or may not have been updated: check with manage_views get %s before updating it again.", shortID)})
}

// DeleteView runs DELETE logs/views/{short_id}/ (scope logs:write), never replayed after an ambiguous failure.
func (c *Client) DeleteView(ctx context.Context, a Auth, shortID string) error {
	path, err := viewPath(http.MethodDelete, shortID)
	if err != nil {
		return err
	}
	return c.do(ctx, a.Key, &request{method: http.MethodDelete, path: path, project: a.ProjectID, replay: replayNever,
		write: fmt.Sprintf("The view may or may not have been deleted: check with manage_views get %s.", shortID)})
}

// viewCall runs r and decodes the view it answers with. The answer must be a view (a valid
// short id and a name; the requested one when shortID is given): anything else is no proof
// of a write, and no usable answer to a read.
func (c *Client) viewCall(ctx context.Context, a Auth, shortID string, r *request) (*View, error) {
	out := &View{}
	r.project = a.ProjectID
	r.decode = func(body []byte) error {
		if err := decodeObject(body, out); err != nil {
			return err
		}
		switch {
		case !ValidShortID(out.ShortID) || strings.TrimSpace(out.Name) == "":
			return errors.New("the answer is not a view (no valid short_id and name)")
		case shortID != "" && out.ShortID != shortID:
			return errors.New("the answer is another view than the one requested")
		}
		return nil
	}
	if err := c.do(ctx, a.Key, r); err != nil {
		return nil, err
	}
	return out, nil
}

func viewPath(method, shortID string) (string, error) {
	if !ValidShortID(shortID) {
		return "", invalid(method, "logs/views/{short_id}/",
			fmt.Errorf("%q is not a view short id (8 letters or digits)", truncateForMessage(shortID)))
	}
	return "logs/views/" + shortID + "/", nil
}

func checkViewName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("a view needs a name")
	}
	if utf8.RuneCountInString(name) > maxViewName {
		return fmt.Errorf("a view name is at most %d characters", maxViewName)
	}
	return nil
}

// normalizeViewFilters spells severities as PostHog stores them and checks the filterGroup is JSON.
func normalizeViewFilters(f ViewFilters) (ViewFilters, error) {
	var err error
	if f.SeverityLevels, err = normalizeSeverities(f.SeverityLevels); err != nil {
		return f, err
	}
	if len(f.FilterGroup) > 0 && !json.Valid(f.FilterGroup) {
		return f, errors.New("the view's filterGroup is not valid JSON")
	}
	return f, nil
}

func truncateForMessage(s string) string {
	if len(s) <= 40 {
		return s
	}
	return strings.ToValidUTF8(s[:40], "") + "…"
}
