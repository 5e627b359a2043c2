// Package sandbox is a local, in-memory imitation of PostHog's Logs API.
//
// It speaks the wire contract of shared/spec/posthog-logs-api.md over real
// HTTP: the same paths (under /api/projects/{id}/ and the
// /api/environments/{id}/ alias), the same validation and the same error
// bodies (400 parse_error without dateRange, an opaque 500 for an unknown
// severity, bare-array sparklines, 401/403/404 bodies, "key is required",
// and so on). Queries are evaluated for real over a generated data set:
// time windows, severities, services, search, every property-filter
// operator, cursor paging in both orders, aggregation per service and per
// time bucket, attribute and value listings, exact counts and group-by
// over up to four dimensions. logs/patterns mines templates from bodies
// (template.go: numbers, ids, hex, uuids, IPs, timestamps and quoted free
// text become <*>) with a match_regex that selects exactly a template's
// lines, sampling 10,000 lines of bigger windows as PostHog does;
// logs/patterns_diff classifies them against a baseline with PostHog's
// thresholds and throttles at 240/min per key; the log-column filter
// "pattern" selects a template's lines. Saved views can be created,
// changed and deleted; explainLogWithAI answers with a rule-based
// explanation that says it was made locally, without AI.
//
// The data set is a pure function of Config.Seed and an anchor: a pinned
// Config.Now, or else 30 minutes past the UTC hour the sandbox starts in,
// so every process started in the same hour sees the same lines, uuids and
// incident (Sandbox.Now returns the anchor). It holds about 60,000 lines
// over the 24 hours before the anchor from services checkout, payments,
// api-gateway, auth, inventory, notifications, search and recommendations
// (plus a batch job without service.name), and keeps growing at the same
// rate as a running clock passes the anchor: each later minute is
// generated from the seed and the minute alone when the clock reaches it
// (live.go). Lines are visible once observed (observed_timestamp is a few
// ms after the timestamp, minutes for 0.4% of lines); logs/query honours
// liveLogsCheckpoint and returns live_logs_checkpoint. Requests carry
// trace ids across services. At anchor-2h10m checkout deploys
// service.version 2.14.0 (2.13.2 before); a promotion at anchor-2h trips
// a bug in it ("TypeError: Cannot read properties of undefined (reading
// 'percentOff')", in no line before) and checkout errors spike until the
// rollback at anchor-1h45m; each failed checkout's trace crosses auth,
// checkout, inventory and api-gateway. Sandbox.Incident gives the times
// and one trace. About 1% of bodies are longer than 2,000
// characters, and some contain fake secrets (JWTs, phx_, sk_live_, AKIA,
// ghp_ keys, a password in a postgres:// URL), terminal escape sequences,
// bidi and zero-width characters, or a prompt injection: the things a log
// tool must mask or strip. Project 1 holds the data and three saved views;
// project 2 exists and is empty.
//
// Tests use it to drive clients end to end: Config.Keys sets which keys
// exist (see the Key* constants and DemoKeys for the defaults),
// InjectFault makes upcoming requests fail in chosen ways (429 with or
// without Retry-After, 502 HTML, 503, a reset connection, garbage,
// a slow or oversized answer), and Requests shows what was sent.
//
// Start and Listen serve a Sandbox on a TCP address and print nothing;
// the command that starts one announces it.
package sandbox
