package tools

import (
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// hostile carries what a caller must never get printed back raw: an
// escape sequence, BEL, NUL, a right-to-left override and a zero-width space.
const hostile = "a\x1b[31m\x07\x00\u202e\u200bz"

// rawHidden finds a control, invisible or bidi character in out.
func rawHidden(out string) (rune, bool) {
	for _, r := range out {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r <= 0x9f ||
			r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2060 && r <= 0x206f || r == 0xfeff {
			return r, true
		}
	}
	return 0, false
}

// TestEchoesAreSanitised sends hostile text through every argument a
// tool may repeat (in errors, hints and printed follow-up calls), in
// both formats: nothing hidden comes back.
func TestEchoesAreSanitised(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = 1 << 20 })
	unset := []map[string]any{{"key": hostile, "operator": "is_not_set"}}
	calls := []struct {
		tool string
		args map[string]any
	}{
		{NameQueryLogs, map[string]any{"filters": []map[string]any{{"key": hostile, "value": "v"}}}},
		{NameQueryLogs, map[string]any{"filters": []map[string]any{{"key": "k8s.pod.name", "value": hostile}}}},
		{NameQueryLogs, map[string]any{"filters": []map[string]any{{"key": "k", "value": "v", "operator": hostile}}}},
		{NameQueryLogs, map[string]any{"filters": []map[string]any{{"key": "k", "value": "v", "scope": hostile}}}},
		{NameQueryLogs, map[string]any{"filters": []map[string]any{{"key": "k", "value": []string{hostile}, "operator": "icontains"}}}},
		{NameQueryLogs, map[string]any{"filters": []map[string]any{{"key": "k", "value": hostile, "operator": "regex"}}}},
		{NameQueryLogs, map[string]any{"services": []string{hostile}}},
		{NameQueryLogs, map[string]any{"search": hostile}},
		{NameQueryLogs, map[string]any{"order": hostile}},
		{NameQueryLogs, map[string]any{"format": hostile}},
		{NameQueryLogs, map[string]any{"view": hostile}},
		{NameQueryLogs, map[string]any{"cursor": hostile}},
		{NameQueryLogs, map[string]any{"date_from": hostile}},
		{NameQueryLogs, map[string]any{"severity": []string{hostile}}},
		{NameQueryLogs, map[string]any{hostile: 1}},
		{NameQueryLogs, map[string]any{"filters": []map[string]any{{"key": "k", hostile: 1}}}},
		{NameGetSparkline, map[string]any{"services": []string{hostile}}},
		{NameGetSparkline, map[string]any{"filters": unset, "date_from": "-6h", "search": ""}},
		{NameGetSparkline, map[string]any{"filters": unset, "date_from": "-6h", "breakdown": "service"}},
		{NameGetSparkline, map[string]any{"breakdown": hostile}},
		{NameListServices, map[string]any{"services": []string{hostile}}},
		{NameListServices, map[string]any{"filters": unset, "date_from": "-6h"}},
		{NameListServices, map[string]any{"name_search": hostile}},
		{NameListAttributes, map[string]any{"search": hostile, "services": []string{hostile}}},
		{NameListAttributes, map[string]any{"scope": hostile}},
		{NameGetAttributeValues, map[string]any{"key": hostile, "search": hostile}},
		{NameGetAttributeValues, map[string]any{"key": "service.name", "filters": unset, "services": []string{"checkout"}}},
		{NameGetAttributeValues, map[string]any{"key": "k", "scope": hostile}},
		{NameManageViews, map[string]any{"action": "list", "search": hostile}},
		{NameManageViews, map[string]any{"action": hostile}},
		{NameManageViews, map[string]any{"action": "get", "short_id": hostile}},
		{NameManageViews, map[string]any{"action": "delete", "short_id": hostile}},
		{NameExplainLog, map[string]any{"uuid": hostile, "timestamp": hostile}},
		{NameGetLogPatterns, map[string]any{"date_from": "-3h", "services": []string{"checkout"}, "search": hostile}},
		{NameGetLogPatterns, map[string]any{"date_from": "-3h", "services": []string{"checkout"}, "severity": []string{"error"}, "filters": []map[string]any{{"key": "k", "value": hostile, "operator": "not_icontains"}}}},
		{NameGetLogPatterns, map[string]any{"compare": hostile}},
		{NameGetLogPatterns, map[string]any{"baseline_from": hostile}},
		{NameGetLogPatterns, map[string]any{"services": []string{hostile}, "compare": "previous"}},
		{NameCountLogs, map[string]any{"date_from": "-3h", "group_by": []string{"service"}, "filters": []map[string]any{{"key": "k", "value": hostile, "operator": "not_icontains"}}}},
		{NameCountLogs, map[string]any{"group_by": []any{map[string]any{"key": hostile, "scope": hostile}}}},
		{NameCountLogs, map[string]any{"group_by": []any{map[string]any{"key": hostile, "scope": "column"}}}},
		{NameCountLogs, map[string]any{"group_by": []string{hostile, hostile}}},
		{NameCountLogs, map[string]any{"order_by": hostile, "search": hostile}},
	}
	for _, c := range calls {
		for _, format := range []string{"", "json"} {
			args := map[string]any{}
			for k, v := range c.args {
				args[k] = v
			}
			if format != "" && args["format"] == nil && c.tool != NameExplainLog {
				args["format"] = format
			}
			out, _ := h.call(c.tool, args)
			if r, ok := rawHidden(out); ok {
				t.Errorf("%s %v: U+%04X printed back:\n%q", c.tool, args, r, out)
			}
		}
	}

	// A view whose name and filters hold hostile text, through create,
	// get and the calls get prints.
	created := h.ok(NameManageViews, map[string]any{"action": "create", "name": hostile, "search": hostile, "services": []string{hostile},
		"filters": []map[string]any{{"key": hostile, "value": hostile, "scope": "log"}}})
	id := viewIDOf(t, created)
	for _, format := range []string{"text", "json"} {
		for _, out := range []string{
			created,
			h.ok(NameManageViews, map[string]any{"action": "get", "short_id": id, "format": format}),
			h.ok(NameManageViews, map[string]any{"action": "list", "format": format}),
			h.ok(NameQueryLogs, map[string]any{"view": id, "format": format}),
		} {
			if r, ok := rawHidden(out); ok {
				t.Errorf("view with hostile fields (%s): U+%04X printed:\n%q", format, r, out)
			}
		}
	}
	// The printed update call still carries the exact values (escaped).
	_, update := getCalls(t, h, id)
	if update["name"] != hostile || update["search"] != hostile {
		t.Errorf("get's update call lost the exact values: %q %q", update["name"], update["search"])
	}
	h.ok(NameManageViews, map[string]any{"action": "delete", "short_id": id})
}

func viewIDOf(t *testing.T, out string) string {
	t.Helper()
	i := strings.Index(out, "view ")
	if i < 0 || len(out) < i+13 {
		t.Fatalf("no view id in:\n%s", out)
	}
	return out[i+5 : i+13]
}
