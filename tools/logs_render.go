package tools

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sanitize"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// cleanRow is one log row after sanitising, ready to print.
type cleanRow struct {
	UUID      string            `json:"uuid"`
	Timestamp string            `json:"timestamp"`
	Level     string            `json:"level"`
	Service   string            `json:"service,omitempty"`
	Body      string            `json:"body"`
	BodyCut   int               `json:"body_chars_cut,omitempty"`
	TraceID   string            `json:"trace_id,omitempty"`
	SpanID    string            `json:"span_id,omitempty"`
	Attrs     map[string]string `json:"attributes,omitempty"`
	Resource  map[string]string `json:"resource_attributes,omitempty"`
	Offset    string            `json:"offset,omitempty"` // from the trace's first line (trace_id)
	Anchor    bool              `json:"anchor,omitempty"` // the line asked about (around)
}

// logsOutput is a rendered query_logs page, printable as text or JSON.
type logsOutput struct {
	st      cursorState
	results []client.LogRow // the page as PostHog sent it: cursor positions
	hasMore bool            // PostHog has rows after this page
	rows    []cleanRow
	shared  []attrKV
	header  string // the lines of what rows share, computed once
	varying []attrKey
	// perService holds resource attributes constant within one service on
	// this page (namespace, version, ...), printed once per service.
	perService    map[string][]attrKV
	sharedService bool // every row has the same service, printed once
	sharedTrace   bool // every row has the same trace id, printed once
	view          string
	budget        int
	hints         []string

	// The rows laid out so far, and what each adds to the notes.
	body     []byte   // the rows, one per line
	ends     []int    // offset just past each row's newline in body
	elided   []string // keys left out of rows because the body shows their value, in order of first use
	elidedN  []int    // len(elided) once each row was laid out
	firstCut int      // the first row whose body was cut at max_body_chars, -1 if none

	// The page as printed: the first shown rows.
	shown     int
	more      bool
	next      string
	budgetCut bool

	cursorBase int    // length of the JSON of st without a position, for cursor sizes
	jsonBase   int    // length of the JSON envelope with one row and no rows data
	window     string // the window as printed
	budgetText string // the budget as printed
	counter    byteCounter

	// Set by query_logs' ways in (query_modes.go), as functions of the
	// rows shown so that every candidate page is measured exactly: the
	// first line instead of the usual header, the cursor (and whether
	// there is more), the mode's JSON; and what to print when no row
	// came, and before next_cursor.
	headline  func(k int, more bool) string
	cursorFor func(k int) (cursor string, more bool)
	modeFor   func(k int) any
	emptyText string
	notes     []string
}

// renderLogs sanitises the page, finds what every row shares, and fits
// as many rows as the output budget allows. view names the saved view
// the query came from, "" for none.
func (e *env) renderLogs(st cursorState, page *client.LogsPage, view string) *logsOutput {
	out := e.analyseLogs(st, page, view)
	out.fit(len(out.rows), false)
	return out
}

// analyseLogs sanitises the rows and takes out of them what they share.
func (e *env) analyseLogs(st cursorState, page *client.LogsPage, view string) *logsOutput {
	return e.analyseLogsWith(st, page, view, nil)
}

