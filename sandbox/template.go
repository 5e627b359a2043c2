package sandbox

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// Pattern mining turns a log body into a template: the variable parts
// (numbers, ids, uuids, hex, IPs, timestamps, emails, quoted free text) become
// "<*>", the rest stays, and runs of whitespace become one space.
//
// The masking works on sub-tokens: a body splits at whitespace and at the
// delimiters below, and a sub-token is variable when it
//   - contains a digit or '@' (numbers, ids, IPs, versions, emails),
//   - ends in "_" and at least 10 letters/digits (ord_abcdefghij, sk_live_...),
//   - is 16 or more upper-case letters/digits (access keys), or
//   - is 8 or more hex digits.
//
// An RFC 3339 timestamp is one variable even though it holds ':'. A double
// quoted span on one line whose content holds anything but letters and
// "._/-" (spaces, digits, control or non-ASCII characters) is one variable,
// written "<*>" in quotes: search terms, names, free text. A quoted HTTP
// request line is the exception: it is tokenized like the rest.
//
// Every variable is recorded with the rule that made it, so the regex of a
// template (templateRegex) can require the same of each position: the regex
// then selects the lines of the template and, on this data set, nothing else.

const maskToken = "<*>"

// isDelimiter reports the bytes that split sub-tokens; they stay literal.
var isDelimiter = func() (d [256]bool) {
	for _, c := range []byte("=:,;()[]{}<>\"'/|&?") {
		d[c] = true
	}
	return d
}()

// isSpace is exactly RE2's \s, so that "\s+" in a regex matches what the
// masker collapsed.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// Variable kinds, one bit each: a template position records every kind its
// lines showed there.
const (
	varDigit  uint8 = 1 << iota // contains a digit or '@'
	varOther                    // id suffix, upper-case key or hex without a digit
	varTime                     // RFC 3339 timestamp
	varQuoted                   // quoted free text, quotes included
)

// piece is one element of a masked body: literal text, a single space
// (standing for any whitespace run) or a variable.
type piece struct {
	kind uint8 // 0 literal, pieceSpace, or a var* bit
	text string
}

const pieceSpace uint8 = 0x80

// masker holds reusable buffers; one per goroutine.
type masker struct {
	tmpl       []byte
	kinds      []uint8 // the kind of each variable, in order
	pieces     []piece // filled only when withPieces
	withPieces bool
}

var timestampPrefix = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?`)

// run masks body into m.tmpl and m.kinds (and m.pieces).
func (m *masker) run(body string) {
	m.tmpl, m.kinds, m.pieces = m.tmpl[:0], m.kinds[:0], m.pieces[:0]
	start := 0
	for start < len(body) && isSpace(body[start]) {
		start++
	}
	m.scan(body[start:], true)
}

// scan masks s; quotes is false inside a quoted span that is tokenized
// rather than masked whole, where a '"' cannot open another span.
func (m *masker) scan(s string, quotes bool) {
	i, n := 0, len(s)
	for i < n {
		c := s[i]
		switch {
		case isSpace(c):
			from := i
			for i < n && isSpace(s[i]) {
				i++
			}
			if i < n {
				m.tmpl = append(m.tmpl, ' ')
				m.piece(pieceSpace, s[from:i]) // the body's own whitespace, for literals
			}
		case c == '"' && quotes:
			end := quoteEnd(s, i)
			if end < 0 {
				m.literal(s[i : i+1])
				i++
				continue
			}
			switch content := s[i+1 : end]; {
			case isRequestLine(content):
				m.literal(`"`)
				m.scan(content, false)
				m.literal(`"`)
			case quotedIsVariable(content):
				m.variable(varQuoted, `"`+maskToken+`"`)
			default:
				m.literal(s[i : end+1])
			}
			i = end + 1
		case isDelimiter[c]:
			m.literal(s[i : i+1])
			i++
		default:
			if i+16 <= n && s[i+4] == '-' && s[i+10] == 'T' {
				// A bounded input: the regexp engine's cost grows with it.
				if loc := timestampPrefix.FindStringIndex(s[i:min(n, i+40)]); loc != nil {
					if k := i + loc[1]; k == n || isSpace(s[k]) || isDelimiter[s[k]] {
						m.variable(varTime, maskToken)
						i = k
						continue
					}
				}
			}
			j := i
			for j < n && !isSpace(s[j]) && !isDelimiter[s[j]] {
				j++
			}
			if kind := subTokenKind(s[i:j]); kind != 0 {
				m.variable(kind, maskToken)
			} else {
				m.literal(s[i:j])
			}
			i = j
		}
	}
}

// isRequestLine reports a quoted HTTP request line ("GET /path HTTP/1.1"),
// which access logs quote: it is tokenized, so that method and path stay.
func isRequestLine(content string) bool {
	method, rest, ok := strings.Cut(content, " ")
	if !ok || !strings.HasPrefix(rest, "/") {
		return false
	}
	switch method {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
		return true
	}
	return false
}

