package tools

import (
	"regexp"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

func TestAttributes(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameListAttributes, map[string]any{})
	if !regexp.MustCompile(`(?m)^log \(\d+\): .*http\.route`).MatchString(out) || !regexp.MustCompile(`(?m)^resource \(\d+\): .*k8s\.pod\.name`).MatchString(out) {
		t.Errorf("list_attributes:\n%s", out)
	}
	vals := h.ok(NameGetAttributeValues, map[string]any{"key": "service.name"})
	if !strings.Contains(vals, "service.name (resource attribute)") || !strings.Contains(vals, "checkout") {
		t.Errorf("scope of service.name should be inferred as resource:\n%s", vals)
	}
	reqs := h.sb.Requests()
	last := reqs[len(reqs)-1]
	if last.Query.Get("attribute_type") != "resource" || last.Query.Get("key") != "service.name" || !strings.Contains(last.Query.Get("dateRange"), "date_from") {
		t.Errorf("values request: %v", last.Query)
	}
	routes := h.ok(NameGetAttributeValues, map[string]any{"key": "http.route", "services": []string{"checkout"}, "limit": 5})
	if !regexp.MustCompile(`(?m)^\s*[\d,]+\s+/`).MatchString(routes) || !strings.Contains(routes, "next: query_logs") {
		t.Errorf("values with counts:\n%s", routes)
	}
	if msg := h.fail(NameGetAttributeValues, map[string]any{}); !strings.Contains(msg, "key is required") {
		t.Error(msg)
	}
}
