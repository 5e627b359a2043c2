package mcpserver

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// TestPromptsOverHTTP lists and fills both prompts through a real client
// and checks that every tool call a plan prints is valid JSON for a tool
// the server offers, with the caller's arguments filled in.
func TestPromptsOverHTTP(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{PinnedProject: sandbox.ProjectID}, nil)
	for _, version := range []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125} {
		t.Run(version, func(t *testing.T) {
			c := f.connect(t, version, bearer(sandbox.KeyFull))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			list, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range list.Prompts {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, []string{tools.PromptInvestigateIncident, tools.PromptVerifyDeploy}) && !slices.Equal(names, []string{tools.PromptVerifyDeploy, tools.PromptInvestigateIncident}) {
				t.Fatalf("prompts = %v", names)
			}
			offered := toolNames(listTools(t, c))

			get := func(name string, args map[string]string) string {
				req := mcp.GetPromptRequest{}
				req.Params.Name = name
				req.Params.Arguments = args
				res, err := c.GetPrompt(ctx, req)
				if err != nil {
					t.Fatalf("%s %v: %v", name, args, err)
				}
				tc, ok := res.Messages[0].Content.(mcp.TextContent)
				if !ok {
					t.Fatalf("%s: content %T", name, res.Messages[0].Content)
				}
				return tc.Text
			}
			plan := get(tools.PromptInvestigateIncident, map[string]string{"service": "checkout", "since": "2026-11-25T12:00:00Z"})
			for _, want := range []string{`"services":["checkout"]`, `"date_from":"2026-11-25T12:00:00.000Z"`, "list_services", "query_logs"} {
				if !strings.Contains(plan, want) {
					t.Errorf("investigate_incident plan lacks %s:\n%s", want, plan)
				}
			}
			checkPlanCalls(t, plan, offered)

			plan = get(tools.PromptVerifyDeploy, map[string]string{"service": "checkout", "deployed_at": "2026-11-25T12:00:00Z"})
			for _, want := range []string{`"date_from":"2026-11-25T11:00:00.000Z"`, `"services":["checkout"]`} {
				if !strings.Contains(plan, want) {
					t.Errorf("verify_deploy plan lacks %s:\n%s", want, plan)
				}
			}
			checkPlanCalls(t, plan, offered)

			req := mcp.GetPromptRequest{}
			req.Params.Name = tools.PromptVerifyDeploy
			req.Params.Arguments = map[string]string{"service": "checkout", "deployed_at": "yesterday-ish"}
			if _, err := c.GetPrompt(ctx, req); err == nil || !strings.Contains(err.Error(), "deployed_at") {
				t.Errorf("invalid deployed_at: err = %v, want one naming deployed_at", err)
			}
		})
	}
}

var planCall = regexp.MustCompile(`(?m)^\d+\. (\w+) (\{.*\}): `)

func checkPlanCalls(t *testing.T, plan string, offered []string) {
	t.Helper()
	calls := planCall.FindAllStringSubmatch(plan, -1)
	if len(calls) < 3 {
		t.Fatalf("plan has %d calls:\n%s", len(calls), plan)
	}
	for _, m := range calls {
		if !slices.Contains(offered, m[1]) {
			t.Errorf("plan names %s, which the server does not offer", m[1])
		}
		var args map[string]any
		if err := json.Unmarshal([]byte(m[2]), &args); err != nil {
			t.Errorf("plan call %s %s is not JSON: %v", m[1], m[2], err)
		}
	}
}

// TestPromptServiceCompletion completes the service argument from the
// caller's project, filtered by what was typed.
func TestPromptServiceCompletion(t *testing.T) {
	f := newHTTPFixture(t, tools.Config{PinnedProject: sandbox.ProjectID}, nil)
	c := f.connect(t, mcp.ProtocolVersion20251125, bearer(sandbox.KeyFull))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	complete := func(arg, value string) []string {
		req := mcp.CompleteRequest{}
		req.Params.Ref = mcp.PromptReference{Type: "ref/prompt", Name: tools.PromptVerifyDeploy}
		req.Params.Argument.Name = arg
		req.Params.Argument.Value = value
		res, err := c.Complete(ctx, req)
		if err != nil {
			t.Fatalf("complete %s=%q: %v", arg, value, err)
		}
		return res.Completion.Values
	}
	if got := complete("service", "check"); !slices.Contains(got, "checkout") || slices.ContainsFunc(got, func(s string) bool { return !strings.Contains(s, "check") }) {
		t.Errorf("service completions for %q = %v", "check", got)
	}
	if got := complete("service", ""); len(got) < 3 {
		t.Errorf("service completions for \"\" = %v, want the sandbox's services", got)
	}
	if got := complete("deployed_at", "2026"); len(got) != 0 {
		t.Errorf("deployed_at completions = %v, want none", got)
	}
}
