// Package tools implements the nine MCP tools of posthog-logs-mcp: what
// each accepts, what it asks PostHog (through package client), and what
// it prints for an agent.
//
// Where things are:
//
//   - registry.go: the Toolset: each tool's scope, schema variants and
//     handler; the per-caller catalogue (key scopes, --read-only, --tools)
//     used for tools/list and tools/call alike.
//   - one file per tool: query_logs.go, services.go (list_services),
//     sparkline.go (get_sparkline), attributes.go (list_attributes and
//     get_attribute_values), explain.go (explain_log), views.go
//     (manage_views), with views_filters.go translating a view's stored
//     filters to and from our vocabulary; patterns.go (get_log_patterns)
//     with patterns_render.go (sections, pivots) and pivot.go (short
//     regex pivots proven exact by counts); count.go (count_logs) with
//     count_render.go.
//   - handler.go: the typed wrapper every handler goes through:
//     handler[A] decodes strictly into A, runs A's check(), and resolves
//     what A embeds (projectArgs → auth, filterArgs → filters and window,
//     windowArgs → window, formatArg → json) before the handler runs.
//     Each tool's answer is a report type with text() and json(), so its
//     rendering is testable without a call.
//   - args.go and schema.go: the shared argument vocabulary (window,
//     severity, services, search, filters, project) and its JSON schemas.
//   - logs_render.go, logs_clean.go, logs_attrs.go: query_logs output:
//     sanitising rows, attributes printed once, the output budget.
//   - query_modes.go: query_logs' three ways in besides filters, each in
//     its own file: query_trace.go (trace_id: one trace, offsets from its
//     first line), query_around.go (around: the lines before and after
//     one line, like grep -C), query_watch.go (wait_seconds: polling
//     PostHog's live-tail checkpoint until new lines arrive); progress.go
//     carries MCP progress notifications to long calls; waiting.go sends
//     them on a timer while explain_log waits on PostHog's AI.
//   - confirm.go: manage_views delete asks the user to confirm through
//     MCP elicitation, only where the client's capabilities are known
//     (stdio; stateless HTTP keeps none, so it never asks).
//   - cursor.go: self-contained, lossless query_logs cursors (a trace
//     cursor keeps the trace's first line, a watch cursor its checkpoint),
//     checked as strictly as the arguments they stand for.
//   - spikes.go: bucketed series and spike detection.
//   - echo.go: what a caller sent, repeated safely: echo/echoQ in
//     messages and hints (sanitised like log content), followUp for ready
//     calls (exact values, hidden characters escaped).
//   - hints.go: hints that must be true: widerWindow (only when wider),
//     unknownServices (the closest known name for a misspelt service).
//   - errors.go: the stable error codes every failure starts with; what
//     was refused before sending says "not sent"; writeError for writes
//     whose outcome the answer does not prove.
//
// Handlers never return Go errors and never panic to the caller: every
// failure is an isError result whose first word is a code
// (INVALID_ARGUMENT, PERMISSION_DENIED, ...) followed by what to do.
package tools