// analyseLogsWith is analyseLogs with decorate applied to each sanitised
// row (a trace offset, the anchor mark).
func (e *env) analyseLogsWith(st cursorState, page *client.LogsPage, view string, decorate func(i int, r *cleanRow)) *logsOutput {
	out := &logsOutput{st: st, results: page.Results, hasMore: page.HasMore, view: view, budget: e.cfg.MaxOutputChars}
	out.rows = make([]cleanRow, len(page.Results))
	for i, r := range page.Results {
		out.rows[i] = e.cleanRow(r, st)
		if decorate != nil {
			decorate(i, &out.rows[i])
		}
	}
	if !st.NoAttrs {
		out.shared, out.varying = splitAttributes(out.rows)
	}
	out.sharedService = len(out.rows) > 1
	for _, r := range out.rows[min(1, len(out.rows)):] {
		if r.Service != out.rows[0].Service {
			out.sharedService = false
		}
	}
	if !st.NoAttrs && st.Format != "json" {
		out.perService = servicePinned(out.rows, out.varying)
	}
	if st.Format == "json" {
		for i := range out.rows {
			delete(out.rows[i].Resource, serviceKey) // it is the row's "service"
		}
	}
	if st.Format == "json" && len(out.rows) > 1 {
		// Same data as the text: shared attributes once, at the top.
		for i := range out.rows {
			for _, kv := range out.shared {
				if kv.resource {
					delete(out.rows[i].Resource, kv.name)
				} else {
					delete(out.rows[i].Attrs, kv.name)
				}
			}
		}
	}
	if out.sharedService {
		out.shared = append([]attrKV{{attrKey{serviceKey, true}, out.rows[0].Service}}, out.shared...)
	}
	// Following one trace, every row carries the same id: print it once.
	out.sharedTrace = len(out.rows) > 1 && out.rows[0].TraceID != ""
	for _, r := range out.rows[min(1, len(out.rows)):] {
		out.sharedTrace = out.sharedTrace && r.TraceID == out.rows[0].TraceID
	}
	if out.sharedTrace && st.Format != "json" && st.Mode != modeTrace { // a trace's headline names it
		out.shared = append([]attrKV{{attrKey{"trace_id", false}, out.rows[0].TraceID}}, out.shared...)
	}
	out.header = out.sharedLine()
	out.window = timerange.Window{From: st.From, To: st.To}.String()
	out.budgetText = thousands(int64(out.budget))
	base := st
	base.AfterTS, base.AfterID = "", ""
	b, _ := json.Marshal(base)
	out.cursorBase = len(b)
	if st.Format == "json" {
		b, _ = json.Marshal(out.jsonEnvelope(1))
		out.jsonBase = len(b)
	}
	return out
}

// fit lays out rows while the whole output stays within the budget: the
// size of every candidate page is computed exactly, so the page shown is
// the longest that fits. A page always shows at least one row, its body
// cut further if needed, so a cursor can always make progress. With
// force, exactly limit rows are laid out whatever the budget (tests use
// it to show that one row more would not have fitted).
func (o *logsOutput) fit(limit int, force bool) {
	o.body = make([]byte, 0, min(o.budget, 512*len(o.rows)))
	limit = min(limit, len(o.rows))
	o.ends, o.elidedN = make([]int, 0, limit), make([]int, 0, limit)
	o.elided, o.firstCut = o.elided[:0], -1
	for i := 0; i < limit; i++ {
		o.push(i)
		if force || o.size(i+1) <= o.budget {
			continue
		}
		if i == 0 {
			o.shrinkFirst()
			continue
		}
		// Only dropping the budget note can make a longer page shorter:
		// that happens when the row that does not fit is the last but one.
		if i+2 == len(o.rows) {
			o.push(i + 1)
			if o.size(i+2) <= o.budget {
				break
			}
			o.pop()
		}
		o.pop()
		break
	}
	o.settle(len(o.ends))
}

// push lays out row i after the rows already laid out.
func (o *logsOutput) push(i int) {
	r := &o.rows[i]
	o.body = append(o.appendRow(o.body, r), '\n')
	o.ends = append(o.ends, len(o.body))
	o.elidedN = append(o.elidedN, len(o.elided))
	if r.BodyCut > 0 && o.firstCut < 0 {
		o.firstCut = i
	}
}

// pop removes the last row laid out, and what it added to the notes.
func (o *logsOutput) pop() {
	k := len(o.ends) - 1
	o.ends = o.ends[:k]
	o.elidedN = o.elidedN[:k]
	start, elided := 0, 0
	if k > 0 {
		start, elided = o.ends[k-1], o.elidedN[k-1]
	}
	o.body = o.body[:start]
	o.elided = o.elided[:elided]
	if o.firstCut == k {
		o.firstCut = -1
	}
}

// shrinkFirst cuts the body of a lone first row that exceeds the budget
// by itself, so even a giant log line yields a page and a working cursor.
func (o *logsOutput) shrinkFirst() {
	r := &o.rows[0]
	for {
		over := o.size(1) - o.budget
		runes := utf8.RuneCountInString(r.Body)
		if over <= 0 || runes <= minShrunkBody {
			return
		}
		// Cutting n runes removes at least n bytes; the marker and its
		// note may grow, so this takes a pass or two.
		body, cut := sanitize.Truncate(r.Body, max(runes-over, minShrunkBody))
		r.Body = body
		r.BodyCut += cut
		o.pop()
		o.push(0)
	}
}

// minShrunkBody is how much of a giant body is kept even when the budget
// is too small for it: a page must show something.
const minShrunkBody = 200

