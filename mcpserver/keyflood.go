package mcpserver

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"
	"time"
)

// Key floods.
//
// Every key the server has not seen costs one request to PostHog (the
// introspection) and, if PostHog rejects it, one log line. Anyone who can
// reach the HTTP listener can send random keys, so both are bounded:
// checks of unknown keys are rate-limited per client address and in total
// (keys already cached, working or rejected, never wait for a token), and
// rejections are logged as one summary line per interval.

// Rates of key checks (introspections of keys not in the cache). A person
// or an agent fleet behind one address starts a handful of new keys, not
// dozens a second; the total rate bounds what a flood from many addresses
// can make PostHog do.
const (
	addrCheckBurst = 20
	addrCheckRate  = 1.0 // per second
	allCheckBurst  = 100
	allCheckRate   = 10.0 // per second
	// maxTrackedAddrs bounds the per-address buckets kept; full (idle)
	// buckets are dropped first.
	maxTrackedAddrs = 10000
	// keyLogInterval is how often repeated key events are summarised.
	keyLogInterval = 10 * time.Second
)

// RateLimitError means a key check was refused because the caller's
// address (or everyone together) asked for too many new keys. The HTTP
// transport answers 429 with Retry-After.
type RateLimitError struct {
	RetryAfter time.Duration
	Msg        string
}

func (e *RateLimitError) Error() string { return e.Msg }

// tokenBucket allows burst events at once and rate per second after.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// take consumes a token if there is one; otherwise it reports how long
// until there will be.
func (b *tokenBucket) take(now time.Time, burst, rate float64) (ok bool, wait time.Duration) {
	switch {
	case b.last.IsZero():
		b.tokens, b.last = burst, now
	case now.After(b.last):
		// Callers read the clock before taking the lock: time only moves
		// forward here, or an early reading would count a refill twice.
		b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

func (b *tokenBucket) full(now time.Time, burst, rate float64) bool {
	return b.tokens+now.Sub(b.last).Seconds()*rate >= burst
}

// checkLimiter holds the token buckets of key checks.
type checkLimiter struct {
	mu    sync.Mutex
	all   tokenBucket
	addrs map[string]*tokenBucket
}

func newCheckLimiter() *checkLimiter {
	return &checkLimiter{addrs: map[string]*tokenBucket{}}
}

// admit takes a token from the address's bucket and from the total one.
func (l *checkLimiter) admit(now time.Time, addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.addrs[addr]
	if b == nil {
		l.pruneLocked(now)
		b = &tokenBucket{}
		l.addrs[addr] = b
	}
	if ok, wait := b.take(now, addrCheckBurst, addrCheckRate); !ok {
		return &RateLimitError{RetryAfter: wait, Msg: fmt.Sprintf(
			"too many new API keys from this address: retry in %d s (keys already in use are not affected)", retrySeconds(wait))}
	}
	if ok, wait := l.all.take(now, allCheckBurst, allCheckRate); !ok {
		b.tokens++ // not this address's fault
		return &RateLimitError{RetryAfter: wait, Msg: fmt.Sprintf(
			"the server is checking too many new API keys right now: retry in %d s (keys already in use are not affected)", retrySeconds(wait))}
	}
	return nil
}

func (l *checkLimiter) pruneLocked(now time.Time) {
	if len(l.addrs) < maxTrackedAddrs {
		return
	}
	for a, b := range l.addrs {
		if b.full(now, addrCheckBurst, addrCheckRate) {
			delete(l.addrs, a)
		}
	}
	// Still full of active flooders: forget arbitrary ones (they start
	// again with a full burst, which the total bucket still bounds).
	for a := range l.addrs {
		if len(l.addrs) < maxTrackedAddrs {
			break
		}
		delete(l.addrs, a)
	}
}

func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// clientAddr names the client for rate limiting: its IP, or its /64 for
// IPv6 (one host usually holds a whole /64).
func clientAddr(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// keyEventLog writes the first key event of a quiet period as it comes and
// then one summary line per interval while events keep coming, so that a
// flood of bad keys cannot flood the log.
type keyEventLog struct {
	log      *slog.Logger
	interval time.Duration

	mu                        sync.Mutex
	timer                     *time.Timer
	rejected, limited, failed int
	host                      string // PostHog's base URL, for unreachable
}

type keyEvent int

const (
	keyRejected        keyEvent = iota // PostHog answered 401
	keyLimited                         // a check refused by the rate limits
	keyCheckFailed                     // introspection failed (5xx, garbage)
	keyHostUnreachable                 // no answer from PostHog at all
)

func (l *keyEventLog) record(ev keyEvent, keyID string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != nil {
		switch ev {
		case keyRejected:
			l.rejected++
		case keyLimited:
			l.limited++
		case keyCheckFailed, keyHostUnreachable:
			l.failed++
		}
		return
	}
	l.timer = time.AfterFunc(l.interval, l.flush)
	switch ev {
	case keyRejected:
		l.log.Info("PostHog rejected a key", "key_id", keyID)
	case keyLimited:
		l.log.Warn("refused to check a new key: too many new keys", "key_id", keyID, "err", err)
	case keyCheckFailed:
		l.log.Warn("key introspection failed; exposing the full tool catalogue for this key", "key_id", keyID, "err", err)
	case keyHostUnreachable:
		l.log.Warn("PostHog could not be reached to check the key", "host", l.host, "key_id", keyID, "err", err)
	}
}

// flush writes the summary of the interval just ended, if anything
// happened in it, and keeps summarising while events keep coming.
func (l *keyEventLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rejected+l.limited+l.failed == 0 {
		l.timer = nil
		return
	}
	level := slog.LevelInfo
	if l.limited+l.failed > 0 {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, "key checks in the last interval (keys not logged one by one)",
		"interval", l.interval, "rejected_by_posthog", l.rejected, "refused_rate_limited", l.limited, "introspection_failed", l.failed)
	l.rejected, l.limited, l.failed = 0, 0, 0
	l.timer = time.AfterFunc(l.interval, l.flush)
}

// stop cancels a pending summary (tests).
func (l *keyEventLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}
