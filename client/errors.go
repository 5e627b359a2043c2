package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind classifies a failure so callers can react without parsing text.
type Kind string

// The kinds of Error.
const (
	KindAuth       Kind = "auth"       // 401: the key is invalid, revoked or missing
	KindScope      Kind = "scope"      // 403: missing scope, other project, org policy, AI consent
	KindNotFound   Kind = "not_found"  // 404
	KindValidation Kind = "validation" // 400/422, or refused before sending
	KindThrottled  Kind = "throttled"  // 429
	KindUpstream   Kind = "upstream"   // 5xx, unreadable responses, connection failures
	KindTimeout    Kind = "timeout"    // attempt or call deadline, or the caller gave up
	KindTooLarge   Kind = "too_large"  // the response exceeded MaxResponseBytes
	// KindUnsupported: the endpoint answered 404 without saying "Project not found.": the
	// PostHog deployment predates it (patterns, patterns_diff, group-by). Tools say UNSUPPORTED.
	KindUnsupported Kind = "unsupported"
	// KindOutcomeUnknown: a write (create, update, delete of a view) was sent, but the answer
	// does not prove it happened (a 2xx whose body is not the view, a delete answered by
	// anything but 204, or no complete answer at all). It may or may not have taken effect.
	KindOutcomeUnknown Kind = "outcome_unknown"
	// KindBusy: this process already holds its budget of response bytes
	// (Options.MaxBufferedBytes) for other calls and none came free in time. Not PostHog's
	// doing; tools say RATE_LIMITED: server busy.
	KindBusy Kind = "busy"
)

// maxDetailBytes bounds Error.Detail: details are shown to people and models, not archived.
const maxDetailBytes = 512

// Error is the single error type returned by every Client method (use errors.As).
type Error struct {
	Kind       Kind
	Status     int    // HTTP status, 0 when no response
	Code       string // PostHog's code when given
	Detail     string // PostHog's human text (never HTML, never the key); field errors flattened "uuid: This field is required."
	Attr       string
	Method     string
	Path       string        // request path without query
	RetryAfter time.Duration // for throttled
	Attempts   int
	// NotSent is true when nothing was sent for this call: the client refused it locally
	// (invalid arguments, filters, regex, key or project id) or a client-side rate limit
	// stopped it before sending. Tools say "not sent: ..." instead of blaming PostHog.
	NotSent bool

	serverWait time.Duration // the wait the server asked for (Retry-After or the detail's seconds)
	transient  bool          // no (complete) response: a reset, a refused dial, an attempt timeout
	dialFailed bool          // the request provably never left (dial or DNS failure)
	cause      error         // the underlying read error, before classification
}

// Error renders a one-line message such as
// `posthog: scope (HTTP 403) POST /api/projects/1/logs/views/: API key missing required scope 'logs:write'`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("posthog: ")
	b.WriteString(string(e.Kind))
	if e.Status != 0 {
		b.WriteString(" (HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteString(")")
	}
	if e.Method != "" || e.Path != "" {
		b.WriteString(" ")
		b.WriteString(strings.TrimSpace(e.Method + " " + e.Path))
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Attr != "" && !strings.HasPrefix(e.Detail, e.Attr+":") {
		b.WriteString(" (field ")
		b.WriteString(e.Attr)
		b.WriteString(")")
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after ")
		b.WriteString(e.RetryAfter.Round(time.Second).String())
		b.WriteString(")")
	}
	if e.Attempts > 1 {
		b.WriteString(" (after ")
		b.WriteString(strconv.Itoa(e.Attempts))
		b.WriteString(" attempts)")
	}
	return b.String()
}

// AIConsentRequired reports whether this is the explain 403 "AI data processing must be
// approved by your organization before using log explanation".
func (e *Error) AIConsentRequired() bool {
	return e != nil && e.Status == http.StatusForbidden &&
		strings.Contains(strings.ToLower(e.Detail), "ai data processing must be approved")
}