// settle makes the first k rows laid out the page shown. The cursor
// resumes right after the last row shown, whatever cut the page: our
// budget, the limit, or PostHog's own page size. It keeps that row's
// position, not PostHog's cursor string, which would be encoded twice
// (PostHog's cursor is that same position).
func (o *logsOutput) settle(k int) {
	o.shown = k
	o.budgetCut = k < len(o.rows)
	o.more, o.next = false, ""
	if o.cursorFor != nil {
		o.next, o.more = o.cursorFor(k)
		return
	}
	if k > 0 && (k < len(o.rows) || o.hasMore) {
		o.next = o.cursorAfter(k)
		o.more = true
	}
}

// cursorAfter is the cursor resuming after the first k rows.
func (o *logsOutput) cursorAfter(k int) string {
	last := o.results[k-1]
	next := o.st
	next.AfterTS, next.AfterID = last.Timestamp, last.UUID
	return encodeCursor(next)
}

// size is the exact length of the output if it showed the first k rows
// laid out (k >= 1).
func (o *logsOutput) size(k int) int {
	if o.cursorFor != nil {
		return o.modeSize(k)
	}
	more := k < len(o.rows) || o.hasMore
	cursor := 0
	if more {
		last := o.results[k-1]
		n := o.cursorBase + jsonStringLen(last.Timestamp) + jsonStringLen(last.UUID)
		if n > deflateAbove {
			// A deflated cursor's length is known only by making it (long
			// filters only: the usual cursor is counted, not encoded).
			cursor = len(o.cursorAfter(k))
		} else {
			cursor = len(cursorPrefix) + base64.RawURLEncoding.EncodedLen(n)
		}
	}
	if o.st.Format == "json" {
		n := o.jsonBase + len(strconv.Itoa(k)) - 1 + o.ends[k-1] - 1 // rows: their newlines become commas, less one
		if more {
			n += len(`,"next_cursor":""`) + cursor - 1 // true is shorter than false
		}
		if k < len(o.rows) {
			n += len(`,"cut_by_output_budget":true`)
		}
		return n
	}
	o.counter = 0
	o.writeText(&o.counter, k, more, k < len(o.rows), "")
	return int(o.counter) + cursor
}

// modeSize is size for the ways in, whose cursor and JSON depend on the
// rows shown beyond their position: both are built to be measured.
func (o *logsOutput) modeSize(k int) int {
	cursor, more := o.cursorFor(k)
	if o.st.Format == "json" {
		j := o.jsonEnvelope(k)
		j.HasMore, j.NextCursor, j.BudgetCut = more, cursor, k < len(o.rows)
		b, _ := json.Marshal(j)
		// The envelope has no rows: they add their bytes, newlines
		// becoming the commas between them.
		return len(b) + o.ends[k-1] - 1
	}
	o.counter = 0
	o.writeText(&o.counter, k, more, k < len(o.rows), cursor)
	return int(o.counter)
}

// jsonStringLen is the length of s inside a JSON string, as encoding/json
// writes it.
func jsonStringLen(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return len(b) - 2
		}
	}
	return len(s)
}

// byteCounter measures what would be written.
type byteCounter int

func (c *byteCounter) WriteString(s string) (int, error) {
	*c += byteCounter(len(s))
	return len(s), nil
}
func (c *byteCounter) WriteByte(byte) error        { *c++; return nil }
func (c *byteCounter) Write(p []byte) (int, error) { *c += byteCounter(len(p)); return len(p), nil }

func (o *logsOutput) sharedLine() string {
	var b strings.Builder
	if len(o.shared) > 0 {
		b.WriteString("same on every row:")
		writeKVs(&b, o.shared)
	}
	names := make([]string, 0, len(o.perService))
	for name := range o.perService {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("same for ")
		b.WriteString(name)
		b.WriteByte(':')
		writeKVs(&b, o.perService[name])
	}
	return b.String()
}

func writeKVs(b *strings.Builder, kvs []attrKV) {
	for _, kv := range kvs {
		b.WriteByte(' ')
		b.WriteString(kv.name)
		b.WriteByte('=')
		b.WriteString(quoteIfNeeded(kv.value))
	}
}

