package tools

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// cursorPrefix versions the cursor format so a future change can still
// recognise (and politely refuse) old cursors.
const cursorPrefix = "c1."

// deflatedCursorPrefix marks a cursor whose JSON is deflated: long filters
// (a pattern's regex pivot) repeat themselves and shrink to a third, and
// every character of a cursor is read by the model.
const deflatedCursorPrefix = "c2."

// deflateAbove is the JSON length from which deflating pays for itself.
const deflateAbove = 240

// maxCursorJSON bounds what a deflated cursor may inflate to.
const maxCursorJSON = 64 << 10

var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.DefaultCompression)
	return w
}}

// maxCursorLen bounds what we are willing to decode.
const maxCursorLen = 16 << 10

// cursorState is everything needed to continue a query_logs page: the
// resolved query (absolute window, so "-1h" does not slide between pages),
// the position after the last row shown, and the presentation settings.
type cursorState struct {
	Project  int64                   `json:"p"`
	From     time.Time               `json:"f"`
	To       time.Time               `json:"t"`
	Sev      []string                `json:"sev,omitempty"`
	Services []string                `json:"svc,omitempty"`
	Search   string                  `json:"q,omitempty"`
	Props    []client.PropertyFilter `json:"pf,omitempty"`
	Order    string                  `json:"o"`
	AfterTS  string                  `json:"at"` // the last row shown: its timestamp as PostHog sent it
	AfterID  string                  `json:"ai"` // and its uuid
	Limit    int                     `json:"l"`
	MaxBody  int                     `json:"b"`
	NoAttrs  bool                    `json:"na,omitempty"`
	Format   string                  `json:"fmt,omitempty"`
	// Mode is "" (a plain page), modeTrace or modeWatch; see query_modes.go.
	Mode string `json:"m,omitempty"`
	// TraceStart is the timestamp of the trace's first line (offsets are
	// counted from it); TraceSvcs the services met so far, in order.
	TraceStart string   `json:"t0,omitempty"`
	TraceSvcs  []string `json:"tsv,omitempty"`
	// Checkpoint is PostHog's liveLogsCheckpoint to poll from; Seen the
	// uuids at or after it already shown; Wait the seconds to watch.
	Checkpoint string   `json:"cp,omitempty"`
	Pending    string   `json:"cpn,omitempty"` // the newest checkpoint reported, adopted after paging
	Seen       []string `json:"seen,omitempty"`
	Wait       int      `json:"w,omitempty"`
}

func encodeCursor(s cursorState) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // only plain data: cannot fail
	}
	if len(b) > deflateAbove {
		var buf bytes.Buffer
		w := flateWriters.Get().(*flate.Writer)
		w.Reset(&buf)
		_, _ = w.Write(b) // writes to a bytes.Buffer cannot fail
		_ = w.Close()
		flateWriters.Put(w)
		if buf.Len() < len(b) {
			return deflatedCursorPrefix + base64.RawURLEncoding.EncodeToString(buf.Bytes())
		}
	}
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = errors.New("cursor is not valid: pass next_cursor exactly as a previous query_logs result printed it, or start a new query without cursor")

// decodeCursor reads a cursor and checks it as strictly as the arguments
// it stands for: a cursor is caller input like any other, and a forged
// one must not send upstream what the arguments could not (project 0,
// a window outside the accepted years, filter types we never write).
func decodeCursor(s string, now time.Time) (cursorState, error) {
	var st cursorState
	s = strings.TrimSpace(s)
	deflated := strings.HasPrefix(s, deflatedCursorPrefix)
	if len(s) > maxCursorLen || !(deflated || strings.HasPrefix(s, cursorPrefix)) {
		return st, errBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s[len(cursorPrefix):])
	if err != nil {
		return st, errBadCursor
	}
	if deflated {
		// Bounded: a forged cursor must not inflate without limit.
		r := flate.NewReader(bytes.NewReader(raw))
		raw, err = io.ReadAll(io.LimitReader(r, maxCursorJSON+1))
		if err != nil || len(raw) > maxCursorJSON {
			return st, errBadCursor
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return st, errBadCursor
	}
	if err := st.check(now); err != nil {
		return st, fmt.Errorf("%w (%v)", errBadCursor, err)
	}
	return st, nil
}

// check validates a decoded cursor's query.
func (st *cursorState) check(now time.Time) error {
	switch {
	case st.Project <= 0:
		return errors.New("no project")
	case st.Order != "latest" && st.Order != "earliest":
		return errors.New("unknown order")
	case !(st.AfterID != "" && validPosition(st.AfterTS, st.AfterID)) && !(st.Mode == modeWatch && st.AfterTS == "" && st.AfterID == ""):
		// Only a watch may start from no position (its checkpoint).
		return errors.New("no valid position")
	case !st.validMode():
		return errors.New("mode fields do not match the mode")
	case st.Limit < 1 || st.Limit > maxQueryLimit:
		return errors.New("limit out of range")
	case st.MaxBody < 0:
		return errors.New("negative max_body_chars")
	case st.Format != "" && st.Format != "json":
		return errors.New("unknown format")
	}
	// The window must be one the arguments could have given.
	// A watch keeps its window open (no end).
	open := st.Mode == modeWatch && st.To.IsZero()
	to := timerange.FormatTime(st.To)
	if open {
		to = ""
	}
	win, err := timerange.Resolve(timerange.FormatTime(st.From), to, "", now)
	if err != nil || !win.From.Equal(st.From) || (!open && !win.To.Equal(st.To)) {
		return errors.New("window outside the accepted range")
	}
	sev, err := severities(st.Sev)
	if err != nil || !slices.Equal(sev, st.Sev) {
		return errors.New("unknown severity")
	}
	for _, name := range st.Services {
		if strings.TrimSpace(name) == "" {
			return errors.New("empty service name")
		}
	}
	for i := range st.Props {
		st.Props[i].Value = normaliseValue(st.Props[i].Value)
		if !knownFilterShape(i, st.Props[i]) {
			return fmt.Errorf("filters[%d] is not a filter query_logs writes", i)
		}
	}
	return nil
}

// knownFilterShape reports whether p is what one of our filter arguments
// (or our own "(no service)" translation) translates to: the cursor's
// filters pass the same checks as the arguments did.
func knownFilterShape(i int, p client.PropertyFilter) bool {
	for _, scope := range []string{"", "log", "resource", "column"} {
		fa := filterArg{Key: p.Key, Value: p.Value, Operator: p.Operator, Scope: scope}
		got, err := fa.toProperty(i)
		if err == nil && got.Type == p.Type && got.Operator == p.Operator && reflect.DeepEqual(got.Value, p.Value) {
			return true
		}
	}
	return false
}

// normaliseValue restores []string after a JSON round trip ([]any).
func normaliseValue(v any) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// validPosition checks a row position taken from a cursor.
func validPosition(ts, id string) bool {
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		return false
	}
	return uuidPattern.MatchString(id)
}

// after is PostHog's cursor for the position, "" for a first page.
func (s cursorState) after() string {
	if s.AfterID == "" {
		return ""
	}
	return client.AfterCursor(s.AfterTS, s.AfterID)
}
