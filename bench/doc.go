// Package bench measures posthog-logs-mcp against the performance targets
// of the product specification (§5): server CPU per query_logs call, the
// cost of decoding PostHog's page beside everything else, and the size of
// the text an agent receives compared with PostHog's JSON.
//
// The Go benchmarks in this package run without any network: the PostHog
// page comes from the sandbox once and is then served from memory, so they
// measure only the server's own work. End-to-end measurements (stdio
// overhead, cold start, Streamable HTTP throughput and memory) live in the
// benchrun command beside it; see README.md.
package bench
