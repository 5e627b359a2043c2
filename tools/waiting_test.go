package tools

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

type progressRecord struct {
	progress, total float64
	message         string
}

// TestReportWaiting: progress comes at once, then on every tick with
// growing elapsed time out of the limit, and never after stop; without a
// progress token nothing is reported.
func TestReportWaiting(t *testing.T) {
	var mu sync.Mutex
	var got []progressRecord
	ctx := withProgress(context.Background(), func(p, total float64, msg string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, progressRecord{p, total, msg})
	})
	stop := reportWaiting(ctx, "waiting for PostHog", 90*time.Second, time.Millisecond)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	mu.Lock()
	n := len(got)
	first := got[0]
	for i := 1; i < n; i++ {
		if got[i].progress < got[i-1].progress || got[i].total != 90 || !strings.Contains(got[i].message, "elapsed") {
			t.Errorf("tick %d: %+v after %+v", i, got[i], got[i-1])
		}
	}
	mu.Unlock()
	if first.progress != 0 || first.total != 90 || !strings.Contains(first.message, "waiting for PostHog (may take up to 1m30s)") {
		t.Fatalf("first report %+v", first)
	}
	time.Sleep(5 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("%d reports after stop", len(got)-n)
	}

	// No token: no reporter is installed, nothing runs.
	reportWaiting(context.Background(), "x", time.Second, time.Millisecond)()
}
