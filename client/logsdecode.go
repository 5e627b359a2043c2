package client

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The logs page is decoded on every tool call, so it has a fast path: a single-pass parser
// specialised for the logs/query/ response. It copies the body into one string and hands out
// substrings of it (one allocation instead of one per field), and builds the attribute maps
// without reflection. It accepts only what it reproduces exactly as encoding/json would
// (FuzzFastLogsPage checks this); on anything else — unusual types, duplicate or
// case-folded keys, lone surrogates, invalid UTF-8, syntax errors — it declines and the
// page is decoded by encoding/json instead.

// errDeclined means the fast path will not decode this input; encoding/json decides.
var errDeclined = errors.New("fast logs page decoder declined the input")

// maxSkipDepth bounds recursion while skipping unknown values.
const maxSkipDepth = 64

type pageParser struct {
	src string
	pos int
}

// fastDecodeLogsPage decodes body into a zero page, or returns errDeclined.
func fastDecodeLogsPage(body []byte, page *LogsPage) error {
	p := &pageParser{src: string(body)}
	if !p.topLevel(page) {
		*page = LogsPage{}
		return errDeclined
	}
	p.ws()
	if p.pos != len(p.src) {
		*page = LogsPage{}
		return errDeclined
	}
	return nil
}

var pageKeys = []string{"results", "hasMore", "nextCursor", "maxExportableLogs"}

func (p *pageParser) topLevel(page *LogsPage) bool {
	var seen [4]bool
	return p.object(func(key string) bool {
		i := knownKey(pageKeys, key)
		if i == -2 {
			return false
		}
		if i == -1 {
			return p.skip(0)
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		switch i {
		case 0:
			return p.rows(&page.Results)
		case 1:
			return p.boolean(&page.HasMore)
		case 2:
			return p.nullableString(&page.NextCursor)
		default:
			return p.integer(&page.MaxExportableLogs)
		}
	})
}

var rowKeys = []string{
	"uuid", "timestamp", "observed_timestamp", "body", "severity_text", "severity_number", "level",
	"trace_id", "span_id", "attributes", "resource_attributes", "resource_fingerprint",
	"instrumentation_scope", "event_name", "live_logs_checkpoint",
}

func (p *pageParser) rows(out *[]LogRow) bool {
	p.ws()
	if p.literal("null") {
		*out = nil
		return true
	}
	if !p.consume('[') {
		return false
	}
	rows := make([]LogRow, 0)
	if p.consume(']') {
		*out = rows
		return true
	}
	for {
		rows = append(rows, LogRow{})
		if !p.row(&rows[len(rows)-1]) {
			return false
		}
		if p.consume(',') {
			continue
		}
		if !p.consume(']') {
			return false
		}
		*out = rows
		return true
	}
}

func (p *pageParser) row(r *LogRow) bool {
	var seen [15]bool
	return p.object(func(key string) bool {
		i := knownKey(rowKeys, key)
		if i == -2 {
			return false
		}
		if i == -1 {
			return p.skip(0)
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		switch i {
		case 0:
			return p.nullableString(&r.UUID)
		case 1:
			return p.nullableString(&r.Timestamp)
		case 2:
			return p.nullableString(&r.ObservedTimestamp)
		case 3:
			return p.nullableString(&r.Body)
		case 4:
			return p.nullableString(&r.SeverityText)
		case 5:
			return p.integer(&r.SeverityNumber)
		case 6:
			return p.nullableString(&r.Level)
		case 7:
			return p.nullableString(&r.TraceID)
		case 8:
			return p.nullableString(&r.SpanID)
		case 9:
			return p.stringMap(&r.Attributes)
		case 10:
			return p.stringMap(&r.ResourceAttributes)
		case 11:
			return p.nullableString(&r.ResourceFingerprint)
		case 12:
			return p.nullableString(&r.InstrumentationScope)
		case 13:
			return p.nullableString(&r.EventName)
		default:
			return p.nullableString(&r.LiveLogsCheckpoint)
		}
	})
}

// knownKey returns the index of key in keys, -1 if unknown, or -2 if it matches one only
// case-insensitively (encoding/json would use it; the fast path declines).
func knownKey(keys []string, key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return -2
		}
	}
	return -1
}

// object parses {"key": value, ...}, calling field after each key's colon.
func (p *pageParser) object(field func(key string) bool) bool {
	p.ws()
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.consume(':') || !field(key) {
			return false
		}
		if p.consume(',') {
			continue
		}
		return p.consume('}')
	}
}

