package sanitize

import (
	"strings"
	"testing"
	"time"
)

// Log content is hostile: no input may make Text or Secrets superlinear. Each case is 1 MB of a
// pattern that makes a naive matcher rescan the rest of the string at every anchor.
func TestLinearTimeOnAdversarialInput(t *testing.T) {
	const size = 1 << 20
	patterns := []string{
		"eyJ-", "eyJ", ".eyJ", "AKIA", "ASIAA", "Bearer ", "bearer a-", "phx_", "sk_live_", "ghp_", "github_pat_",
		"://", "a://b:", "@", "password=", `"password":`, "'", `\"`, "\x1b]", "\x1b[", "\x1b", "\xff", "\u202e", "=",
	}
	for _, p := range patterns {
		in := strings.Repeat(p, size/len(p))
		start := time.Now()
		_ = Sanitizer{Redact: true}.String(in)
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("pattern %q: 1 MB took %v, want linear time", p, elapsed)
		}
	}
}
