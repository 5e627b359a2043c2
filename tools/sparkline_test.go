package tools

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

func TestGetSparklineFindsTheDeploySpike(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameGetSparkline, map[string]any{"date_from": "-6h", "services": []string{"checkout"}})
	if !strings.HasPrefix(out, "log volume by severity · services checkout · 2026-11-25T08:00:00Z → 2026-11-25T14:00:00Z (UTC)") {
		t.Errorf("header: %s", out)
	}
	m := regexp.MustCompile(`spike: error (\d\d:\d\dZ) → (\d\d:\d\dZ)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no error spike found:\n%s", out)
	}
	// The sandbox's spike runs from Now-2h to Now-1h45m: 12:00 to 12:15.
	if m[1] < "11:50Z" || m[1] > "12:05Z" || m[2] < "12:10Z" || m[2] > "12:25Z" {
		t.Errorf("spike window %s → %s, want about 12:00Z → 12:15Z", m[1], m[2])
	}
	q := regexp.MustCompile(`spike: error .*\n  → query_logs (\{.*\})`).FindStringSubmatch(out)
	if q == nil {
		t.Fatal("no query_logs suggestion")
	}
	// The suggestion is a valid query_logs call that finds the errors.
	var args map[string]any
	if err := json.Unmarshal([]byte(q[1]), &args); err != nil {
		t.Fatal(err)
	}
	logs := h.ok(NameQueryLogs, args)
	if !strings.Contains(logs, "ERROR") || !strings.Contains(logs, "service.name=checkout") {
		t.Errorf("suggested query did not return the spike's errors:\n%.600s", logs)
	}
	byService := h.ok(NameGetSparkline, map[string]any{"breakdown": "service", "format": "json"})
	var chart chartJSON
	if err := json.Unmarshal([]byte(byService), &chart); err != nil {
		t.Fatal(err)
	}
	if chart.Breakdown != "service" || len(chart.Series) < 6 || len(chart.Buckets) < 20 {
		t.Errorf("json chart: %d series, %d buckets", len(chart.Series), len(chart.Buckets))
	}
}
