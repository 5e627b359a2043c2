package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New(Config{Now: testNow})
	}
}

// BenchmarkNewLive builds a running sandbox late in its hour and serves
// one query, which makes the 29 live minutes since the anchor: the cost of
// a `call --sandbox` at worst.
func BenchmarkNewLive(b *testing.B) {
	clock := func() time.Time { return hour10.Add(59 * time.Minute) }
	b.ReportAllocs()
	for b.Loop() {
		s := New(Config{Clock: clock})
		s.rowsFor(ProjectID, clock())
	}
}

// benchmarkEndpoint serves one POST through ServeHTTP with a recorder, so
// it measures the sandbox and not the network.
func benchmarkEndpoint(b *testing.B, endpoint, body string) {
	s := New(Config{Now: testNow})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/projects/1/logs/"+endpoint+"/", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+KeyFull)
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkQuery(b *testing.B) {
	benchmarkEndpoint(b, "query", `{"query":{"dateRange":{"date_from":"2026-11-25T13:00:00Z","date_to":"2026-11-25T14:00:00Z"},"limit":50}}`)
}

func BenchmarkQuerySearchDay(b *testing.B) {
	benchmarkEndpoint(b, "query", `{"query":{"dateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T14:00:00Z"},"searchTerm":"timeout","limit":50}}`)
}

func BenchmarkServices(b *testing.B) {
	benchmarkEndpoint(b, "services", `{"query":{"dateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T14:00:00Z"}}}`)
}

func BenchmarkSparkline(b *testing.B) {
	benchmarkEndpoint(b, "sparkline", `{"query":{"dateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T14:00:00Z"},"sparklineBreakdownBy":"service"}}`)
}
