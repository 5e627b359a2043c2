package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
)

// Defaults applied by New to zero-valued Options fields.
const (
	DefaultUserAgent        = "posthog-logs-mcp/dev"
	DefaultAttemptTimeout   = 30 * time.Second
	DefaultExplainTimeout   = 90 * time.Second
	DefaultCallTimeout      = 60 * time.Second
	DefaultMaxRetries       = 3
	DefaultRetryWaitMin     = 250 * time.Millisecond
	DefaultRetryWaitMax     = 10 * time.Second
	DefaultMaxResponseBytes = 32 << 20

	// defaultMaxIdleConnsPerHost sizes the default transport's pool for one busy host.
	defaultMaxIdleConnsPerHost = 128
)

// Cloud hosts selectable by name in Options.Host.
const (
	USHost = "https://us.posthog.com"
	EUHost = "https://eu.posthog.com"
)

// Options configures a Client. Zero values select the documented defaults.
type Options struct {
	// Host is "us" (default) → https://us.posthog.com, "eu" → https://eu.posthog.com,
	// or the base URL of a self-hosted instance (https; plain http only for loopback hosts).
	Host string
	// UserAgent is sent on every request; default "posthog-logs-mcp/dev".
	UserAgent string
	// AttemptTimeout bounds one HTTP attempt; default 30s (Explain: 90s unless set).
	AttemptTimeout time.Duration
	// CallTimeout is the total budget of one call including retries and waits; default 60s
	// (Explain: at least its attempt timeout). The caller's ctx deadline wins if sooner.
	CallTimeout time.Duration
	// MaxRetries is how many times a call may be retried after its first attempt;
	// default 3, negative disables retries.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between attempts
	// (defaults 250ms and 10s). A wait the server asks for (Retry-After, or the seconds in
	// a throttling detail) is not capped by RetryWaitMax, but if it is longer than what
	// remains of the budget the call fails at once as throttled.
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// MaxResponseBytes caps a response body; a larger body fails with KindTooLarge. Default 32 MiB.
	MaxResponseBytes int64
	// MaxBufferedBytes caps the response bytes held at once across all calls of this
	// Client; a call that finds it spent waits within its attempt's deadline, then fails
	// with KindBusy. Default 256 MiB; raised to at least 2×MaxResponseBytes + 4 MiB. A body
	// over 4 MiB is charged twice while it is read and decoded (its bytes, and the page they
	// decode to); after that, the decoded page is the caller's to drop.
	MaxBufferedBytes int64
	// Logger receives debug records about requests; nil discards. It never receives the key.
	Logger *slog.Logger
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// Client talks to one PostHog host. It is safe for concurrent use; the API key is
// given per call (see Auth), so one Client can serve many callers.
type Client struct {
	base             string // scheme://host[/prefix], no trailing slash
	http             *resty.Client
	log              *slog.Logger
	userAgent        string
	attemptTimeout   time.Duration
	explainTimeout   time.Duration
	callTimeout      time.Duration
	explainBudget    time.Duration
	slowTimeout      time.Duration // attempt timeout of calls that may mine for a minute (patterns)
	slowBudget       time.Duration
	maxRetries       int
	retryWaitMin     time.Duration
	retryWaitMax     time.Duration
	maxResponseBytes int64
	budget           bodyBudget // response bytes held at once, across calls

	// useEnvironments remembers that this host only serves the deprecated
	// /api/environments/{id}/ prefix (see the contract, section 1).
	useEnvironments atomic.Bool

	// diffLimiter keeps each key under patterns_diff's own rate limits (contract, 12).
	diffLimiter *windowLimiter

	// now is the clock of the rate limiter; tests replace it.
	now func() time.Time
	// sleep waits between attempts; tests replace it to keep waits instant and observable.
	sleep func(ctx context.Context, d time.Duration) error
	// jitter returns a pseudo-random value in [0, n); tests may pin it.
	jitter func(n int64) int64
}

// Auth identifies the caller of one request: the key is per request, so one Client serves many callers.
type Auth struct {
	Key       string
	ProjectID int64
}

// New builds a Client from opts, validating the host.
func New(opts Options) (*Client, error) {
	base, err := resolveHost(opts.Host)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:             base,
		log:              opts.Logger,
		userAgent:        orDefault(opts.UserAgent, DefaultUserAgent),
		attemptTimeout:   orDefault(opts.AttemptTimeout, DefaultAttemptTimeout),
		explainTimeout:   orDefault(opts.AttemptTimeout, DefaultExplainTimeout),
		callTimeout:      orDefault(opts.CallTimeout, DefaultCallTimeout),
		maxRetries:       opts.MaxRetries,
		retryWaitMin:     orDefault(opts.RetryWaitMin, DefaultRetryWaitMin),
		retryWaitMax:     orDefault(opts.RetryWaitMax, DefaultRetryWaitMax),
		maxResponseBytes: orDefault(opts.MaxResponseBytes, DefaultMaxResponseBytes),
		slowTimeout:      orDefault(opts.AttemptTimeout, defaultPatternsTimeout),
		diffLimiter:      newWindowLimiter(patternsDiffLimits),
		now:              time.Now,
		sleep:            sleepCtx,
		jitter:           randInt63n,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case opts.MaxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case opts.MaxRetries < 0:
		c.maxRetries = 0
	}
	if c.retryWaitMax < c.retryWaitMin {
		c.retryWaitMax = c.retryWaitMin
	}
	c.explainBudget = c.callTimeout
	if opts.CallTimeout == 0 && c.explainBudget < c.explainTimeout {
		// The model call alone may take 60 s: a default budget must not cut it short.
		c.explainBudget = c.explainTimeout + 10*time.Second
	}
	c.budget = newBodyBudget(orDefault(opts.MaxBufferedBytes, DefaultMaxBufferedBytes), c.maxResponseBytes)
	c.slowBudget = c.callTimeout
	if opts.CallTimeout == 0 && c.slowBudget < c.slowTimeout {
		// Mining may take a minute server-side: a default budget must not cut it short.
		c.slowBudget = c.slowTimeout + 10*time.Second
	}
	c.http = newRestyClient(opts.Transport, c.log)
	c.http.SetHeader("User-Agent", c.userAgent)
	return c, nil
}

