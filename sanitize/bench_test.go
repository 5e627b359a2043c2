package sanitize

import "testing"

func BenchmarkString(b *testing.B) {
	inputs := []struct{ name, s string }{
		{"clean-body", realisticBody},
		{"clean-attribute", realisticAttribute},
		{"dirty-body", dirtyBody},
	}
	for _, z := range []Sanitizer{{Redact: true}, {Redact: false}} {
		for _, in := range inputs {
			name := in.name
			if !z.Redact {
				name += "-no-redact"
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(in.s)))
				for b.Loop() {
					_ = z.String(in.s)
				}
			})
		}
	}
}

func BenchmarkText(b *testing.B) {
	for _, in := range []struct{ name, s string }{{"clean", realisticBody}, {"dirty", dirtyBody}} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.s)))
			for b.Loop() {
				_ = Text(in.s)
			}
		})
	}
}

func BenchmarkSecrets(b *testing.B) {
	for _, in := range []struct{ name, s string }{{"clean", realisticBody}, {"dirty", Text(dirtyBody)}} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.s)))
			for b.Loop() {
				_ = Secrets(in.s)
			}
		})
	}
}