// stringMap parses null or an object of string values (anything else declines).
func (p *pageParser) stringMap(out *map[string]string) bool {
	p.ws()
	if p.literal("null") {
		*out = nil
		return true
	}
	m := make(map[string]string)
	ok := p.object(func(key string) bool {
		v, ok := p.str()
		m[key] = v
		return ok
	})
	*out = m
	return ok
}

func (p *pageParser) nullableString(out *string) bool {
	p.ws()
	if p.literal("null") {
		return true // encoding/json leaves the field unchanged
	}
	s, ok := p.str()
	*out = s
	return ok
}

func (p *pageParser) boolean(out *bool) bool {
	p.ws()
	switch {
	case p.literal("true"):
		*out = true
	case p.literal("false"):
		*out = false
	case p.literal("null"):
	default:
		return false
	}
	return true
}

// integer accepts null or a plain integer literal that fits an int, like encoding/json.
func (p *pageParser) integer(out *int) bool {
	p.ws()
	if p.literal("null") {
		return true
	}
	lit, ok := p.number()
	if !ok || strings.ContainsAny(lit, ".eE") {
		return false
	}
	n, err := strconv.ParseInt(lit, 10, strconv.IntSize)
	if err != nil {
		return false
	}
	*out = int(n)
	return true
}

func (p *pageParser) ws() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// consume skips whitespace and then c, reporting whether c was there.
func (p *pageParser) consume(c byte) bool {
	p.ws()
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *pageParser) literal(lit string) bool {
	if strings.HasPrefix(p.src[p.pos:], lit) {
		p.pos += len(lit)
		return true
	}
	return false
}

// str parses a string; without escapes the result is a substring of the body.
func (p *pageParser) str() (string, bool) {
	p.ws()
	if p.pos >= len(p.src) || p.src[p.pos] != '"' {
		return "", false
	}
	start := p.pos + 1
	ascii := true
	for i := start; i < len(p.src); i++ {
		c := p.src[i]
		switch {
		case c == '"':
			s := p.src[start:i]
			if !ascii && !utf8.ValidString(s) {
				return "", false // encoding/json would substitute U+FFFD
			}
			p.pos = i + 1
			return s, true
		case c == '\\':
			return p.escapedStr(start)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// escapedStr decodes a string holding escapes, from its first content byte.
func (p *pageParser) escapedStr(start int) (string, bool) {
	var b strings.Builder
	b.Grow(32)
	i := start
	for i < len(p.src) {
		c := p.src[i]
		switch {
		case c == '"':
			s := b.String()
			if !utf8.ValidString(s) {
				return "", false
			}
			p.pos = i + 1
			return s, true
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(p.src) {
			return "", false
		}
		switch p.src[i+1] {
		case '"', '\\', '/':
			b.WriteByte(p.src[i+1])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+6 > len(p.src) {
				return "", false
			}
			r, err := strconv.ParseUint(p.src[i+2:i+6], 16, 32)
			if err != nil || !isHex4(p.src[i+2:i+6]) || utf8.RuneLen(rune(r)) < 0 {
				return "", false // surrogates (pairs or lone) are left to encoding/json
			}
			b.WriteRune(rune(r))
			i += 6
			continue
		default:
			return "", false
		}
		i += 2
	}
	return "", false
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// number parses a JSON number literal, validating its grammar.
func (p *pageParser) number() (string, bool) {
	p.ws()
	s, i := p.src, p.pos
	start := i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return "", false
	}
	if i < len(s) && s[i] == '.' {
		if j := skipDigits(s, i+1); j > i+1 {
			i = j
		} else {
			return "", false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return "", false
		}
		i = j
	}
	p.pos = i
	return s[start:i], true
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// skip validates and passes over any JSON value.
func (p *pageParser) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	p.ws()
	if p.pos >= len(p.src) {
		return false
	}
	switch p.src[p.pos] {
	case '{':
		return p.object(func(string) bool { return p.skip(depth + 1) })
	case '[':
		p.pos++
		if p.consume(']') {
			return true
		}
		for {
			if !p.skip(depth + 1) {
				return false
			}
			if p.consume(',') {
				continue
			}
			return p.consume(']')
		}
	case '"':
		_, ok := p.str()
		return ok
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	_, ok := p.number()
	return ok
}
