package mcpserver

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

func TestChooseProject(t *testing.T) {
	one := &client.KeyInfo{Label: "ci", Teams: []int64{1}}
	two := &client.KeyInfo{Teams: []int64{1, 2}}
	all := &client.KeyInfo{}
	tests := []struct {
		name              string
		info              *client.KeyInfo
		pinned, requested int64
		want              int64
		wantErr           []string // substrings of the error; nil: no error
	}{
		{"nothing known", nil, 0, 0, 0, nil},
		{"single scoped team implied", one, 0, 0, 1, nil},
		{"several teams: project_id required", two, 0, 0, 0, nil},
		{"all teams: project_id required", all, 0, 0, 0, nil},
		{"pinned inside scope", one, 1, 0, 1, nil},
		{"pinned outside scope names both", one, 5, 0, 0, []string{"project 5", "POSTHOG_PROJECT_ID", `"ci"`, "(1)"}},
		{"pinned with all teams", all, 5, 0, 5, nil},
		{"pinned without introspection", nil, 5, 0, 5, nil},
		{"header agrees with pin", one, 1, 1, 1, nil},
		{"header contradicts pin", two, 1, 2, 0, []string{"pinned to project 1", "project 2"}},
		{"header inside scope", two, 0, 2, 2, nil},
		{"header outside scope", one, 0, 2, 0, []string{"project 2", "X-PostHog-Project-Id", "(1)"}},
		{"header without introspection", nil, 0, 7, 7, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseProject(tt.info, tt.pinned, tt.requested)
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Fatalf("got %d, %v; want %d", got, err, tt.want)
				}
				return
			}
			var pe *ProjectError
			if !errors.As(err, &pe) {
				t.Fatalf("got %d, %v; want a *ProjectError", got, err)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

// clock is a settable time source safe for concurrent reads.
type clock struct{ nanos atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.nanos.Load()) }
func (c *clock) advance(d time.Duration) { c.nanos.Add(int64(d)) }

func newResolverForTest(t *testing.T, pinned int64) (*callerResolver, *fakeKeys, *clock) {
	url, fake := newFakePostHog(t)
	s := newTestServer(t, url.URL, tools.Config{PinnedProject: pinned}, nil)
	c := &clock{}
	c.nanos.Store(time.Now().UnixNano())
	s.callers.now = c.now
	return s.callers, fake, c
}

func TestIntrospectionIsDedupedAndCached(t *testing.T) {
	r, fake, clk := newResolverForTest(t, 0)
	fake.delay = 50 * time.Millisecond

	var wg sync.WaitGroup
	callers := make([]tools.Caller, 20)
	errs := make([]error, 20)
	for i := range callers {
		wg.Go(func() { callers[i], errs[i] = r.resolve(context.Background(), fakeKeyFull, 0, "") })
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || callers[i].Info == nil || callers[i].Project != 1 || callers[i].Key != fakeKeyFull {
			t.Fatalf("caller %d: %+v, %v", i, callers[i], errs[i])
		}
	}
	if n := fake.count(fakeKeyFull); n != 1 {
		t.Fatalf("20 concurrent resolutions made %d introspections, want 1", n)
	}

	clk.advance(4 * time.Minute)
	if _, err := r.resolve(context.Background(), fakeKeyFull, 0, ""); err != nil || fake.count(fakeKeyFull) != 1 {
		t.Fatalf("within the TTL: err %v, %d introspections", err, fake.count(fakeKeyFull))
	}
	clk.advance(2 * time.Minute)
	if _, err := r.resolve(context.Background(), fakeKeyFull, 0, ""); err != nil || fake.count(fakeKeyFull) != 2 {
		t.Fatalf("after the TTL: err %v, %d introspections, want 2", err, fake.count(fakeKeyFull))
	}
}

func TestIntrospectionOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		key         string
		pinned      int64
		wantAuth    bool
		wantRejects bool
		wantProject bool // a *ProjectError
		wantInfo    bool
		wantProj    int64
		wantHits    int
	}{
		{name: "no key", key: "", wantAuth: true, wantHits: 0},
		{name: "rejected key", key: "phx_unknown", wantAuth: true, wantRejects: true, wantHits: 1},
		{name: "introspection down degrades to full catalogue", key: fakeKeyDown, wantHits: 1},
		{name: "introspection down keeps the pin", key: fakeKeyDown, pinned: 9, wantProj: 9, wantHits: 1},
		{name: "read key", key: fakeKeyRead, wantInfo: true, wantProj: 1, wantHits: 1},
		{name: "all-access key leaves project open", key: fakeKeyAll, wantInfo: true, wantHits: 1},
		{name: "pin outside the key", key: fakeKeyRead, pinned: 2, wantProject: true, wantHits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, fake, _ := newResolverForTest(t, tt.pinned)
			for range 3 { // the outcome is cached: later calls do not ask again
				c, err := r.resolve(context.Background(), tt.key, 0, "")
				var ae *AuthError
				var pe *ProjectError
				switch {
				case tt.wantAuth:
					if !errors.As(err, &ae) || ae.Rejected != tt.wantRejects {
						t.Fatalf("got %v, want an AuthError (rejected=%v)", err, tt.wantRejects)
					}
				case tt.wantProject:
					if !errors.As(err, &pe) {
						t.Fatalf("got %v, want a ProjectError", err)
					}
				default:
					if err != nil || (c.Info != nil) != tt.wantInfo || c.Project != tt.wantProj {
						t.Fatalf("got %+v, %v; want info=%v project=%d", c, err, tt.wantInfo, tt.wantProj)
					}
				}
			}
			if n := fake.count(tt.key); n != tt.wantHits {
				t.Fatalf("%d introspections, want %d", n, tt.wantHits)
			}
		})
	}
}

func TestIntrospectionWaiterMayGiveUp(t *testing.T) {
	r, fake, _ := newResolverForTest(t, 0)
	fake.delay = 150 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := r.resolve(ctx, fakeKeyRead, 0, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the waiter's deadline", err)
	}
	// The shared introspection was not cancelled with the first waiter.
	c, err := r.resolve(context.Background(), fakeKeyRead, 0, "")
	if err != nil || c.Info == nil || fake.count(fakeKeyRead) != 1 {
		t.Fatalf("got %+v, %v after %d introspections", c, err, fake.count(fakeKeyRead))
	}
}

func TestIntrospectionCacheIsBounded(t *testing.T) {
	r, _, _ := newResolverForTest(t, 0)
	r.maxKeys = 3
	for i := range 10 {
		_, _ = r.resolve(context.Background(), "phx_random_"+string(rune('a'+i)), 0, "")
	}
	r.mu.Lock()
	n := len(r.entries)
	r.mu.Unlock()
	if n > 3 {
		t.Fatalf("%d cached keys, want at most 3", n)
	}
}

func TestKeyIDHidesTheKey(t *testing.T) {
	id := KeyID(fakeKeyFull)
	if len(id) != 12 || strings.Contains(fakeKeyFull, id) || id == KeyID(fakeKeyRead) {
		t.Fatalf("KeyID = %q", id)
	}
}
