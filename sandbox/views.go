package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// demoUser is who created every view: the sandbox has one user.
type demoUser struct {
	ID         int    `json:"id"`
	UUID       string `json:"uuid"`
	DistinctID string `json:"distinct_id"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Email      string `json:"email"`
}

var sandboxUser = demoUser{
	ID: 1, UUID: "0192d6a4-3c5e-7b21-9f0a-5d7c1e2b3a40", DistinctID: "sandbox-demo-user",
	FirstName: "Demo", LastName: "User", Email: "demo@example.com",
}

// view is a saved logs view as PostHog serializes it.
type view struct {
	ID        string          `json:"id"`
	ShortID   string          `json:"short_id"`
	Name      string          `json:"name"`
	Filters   json.RawMessage `json:"filters"`
	Columns   json.RawMessage `json:"columns"`
	Pinned    bool            `json:"pinned"`
	CreatedAt string          `json:"created_at"`
	CreatedBy demoUser        `json:"created_by"`
	UpdatedAt string          `json:"updated_at"`

	project int64
	seq     int // creation order, for "newest first" when clocks tie
}

type viewStore struct {
	mu    sync.Mutex
	views map[string]*view // by short_id
	seq   int
	// rng makes the ids of views created at run time; guarded by mu.
	rng *rand.Rand
}

const (
	maxViewName      = 400
	defaultViewLimit = 100
)

func newViewStore(anchor time.Time, seed int64) *viewStore {
	st := &viewStore{views: map[string]*view{}, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x71e45))
	seeds := []struct {
		name    string
		filters string
		columns string
		pinned  bool
		age     time.Duration
	}{
		{"checkout errors", `{"dateRange":{"date_from":"-1h","date_to":null},"severityLevels":["error","fatal"],"serviceNames":["checkout"],"searchTerm":"","filterGroup":{"type":"AND","values":[{"type":"AND","values":[]}]}}`,
			`["timestamp","level","body"]`, true, 72 * time.Hour},
		{"slow queries", `{"dateRange":{"date_from":"-24h","date_to":null},"severityLevels":["warn"],"serviceNames":[],"searchTerm":"slow query","filterGroup":{"type":"AND","values":[{"type":"AND","values":[{"key":"duration_ms","type":"log_attribute","operator":"gt","value":"2000"}]}]}}`,
			`null`, false, 48 * time.Hour},
		{"payment declines", `{"dateRange":{"date_from":"-7d","date_to":null},"severityLevels":[],"serviceNames":["payments"],"searchTerm":"","filterGroup":{"type":"AND","values":[{"type":"AND","values":[{"key":"payment.decline_code","type":"log_attribute","operator":"is_set"}]}]}}`,
			`null`, false, 26 * time.Hour},
	}
	for _, sv := range seeds {
		created := formatTimestamp(anchor.Add(-sv.age).UnixMicro())
		st.insert(&view{
			ID: randomUUID(rng), ShortID: st.freeShortID(rng), Name: sv.name,
			Filters: json.RawMessage(sv.filters), Columns: json.RawMessage(sv.columns), Pinned: sv.pinned,
			CreatedAt: created, CreatedBy: sandboxUser, UpdatedAt: created, project: ProjectID,
		})
	}
	return st
}

// insert stores v; the caller holds mu (or owns the store).
func (st *viewStore) insert(v *view) {
	st.seq++
	v.seq = st.seq
	st.views[v.ShortID] = v
}

func (st *viewStore) freeShortID(rng *rand.Rand) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for {
		b := make([]byte, 8)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if _, taken := st.views[string(b)]; !taken {
			return string(b)
		}
	}
}

func randomUUID(rng *rand.Rand) string {
	var u [16]byte
	for i := range u {
		u[i] = byte(rng.IntN(256))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

// handleViewList serves GET (list) and POST (create) on logs/views/.
func (s *Sandbox) handleViewList(rq *logsRequest) {
	if rq.Method == http.MethodPost {
		s.createView(rq)
		return
	}
	q := rq.URL.Query()
	limit, offset := defaultViewLimit, 0
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &limit}, {"offset", &offset}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				rq.fail(errValidation("invalid", "A valid integer is required.", p.name))
				return
			}
			*p.dst = n
		}
	}
	limit = max(limit, 1)

	st := s.views
	st.mu.Lock()
	all := make([]view, 0, len(st.views))
	for _, v := range st.views {
		if v.project == rq.project {
			all = append(all, *v)
		}
	}
	st.mu.Unlock()
	slices.SortFunc(all, func(a, b view) int {
		if a.CreatedAt != b.CreatedAt {
			if a.CreatedAt > b.CreatedAt {
				return -1
			}
			return 1
		}
		return b.seq - a.seq
	})
	page := []view{}
	if offset < len(all) {
		page = all[offset:min(len(all), offset+limit)]
	}
	var next, previous *string
	if offset+limit < len(all) {
		next = pageURL(rq, limit, offset+limit)
	}
	if offset > 0 {
		previous = pageURL(rq, limit, max(0, offset-limit))
	}
	writeJSON(rq.w, http.StatusOK, map[string]any{"count": len(all), "next": next, "previous": previous, "results": page})
}

func pageURL(rq *logsRequest, limit, offset int) *string {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(limit))
	q.Set("offset", strconv.Itoa(offset))
	u := "http://" + rq.Host + rq.URL.Path + "?" + q.Encode()
	return &u
}

// viewInput is a create/update body; each field is validated only when present.
type viewInput struct {
	fields map[string]json.RawMessage
}

func readViewInput(rq *logsRequest) (viewInput, *apiError) {
	body := rq.body
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}") // DRF reads an empty body as no fields
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		detail := "Expected an object."
		if err != nil {
			detail = err.Error()
		}
		return viewInput{}, errParse(detail)
	}
	return viewInput{fields: fields}, nil
}

// apply validates the writable fields present and copies them into v.
// requireName is true for create and PUT.
func (in viewInput) apply(v *view, requireName bool) *apiError {
	raw, ok := in.fields["name"]
	switch {
	case !ok && requireName:
		return errValidation("required", "This field is required.", "name")
	case ok && isNull(raw):
		return errValidation("null", "This field may not be null.", "name")
	case ok:
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return errValidation("invalid", "Not a valid string.", "name")
		}
		if name == "" {
			return errValidation("blank", "This field may not be blank.", "name")
		}
		if len([]rune(name)) > maxViewName {
			return errValidation("max_length", fmt.Sprintf("Ensure this field has no more than %d characters.", maxViewName), "name")
		}
		v.Name = name
	}
	if raw, ok := in.fields["filters"]; ok {
		if isNull(raw) {
			raw = json.RawMessage(`{}`)
		}
		v.Filters = compactJSON(raw)
	}
	if raw, ok := in.fields["columns"]; ok {
		var cols []any
		if !isNull(raw) && json.Unmarshal(raw, &cols) != nil {
			return errValidation("not_a_list", "Expected a list of items.", "columns")
		}
		v.Columns = compactJSON(raw)
	}
	if raw, ok := in.fields["pinned"]; ok {
		if err := json.Unmarshal(raw, &v.Pinned); err != nil || isNull(raw) {
			return errValidation("invalid", "Must be a valid boolean.", "pinned")
		}
	}
	return nil
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

func (s *Sandbox) createView(rq *logsRequest) {
	in, err := readViewInput(rq)
	if err != nil {
		rq.fail(err)
		return
	}
	now := formatTimestamp(rq.now.UnixMicro())
	v := &view{Filters: json.RawMessage(`{}`), Columns: json.RawMessage(`null`),
		CreatedAt: now, UpdatedAt: now, CreatedBy: sandboxUser, project: rq.project}
	if err := in.apply(v, true); err != nil {
		rq.fail(err)
		return
	}
	st := s.views
	st.mu.Lock()
	v.ID, v.ShortID = randomUUID(st.rng), st.freeShortID(st.rng)
	st.insert(v)
	created := *v
	st.mu.Unlock()
	writeJSON(rq.w, http.StatusCreated, created)
}

// handleView serves GET, PATCH, PUT and DELETE on logs/views/{short_id}/.
func (s *Sandbox) handleView(rq *logsRequest) {
	var in viewInput
	if rq.Method == http.MethodPatch || rq.Method == http.MethodPut {
		var err *apiError
		if in, err = readViewInput(rq); err != nil {
			rq.fail(err)
			return
		}
	}
	status, result, err := s.views.modify(rq, in)
	switch {
	case err != nil:
		rq.fail(err)
	case status == http.StatusNoContent:
		rq.w.WriteHeader(status)
	default:
		writeJSON(rq.w, status, result)
	}
}

// modify does a view request's work under the lock; the caller writes the
// answer after releasing it.
func (st *viewStore) modify(rq *logsRequest, in viewInput) (int, view, *apiError) {
	st.mu.Lock()
	defer st.mu.Unlock()
	v, ok := st.views[rq.shortID]
	if !ok || v.project != rq.project {
		return 0, view{}, errNotFound()
	}
	switch rq.Method {
	case http.MethodGet:
		return http.StatusOK, *v, nil
	case http.MethodDelete:
		delete(st.views, rq.shortID)
		return http.StatusNoContent, view{}, nil
	}
	updated := *v
	if err := in.apply(&updated, rq.Method == http.MethodPut); err != nil {
		return 0, view{}, err
	}
	updated.UpdatedAt = formatTimestamp(rq.now.UnixMicro())
	*v = updated
	return http.StatusOK, updated, nil
}
