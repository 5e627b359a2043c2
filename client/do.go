package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// replayPolicy says whether a request may be sent again after an ambiguous failure
// (a 5xx, a reset connection, a timeout), where the server may or may not have acted.
type replayPolicy int

const (
	// replaySafe: GETs and the read-only POSTs (query, services, sparkline, count).
	replaySafe replayPolicy = iota
	// replayNever: requests with effects or cost (create, explain, PATCH, DELETE). They are
	// retried only when the server provably did nothing: a 429, or a failed dial.
	replayNever
)

// maxErrorBodyBytes bounds how much of an error response is read: details are short, and
// a proxy's HTML page is summarised, not shown.
const maxErrorBodyBytes = 64 << 10

// request describes one API call before it is sent.
type request struct {
	method  string
	path    string // for project calls the part after /api/projects/{id}/ (e.g. "logs/query/"); else the absolute path
	project int64  // 0: path is absolute
	query   url.Values
	body    any // marshalled as JSON; nil sends no body
	replay  replayPolicy
	heavy   bool // a query: its 500/504 and timeouts advise narrowing the range
	explain bool // uses the explain attempt timeout and budget
	slow    bool // may take a minute server-side (patterns): uses the slow attempt timeout and budget
	// newEndpoint: a 404 other than "Project not found." means the deployment predates the
	// endpoint (KindUnsupported), not a missing resource.
	newEndpoint bool
	// limiter, when set, must admit each attempt before it is sent (patterns_diff's own rate limit).
	limiter *windowLimiter
	// decode reads a 2xx body; nil ignores it. It must not retain body.
	decode func(body []byte) error
	// write, for view creates, updates and deletes, says what may or may not have happened
	// and how to check; such a call succeeds only on an answer that proves it (a decode
	// that accepts the view; 204 for a delete), else it fails with KindOutcomeUnknown.
	write string
}

// do runs r with retries inside the call budget, returning nil or an *Error.
func (c *Client) do(ctx context.Context, key string, r *request) error {
	if e := c.validateRequest(key, r); e != nil {
		return e
	}
	budget, attemptTimeout := c.callTimeout, c.attemptTimeout
	switch {
	case r.explain:
		budget, attemptTimeout = c.explainBudget, c.explainTimeout
	case r.slow:
		budget, attemptTimeout = c.slowBudget, c.slowTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return &Error{Kind: KindValidation, Method: r.method, Path: c.pathFor(r, c.useEnvironments.Load()),
				Detail: "the request could not be encoded as JSON: " + err.Error(), NotSent: true}
		}
	}

	pinned := c.useEnvironments.Load()
	env := pinned // this call's prefix: /api/environments/ when true
	switchedPrefix := false
	retries := 0
	for attempt := 1; ; attempt++ {
		path := c.pathFor(r, env)
		if r.limiter != nil {
			if e := c.admit(ctx, key, r, path, attempt); e != nil {
				return e
			}
		}
		e := c.attempt(ctx, key, r, path, body, attemptTimeout)
		if e == nil {
			return nil
		}
		e.Method, e.Path, e.Attempts = r.method, path, attempt
		e.scrubKey(key)

		if r.project > 0 && isEndpointNotFound(e) {
			if !switchedPrefix {
				// A 404 from routing means nothing ran. Under /api/projects/ the host predates
				// it for logs; under a remembered /api/environments/ the deprecated alias is
				// gone (the host was upgraded): either way try the other prefix once.
				switchedPrefix = true
				env = !env
				c.useEnvironments.Store(env)
				c.log.LogAttrs(ctx, slog.LevelDebug, "posthog: endpoint not found, trying the other API prefix",
					slog.String("path", path), slog.String("next", c.pathFor(r, env)))
				continue
			}
			if r.newEndpoint {
				// Neither prefix knows this endpoint: that says the deployment predates it,
				// nothing about which prefix serves the older ones.
				c.useEnvironments.Store(pinned)
			} else {
				c.useEnvironments.Store(false) // neither prefix knows it: don't pin the alias
			}
		}
		// A deployment that predates the endpoint answers 404 (no route), or 405 if its
		// router takes the name for an id of a route without POST.
		if r.newEndpoint && (e.Status == http.StatusNotFound && !isProjectNotFound(e) || e.Status == http.StatusMethodNotAllowed) {
			e.Kind = KindUnsupported
			e.Detail = cleanDetail(fmt.Sprintf("this PostHog deployment does not offer %s (HTTP %d: %s); it predates the endpoint: upgrade PostHog, or use the endpoints it has",
				r.path, e.Status, strings.TrimRight(e.Detail, ".")))
			return e
		}

		wait, retry := c.retryPlan(r, e, retries)
		if !retry {
			return e
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			// Waiting would outlive the budget: fail now rather than sleep into a timeout.
			if e.Kind == KindThrottled {
				e.RetryAfter = wait
			}
			return e
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "posthog: retrying",
			slog.String("method", r.method), slog.String("path", path),
			slog.String("kind", string(e.Kind)), slog.Int("status", e.Status),
			slog.Int("attempt", attempt), slog.Duration("wait", wait))
		if err := c.sleep(ctx, wait); err != nil {
			return c.gaveUp(ctx, e)
		}
		retries++
	}
}

