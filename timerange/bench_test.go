package timerange

import "testing"

func BenchmarkParse(b *testing.B) {
	for _, expr := range []string{"-15m", "now-1h30m", "2026-11-25T14:00:00.123Z", "1764079200123"} {
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(expr, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResolve(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resolve("-1h", "", "-1h", testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWindowString(b *testing.B) {
	w := Window{From: testNow.Add(-3600e9), To: testNow}
	b.ReportAllocs()
	for b.Loop() {
		_ = w.String()
	}
}
