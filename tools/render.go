package tools

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// thousands formats n as 182,411: easier for a model to compare at a glance.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws counts with eight block heights, scaled to the max;
// a zero bucket is the lowest block so the line keeps its length.
func sparkline(counts []int64) string {
	var max int64
	for _, c := range counts {
		if c > max {
			max = c
		}
	}
	var b strings.Builder
	b.Grow(len(counts) * 3) // each block is 3 bytes of UTF-8
	for _, c := range counts {
		i := 0
		if max > 0 && c > 0 {
			i = int((c*int64(len(sparkBlocks)-1) + max - 1) / max)
		}
		b.WriteRune(sparkBlocks[i])
	}
	return b.String()
}

// table renders rows as aligned columns (two spaces apart); numeric
// columns, flagged by right, are right-aligned.
func table(header []string, right []bool, rows [][]string) string {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if n := utf8.RuneCountInString(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			pad := widths[i] - utf8.RuneCountInString(c)
			last := i == len(cells)-1
			if right != nil && right[i] {
				b.WriteString(strings.Repeat(" ", pad))
				b.WriteString(c)
			} else {
				b.WriteString(c)
				if !last {
					b.WriteString(strings.Repeat(" ", pad))
				}
			}
			if !last {
				b.WriteString("  ")
			}
		}
		b.WriteByte('\n')
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// shortTime prints a bucket start compactly: HH:MMZ for windows within a
// day, with the date otherwise, always UTC.
func shortTime(t time.Time, withDate bool) string {
	if withDate {
		return t.UTC().Format("2006-01-02T15:04Z")
	}
	return t.UTC().Format("15:04Z")
}

// isoMinute prints an RFC 3339 UTC timestamp without needless zeros.
func isoTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// textResult is a successful plain-text result.
func textResult(s string) *mcp.CallToolResult { return mcp.NewToolResultText(s) }

// jsonResult is a successful result whose text is compact JSON.
func jsonResult(v any) *mcp.CallToolResult {
	b, err := json.Marshal(v)
	if err != nil {
		return errorResult(codeInternal, "could not encode the result as JSON")
	}
	// Log content is sanitised already; what callers sent and we repeat
	// (filters in follow-up calls) keeps its value but shows no hidden
	// characters.
	return mcp.NewToolResultText(escapeHidden(string(b)))
}

// quoteIfNeeded keeps key=value pairs parseable: values with spaces,
// quotes or '=' are quoted.
func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '"', '=':
			return strconv.Quote(s)
		}
	}
	return s
}

// formatFlag validates the common format argument.
func formatFlag(f string) (bool, error) {
	switch f {
	case "", "text":
		return false, nil
	case "json":
		return true, nil
	}
	return false, errInvalidFormat
}
