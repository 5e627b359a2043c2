package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func BenchmarkPatternsHour(b *testing.B) {
	benchmarkEndpoint(b, "patterns", `{"query":{"dateRange":{"date_from":"2026-11-25T13:00:00Z","date_to":"2026-11-25T14:00:00Z"},"limit":20,"maxPatternChars":400}}`)
}

func BenchmarkPatternsDay(b *testing.B) {
	benchmarkEndpoint(b, "patterns", `{"query":{"dateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T14:00:00Z"},"limit":200,"maxPatternChars":0}}`)
}

func BenchmarkPatternsDayPatternFilter(b *testing.B) {
	benchmarkEndpoint(b, "count", `{"query":{"dateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T14:00:00Z"},"filterGroup":[{"key":"pattern","type":"log","operator":"exact","value":"POST /api/checkout <*> in <*>"}]}}`)
}

func BenchmarkPatternsDiffDay(b *testing.B) {
	s := New(Config{Now: testNow})
	body := `{"query":{"dateRange":{"date_from":"2026-11-25T02:00:00Z","date_to":"2026-11-25T14:00:00Z"}},"baselineDateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T02:00:00Z"}}`
	b.ReportAllocs()
	for b.Loop() {
		s.diffLimiter = rateLimiter{} // the benchmark is not a caller to throttle
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/projects/1/logs/patterns_diff/", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+KeyFull)
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkGroupByDay(b *testing.B) {
	benchmarkEndpoint(b, "group-by", `{"query":{"dateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T14:00:00Z"},"groupBys":[{"key":"service.name","source":"resource"},{"key":"severity_level","source":"column"}]}}`)
}
