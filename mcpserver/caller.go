package mcpserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// AuthError means a caller has no usable key: none was given, or PostHog
// rejected it (401). The HTTP transport answers 401.
type AuthError struct {
	// Rejected is true when PostHog answered 401 to the key's introspection.
	Rejected bool
	Msg      string
}

func (e *AuthError) Error() string { return e.Msg }

// ProjectError means the project a caller asked for (or the server pins)
// is not one this key may use. The HTTP transport answers 403; stdio and
// `call` refuse to start.
type ProjectError struct {
	Project int64
	Msg     string
}

func (e *ProjectError) Error() string { return e.Msg }

// UnreachableError means PostHog could not be reached to check a key (no
// answer at all: DNS, a refused or timed-out connection). The caller is
// still resolved (with no introspection): tools/list shows the full
// catalogue, and every tool call answers this error instead of running,
// since it could not reach PostHog either. It is cached only briefly
// (failedIntrospectionTTL), so a fixed network needs no restart.
type UnreachableError struct {
	Host   string // the base URL tried
	Detail string // what failed, without the key
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("PostHog at %s could not be reached (%s): check POSTHOG_HOST (us, eu, or the URL of your PostHog) and the network", e.Host, e.Detail)
}

// Cache lifetimes of introspection results. A rejected key is remembered
// briefly so a client retrying with a bad key does not hammer PostHog; a
// failed introspection (network, 5xx) is retried soon, but not on every
// request of an outage.
const (
	defaultIntrospectionTTL = 5 * time.Minute
	rejectedKeyTTL          = time.Minute
	failedIntrospectionTTL  = 15 * time.Second
	introspectionTimeout    = 10 * time.Second
	maxCachedKeys           = 4096
	// maxConcurrentIntrospections bounds the introspections in flight.
	// Each distinct key costs one upstream request that outlives the HTTP
	// request that asked for it (up to introspectionTimeout): without a
	// bound, anyone able to reach the server could make it open any number
	// of connections to PostHog by sending random keys and hanging up.
	maxConcurrentIntrospections = 32
)

// callerResolver turns a key and an optional requested project into a
// tools.Caller, introspecting each key once per TTL.
type callerResolver struct {
	client *client.Client
	pinned int64
	ttl    time.Duration
	log    *slog.Logger
	now    func() time.Time
	// maxKeys bounds the cache (maxCachedKeys; tests lower it).
	maxKeys int
	// slots holds a token per introspection in flight.
	slots chan struct{}
	// limits rate-limits checks of new keys by client address; events
	// aggregates their log lines.
	limits *checkLimiter
	events *keyEventLog

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*introspection
}

// introspection is one cached (or in-flight) introspection of a key.
// Fields other than done are written once, before done is closed.
type introspection struct {
	done chan struct{}
	info *client.KeyInfo // nil: introspection failed, show everything
	err  *AuthError      // non-nil: the key was rejected
	// unreachable is set when PostHog did not answer at all.
	unreachable *UnreachableError
	expires     time.Time
}

func (e *introspection) ready() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

func newCallerResolver(c *client.Client, pinned int64, ttl time.Duration, log *slog.Logger) *callerResolver {
	if ttl <= 0 {
		ttl = defaultIntrospectionTTL
	}
	return &callerResolver{
		client: c, pinned: pinned, ttl: ttl, log: log, now: time.Now, maxKeys: maxCachedKeys,
		slots:   make(chan struct{}, maxConcurrentIntrospections),
		limits:  newCheckLimiter(),
		events:  &keyEventLog{log: log, interval: keyLogInterval, host: c.BaseURL()},
		entries: map[[sha256.Size]byte]*introspection{},
	}
}

// KeyID is a short, non-reversible identifier of a key for logs: the first
// 12 hex digits of its SHA-256. The key itself is never logged.
func KeyID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}

// resolve returns the caller for key, asking for project requested (0: none
// asked). from names the client (see clientAddr) whose checks of new keys
// are rate-limited; "" is the operator's own configuration, never limited.
// Errors are *AuthError, *ProjectError, *RateLimitError, or
// *UnreachableError, which comes with a usable caller (no introspection).
func (r *callerResolver) resolve(ctx context.Context, key string, requested int64, from string) (tools.Caller, error) {
	if key == "" {
		return tools.Caller{}, &AuthError{Msg: "no PostHog API key: send Authorization: Bearer phx_... (a personal API key with the logs:read scope)"}
	}
	info, err := r.introspect(ctx, key, from)
	var unreachable *UnreachableError
	if err != nil && !errors.As(err, &unreachable) {
		return tools.Caller{}, err
	}
	project, perr := chooseProject(info, r.pinned, requested)
	if perr != nil {
		return tools.Caller{}, perr
	}
	return tools.Caller{Key: key, Project: project, Info: info}, err
}

