// Package timerange implements the time grammar of posthog-logs-mcp: the strings agents pass as
// date_from and date_to, resolved by our server into absolute UTC instants before anything is
// sent to PostHog.
//
// Accepted forms (surrounding whitespace ignored; "now" and units case-insensitive, except "M"):
//
//	2026-11-25T14:00:00Z     RFC 3339; offsets and fractional seconds allowed; no zone means UTC;
//	2026-11-25 14:00:00      a space may replace the T
//	2026-11-25               a date: start of that day, UTC
//	now
//	-15m, 15m, now-15m       a duration back from now; units s, m (minutes), h, d, w
//	-1h30m                   units may be combined
//	1764079200, 1764079200000  unix seconds (9 to 11 digits) or milliseconds (12 or more digits)
//
// PostHog's own relative grammar uses M for minutes and m for months. To keep "-30m" from ever
// meaning thirty months by accident, an upper-case M is rejected with an explanation, and
// ToPostHog/FromPostHog convert explicitly where PostHog's grammar is stored (saved views).
package timerange
