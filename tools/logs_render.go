package tools

import (
	"encoding/json"
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
}

// logsOutput is a rendered query_logs page, printable as text or JSON.
type logsOutput struct {
	st      cursorState
	rows    []cleanRow
	shown   int
	shared  []attrKV
	header  string // the lines of what rows share, computed once
	varying []attrKey
	// perService holds resource attributes constant within one service on
	// this page (namespace, version, ...), printed once per service.
	perService  map[string][]attrKV
	elided      []string // keys left out of rows because the body shows their value
	sharedTrace bool     // every row has the same trace id, printed once
	cutBodies   bool     // some body was cut at max_body_chars
	body        []byte   // the rows shown, one per line
	ends        []int    // offset just past each row's newline in body
	more        bool
	next        string
	budgetCut   bool
	budget      int
	hints       []string
	view        string
}

// renderLogs sanitises the page, finds what every row shares, and fits
// as many rows as the output budget allows.
func (e *env) renderLogs(st cursorState, page *client.LogsPage) *logsOutput {
	out := &logsOutput{st: st, budget: e.cfg.MaxOutputChars}
	out.rows = make([]cleanRow, len(page.Results))
	for i, r := range page.Results {
		out.rows[i] = e.cleanRow(r, st)
	}
	if !st.NoAttrs {
		out.shared, out.varying = splitAttributes(out.rows)
	}
	sharedService := len(out.rows) > 1
	for _, r := range out.rows[min(1, len(out.rows)):] {
		if r.Service != out.rows[0].Service {
			sharedService = false
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
	if sharedService {
		out.shared = append([]attrKV{{attrKey{serviceKey, true}, out.rows[0].Service}}, out.shared...)
	}
	// Following one trace, every row carries the same id: print it once.
	out.sharedTrace = len(out.rows) > 1 && out.rows[0].TraceID != ""
	for _, r := range out.rows[min(1, len(out.rows)):] {
		out.sharedTrace = out.sharedTrace && r.TraceID == out.rows[0].TraceID
	}
	if out.sharedTrace && st.Format != "json" {
		out.shared = append([]attrKV{{attrKey{"trace_id", false}, out.rows[0].TraceID}}, out.shared...)
	}

	// Reserve room for the header, footer and cursor, then add rows
	// while they fit. A page always shows at least one row, its body cut
	// further if needed, so a cursor can always make progress.
	out.header = out.sharedLine()
	used := 400 + len(out.header) + 2*len(encodeCursor(st)) + 64
	buf := make([]byte, 0, min(out.budget, 512*len(out.rows)))
	for i := range out.rows {
		start := len(buf)
		buf = out.appendRow(buf, &out.rows[i], sharedService)
		if used+len(buf)-start+1 > out.budget {
			if i > 0 {
				buf = buf[:start]
				out.budgetCut = true
				break
			}
			buf = out.shrinkToFit(buf[:start], &out.rows[i], sharedService, out.budget-used)
		}
		buf = append(buf, '\n')
		used += len(buf) - start
		out.ends = append(out.ends, len(buf))
		out.shown++
	}
	out.body = buf

	// The cursor resumes right after the last row shown, whatever cut the
	// page: our budget, the limit, or PostHog's own page size. It keeps
	// that row's position, not PostHog's cursor string, which would be
	// encoded twice (PostHog's cursor is that same position).
	if out.shown > 0 && (out.shown < len(page.Results) || page.HasMore) {
		last := page.Results[out.shown-1]
		next := st
		next.AfterTS, next.AfterID = last.Timestamp, last.UUID
		out.next = encodeCursor(next)
		out.more = true
	}
	return out
}

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
func (o *logsOutput) appendRow(b []byte, r *cleanRow, sharedService bool) []byte {
	if o.st.Format == "json" {
		j, _ := json.Marshal(r)
		return append(b, j...)
	}
	b = append(b, r.Timestamp...)
	b = append(b, ' ')
	b = append(b, r.Level...)
	for i := len(r.Level); i < 5; i++ {
		b = append(b, ' ')
	}
	if !sharedService {
		b = append(b, ' ')
		b = append(b, r.Service...)
	}
	b = append(b, "  "...)
	b = appendBody(b, r.Body)
	if r.BodyCut > 0 {
		b = append(b, " …[+"...)
		b = strconv.AppendInt(b, int64(r.BodyCut), 10)
		b = append(b, ']')
		o.cutBodies = true
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

// shrinkToFit cuts the body of a lone row that exceeds the budget by
// itself, so even a giant log line yields a page and a working cursor.
func (o *logsOutput) shrinkToFit(b []byte, r *cleanRow, sharedService bool, room int) []byte {
	start := len(b)
	for {
		b = o.appendRow(b[:start], r, sharedService)
		over := len(b) - start - room
		runes := utf8.RuneCountInString(r.Body)
		if over <= 0 || runes <= minShrunkBody {
			return b
		}
		// Cutting n runes removes at least n bytes: one pass usually fits.
		body, cut := sanitize.Truncate(r.Body, max(runes-over-80, minShrunkBody))
		r.Body = body
		r.BodyCut += cut
	}
}

// minShrunkBody is how much of a giant body is kept even when the budget
// is too small for it: a page must show something.
const minShrunkBody = 200

func (o *logsOutput) text() string {
	var b strings.Builder
	b.Grow(len(o.body) + 1024) // the rows plus header and footer
	win := timerange.Window{From: o.st.From, To: o.st.To}
	order := "latest first"
	if o.st.Order == "earliest" {
		order = "earliest first"
	}
	b.WriteString(strconv.Itoa(o.shown))
	if o.shown == 1 {
		b.WriteString(" log")
	} else {
		b.WriteString(" logs")
	}
	if o.shown > 1 {
		b.WriteString(", ")
		b.WriteString(order)
	}
	b.WriteString(" · window ")
	b.WriteString(win.String())
	b.WriteString(" (UTC)")
	if o.view != "" {
		b.WriteString(" · view ")
		b.WriteString(o.view)
	}
	if o.more {
		b.WriteString(" · more available")
	}
	b.WriteByte('\n')
	if o.shown > 1 {
		if l := o.header; l != "" {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	b.Write(o.body)
	if o.cutBodies {
		b.WriteString("(…[+N]: N more characters of the body; max_body_chars=0 shows whole bodies)\n")
	}
	if len(o.elided) > 0 {
		b.WriteString("(not repeated where the body shows the value: ")
		b.WriteString(strings.Join(o.elided, ", "))
		b.WriteString(")\n")
	}
	if o.budgetCut {
		b.WriteString("showing ")
		b.WriteString(strconv.Itoa(o.shown))
		b.WriteString(" of ")
		b.WriteString(strconv.Itoa(len(o.rows)))
		b.WriteString(" rows (output budget ")
		b.WriteString(thousands(int64(o.budget)))
		b.WriteString(" chars); next_cursor continues at row ")
		b.WriteString(strconv.Itoa(o.shown + 1))
		b.WriteByte('\n')
	}
	if o.shown == 0 {
		b.WriteString("No logs matched.")
		if len(o.hints) > 0 {
			b.WriteString(" Try: ")
			b.WriteString(strings.Join(o.hints, "; "))
			b.WriteByte('.')
		}
		b.WriteByte('\n')
	}
	if o.more {
		b.WriteString("next_cursor: ")
		b.WriteString(o.next)
		b.WriteString("\n(to continue, call query_logs with only {\"cursor\": next_cursor})\n")
	}
	return b.String()
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
}

// sharedJSON holds what every row has, split by scope as the rows are.
type sharedJSON struct {
	Attrs    map[string]string `json:"attributes,omitempty"`
	Resource map[string]string `json:"resource_attributes,omitempty"`
}

type windowJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (o *logsOutput) json() logsJSON {
	j := logsJSON{
		Window: windowJSON{isoTime(o.st.From), isoTime(o.st.To)},
		Order:  o.st.Order, View: o.view, Shown: o.shown, Returned: len(o.rows),
		HasMore: o.more, NextCursor: o.next, BudgetCut: o.budgetCut, Hints: o.hints,
		Rows: make([]json.RawMessage, 0, len(o.ends)),
	}
	if len(o.shared) > 0 && o.shown > 1 {
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
	start := 0
	for _, end := range o.ends {
		j.Rows = append(j.Rows, json.RawMessage(o.body[start:end-1]))
		start = end
	}
	return j
}