// introspect returns the key's scopes and projects, from the cache when
// fresh. Concurrent calls for one key share a single upstream request, which
// runs detached from any one caller's context so that a caller giving up
// does not fail the others. At most maxConcurrentIntrospections run at once;
// a new key waits for a free slot (or for its caller to give up). A key
// not in the cache needs a token from the client's and the total rate
// limits first (when from is set).
func (r *callerResolver) introspect(ctx context.Context, key, from string) (*client.KeyInfo, error) {
	hash := sha256.Sum256([]byte(key))
	r.mu.Lock()
	e := r.usableLocked(hash)
	r.mu.Unlock()
	if e == nil && from != "" {
		if err := r.limits.admit(r.now(), from); err != nil {
			r.events.record(keyLimited, KeyID(key), err)
			return nil, err
		}
	}
	if e == nil {
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		r.mu.Lock()
		if e = r.usableLocked(hash); e != nil {
			<-r.slots // another caller started it while we waited
		} else {
			e = &introspection{done: make(chan struct{})}
			r.entries[hash] = e
			r.evictLocked()
			go r.fill(e, key)
		}
		r.mu.Unlock()
	}

	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	switch {
	case e.err != nil:
		return nil, e.err
	case e.unreachable != nil:
		return nil, e.unreachable
	}
	return e.info, nil
}

// usableLocked returns the entry for hash if it is in flight or fresh.
func (r *callerResolver) usableLocked(hash [sha256.Size]byte) *introspection {
	e := r.entries[hash]
	if e != nil && e.ready() && r.now().After(e.expires) {
		return nil
	}
	return e
}

// fill runs one introspection, publishes its outcome and frees its slot.
func (r *callerResolver) fill(e *introspection, key string) {
	ttl := failedIntrospectionTTL
	defer func() {
		// A panic below (the client, a transport) must neither end the
		// process nor leave the key's waiters hanging: it counts as a
		// failed introspection.
		if p := recover(); p != nil {
			e.info, e.err, e.unreachable = nil, nil, nil
			ttl = failedIntrospectionTTL
			r.log.Error("key introspection panicked; exposing the full tool catalogue for this key", "key_id", KeyID(key))
		}
		e.expires = r.now().Add(ttl)
		<-r.slots
		close(e.done)
	}()
	ctx, cancel := context.WithTimeout(WithToolName(context.Background(), "introspect"), introspectionTimeout)
	defer cancel()
	info, err := r.client.Introspect(ctx, key)
	var ce *client.Error
	switch {
	case err == nil:
		e.info = info
		ttl = r.ttl
	case errors.As(err, &ce) && ce.Kind == client.KindAuth:
		e.err = &AuthError{Rejected: true, Msg: "PostHog rejected this API key (401): check that it is a valid personal API key for this PostHog host (a US key does not work on EU)"}
		ttl = rejectedKeyTTL
		r.events.record(keyRejected, KeyID(key), nil)
	case errors.As(err, &ce) && ce.Status == 0 && (ce.Kind == client.KindUpstream || ce.Kind == client.KindTimeout):
		// No answer at all: every call would fail the same way, so calls
		// say why (see UnreachableError) until a retry gets through.
		e.unreachable = &UnreachableError{Host: r.client.BaseURL(), Detail: ce.Detail}
		r.events.record(keyHostUnreachable, KeyID(key), err)
	default:
		// Degrade rather than refuse: with no introspection every tool is
		// shown and PostHog's own 403 is the guard.
		r.events.record(keyCheckFailed, KeyID(key), err)
	}
}

// evictLocked bounds the cache: callers sending many distinct (possibly
// random) keys must not grow it without limit, nor push out the keys that
// work. Expired entries go first, then rejected keys and failed
// introspections, and only then working keys. Entries in flight stay;
// there are at most maxConcurrentIntrospections of them.
func (r *callerResolver) evictLocked() {
	if len(r.entries) <= r.maxKeys {
		return
	}
	now := r.now()
	for h, e := range r.entries {
		if e.ready() && now.After(e.expires) {
			delete(r.entries, h)
		}
	}
	for _, working := range []bool{false, true} {
		for h, e := range r.entries {
			if len(r.entries) <= r.maxKeys {
				return
			}
			if e.ready() && (e.info != nil) == working {
				delete(r.entries, h)
			}
		}
	}
}

// chooseProject applies the project rules: a project requested by the
// caller must agree with the server's pinned one; a requested or pinned
// project must be among the key's scoped projects; otherwise a key scoped
// to exactly one project implies it; otherwise 0 (project_id required).
// PostHog's @current is never used.
func chooseProject(info *client.KeyInfo, pinned, requested int64) (int64, error) {
	if pinned != 0 && requested != 0 && requested != pinned {
		return 0, &ProjectError{Project: requested, Msg: fmt.Sprintf(
			"this server is pinned to project %d (POSTHOG_PROJECT_ID); it cannot serve project %d", pinned, requested)}
	}
	project := requested
	source := "X-PostHog-Project-Id"
	if project == 0 {
		project, source = pinned, "POSTHOG_PROJECT_ID"
	}
	if project != 0 {
		if info != nil && !info.AllTeams() && !slices.Contains(info.Teams, project) {
			return 0, &ProjectError{Project: project, Msg: fmt.Sprintf(
				"project %d (from %s) is not among the projects this API key%s is scoped to (%s); use one of those projects or a key scoped to project %d",
				project, source, keyLabel(info), joinIDs(info.Teams), project)}
		}
		return project, nil
	}
	if info != nil && len(info.Teams) == 1 {
		return info.Teams[0], nil
	}
	return 0, nil
}

func keyLabel(info *client.KeyInfo) string {
	if info.Label == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", info.Label)
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ", ")
}
