// Package client is a typed HTTP client for the PostHog Logs REST API, speaking the wire
// contract in shared/spec/posthog-logs-api.md (which follows PostHog's server code where
// its public docs are wrong or silent).
//
// One Client serves one host ("us", "eu" or a self-hosted base URL) and many callers: the
// API key and project travel with each call in an Auth. Requests go to
// /api/projects/{id}/logs/...; a host that answers 404 "Endpoint not found." there is
// retried once under the deprecated /api/environments/{id}/ alias, which is then remembered
// until it answers "Endpoint not found." in turn (then /api/projects/ is tried again).
//
// # Errors
//
// Every failure is an *Error with a Kind (auth, scope, not_found, validation, throttled,
// upstream, timeout, too_large, unsupported, outcome_unknown), the HTTP status and PostHog's
// own detail. Error.NotSent says the client refused the call locally (nothing reached
// PostHog). Every error body shape the API produces is understood (see ParseErrorBody);
// HTML pages from proxies are summarised, never echoed, and the key never appears in an
// error or a log record. The endpoints older deployments lack (patterns, patterns_diff,
// group-by) turn a 404 other than "Project not found." into KindUnsupported.
//
// # Retries
//
// Each call has a total budget (Options.CallTimeout, or the caller's sooner deadline) and a
// per-attempt timeout. The retry loop is this package's own, around single resty requests:
//
//   - 429 is retried for every request (the server refused without acting), after the
//     Retry-After header, else the seconds in PostHog's throttling detail, else jittered
//     exponential backoff; a wait longer than the remaining budget fails at once.
//   - 502/503/504, connection failures and attempt timeouts are retried only for GETs and
//     the read-only POSTs (query, services, sparkline, count, patterns, patterns_diff,
//     group-by, OAuth introspection).
//   - Patterns and PatternsDiff may mine for a minute server-side: by default their attempt
//     timeout is 75 s and their budget 85 s. PatternsDiff also passes a per-key client-side
//     limiter (240 a minute, 1200 an hour, PostHog's own throttle on it): it waits within
//     the budget, else fails as throttled before sending.
//   - CreateView, Explain, UpdateView and DeleteView are never replayed after such an
//     ambiguous failure: the server may have acted. A failed dial (nothing was sent) is
//     retried for them too.
//   - 500, other statuses, malformed JSON and oversized bodies are not retried. A 500 or 504
//     from a query carries advice to narrow the time range or add filters.
//
// # Responses
//
// Bodies are read under Options.MaxResponseBytes (failing with KindTooLarge without
// downloading the rest) into pooled buffers and decoded with encoding/json straight into
// the exported result types; malformed JSON is a KindUpstream error. The bytes of all
// bodies held at once, across calls, are bounded by Options.MaxBufferedBytes: a call that
// finds the budget spent waits within its attempt's deadline, then fails with KindBusy
// (see buffers.go). No cookie jar is kept and redirects are not followed.
//
// # Writes
//
// CreateView and UpdateView succeed only when PostHog answers with the view (a valid
// short_id and a name; for an update, the same short_id), DeleteView only on 204. Any other
// answer, a 5xx, or no complete answer after the request may have reached PostHog is
// KindOutcomeUnknown, whose detail says the write may or may not have happened and how to
// check.
//
// # Filters
//
// Property filters are validated (type, operator, value shape, regex syntax, severities)
// before anything is sent and always encoded in the nested filterGroup form, the only one
// the GET endpoints honour. Times are sent as absolute ISO 8601 UTC timestamps.
package client
