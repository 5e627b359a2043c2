package tools

import (
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sanitize"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// serviceKey is the resource attribute PostHog keeps the service name in.
const serviceKey = "service.name"

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