// retryPlan decides whether e (after `retries` retries) is retried, and after how long.
func (c *Client) retryPlan(r *request, e *Error, retries int) (time.Duration, bool) {
	if retries >= c.maxRetries {
		return 0, false
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		// Refused without acting: safe to resend even a create.
		if e.serverWait > 0 {
			return e.serverWait, true
		}
		return c.backoff(retries), true
	case e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable || e.Status == http.StatusGatewayTimeout:
		if r.replay != replaySafe {
			return 0, false
		}
		if e.serverWait > 0 {
			return e.serverWait, true
		}
		return c.backoff(retries), true
	case e.Status == 0 && e.dialFailed:
		return c.backoff(retries), true
	case e.Status == 0 && e.transient:
		return c.backoff(retries), r.replay == replaySafe
	}
	return 0, false
}

// backoff is jittered exponential backoff: between half and all of min·2^retries, capped.
func (c *Client) backoff(retries int) time.Duration {
	d := c.retryWaitMin
	for i := 0; i < retries && d < c.retryWaitMax; i++ {
		d *= 2
	}
	d = min(d, c.retryWaitMax)
	half := int64(d / 2)
	if half <= 0 {
		return d
	}
	return time.Duration(half + c.jitter(half+1))
}

// attempt sends one HTTP request and decodes its answer.
func (c *Client) attempt(ctx context.Context, key string, r *request, path string, body []byte, timeout time.Duration) *Error {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()

	req := c.http.R().
		SetContext(actx).
		SetDoNotParseResponse(true).
		SetHeader("Authorization", "Bearer "+key).
		SetHeader("Accept", "application/json")
	if body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	target := c.base + path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	resp, err := req.Execute(r.method, target)
	if err != nil {
		e := c.transportError(ctx, actx, err, r.heavy && r.write == "", timeout)
		if r.write != "" && !e.dialFailed {
			e = outcomeUnknown(r, 0, "no complete answer ("+strings.TrimRight(e.Detail, ".")+")")
		}
		e.scrubKey(key)
		c.logAttempt(ctx, r, path, 0, start, e)
		return e
	}
	raw := resp.RawResponse
	defer raw.Body.Close()

	var e *Error
	if raw.StatusCode >= 200 && raw.StatusCode < 300 {
		e = c.readSuccess(ctx, actx, r, raw, timeout)
		if e != nil && r.write != "" && e.Kind != KindOutcomeUnknown {
			e = outcomeUnknown(r, raw.StatusCode, fmt.Sprintf("PostHog answered HTTP %d, but %s", raw.StatusCode, strings.TrimRight(e.Detail, ".")))
		}
	} else {
		e = c.readFailure(r, raw, key)
		if r.write != "" && raw.StatusCode >= 500 {
			e = outcomeUnknown(r, raw.StatusCode, fmt.Sprintf("PostHog failed with HTTP %d (%s)", raw.StatusCode, strings.TrimRight(e.Detail, ".")))
		}
	}
	if e != nil {
		e.scrubKey(key) // before logging: a server may echo what it received
	}
	c.logAttempt(ctx, r, path, raw.StatusCode, start, e)
	return e
}

func (c *Client) readSuccess(ctx, actx context.Context, r *request, raw *http.Response, timeout time.Duration) *Error {
	if r.decode == nil {
		// Nothing to decode (a DELETE's 204), but a body, if any, is read (up to a bound) so
		// the connection goes back to the pool instead of being closed.
		_, _ = io.Copy(io.Discard, io.LimitReader(raw.Body, maxErrorBodyBytes))
		if r.write != "" && raw.StatusCode != http.StatusNoContent {
			return outcomeUnknown(r, raw.StatusCode, fmt.Sprintf("PostHog answered HTTP %d instead of 204 No Content", raw.StatusCode))
		}
		return nil
	}
	buf, e := c.readLimited(actx, raw)
	if e != nil {
		switch {
		case e.Kind == "": // a read error mid-body
			return c.transportError(ctx, actx, e.cause, r.heavy, timeout)
		case e.Kind == KindBusy && errors.Is(ctx.Err(), context.Canceled):
			return c.gaveUp(ctx, nil)
		}
		return e
	}
	defer c.releaseBuffer(buf)
	if len(buf.b) == 0 {
		return &Error{Kind: KindUpstream, Status: raw.StatusCode, Detail: "the response body was empty"}
	}
	if err := r.decode(buf.b); err != nil {
		return &Error{Kind: KindUpstream, Status: raw.StatusCode, Detail: describeDecodeError(err)}
	}
	return nil
}

