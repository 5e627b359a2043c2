package tools

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// The three ways into query_logs besides filters: one trace, the lines
// around one line, and watching for new lines. Each combines with the
// common filters; trace and watch continue through cursors.
const (
	modeTrace = "trace"
	modeWatch = "watch"
)

// modeArgs are query_logs' arguments for its three ways in.
type modeArgs struct {
	TraceID     string     `json:"trace_id"`
	Around      *aroundArg `json:"around"`
	WaitSeconds *int       `json:"wait_seconds"`
}

// aroundArg names one line as query_logs printed it, and which of its
// neighbours to show.
type aroundArg struct {
	UUID      string `json:"uuid"`
	Timestamp string `json:"timestamp"`
	Before    *int   `json:"before"`
	After     *int   `json:"after"`
	Same      string `json:"same"`
}

const maxWaitSeconds = 120

// modeProps are the schemas of the three ways in (about 700 characters:
// every one sits in the catalogue on every turn).
func modeProps() []prop {
	return []prop{
		{name: "trace_id", schema: str("32 hex: one trace's lines in all services, earliest first, with offsets. Window: 24h unless date_from.")},
		{name: "around", schema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"uuid": map[string]any{"type": "string"}, "timestamp": map[string]any{"type": "string"},
				"before": map[string]any{"type": "integer"}, "after": map[string]any{"type": "integer"},
				"same": map[string]any{"enum": sameChoices},
			},
			"required":    []string{"uuid", "timestamp"},
			"description": "A printed line's uuid+timestamp: lines just before/after it (grep -C). before/after: 10 if unset, max 100; same: neighbours' scope, service if unset. Window ±1h.",
		}},
		{name: "wait_seconds", schema: map[string]any{"type": "integer", "maximum": maxWaitSeconds,
			"description": "Watch: return once new matching lines arrive, or after this long; next_cursor keeps watching."}},
	}
}

func (m modeArgs) active() bool {
	return m.TraceID != "" || m.Around != nil || (m.WaitSeconds != nil && *m.WaitSeconds > 0)
}

var traceIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// checkModes validates the ways in before anything runs, and fills the
// window defaults each implies.
func (m modeArgs) checkModes(args *queryLogsArgs) error {
	n := 0
	for _, on := range []bool{m.TraceID != "", m.Around != nil, m.WaitSeconds != nil && *m.WaitSeconds > 0} {
		if on {
			n++
		}
	}
	if n > 1 {
		return errors.New(`trace_id, around and wait_seconds are separate ways in: pass one (to watch one trace, use wait_seconds with filters [{"key":"trace_id","value":"<id>"}])`)
	}
	if m.WaitSeconds != nil && (*m.WaitSeconds < 0 || *m.WaitSeconds > maxWaitSeconds) {
		return fmt.Errorf("wait_seconds must be between 0 and %d (got %d)", maxWaitSeconds, *m.WaitSeconds)
	}
	if args.Cursor != "" {
		if m.TraceID != "" || m.Around != nil {
			return errors.New("cursor already carries the query: pass only cursor (trace_id and around start a new query)")
		}
		return nil
	}
	switch {
	case m.TraceID != "":
		if !traceIDPattern.MatchString(m.TraceID) {
			return fmt.Errorf(`trace_id must be 32 hex characters as query_logs prints it, e.g. "4bf92f3577b34da6a3ce929d0e0e4736" (got %d characters)`, len(m.TraceID))
		}
		if args.Order == "latest" {
			return errors.New(`trace_id lists a trace earliest first (offsets count from its first line): drop order`)
		}
		if args.DateFrom == "" {
			args.DateFrom = "-24h"
		}
	case m.Around != nil:
		return m.Around.check(args)
	case m.WaitSeconds != nil && *m.WaitSeconds > 0:
		if args.Order == "latest" {
			return errors.New("wait_seconds lists new lines earliest first, as they arrive: drop order")
		}
		if args.DateTo != "" {
			return errors.New("wait_seconds watches lines arriving from now on: drop date_to")
		}
	}
	return nil
}

// queryMode runs a call that uses one of the ways in (or continues one
// through its cursor); ok is false when the call is a plain query.
func (e *env) queryMode(ctx context.Context, c *call, args queryLogsArgs, st cursorState, view string) (*mcp.CallToolResult, bool) {
	m := args.modeArgs
	switch {
	case args.Cursor != "" && st.Mode == modeTrace:
		return e.queryTrace(ctx, c, st, view), true
	case args.Cursor != "" && st.Mode == modeWatch:
		if m.WaitSeconds != nil {
			st.Wait = *m.WaitSeconds
		}
		return e.queryWatch(ctx, c, st, view), true
	case args.Cursor != "" && m.WaitSeconds != nil && *m.WaitSeconds > 0:
		return invalidArgs(errors.New("wait_seconds with a cursor only continues a watch; to watch, start again without cursor")), true
	case args.Cursor != "":
		return nil, false
	case m.TraceID != "":
		st.Mode, st.Order = modeTrace, "earliest"
		st.Props = append(st.Props, traceFilter(strings.ToLower(m.TraceID)))
		return e.queryTrace(ctx, c, st, view), true
	case m.Around != nil:
		return e.queryAround(ctx, c, m.Around, st, view), true
	case m.WaitSeconds != nil && *m.WaitSeconds > 0:
		st.Mode, st.Order, st.Wait = modeWatch, "earliest", *m.WaitSeconds
		return e.queryWatch(ctx, c, st, view), true
	}
	return nil, false
}

// validMode checks the mode fields of a decoded cursor.
func (s cursorState) validMode() bool {
	switch s.Mode {
	case "":
		return s.TraceStart == "" && len(s.TraceSvcs) == 0 && s.Checkpoint == "" && s.Pending == "" && len(s.Seen) == 0 && s.Wait == 0
	case modeTrace:
		return s.Order == "earliest" && validTimestamp(s.TraceStart) && len(s.TraceSvcs) <= maxTraceServices &&
			s.Checkpoint == "" && s.Pending == "" && len(s.Seen) == 0 && s.Wait == 0 && hasTraceFilter(s)
	case modeWatch:
		if s.Order != "earliest" || !validTimestamp(s.Checkpoint) || (s.Pending != "" && !validTimestamp(s.Pending)) || len(s.Seen) > maxSeen ||
			s.Wait < 0 || s.Wait > maxWaitSeconds || s.TraceStart != "" || len(s.TraceSvcs) > 0 {
			return false
		}
		for _, id := range s.Seen {
			if !uuidPattern.MatchString(id) {
				return false
			}
		}
		return true
	}
	return false
}
