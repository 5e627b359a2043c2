package tools

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// printedCalls finds the ready calls "tool {...}" a result prints.
func printedCalls(t *testing.T, out, tool string) []map[string]any {
	t.Helper()
	var calls []map[string]any
	for _, m := range regexp.MustCompile(regexp.QuoteMeta(tool)+` (\{.*\})`).FindAllStringSubmatch(out, -1) {
		var args map[string]any
		if err := json.Unmarshal([]byte(m[1]), &args); err != nil {
			t.Fatalf("printed call is not JSON: %s %s", tool, m[1])
		}
		calls = append(calls, args)
	}
	return calls
}

// windowOf is the window a text result echoes.
func windowOf(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`window (\S+ → \S+) \(UTC\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no window echoed:\n%s", out)
	}
	return m[1]
}

// TestAttributeFollowUpsKeepTheWindow runs the calls list_attributes and
// get_attribute_values print, verbatim: they look in the caller's window
// (date_to included) and services, and find what they promise.
func TestAttributeFollowUpsKeepTheWindow(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	// An incident window that ended an hour ago: the default -1h misses it.
	window := map[string]any{"date_from": "2026-11-25T11:30:00Z", "date_to": "2026-11-25T13:00:00Z", "services": []string{"checkout"}}
	const want = "2026-11-25T11:30:00Z → 2026-11-25T13:00:00Z"

	keys := h.ok(NameListAttributes, window)
	calls := printedCalls(t, keys, NameGetAttributeValues)
	if len(calls) != 1 {
		t.Fatalf("list_attributes prints %d get_attribute_values calls:\n%s", len(calls), keys)
	}
	values := h.ok(NameGetAttributeValues, calls[0])
	if got := windowOf(t, values); got != want {
		t.Errorf("get_attribute_values as printed looks at %s, want %s", got, want)
	}
	if strings.Contains(values, "No values") {
		t.Errorf("the printed get_attribute_values call finds nothing:\n%s", values)
	}

	args := map[string]any{"key": "http.route"}
	for k, v := range window {
		args[k] = v
	}
	values = h.ok(NameGetAttributeValues, args)
	calls = printedCalls(t, values, NameQueryLogs)
	if len(calls) != 1 {
		t.Fatalf("get_attribute_values prints %d query_logs calls:\n%s", len(calls), values)
	}
	if calls[0]["date_to"] != "2026-11-25T13:00:00Z" || calls[0]["date_from"] != "2026-11-25T11:30:00Z" {
		t.Errorf("the query_logs call loses the window: %v", calls[0])
	}
	rows := h.ok(NameQueryLogs, calls[0])
	if got := windowOf(t, rows); got != want {
		t.Errorf("query_logs as printed looks at %s, want %s", got, want)
	}
	if len(uuidInText.FindAllString(rows, -1)) == 0 || !strings.Contains(rows, "service.name=checkout") {
		t.Errorf("the printed query_logs call finds no checkout rows:\n%s", rows)
	}
}

// TestAttributeScopeHintOnlyWhenItHelps: "try scope resource" is printed
// only when list_attributes lists the key under that scope.
func TestAttributeScopeHintOnlyWhenItHelps(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	// A log attribute with a value that does not exist: the scope is right.
	out := h.ok(NameGetAttributeValues, map[string]any{"key": "http.route", "search": "no-such-route", "date_from": "-3h"})
	if !strings.Contains(out, "No values") || strings.Contains(out, `scope "resource"`) {
		t.Errorf("a log attribute gets a resource-scope hint:\n%s", out)
	}
	// A resource attribute asked as a log attribute: the other scope helps.
	out = h.ok(NameGetAttributeValues, map[string]any{"key": "k8s.pod.name", "scope": "log", "date_from": "-3h"})
	if !strings.Contains(out, `scope "resource"`) {
		t.Errorf("a resource attribute asked under log gets no scope hint:\n%s", out)
	}
	// A key that exists nowhere: no scope can help.
	out = h.ok(NameGetAttributeValues, map[string]any{"key": "no.such.key", "date_from": "-3h"})
	if strings.Contains(out, "scope \"") {
		t.Errorf("a key that exists nowhere gets a scope hint:\n%s", out)
	}
}
