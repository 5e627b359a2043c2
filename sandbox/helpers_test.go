package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow anchors every test data set, so results are reproducible.
var testNow = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)

var (
	sharedOnce   sync.Once
	sharedServer *Server
	sharedErr    error
)

// shared returns one full-size sandbox for the read-only tests. Tests that
// change state (views, faults, the request record) start their own.
func shared(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { sharedServer, sharedErr = Start(Config{Now: testNow}) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedServer
}

// private starts a small sandbox owned by the test.
func private(t testing.TB) *Server {
	t.Helper()
	srv, err := Start(Config{Now: testNow, Lines: 3000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// call sends one request; body may be nil, a string/[]byte sent as is, or
// a value encoded as JSON.
func call(t testing.TB, srv *Server, method, key, path string, body any) response {
	t.Helper()
	return callHeaders(t, srv, method, key, path, body, nil)
}

// callHeaders is call with extra request headers given as name, value pairs.
func callHeaders(t testing.TB, srv *Server, method, key, path string, body any, header []string) response {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		encoded, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(method, srv.URL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func logsPath(endpoint string) string { return "/api/projects/1/logs/" + endpoint + "/" }

// iso formats testNow+offset the way the clients send times.
func iso(offset time.Duration) string { return testNow.Add(offset).Format(time.RFC3339Nano) }

func dateRange(from, to time.Duration) map[string]any {
	return map[string]any{"date_from": iso(from), "date_to": iso(to)}
}

// q wraps query fields in {"query": ...}.
func q(fields map[string]any) map[string]any { return map[string]any{"query": fields} }

// nested wraps filters in the nested filterGroup form.
func nested(filters ...map[string]any) map[string]any {
	values := make([]any, len(filters))
	for i, f := range filters {
		values[i] = f
	}
	return map[string]any{"type": "AND", "values": []any{map[string]any{"type": "AND", "values": values}}}
}

func filter(typ, key, op string, value any) map[string]any {
	f := map[string]any{"key": key, "type": typ, "operator": op}
	if value != nil {
		f["value"] = value
	}
	return f
}

// rowJSON is a logs/query result row as a client decodes it.
type rowJSON struct {
	UUID               string            `json:"uuid"`
	Timestamp          string            `json:"timestamp"`
	ObservedTimestamp  string            `json:"observed_timestamp"`
	Body               string            `json:"body"`
	SeverityText       string            `json:"severity_text"`
	SeverityNumber     int               `json:"severity_number"`
	Level              string            `json:"level"`
	TraceID            string            `json:"trace_id"`
	SpanID             string            `json:"span_id"`
	Attributes         map[string]string `json:"attributes"`
	ResourceAttributes map[string]string `json:"resource_attributes"`
	LiveLogsCheckpoint *string           `json:"live_logs_checkpoint"`
}

type queryResponse struct {
	Query             map[string]any `json:"query"`
	Results           []rowJSON      `json:"results"`
	HasMore           bool           `json:"hasMore"`
	NextCursor        *string        `json:"nextCursor"`
	MaxExportableLogs int            `json:"maxExportableLogs"`
}

func query(t testing.TB, srv *Server, fields map[string]any) queryResponse {
	t.Helper()
	resp := call(t, srv, "POST", KeyFull, logsPath("query"), q(fields))
	if resp.status != http.StatusOK {
		t.Fatalf("query %v: %d %s", fields, resp.status, resp.body)
	}
	var out queryResponse
	resp.decode(t, &out)
	return out
}

func count(t testing.TB, srv *Server, fields map[string]any) int {
	t.Helper()
	resp := call(t, srv, "POST", KeyFull, logsPath("count"), q(fields))
	if resp.status != http.StatusOK {
		t.Fatalf("count %v: %d %s", fields, resp.status, resp.body)
	}
	var out struct{ Count int }
	resp.decode(t, &out)
	return out.Count
}

func parseRowTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return ts
}

func decodeBody(t testing.TB, r *http.Response, v any) {
	t.Helper()
	defer r.Body.Close()
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}
