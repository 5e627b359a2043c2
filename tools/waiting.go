package tools

import (
	"context"
	"fmt"
	"time"
)

// waitingEvery is how often a long wait on PostHog tells a client that
// asked for progress that the call is still alive: an AI explanation may
// take tens of seconds, and some clients give up on a silent call.
const waitingEvery = 5 * time.Second

// reportWaiting sends progress at once and then every `every` while the
// caller waits on what, as seconds elapsed out of limit, until stop is
// called. It does nothing when the client sent no progress token.
func reportWaiting(ctx context.Context, what string, limit, every time.Duration) (stop func()) {
	if fn, _ := ctx.Value(progressKey{}).(progressFunc); fn == nil {
		return func() {}
	}
	progress := progressFrom(ctx)
	start := time.Now()
	progress(0, limit.Seconds(), what+fmt.Sprintf(" (may take up to %s)", limit))
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				elapsed := time.Since(start).Round(time.Second)
				progress(elapsed.Seconds(), limit.Seconds(), fmt.Sprintf("%s: %s elapsed", what, elapsed))
			}
		}
	}()
	// Waiting for the goroutine keeps a late notification from following
	// the call's result.
	return func() { close(done); <-finished }
}
