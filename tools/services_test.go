package tools

import (
	"regexp"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

func TestListServices(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameListServices, map[string]any{"date_from": "-24h"})
	lines := strings.Split(out, "\n")
	if !regexp.MustCompile(`^\d+ services with logs · window 2026-11-24T14:00:00Z → 2026-11-25T14:00:00Z \(UTC\)`).MatchString(lines[0]) {
		t.Errorf("header: %q", lines[0])
	}
	for _, svc := range []string{"checkout", "payments", "api-gateway", "auth", "inventory", "notifications"} {
		if !regexp.MustCompile(`(?m)^` + svc + `\s+[\d,]+\s+[\d,]+\s+[\d.]+%\s+[\d.]+%\s+[▁▂▃▄▅▆▇█]{10,}`).MatchString(out) {
			t.Errorf("no row with counts and a trend for %s:\n%s", svc, out)
		}
	}
	if !strings.Contains(out, "spike: checkout") {
		t.Errorf("the checkout error spike should show in its trend:\n%s", out)
	}
	narrow := h.ok(NameListServices, map[string]any{"name_search": "pay", "limit": 1})
	if !strings.Contains(narrow, "payments") || strings.Contains(narrow, "checkout ") {
		t.Errorf("name_search: %s", narrow)
	}
}
