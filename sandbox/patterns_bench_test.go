package sandbox

import "testing"

func BenchmarkPatternsHour(b *testing.B) {
	benchmarkEndpoint(b, "patterns", `{"query":{"dateRange":{"date_from":"2026-11-25T13:00:00Z","date_to":"2026-11-25T14:00:00Z"},"limit":20,"maxPatternChars":400}}`)
}

func BenchmarkPatternsDay(b *testing.B) {
	benchmarkEndpoint(b, "patterns", `{"query":{"dateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T14:00:00Z"},"limit":200,"maxPatternChars":0}}`)
}

func BenchmarkPatternsDayPatternFilter(b *testing.B) {
	benchmarkEndpoint(b, "count", `{"query":{"dateRange":{"date_from":"2026-11-24T14:00:00Z","date_to":"2026-11-25T14:00:00Z"},"filterGroup":[{"key":"pattern","type":"log","operator":"exact","value":"POST /api/checkout <*> in <*>"}]}}`)
}