// appendRow appends one row: in text, time, level, service, body, then
// what varies; in JSON, the row object.
func (o *logsOutput) appendRow(b []byte, r *cleanRow) []byte {
	if o.st.Format == "json" {
		j, _ := json.Marshal(r)
		return append(b, j...)
	}
	if r.Anchor {
		b = append(b, "▶ "...)
	}
	b = append(b, r.Timestamp...)
	b = append(b, ' ')
	if r.Offset != "" {
		b = append(b, r.Offset...)
		b = append(b, ' ')
	}
	b = append(b, r.Level...)
	for i := len(r.Level); i < 5; i++ {
		b = append(b, ' ')
	}
	if !o.sharedService {
		b = append(b, ' ')
		b = append(b, r.Service...)
	}
	b = append(b, "  "...)
	b = appendBody(b, r.Body)
	if r.BodyCut > 0 {
		b = append(b, " …[+"...)
		b = strconv.AppendInt(b, int64(r.BodyCut), 10)
		b = append(b, ']')
	}
	sep := "  "
	pinned := o.perService[r.Service]
	for _, k := range o.varying {
		v, ok := r.attr(k)
		if !ok || (k.resource && hasKey(pinned, k)) {
			continue
		}
		// Every fact once: a value the body already shows (a user
		// agent, an IP, a user id) is not repeated beside it.
		if len(v) >= 3 && containsToken(r.Body, v) {
			if !slices.Contains(o.elided, k.name) {
				o.elided = append(o.elided, k.name)
			}
			continue
		}
		b = append(b, sep...)
		sep = " "
		b = append(b, k.name...)
		b = append(b, '=')
		b = append(b, quoteIfNeeded(v)...)
	}
	if r.TraceID != "" && !o.sharedTrace {
		b = append(b, sep...)
		sep = " "
		b = append(b, "trace_id="...)
		b = append(b, r.TraceID...)
	}
	if r.SpanID != "" {
		b = append(b, sep...)
		sep = " "
		b = append(b, "span_id="...)
		b = append(b, r.SpanID...)
	}
	b = append(b, sep...)
	b = append(b, "uuid="...)
	return append(b, r.UUID...)
}

// appendBody keeps one log per line: newlines in bodies (stack traces)
// are shown as ⏎.
func appendBody(b []byte, body string) []byte {
	if !strings.ContainsAny(body, "\n\t") {
		return append(b, body...)
	}
	afterBreak := false
	for _, r := range body {
		switch {
		case r == '\n':
			b = append(b, " ⏎ "...)
			afterBreak = true
		case afterBreak && (r == ' ' || r == '\t'):
			// The indentation of a stack trace line is noise once lines
			// are joined.
		case r == '\t':
			b = append(b, ' ')
			afterBreak = false
		default:
			b = utf8.AppendRune(b, r)
			afterBreak = false
		}
	}
	return b
}

func (o *logsOutput) text() string {
	var b strings.Builder
	b.Grow(len(o.body) + 1024) // the rows plus header and footer
	o.writeText(&b, o.shown, o.more, o.budgetCut, o.next)
	return b.String()
}

// textSink is where writeText writes: a strings.Builder, or a
// byteCounter that only measures.
type textSink interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}

// writeText writes the page as it would print with the first k rows laid
// out; size uses it to measure candidate pages.
func (o *logsOutput) writeText(b textSink, k int, more, budgetCut bool, cursor string) {
	if o.headline != nil {
		b.WriteString(o.headline(k, more))
		b.WriteByte('\n')
	} else {
		o.writeHeader(b, k, more)
	}
	o.writeRows(b, k, more, budgetCut, cursor)
}

// writeHeader writes the usual first line: rows, order, window.
func (o *logsOutput) writeHeader(b textSink, k int, more bool) {
	b.WriteString(strconv.Itoa(k))
	if k == 1 {
		b.WriteString(" log")
	} else {
		b.WriteString(" logs")
	}
	if k > 1 {
		if o.st.Order == "earliest" {
			b.WriteString(", earliest first")
		} else {
			b.WriteString(", latest first")
		}
	}
	b.WriteString(" · window ")
	b.WriteString(o.window)
	b.WriteString(" (UTC)")
	if o.view != "" {
		b.WriteString(" · view ")
		b.WriteString(o.view)
	}
	if more {
		b.WriteString(" · more available")
	}
	b.WriteByte('\n')
}

