package mcpserver

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// investigation plays the sandbox's incident as an agent would, through a
// real MCP client over HTTP, following only calls the tools printed, and
// keeps the transcript's size.
type investigation struct {
	t     *testing.T
	c     *mcpclient.Client
	steps []string
	total int
}

func (inv *investigation) call(name string, args map[string]any) string {
	inv.t.Helper()
	text := mustCall(inv.t, inv.c, name, args)
	raw, _ := json.Marshal(args)
	inv.steps = append(inv.steps, fmt.Sprintf("%-16s %6d chars  %s", name, len(text), raw))
	inv.total += len(text)
	if testing.Verbose() {
		inv.t.Logf("=== %s\n%s", name, text)
	}
	return text
}

// printedCall returns the arguments of the first "→ tool {...}" call on
// the first line of text that contains marker.
func printedCall(t *testing.T, text, tool, marker string) map[string]any {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !strings.Contains(l, marker) {
			continue
		}
		// The call is on the marked line or on the next one.
		for _, cand := range lines[i:min(i+2, len(lines))] {
			if _, after, ok := strings.Cut(cand, "→ "+tool+" "); ok {
				var args map[string]any
				if err := json.Unmarshal([]byte(after), &args); err != nil {
					t.Fatalf("printed %s call does not parse: %v\n%s", tool, err, after)
				}
				return args
			}
		}
	}
	t.Fatalf("no printed %s call near %q in:\n%s", tool, marker, text)
	return nil
}

var (
	printedUUID  = regexp.MustCompile(`uuid=([0-9a-f-]{36})`)
	printedStamp = regexp.MustCompile(`(?m)^(\d{4}-\d\d-\d\dT[\d:.]+Z) `)
	printedTrace = regexp.MustCompile(`trace(?:_id)?=([0-9a-f]{32})`)
)

// TestInvestigationFlow is the proof that the tools serve an
// agent: list_services → get_log_patterns (compare previous, on the spike)
// → count_logs by service.version → the pattern's printed query_logs call
// → one trace → the lines around one error → explain_log. Every step
// runs a call a previous result printed, the incident's facts are found,
// and the whole transcript stays within 12,000 characters.
func TestInvestigationFlow(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{PinnedProject: sandbox.ProjectID, Redact: true}, nil)
	inc := f.sb.Incident()
	for _, version := range []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125} {
		t.Run(version, func(t *testing.T) {
			inv := &investigation{t: t, c: f.connect(t, version, bearer(sandbox.KeyFull))}

			// Where: the noisy service, and its spike window as a printed call.
			services := inv.call("list_services", map[string]any{"date_from": "-3h", "severity": []string{"error", "fatal"}, "limit": 5})
			spike := printedCall(t, services, "query_logs", "spike: "+inc.Service+" ")

			// What: the patterns of the spike's errors against the window before.
			patternArgs := map[string]any{"date_from": spike["date_from"], "date_to": spike["date_to"],
				"services": spike["services"], "severity": []string{"error", "fatal"}, "compare": "previous", "limit": 2}
			patterns := inv.call("get_log_patterns", patternArgs)
			newSection, _, _ := strings.Cut(patterns, "\nmore (")
			if !strings.Contains(newSection, "percentOff") || !strings.Contains(newSection, "\nnew (") {
				t.Fatalf("the promotion error is not among the new patterns:\n%s", patterns)
			}
			pivot := printedCall(t, patterns, "query_logs", "percentOff")

			// How many errors, split by version.
			countArgs := clone(patternArgs)
			delete(countArgs, "compare")
			delete(countArgs, "limit")
			countArgs["group_by"] = []string{"service.version"}
			counts := inv.call("count_logs", countArgs)
			if !strings.Contains(counts, inc.Version) || strings.Contains(counts, inc.PreviousVersion) {
				t.Errorf("count_logs by service.version should show only %s:\n%s", inc.Version, counts)
			}

			// The pattern's lines, a few of them.
			rowsArgs := clone(pivot)
			rowsArgs["limit"] = 1
			rowsArgs["max_body_chars"] = 160
			rows := inv.call("query_logs", rowsArgs)
			if !strings.Contains(rows, inc.ErrorText[:30]) {
				t.Errorf("the pattern's query_logs call did not return promotion errors:\n%s", rows)
			}

			// When it was deployed.
			deploy := inv.call("query_logs", map[string]any{"services": []string{inc.Service}, "search": "deploy started", "date_from": "-3h", "limit": 1})
			if !strings.Contains(deploy, inc.DeployAt.Format("2006-01-02T15:04:05")) || !strings.Contains(deploy, inc.Version) {
				t.Errorf("deploy of %s at %s not found:\n%s", inc.Version, inc.DeployAt, deploy)
			}

			uuid := printedUUID.FindStringSubmatch(rows)
			stamp := printedStamp.FindStringSubmatch(rows)
			if uuid == nil || stamp == nil {
				t.Fatalf("no uuid/timestamp printed:\n%s", rows)
			}
			inv.followTrace(rows, inc)
			inv.around(uuid[1], stamp[1])

			explained := inv.call("explain_log", map[string]any{"uuid": uuid[1], "timestamp": stamp[1]})
			if strings.TrimSpace(explained) == "" {
				t.Error("explain_log printed nothing")
			}

			t.Logf("investigation transcript (%s):\n%s\ntotal %d characters", version, strings.Join(inv.steps, "\n"), inv.total)
			if inv.total > 12000 {
				t.Errorf("the investigation took %d characters of tool output, want at most 12,000", inv.total)
			}
		})
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