// kindForStatus maps an HTTP status to a Kind.
func kindForStatus(status int) Kind {
	switch {
	case status == http.StatusUnauthorized:
		return KindAuth
	case status == http.StatusForbidden:
		return KindScope
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusTooManyRequests:
		return KindThrottled
	case status == http.StatusRequestTimeout:
		return KindTimeout
	case status == http.StatusRequestEntityTooLarge:
		return KindValidation
	case status >= 400 && status < 500:
		return KindValidation
	default: // 5xx, unexpected 1xx/3xx
		return KindUpstream
	}
}

// ParseErrorBody turns any error body PostHog (or a proxy in front of it) may send into an
// *Error: `{type,code,detail,attr}`, `{"error": ...}`, a bare JSON string, raw field
// dicts like `{"uuid":["This field is required."]}`, plain text, or an HTML page (reduced
// to a generic detail, never echoed). It never returns nil and never panics.
func ParseErrorBody(status int, contentType string, body []byte) *Error {
	return parseErrorBody(status, contentType, body, "")
}

// parseErrorBody is ParseErrorBody that also masks key (and anything key-shaped) before the
// text is cleaned and bounded: bounding first could cut the key and leave a prefix behind
// that no later scrub recognises.
func parseErrorBody(status int, contentType string, body []byte, key string) *Error {
	e := &Error{Kind: kindForStatus(status), Status: status}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		e.Detail = genericDetail(status)
	case looksLikeHTML(contentType, trimmed):
		e.Detail = fmt.Sprintf("upstream returned an HTML error page (%d)", status)
	case json.Valid(trimmed):
		parseJSONError(e, trimmed)
	default:
		e.Detail = string(trimmed)
	}
	e.Detail = cleanDetail(scrubText(e.Detail, key))
	e.Code = cleanShort(scrubText(e.Code, key))
	e.Attr = cleanShort(scrubText(e.Attr, key))
	if e.Detail == "" {
		e.Detail = genericDetail(status)
	}
	return e
}

func genericDetail(status int) string {
	if text := http.StatusText(status); text != "" {
		return fmt.Sprintf("%s (%d)", text, status)
	}
	return fmt.Sprintf("HTTP status %d", status)
}

func looksLikeHTML(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	return body[0] == '<'
}

// parseJSONError fills e from a syntactically valid JSON error body.
func parseJSONError(e *Error, body []byte) {
	switch body[0] {
	case '"':
		var s string
		_ = json.Unmarshal(body, &s)
		e.Detail = s
	case '[':
		var items []json.RawMessage
		_ = json.Unmarshal(body, &items)
		e.Detail = flattenMessages(items)
	case '{':
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(body, &fields)
		parseJSONObject(e, fields)
	default: // a number, true/false/null: nothing human to show
		e.Detail = ""
	}
}

func parseJSONObject(e *Error, fields map[string]json.RawMessage) {
	_, hasDetail := fields["detail"]
	_, hasType := fields["type"]
	if hasDetail || hasType {
		// PostHog's standard shape {type, code, detail, attr}.
		e.Code = jsonText(fields["code"])
		e.Detail = jsonText(fields["detail"])
		e.Attr = jsonText(fields["attr"])
		return
	}
	if raw, ok := fields["error"]; ok {
		e.Detail = jsonText(raw)
		return
	}
	if raw, ok := fields["message"]; ok && len(fields) <= 2 {
		e.Detail = jsonText(raw)
		return
	}
	// DRF field errors: {"field": ["msg", ...], "other": {"nested": ["msg"]}}.
	var parts []string
	flattenFieldErrors("", fields, &parts)
	e.Detail = strings.Join(parts, "; ")
	if len(fields) == 1 {
		for k := range fields {
			if k != "non_field_errors" {
				e.Attr = k
			}
		}
	}
}

