package tools

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

func TestExplainLog(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	var page logsJSON
	if err := json.Unmarshal([]byte(h.ok(NameQueryLogs, map[string]any{"severity": []string{"error"}, "limit": 1, "format": "json"})), &page); err != nil {
		t.Fatal(err)
	}
	var row cleanRow
	if err := json.Unmarshal(page.Rows[0], &row); err != nil {
		t.Fatal(err)
	}
	out := h.ok(NameExplainLog, map[string]any{"uuid": row.UUID, "timestamp": row.Timestamp})
	for _, want := range []string{"(severity: ", "probable causes:", "actions:", "key fields:"} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
	h.sb.ResetRequests()
	if msg := h.fail(NameExplainLog, map[string]any{"uuid": "../../etc", "timestamp": row.Timestamp}); !strings.HasPrefix(msg, "INVALID_ARGUMENT") {
		t.Error(msg)
	}
	if len(h.sb.Requests()) != 0 {
		t.Error("a malformed uuid reached PostHog")
	}
	if msg := h.fail(NameExplainLog, map[string]any{"uuid": row.UUID, "timestamp": "-2h"}); !strings.Contains(msg, "a relative time cannot name one log line") {
		t.Error(msg)
	}
	if msg := h.fail(NameExplainLog, map[string]any{"uuid": "0199a3c2-5b7e-7c1a-9d2e-8f6a1b2c3d4e", "timestamp": row.Timestamp}); !strings.HasPrefix(msg, "NOT_FOUND") {
		t.Error(msg)
	}

	noAI := newHarness(t, sandbox.KeyNoAIConsent, nil)
	msg := noAI.fail(NameExplainLog, map[string]any{"uuid": row.UUID, "timestamp": row.Timestamp})
	if !strings.HasPrefix(msg, "AI_CONSENT_REQUIRED") || !strings.Contains(msg, "still works") {
		t.Errorf("no-consent message: %s", msg)
	}
}

func TestExplainLogJSON(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	var page logsJSON
	if err := json.Unmarshal([]byte(h.ok(NameQueryLogs, map[string]any{"severity": []string{"error"}, "limit": 1, "format": "json"})), &page); err != nil {
		t.Fatal(err)
	}
	var row cleanRow
	if err := json.Unmarshal(page.Rows[0], &row); err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Headline       string `json:"headline"`
		ProbableCauses []struct {
			Hypothesis string `json:"hypothesis"`
		} `json:"probable_causes"`
	}
	out := h.ok(NameExplainLog, map[string]any{"uuid": row.UUID, "timestamp": row.Timestamp, "format": "json"})
	if err := json.Unmarshal([]byte(out), &ex); err != nil || ex.Headline == "" || len(ex.ProbableCauses) == 0 {
		t.Errorf("json explanation: %v\n%s", err, out)
	}
}
