package tools

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sanitize"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// serviceKey is the resource attribute PostHog keeps the service name in.
const serviceKey = "service.name"

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

type attrKey struct {
	name     string
	resource bool
}

type attrKV struct {
	attrKey
	value string
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
	used := 400 + len(out.sharedLine()) + 2*len(encodeCursor(st)) + 64
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

func (e *env) cleanRow(r client.LogRow, st cursorState) cleanRow {
	body := e.clean.String(r.Body)
	cut := 0
	if st.MaxBody > 0 {
		body, cut = sanitize.Truncate(body, st.MaxBody)
	}
	level := r.Level
	if level == "" {
		level = r.SeverityText
	}
	cr := cleanRow{
		UUID:      e.clean.String(r.UUID),
		Timestamp: rowTime(r.Timestamp),
		Level:     upperLevel(e.clean.String(level)),
		Service:   serviceLabel(e.clean.String(r.Service())),
		Body:      body,
		BodyCut:   cut,
		TraceID:   nonZeroID(r.TraceID),
		SpanID:    nonZeroID(r.SpanID),
	}
	if !st.NoAttrs {
		cr.Attrs = e.cleanMap(r.Attributes)
		cr.Resource = e.cleanMap(r.ResourceAttributes)
	}
	return cr
}

// cleanMap sanitises attribute keys and values (a value under a key that
// names a secret is masked whole). Most attributes are
// clean, so the page's own map is kept (the page belongs to this call)
// and a copy is made only when something had to change.
func (e *env) cleanMap(m map[string]string) map[string]string {
	for k, v := range m {
		if ck, cv := e.clean.Attribute(k, v); ck != k || cv != v {
			out := make(map[string]string, len(m))
			for k2, v2 := range m {
				ck2, cv2 := e.clean.Attribute(k2, v2)
				out[ck2] = cv2
			}
			return out
		}
	}
	return m
}

// rowTime prints PostHog's microsecond timestamp as UTC milliseconds,
// precise enough for explain_log (which accepts ±1 s).
func rowTime(ts string) string {
	// PostHog's usual shape, 2026-11-25T14:02:03.123456Z, only needs
	// cutting; anything else goes through a full parse.
	if len(ts) == 27 && ts[10] == 'T' && ts[19] == '.' && ts[26] == 'Z' && isDigits(ts[20:26]) {
		return ts[:23] + "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return sanitize.Text(ts)
	}
	return timerange.FormatTime(t)
}

// nonZeroID drops PostHog's all-zero "unset" trace and span ids.
func nonZeroID(id string) string {
	if strings.Trim(id, "0") == "" {
		return ""
	}
	return sanitize.Text(id)
}

// splitAttributes separates attributes every row shares (same value)
// from those that vary, in a stable order: log attributes, then resource.
func splitAttributes(rows []cleanRow) (shared []attrKV, varying []attrKey) {
	// Count each key's rows: only a key present on every row can be
	// shared, so most keys are settled without looking at values.
	logCount, resCount := map[string]int{}, map[string]int{}
	for _, r := range rows {
		for k := range r.Attrs {
			logCount[k]++
		}
		for k := range r.Resource {
			resCount[k]++
		}
	}
	delete(resCount, serviceKey) // printed as the service column
	keys := make([]attrKey, 0, len(logCount)+len(resCount))
	for k := range logCount {
		keys = append(keys, attrKey{k, false})
	}
	for k := range resCount {
		keys = append(keys, attrKey{k, true})
	}
	slices.SortFunc(keys, func(a, b attrKey) int {
		if a.resource != b.resource {
			if a.resource {
				return 1
			}
			return -1
		}
		return strings.Compare(a.name, b.name)
	})
	for _, k := range keys {
		count := logCount[k.name]
		if k.resource {
			count = resCount[k.name]
		}
		if count < len(rows) || len(rows) < 2 {
			varying = append(varying, k)
			continue
		}
		first, _ := rows[0].attr(k)
		same := true
		for _, r := range rows[1:] {
			if v, _ := r.attr(k); v != first {
				same = false
				break
			}
		}
		if same {
			shared = append(shared, attrKV{k, first})
		} else {
			varying = append(varying, k)
		}
	}
	return shared, varying
}

func (r *cleanRow) attr(k attrKey) (string, bool) {
	if k.resource {
		v, ok := r.Resource[k.name]
		return v, ok
	}
	v, ok := r.Attrs[k.name]
	return v, ok
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

func hasKey(kvs []attrKV, k attrKey) bool {
	for _, kv := range kvs {
		if kv.attrKey == k {
			return true
		}
	}
	return false
}

// servicePinned finds, for each service with several rows on the page,
// the varying resource attributes that are constant within it.
func servicePinned(rows []cleanRow, varying []attrKey) map[string][]attrKV {
	byService := map[string][]int{}
	for i, r := range rows {
		byService[r.Service] = append(byService[r.Service], i)
	}
	if len(byService) < 2 {
		return nil
	}
	out := map[string][]attrKV{}
	for name, idx := range byService {
		if len(idx) < 2 {
			continue
		}
		for _, k := range varying {
			if !k.resource {
				continue
			}
			first, ok := rows[idx[0]].attr(k)
			same := ok
			for _, i := range idx[1:] {
				if v, ok := rows[i].attr(k); !ok || v != first {
					same = false
					break
				}
			}
			if same {
				out[name] = append(out[name], attrKV{k, first})
			}
		}
	}
	return out
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
		if l := o.sharedLine(); l != "" {
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

// containsToken reports whether v occurs in body as a whole token: not
// glued to letters or digits on either side, so user u_53 is not taken
// for u_530 and status 500 not for 1500ms.
func containsToken(body, v string) bool {
	for from := 0; ; {
		i := strings.Index(body[from:], v)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(v)
		if (start == 0 || !isAlnum(body[start-1])) && (end == len(body) || !isAlnum(body[end])) {
			return true
		}
		from = start + 1
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// upperLevel prints a severity in capitals; the six levels PostHog
// stores need no allocation.
func upperLevel(l string) string {
	switch l {
	case "trace":
		return "TRACE"
	case "debug":
		return "DEBUG"
	case "info":
		return "INFO"
	case "warn":
		return "WARN"
	case "error":
		return "ERROR"
	case "fatal":
		return "FATAL"
	}
	return strings.ToUpper(l)
}

// serviceLabel names the missing service the way list_services does, so
// the label can be passed back in services.
func serviceLabel(s string) string {
	if s == "" {
		return noService
	}
	return s
}