// CloseIdleConnections closes the connections kept for reuse: at shutdown, or to give
// their memory back after a burst. Calls in progress are not affected.
func (c *Client) CloseIdleConnections() { c.http.GetClient().CloseIdleConnections() }

// BaseURL returns the scheme, host and optional path prefix requests are sent to, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// newRestyClient configures resty for explicit, single-attempt requests: retries, body
// parsing and cookies are handled (or refused) by this package, not by resty.
func newRestyClient(transport http.RoundTripper, log *slog.Logger) *resty.Client {
	rc := resty.New()
	// resty.New installs a cookie jar; an API client must never echo cookies back.
	rc.SetCookieJar(nil)
	if transport != nil {
		rc.SetTransport(transport)
	} else if t, err := rc.Transport(); err == nil {
		// resty keeps GOMAXPROCS+1 idle connections per host: with more concurrent callers
		// than that, most requests would open (and TLS-handshake) a new connection.
		t.MaxIdleConns = max(t.MaxIdleConns, defaultMaxIdleConnsPerHost)
		t.MaxIdleConnsPerHost = defaultMaxIdleConnsPerHost
	}
	rc.SetRetryCount(0)
	rc.SetDisableWarn(true)
	rc.SetLogger(restyLogger{log: log})
	// Never follow redirects: a redirect would resend the key to wherever it points, and
	// the API has no reason to redirect a correct request. The 3xx surfaces as an error.
	rc.SetRedirectPolicy(resty.RedirectPolicyFunc(func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}))
	return rc
}

// resolveHost turns Options.Host into a base URL, refusing plain http except on loopback.
// A bare host name ("eu.posthog.com", "posthog.example.com:8443/prefix") means https.
func resolveHost(host string) (string, error) {
	raw := strings.TrimSpace(host)
	switch strings.ToLower(raw) {
	case "", "us":
		return USHost, nil
	case "eu":
		return EUHost, nil
	}
	if !strings.Contains(raw, ":/") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("client: host %q is neither \"us\", \"eu\", a host name nor an http(s) base URL", host)
	}
	if u.User != nil {
		return "", errors.New("client: the host URL must not carry credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("client: the host URL must not have a query or fragment")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("client: refusing plain http to %s: the API key would travel unencrypted; use https (http is allowed only for loopback hosts)", u.Hostname())
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

func isLoopback(hostname string) bool {
	if strings.EqualFold(hostname, "localhost") || strings.HasSuffix(strings.ToLower(hostname), ".localhost") {
		return true
	}
	ip := net.ParseIP(hostname)
	return ip != nil && ip.IsLoopback()
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// restyLogger forwards resty's own (rare) messages to slog at debug level, redacted.
type restyLogger struct{ log *slog.Logger }

func (l restyLogger) Errorf(format string, v ...any) { l.emit(format, v...) }
func (l restyLogger) Warnf(format string, v ...any)  { l.emit(format, v...) }
func (l restyLogger) Debugf(format string, v ...any) { l.emit(format, v...) }

func (l restyLogger) emit(format string, v ...any) {
	l.log.Debug("resty", "msg", redactSecrets(fmt.Sprintf(format, v...)))
}
