package bench

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// queryPathSuffix ends the path of PostHog's logs/query/ endpoint, under
// both /api/projects/{id}/ and /api/environments/{id}/.
const queryPathSuffix = "/logs/query/"

// HandlerTransport is an http.RoundTripper that answers by calling Handler
// in memory: the client does all its work except the socket. It lets the
// sandbox answer a client without a listener.
type HandlerTransport struct {
	Handler http.Handler
}

// RoundTrip serves req with the handler.
func (t HandlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.Handler.ServeHTTP(rec, req)
	res := rec.Result()
	res.Request = req
	return res, nil
}

// PageTransport is an in-memory PostHog that answers every logs/query/
// request with the same response body and anything else with PostHog's
// 404. It costs next to nothing, so a benchmark using it measures the
// server's own work.
type PageTransport struct {
	Body []byte
}

// RoundTrip answers req from memory.
func (t PageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		// A real transport sends the body; reading it keeps the client's
		// encoding work honest (it cannot be skipped by a lazy reader).
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	status, body := http.StatusOK, t.Body
	if !strings.HasSuffix(req.URL.Path, queryPathSuffix) {
		status, body = http.StatusNotFound, notFoundBody
	}
	return &http.Response{
		Status:        http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

var notFoundBody = []byte(`{"type":"invalid_request","code":"not_found","detail":"Not found.","attr":null}`)

// PageHandler is PageTransport as an http.Handler, for a backend served
// over real HTTP: POSTs to logs/query/ get body; every other request goes
// to fallback (for example a sandbox that answers key introspection).
func PageHandler(body []byte, fallback http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, queryPathSuffix) {
			fallback.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}