// flattenFieldErrors renders nested DRF field errors as "a.b: message" pairs, in key order.
func flattenFieldErrors(prefix string, fields map[string]json.RawMessage, out *[]string) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(*out) >= 20 {
			return
		}
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		raw := bytes.TrimSpace(fields[k])
		if len(raw) > 0 && raw[0] == '{' {
			var nested map[string]json.RawMessage
			if json.Unmarshal(raw, &nested) == nil {
				flattenFieldErrors(name, nested, out)
				continue
			}
		}
		msg := jsonText(raw)
		if name == "non_field_errors" {
			*out = append(*out, msg)
		} else {
			*out = append(*out, name+": "+msg)
		}
	}
}

// jsonText renders a JSON value as human text: strings unquoted, lists joined, null empty.
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			return flattenMessages(items)
		}
	case '{':
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) == nil {
			var parts []string
			flattenFieldErrors("", fields, &parts)
			return strings.Join(parts, "; ")
		}
	case 'n':
		return ""
	}
	return string(raw)
}

func flattenMessages(items []json.RawMessage) string {
	parts := make([]string, 0, len(items))
	for i, it := range items {
		if i == 20 {
			break
		}
		if s := jsonText(it); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// cleanDetail makes server text safe to show: no HTML tags, no control characters, valid
// UTF-8, bounded length.
func cleanDetail(s string) string {
	if s == "" {
		return ""
	}
	// Neutralise before bounding: the replacement is longer than "<".
	s = neutraliseTags(stripTags(s))
	var b strings.Builder
	b.Grow(min(len(s), maxDetailBytes+4))
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			// Collapse whitespace, control and format (bidi) characters into single spaces.
			space = b.Len() > 0
			continue
		}
		need := utf8.RuneLen(r)
		if space {
			need++
		}
		if b.Len()+need > maxDetailBytes {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cleanShort bounds the short machine fields (code, attr).
func cleanShort(s string) string {
	s = cleanDetail(s)
	if len(s) > 100 {
		s = strings.ToValidUTF8(s[:100], "")
	}
	return s
}

// stripTags drops markup such as "<b>" or "</div>" so a detail carrying HTML reads as text.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '<' && i+1 < len(s) && isTagStart(s[i+1]) {
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				break // an unterminated tag: drop the rest
			}
			i += end
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// neutraliseTags guarantees no tag-like "<x" survives (stripping can splice new ones).
func neutraliseTags(s string) string {
	if !containsTag(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '<' && i+1 < len(s) && isTagStart(s[i+1]) {
			b.WriteString("‹")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func containsTag(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' && isTagStart(s[i+1]) {
			return true
		}
	}
	return false
}

func isTagStart(c byte) bool {
	return c == '/' || c == '!' || c == '?' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

var (
	// secretPattern matches PostHog personal keys and OAuth tokens anywhere in text.
	secretPattern = regexp.MustCompile(`\bph[xac]_[A-Za-z0-9_\-]{6,}`)
	bearerPattern = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+`)
)

// redactSecrets masks tokens that look like PostHog keys or bearer credentials.
func redactSecrets(s string) string {
	if strings.Contains(s, "_") {
		s = secretPattern.ReplaceAllString(s, "[redacted key]")
	}
	if strings.Contains(strings.ToLower(s), "bearer") {
		s = bearerPattern.ReplaceAllString(s, "Bearer [redacted]")
	}
	return s
}

// scrubKey removes the caller's key (and anything key-shaped) from every text field.
func (e *Error) scrubKey(key string) {
	e.Detail = scrubText(e.Detail, key)
	e.Code = scrubText(e.Code, key)
	e.Attr = scrubText(e.Attr, key)
	e.Path = scrubText(e.Path, key)
}

// scrubText masks key (when given) and anything key-shaped in s.
func scrubText(s, key string) string {
	if key != "" && strings.Contains(s, key) {
		s = strings.ReplaceAll(s, key, "[redacted key]")
	}
	return redactSecrets(s)
}
