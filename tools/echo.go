package tools

import (
	"strconv"
	"strings"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sanitize"
)

// maxEcho bounds how much of one caller value a message repeats: enough
// to recognise it, never a flood.
const maxEcho = 80

// echoClean treats what a caller sent like log content when a message
// repeats it (filter keys and values, search, names, short_ids, cursor
// contents): escape sequences and invisible or bidi characters are
// removed, secrets masked. Newlines would break one-line messages, so
// they become spaces.
var echoClean = sanitize.Sanitizer{Redact: true}

// echo makes a caller's value safe to repeat in a message, cut at maxEcho
// characters.
func echo(s string) string {
	s = echoClean.String(s)
	s = strings.NewReplacer("\n", " ", "\t", " ").Replace(s)
	if cut, n := sanitize.Truncate(s, maxEcho); n > 0 {
		return cut + "…"
	}
	return s
}

// echoQ is echo, quoted: for values a message shows between quotes.
func echoQ(s string) string { return strconv.Quote(echo(s)) }

// echoStrings echoes each string of a list, for hints that print it back
// as JSON.
func echoStrings(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = echo(s)
	}
	return out
}