// writeRows writes what follows the first line: what rows share, the
// rows, the notes and the cursor.
func (o *logsOutput) writeRows(b textSink, k int, more, budgetCut bool, cursor string) {
	// What was taken out of the rows is printed whenever a row is: a
	// page cut to one row still says its service and shared attributes.
	if k > 0 && o.header != "" {
		b.WriteString(o.header)
		b.WriteByte('\n')
	}
	if k > 0 {
		b.Write(o.body[:o.ends[k-1]])
	}
	if o.firstCut >= 0 && o.firstCut < k {
		b.WriteString("(…[+N]: N more characters of the body; max_body_chars=0 shows whole bodies)\n")
	}
	if k > 0 && o.elidedN[k-1] > 0 {
		b.WriteString("(not repeated where the body shows the value: ")
		for i, name := range o.elided[:o.elidedN[k-1]] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(name)
		}
		b.WriteString(")\n")
	}
	if budgetCut {
		b.WriteString("showing ")
		b.WriteString(strconv.Itoa(k))
		b.WriteString(" of ")
		b.WriteString(strconv.Itoa(len(o.rows)))
		b.WriteString(" rows (output budget ")
		b.WriteString(o.budgetText)
		b.WriteString(" chars); next_cursor continues at row ")
		b.WriteString(strconv.Itoa(k + 1))
		b.WriteByte('\n')
	}
	if k == 0 && o.emptyText != "" {
		b.WriteString(o.emptyText)
		b.WriteByte('\n')
	} else if k == 0 && o.headline == nil {
		b.WriteString("No logs matched.")
		if len(o.hints) > 0 {
			b.WriteString(" Try: ")
			b.WriteString(strings.Join(o.hints, "; "))
			b.WriteByte('.')
		}
		b.WriteByte('\n')
	}
	for _, n := range o.notes {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	if more {
		b.WriteString("next_cursor: ")
		b.WriteString(cursor)
		b.WriteString("\n(to continue, call query_logs with only {\"cursor\": next_cursor})\n")
	}
}

type logsJSON struct {
	Window     windowJSON        `json:"window"`
	Order      string            `json:"order"`
	View       string            `json:"view,omitempty"`
	Shown      int               `json:"shown"`
	Returned   int               `json:"returned"`
	HasMore    bool              `json:"has_more"`
	NextCursor string            `json:"next_cursor,omitempty"`
	BudgetCut  bool              `json:"cut_by_output_budget,omitempty"`
	Shared     *sharedJSON       `json:"same_on_every_row,omitempty"`
	Rows       []json.RawMessage `json:"rows"`
	Hints      []string          `json:"hints,omitempty"`
	Mode       any               `json:"mode,omitempty"` // trace, around or watch details
}

// sharedJSON holds what every row has, split by scope as the rows are.
type sharedJSON struct {
	Attrs    map[string]string `json:"attributes,omitempty"`
	Resource map[string]string `json:"resource_attributes,omitempty"`
}

type windowJSON struct {
	From string `json:"from"`
	To   string `json:"to,omitempty"` // absent: open (a watch)
}

func (o *logsOutput) json() logsJSON {
	j := o.jsonEnvelope(o.shown)
	j.Rows = make([]json.RawMessage, 0, o.shown)
	j.HasMore, j.NextCursor, j.BudgetCut = o.more, o.next, o.budgetCut
	start := 0
	for _, end := range o.ends[:o.shown] {
		j.Rows = append(j.Rows, json.RawMessage(o.body[start:end-1]))
		start = end
	}
	return j
}

// jsonEnvelope is the JSON page showing k rows, without the rows and
// without what depends on the last row shown (more, next_cursor).
func (o *logsOutput) jsonEnvelope(k int) logsJSON {
	to := ""
	if !o.st.To.IsZero() {
		to = isoTime(o.st.To)
	}
	j := logsJSON{
		Window: windowJSON{isoTime(o.st.From), to},
		Order:  o.st.Order, View: o.view, Shown: k, Returned: len(o.rows),
		Hints: o.hints, Rows: []json.RawMessage{},
	}
	if o.modeFor != nil {
		j.Mode = o.modeFor(k)
	}
	if len(o.shared) > 0 && k > 0 {
		j.Shared = &sharedJSON{}
		for _, kv := range o.shared {
			m := &j.Shared.Attrs
			if kv.resource {
				m = &j.Shared.Resource
			}
			if *m == nil {
				*m = map[string]string{}
			}
			(*m)[kv.name] = kv.value
		}
	}
	return j
}