func (c *Client) readFailure(r *request, raw *http.Response, key string) *Error {
	data, _ := io.ReadAll(io.LimitReader(raw.Body, maxErrorBodyBytes))
	e := parseErrorBody(raw.StatusCode, raw.Header.Get("Content-Type"), data, key)
	status := raw.StatusCode
	switch {
	case status >= 300 && status < 400:
		e.Detail = fmt.Sprintf("unexpected redirect (%d); check the host URL", status)
	case status == http.StatusTooManyRequests:
		e.serverWait = parseRetryAfter(raw.Header.Get("Retry-After"))
		if e.serverWait == 0 {
			e.serverWait = waitFromDetail(e.Detail)
		}
		e.RetryAfter = e.serverWait
	case status == http.StatusServiceUnavailable:
		e.serverWait = parseRetryAfter(raw.Header.Get("Retry-After"))
	}
	if r.heavy && (status == http.StatusInternalServerError || status == http.StatusGatewayTimeout) {
		e.Detail = withHeavyQueryAdvice(e.Detail)
	}
	return e
}

func (c *Client) tooLarge(status int) *Error {
	return &Error{Kind: KindTooLarge, Status: status, Detail: fmt.Sprintf(
		"the response exceeded the %d-byte limit; narrow the time range, lower the limit or exclude attributes",
		c.maxResponseBytes)}
}

// transportError classifies a failure without a (complete) response.
func (c *Client) transportError(ctx, actx context.Context, err error, heavy bool, timeout time.Duration) *Error {
	if ctx.Err() != nil {
		e := c.gaveUp(ctx, nil)
		if heavy && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			e.Detail = withHeavyQueryAdvice(e.Detail)
		}
		return e
	}
	if actx.Err() != nil {
		detail := fmt.Sprintf("no complete response within %s", timeout)
		if heavy {
			detail = withHeavyQueryAdvice(detail)
		}
		return &Error{Kind: KindTimeout, Detail: detail, transient: true}
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	dialFailed := errors.As(err, &dnsErr) || (errors.As(err, &opErr) && opErr.Op == "dial")
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return &Error{Kind: KindUpstream, Detail: cleanDetail("connection failed: " + err.Error()),
		transient: true, dialFailed: dialFailed}
}

// gaveUp reports the call budget (or the caller's ctx) ending; last is the failure being retried, if any.
func (c *Client) gaveUp(ctx context.Context, last *Error) *Error {
	detail := "the call did not complete within its time budget"
	if errors.Is(ctx.Err(), context.Canceled) {
		detail = "the call was canceled"
	}
	e := &Error{Kind: KindTimeout, Detail: detail}
	if last != nil {
		e.Method, e.Path, e.Attempts = last.Method, last.Path, last.Attempts
		e.Detail = cleanDetail(detail + " while waiting to retry after: " + last.Detail)
	}
	return e
}

func (c *Client) logAttempt(ctx context.Context, r *request, path string, status int, start time.Time, e *Error) {
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.method), slog.String("path", path), slog.Int("status", status),
		slog.Duration("elapsed", time.Since(start)),
	}
	if e != nil {
		attrs = append(attrs, slog.String("kind", string(e.Kind)), slog.String("detail", redactSecrets(e.Detail)))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "posthog request", attrs...)
}

// validateRequest refuses what must never be sent: a malformed key, a bad project id.
func (c *Client) validateRequest(key string, r *request) *Error {
	fail := func(detail string) *Error {
		return &Error{Kind: KindValidation, Method: r.method, Path: r.path, Detail: detail, NotSent: true}
	}
	if key == "" {
		return fail("no API key was given")
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] > '~' {
			return fail("the API key contains characters that cannot be sent in a header")
		}
	}
	if r.project < 0 || (r.project == 0 && !strings.HasPrefix(r.path, "/")) {
		return fail("a positive numeric project id is required")
	}
	return nil
}

// pathFor is r's path: absolute, or under /api/environments/{id}/ when env, else /api/projects/{id}/.
func (c *Client) pathFor(r *request, env bool) string {
	if r.project == 0 {
		return r.path
	}
	prefix := "/api/projects/"
	if env {
		prefix = "/api/environments/"
	}
	return prefix + strconv.FormatInt(r.project, 10) + "/" + r.path
}

// outcomeUnknown reports a write whose effect the answer does not prove.
func outcomeUnknown(r *request, status int, what string) *Error {
	if len(what) > 240 {
		what = strings.ToValidUTF8(what[:240], "") + "…"
	}
	return &Error{Kind: KindOutcomeUnknown, Status: status,
		Detail: cleanDetail("the outcome is unknown: " + what + ". " + r.write)}
}

func isProjectNotFound(e *Error) bool {
	return strings.EqualFold(strings.TrimSpace(e.Detail), "Project not found.")
}

func isEndpointNotFound(e *Error) bool {
	return e.Status == http.StatusNotFound && strings.TrimSpace(e.Detail) == "Endpoint not found."
}

func withHeavyQueryAdvice(detail string) string {
	detail = strings.TrimRight(strings.TrimSpace(detail), ".")
	if detail != "" {
		detail += ". "
	}
	return detail + "The query may be too heavy for the server: narrow the time range or add filters (service, severity, search) rather than retrying as is."
}

func describeDecodeError(err error) string {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("the response is not valid JSON (offset %d)", syntax.Offset)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("unexpected response shape: %s is a JSON %s", field, typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the response JSON was truncated"
	}
	return cleanDetail("unexpected response: " + err.Error())
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
