package tools

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

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

// followUp prints a ready call: the tool name and its arguments as JSON,
// exactly what to pass back. Values the caller sent are kept exactly, so
// the call does what it says, but every control, invisible or bidi
// character is written as a JSON escape (\u202e), so nothing hidden
// reaches the reader while the call still decodes to the same values.
func followUp(tool string, args any) string {
	return tool + " " + safeJSON(args)
}

// safeJSON is json.Marshal with every control, format (bidi, zero
// width), line or paragraph separator character written as a JSON escape:
// encoding/json leaves U+200B, U+202E and the like as they are.
func safeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return escapeHidden(string(b))
}

// escapeHidden rewrites hidden characters of a JSON text as \u escapes;
// JSON text holds such characters only inside strings, where an escape
// decodes to the same value.
func escapeHidden(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var out strings.Builder
	out.Grow(len(s) + 16)
	out.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case !isHidden(r):
			out.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.String()
}

func isHidden(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}
