package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
)

// Request is one request the sandbox received, for tests to assert what
// a client sent upstream.
type Request struct {
	Method string
	Path   string // URL path, e.g. /api/projects/1/logs/query/
	Query  url.Values
	Body   []byte
	Auth   string // the Authorization header value as received
}

// maxRecorded bounds the record so that a long-running sandbox (or a load
// test against it) does not grow without limit; the oldest entries go first.
const maxRecorded = 4096

type recorder struct {
	mu       sync.Mutex
	requests []Request
}

func (rec *recorder) add(r *http.Request, body []byte) {
	entry := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Body:   slices.Clone(body),
		Auth:   r.Header.Get("Authorization"),
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// Trimming in one go when twice over the bound keeps add O(1) amortised.
	if len(rec.requests) >= 2*maxRecorded {
		rec.requests = slices.Clone(rec.requests[len(rec.requests)-maxRecorded:])
	}
	rec.requests = append(rec.requests, entry)
}

// Requests returns a copy of every request received (including faulted
// ones), in arrival order. Only the most recent 4096 are kept.
func (s *Sandbox) Requests() []Request {
	s.recorder.mu.Lock()
	defer s.recorder.mu.Unlock()
	requests := s.recorder.requests
	return slices.Clone(requests[max(0, len(requests)-maxRecorded):])
}

// ResetRequests forgets the recorded requests.
func (s *Sandbox) ResetRequests() {
	s.recorder.mu.Lock()
	defer s.recorder.mu.Unlock()
	s.recorder.requests = nil
}
