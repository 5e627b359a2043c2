package bench

import (
	"sync"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// The sandbox data set takes a second or two to generate: every test and
// benchmark of the package shares one.
var shared struct {
	once sync.Once
	sb   *sandbox.Sandbox
	page *Fixture
	err  error
}

func loadShared() {
	shared.sb = NewSandbox()
	shared.page, shared.err = CaptureFixture(shared.sb, PageArgs(FixtureNow.Add(-time.Hour), FixtureNow))
}

// fixtureSandbox returns the shared sandbox.
func fixtureSandbox(tb testing.TB) *sandbox.Sandbox {
	tb.Helper()
	shared.once.Do(loadShared)
	return shared.sb
}

// pageFixture returns the canned 50-row page of the last hour before
// FixtureNow, all services: what the benchmarks replay.
func pageFixture(tb testing.TB) *Fixture {
	tb.Helper()
	shared.once.Do(loadShared)
	if shared.err != nil {
		tb.Fatalf("capture the fixture page: %v", shared.err)
	}
	return shared.page
}

// pageStack returns a server whose PostHog answers every query with the
// canned page from memory.
func pageStack(tb testing.TB, f *Fixture) *Stack {
	tb.Helper()
	st, err := NewStack(PageTransport{Body: f.Body}, f.Now, sandbox.ProjectID)
	if err != nil {
		tb.Fatalf("build the server: %v", err)
	}
	return st
}
