package client

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"sync"
	"time"
)

// windowLimit allows n sends in any window of length per.
type windowLimit struct {
	n   int
	per time.Duration
}

// patternsDiffLimits are PostHog's throttles on logs/patterns_diff/ per key (contract, 12).
var patternsDiffLimits = []windowLimit{{n: 240, per: time.Minute}, {n: 1200, per: time.Hour}}

// limiterSlack widens every window: the server counts arrivals, and two sends a full window
// apart may arrive closer together than that.
const limiterSlack = time.Second

// windowLimiter keeps each key under sliding-window limits, the way PostHog's throttles
// (DRF's SimpleRateThrottle) count: a send is refused while n sends lie within the last
// `per`. It remembers send times per key (a hash of it: the key itself is not kept), at
// most the largest n per key, and forgets keys idle for the longest window.
type windowLimiter struct {
	limits  []windowLimit
	longest time.Duration

	mu        sync.Mutex
	keys      map[[sha256.Size]byte][]time.Time // send times, oldest first, within longest
	lastSweep time.Time
}

func newWindowLimiter(limits []windowLimit) *windowLimiter {
	l := &windowLimiter{limits: limits, keys: make(map[[sha256.Size]byte][]time.Time)}
	for _, lim := range limits {
		l.longest = max(l.longest, lim.per+limiterSlack)
	}
	return l
}

// reserve records a send for key at now when every limit admits one and returns 0;
// otherwise it records nothing and returns how long until a send would be admitted.
func (l *windowLimiter) reserve(key string, now time.Time) time.Duration {
	id := sha256.Sum256([]byte(key))
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > l.longest {
		l.sweep(now)
	}
	times := l.keys[id]
	// Forget sends older than the longest window.
	cut := sort.Search(len(times), func(i int) bool { return now.Sub(times[i]) < l.longest })
	times = times[cut:]

	var wait time.Duration
	for _, lim := range l.limits {
		window := lim.per + limiterSlack
		first := sort.Search(len(times), func(i int) bool { return now.Sub(times[i]) < window })
		if len(times)-first >= lim.n {
			// Admitted once the n-th most recent send leaves the window.
			wait = max(wait, times[len(times)-lim.n].Add(window).Sub(now))
		}
	}
	if wait > 0 {
		l.keys[id] = times
		return wait
	}
	l.keys[id] = append(times, now)
	return 0
}

// sweep drops keys with no send within the longest window.
func (l *windowLimiter) sweep(now time.Time) {
	for id, times := range l.keys {
		if len(times) == 0 || now.Sub(times[len(times)-1]) >= l.longest {
			delete(l.keys, id)
		}
	}
	l.lastSweep = now
}

// admit waits until r's limiter admits one more send for key, within the call's budget;
// a wait beyond the budget fails at once as throttled.
func (c *Client) admit(ctx context.Context, key string, r *request, path string, attempt int) *Error {
	for {
		wait := r.limiter.reserve(key, c.now())
		if wait <= 0 {
			return nil
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return &Error{Kind: KindThrottled, Method: r.method, Path: path, RetryAfter: wait, Attempts: attempt - 1,
				NotSent: attempt == 1, Detail: fmt.Sprintf(
					"not sent: PostHog allows %s at most %s for each key, and this key has reached that; the next call is possible in about %s",
					r.path, describeLimits(r.limiter.limits), wait.Round(time.Second))}
		}
		c.log.Debug("posthog: waiting for the client-side rate limit", "path", path, "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			e := c.gaveUp(ctx, nil)
			e.Method, e.Path, e.Attempts, e.NotSent = r.method, path, attempt-1, attempt == 1
			e.Detail += " while waiting for the client-side rate limit of " + r.path
			return e
		}
	}
}

func describeLimits(limits []windowLimit) string {
	s := ""
	for i, lim := range limits {
		if i > 0 {
			s += " and "
		}
		unit := lim.per.String()
		switch lim.per {
		case time.Second:
			unit = "second"
		case time.Minute:
			unit = "minute"
		case time.Hour:
			unit = "hour"
		}
		s += fmt.Sprintf("%d calls per %s", lim.n, unit)
	}
	return s
}
