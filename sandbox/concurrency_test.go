package sandbox

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentRequests mixes reads, view writes and fault injection from
// many goroutines; run with -race.
func TestConcurrentRequests(t *testing.T) {
	srv := private(t)
	hour := q(map[string]any{"dateRange": dateRange(-time.Hour, 0), "limit": 20})
	var wg sync.WaitGroup
	var created atomic.Int32
	errs := make(chan error, 64)
	for worker := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				var resp response
				switch (worker + i) % 6 {
				case 0:
					resp = call(t, srv, "POST", KeyFull, logsPath("query"), hour)
				case 1:
					resp = call(t, srv, "POST", KeyFull, logsPath("services"), hour)
				case 2:
					resp = call(t, srv, "POST", KeyFull, logsPath("sparkline"), hour)
				case 3:
					resp = call(t, srv, "GET", KeyFull, logsPath("attributes"), nil)
				case 4:
					resp = call(t, srv, "POST", KeyFull, logsPath("views"), map[string]any{"name": fmt.Sprintf("view %d-%d", worker, i)})
					if resp.status == http.StatusCreated {
						created.Add(1)
						var v viewJSON
						resp.decode(t, &v)
						resp = call(t, srv, "PATCH", KeyFull, logsPath("views/"+v.ShortID), map[string]any{"pinned": true})
					}
				default:
					srv.InjectFault("logs/nothing/", Fault{Kind: FaultThrottle}, 1)
					_ = srv.Requests()
					resp = call(t, srv, "GET", KeyFull, logsPath("views"), nil)
				}
				if resp.status >= 300 {
					errs <- fmt.Errorf("worker %d request %d: %d %s", worker, i, resp.status, resp.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var list viewList
	call(t, srv, "GET", KeyFull, logsPath("views")+"?limit=500", nil).decode(t, &list)
	seen := map[string]bool{}
	for _, v := range list.Results {
		if seen[v.ShortID] {
			t.Fatalf("short_id %s twice", v.ShortID)
		}
		seen[v.ShortID] = true
	}
	if want := 3 + int(created.Load()); list.Count != want || len(list.Results) != want {
		t.Fatalf("%d views (%d listed), want %d", list.Count, len(list.Results), want)
	}
}
