package tools

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// TestReferenceExamplesRun runs every example of the generated reference
// against the sandbox as printed (explain_log's with a uuid and timestamp
// that query_logs printed), so docs/tools.md never shows a call that fails.
func TestReferenceExamplesRun(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	for _, r := range References() {
		if r.Example == "" {
			t.Errorf("%s has no example for docs/tools.md", r.Name)
			continue
		}
		example := r.Example
		if r.Name == NameExplainLog {
			example = explainExampleArgs(t, h)
		}
		var args map[string]any
		if err := json.Unmarshal([]byte(example), &args); err != nil {
			t.Errorf("%s example is not JSON: %v", r.Name, err)
			continue
		}
		if text := h.ok(r.Name, args); strings.TrimSpace(text) == "" {
			t.Errorf("%s example printed nothing", r.Name)
		}
	}
}

var uuidTimestamp = regexp.MustCompile(`"uuid":"([^"]+)","timestamp":"([^"]+)"`)

// explainExampleArgs fills explain_log's example with a line query_logs
// printed: explain_log's placeholders name exactly that.
func explainExampleArgs(t *testing.T, h *harness) string {
	t.Helper()
	text := h.ok(NameQueryLogs, map[string]any{"severity": []string{"error"}, "date_from": "-3h", "limit": 1, "format": "json"})
	m := uuidTimestamp.FindStringSubmatch(strings.ReplaceAll(text, " ", ""))
	if m == nil {
		t.Fatalf("no uuid and timestamp in query_logs JSON:\n%s", text)
	}
	return `{"uuid":"` + m[1] + `","timestamp":"` + m[2] + `"}`
}
