package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter is DRF's SimpleRateThrottle per key: a request is allowed
// while fewer than the limit were made in each trailing window. It runs on
// the wall clock, not the sandbox's (possibly frozen) one.
type rateLimiter struct {
	mu      sync.Mutex
	history map[string][]time.Time // per key, oldest first
}

// patterns_diff's own limits per key (PostHog's PatternsDiff throttles).
var diffRates = []struct {
	limit  int
	window time.Duration
}{{240, time.Minute}, {1200, time.Hour}}

// take records a request by token, or returns how long until one is allowed.
func (l *rateLimiter) take(token string, _ time.Time) (time.Duration, bool) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.history == nil {
		l.history = map[string][]time.Time{}
	}
	longest := diffRates[len(diffRates)-1].window
	h := l.history[token]
	drop := 0
	for drop < len(h) && now.Sub(h[drop]) >= longest {
		drop++
	}
	h = h[drop:]
	var wait time.Duration
	for _, rate := range diffRates {
		recent := 0
		for i := len(h) - 1; i >= 0 && now.Sub(h[i]) < rate.window; i-- {
			recent++
		}
		if recent >= rate.limit {
			oldest := h[len(h)-recent]
			wait = max(wait, rate.window-now.Sub(oldest))
		}
	}
	if wait > 0 {
		l.history[token] = h
		return wait, false
	}
	l.history[token] = append(h, now)
	return 0, true
}

// errThrottled is PostHog's 429, which carries no Retry-After header.
func errThrottled(wait time.Duration) *apiError {
	seconds := int(math.Ceil(wait.Seconds()))
	return drfError(http.StatusTooManyRequests, "throttled_error", "throttled",
		"Request was throttled. Expected available in "+strconv.Itoa(seconds)+" seconds.", "")
}
