package tools

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

// cursorPrefix versions the cursor format so a future change can still
// recognise (and politely refuse) old cursors.
const cursorPrefix = "c1."

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
}

func encodeCursor(s cursorState) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // only plain data: cannot fail
	}
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = errors.New("cursor is not valid: pass next_cursor exactly as a previous query_logs result printed it, or start a new query without cursor")

func decodeCursor(s string) (cursorState, error) {
	var st cursorState
	s = strings.TrimSpace(s)
	if len(s) > maxCursorLen || !strings.HasPrefix(s, cursorPrefix) {
		return st, errBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s[len(cursorPrefix):])
	if err != nil {
		return st, errBadCursor
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, errBadCursor
	}
	if st.Project < 0 || st.From.IsZero() || st.To.IsZero() || !st.From.Before(st.To) ||
		(st.Order != "latest" && st.Order != "earliest") || !validPosition(st.AfterTS, st.AfterID) ||
		st.Limit < 1 || st.Limit > maxQueryLimit || st.MaxBody < 0 {
		return st, errBadCursor
	}
	for i := range st.Props {
		st.Props[i].Value = normaliseValue(st.Props[i].Value)
		if _, err := (filterArg{Key: st.Props[i].Key, Operator: st.Props[i].Operator, Value: st.Props[i].Value, Scope: "log"}).toProperty(i); err != nil {
			return st, fmt.Errorf("%w (%v)", errBadCursor, err)
		}
	}
	return st, nil
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