func (m *masker) literal(s string) {
	m.tmpl = append(m.tmpl, s...)
	m.piece(0, s)
}

func (m *masker) variable(kind uint8, text string) {
	m.tmpl = append(m.tmpl, text...)
	m.kinds = append(m.kinds, kind)
	m.piece(kind, text)
}

func (m *masker) piece(kind uint8, text string) {
	if m.withPieces {
		// Adjacent literals merge so that the regex stays short.
		if kind == 0 && len(m.pieces) > 0 && m.pieces[len(m.pieces)-1].kind == 0 {
			m.pieces[len(m.pieces)-1].text += text
			return
		}
		m.pieces = append(m.pieces, piece{kind: kind, text: text})
	}
}

// quoteEnd returns the index of the '"' closing the one at open, on the
// same line, or -1.
func quoteEnd(body string, open int) int {
	for k := open + 1; k < len(body); k++ {
		switch body[k] {
		case '"':
			return k
		case '\n':
			return -1
		}
	}
	return -1
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '/' || c == '-'
}

func quotedIsVariable(content string) bool {
	for k := 0; k < len(content); k++ {
		if !isWordByte(content[k]) {
			return true
		}
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// subTokenKind returns the variable kind of a sub-token, or 0 for a literal.
func subTokenKind(s string) uint8 {
	upper, hex := true, true
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c >= '0' && c <= '9' || c == '@' {
			return varDigit
		}
		if !(c >= 'A' && c <= 'Z') {
			upper = false
		}
		if !isHex(c) {
			hex = false
		}
	}
	if upper && len(s) >= 16 || hex && len(s) >= 8 {
		return varOther
	}
	if u := strings.LastIndexByte(s, '_'); u >= 0 && len(s)-u-1 >= 10 {
		for k := u + 1; k < len(s); k++ {
			if !isAlnum(s[k]) {
				return 0
			}
		}
		return varOther
	}
	return 0
}

// templateOf returns the template of one body.
func templateOf(body string) string {
	var m masker
	m.run(body)
	return string(m.tmpl)
}

// Regex fragments for each variable kind. subToken is one sub-token:
// anything but whitespace and the delimiters.
const (
	subTokenClass = `[^\s=:,;()\[\]{}<>"'/|&?]`
	reDigit       = subTokenClass + `*[0-9@]` + subTokenClass + `*`
	reOther       = subTokenClass + `*_[A-Za-z0-9]{10,}|[A-Z0-9]{16,}|[0-9a-fA-F]{8,}`
	reTime        = `\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?`
	reQuoted      = `"[^"\n]*[^A-Za-z._/"\n-][^"\n]*"`
	reAnyToken    = subTokenClass + `+`
)

// templateRegex builds the regex of a template from the pieces of one of
// its bodies and, per variable position, the kinds seen across its lines.
// It is anchored and lets any whitespace run stand for a space.
func templateRegex(pieces []piece, kinds []uint8) string {
	var b strings.Builder
	b.WriteString(`^\s*`)
	v := 0
	for _, p := range pieces {
		switch p.kind {
		case 0:
			b.WriteString(regexp.QuoteMeta(p.text))
		case pieceSpace:
			b.WriteString(`\s+`)
		default:
			kind := p.kind
			if v < len(kinds) {
				kind |= kinds[v]
			}
			v++
			b.WriteString(variableRegex(kind))
		}
	}
	b.WriteString(`\s*$`)
	return b.String()
}

func variableRegex(kind uint8) string {
	var alts []string
	if kind&varQuoted != 0 {
		// A quoted variable position only ever holds quoted text: a
		// literal in between would have made another template.
		return reQuoted
	}
	if kind&varTime != 0 {
		alts = append(alts, reTime)
	}
	switch {
	case kind&varDigit != 0 && kind&varOther != 0:
		alts = append(alts, reAnyToken)
	case kind&varDigit != 0:
		alts = append(alts, reDigit)
	case kind&varOther != 0:
		alts = append(alts, reOther)
	}
	if len(alts) == 1 && kind&varOther == 0 {
		return alts[0]
	}
	return "(?:" + strings.Join(alts, "|") + ")"
}

// literalCandidates are the stretches of a body without a variable and
// without whitespace other than single spaces, longest first: each is a
// substring of that body, and of every line of the template whose
// whitespace there is the same.
func literalCandidates(pieces []piece) []string {
	var out []string
	cur := ""
	flush := func() {
		if t := strings.TrimSpace(cur); t != "" {
			out = append(out, t)
		}
		cur = ""
	}
	for _, p := range pieces {
		if p.kind == 0 || p.kind == pieceSpace && p.text == " " {
			cur += p.text
		} else {
			flush()
		}
	}
	flush()
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return out
}
