package tools

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

// Names of the prompts: short plans that run the investigation flow of
// the tools with the caller's arguments filled in.
const (
	PromptInvestigateIncident = "investigate_incident"
	PromptVerifyDeploy        = "verify_deploy"
)

// RegisterPrompts adds the prompts to s. Each plan names only tools this
// server offers (--tools may have removed some).
func (ts *Toolset) RegisterPrompts(s *server.MCPServer) {
	s.AddPrompt(mcp.NewPrompt(PromptInvestigateIncident,
		mcp.WithPromptTitle("Investigate an incident"),
		mcp.WithPromptDescription("A step-by-step plan to find what broke in production from the logs: where, when, what changed, how many, one trace, a cause."),
		mcp.WithArgument("service", mcp.ArgumentDescription("The service to start from (optional; list_services finds the noisy one).")),
		mcp.WithArgument("since", mcp.ArgumentDescription("When the problem may have started: -2h, 2026-11-25T14:00:00Z (optional; default -24h).")),
	), ts.investigatePrompt)
	s.AddPrompt(mcp.NewPrompt(PromptVerifyDeploy,
		mcp.WithPromptTitle("Verify a deploy"),
		mcp.WithPromptDescription("A plan to check from the logs whether a deploy made things worse: new error patterns, errors by version, a short watch."),
		mcp.WithArgument("service", mcp.ArgumentDescription("The service that was deployed."), mcp.RequiredArgument()),
		mcp.WithArgument("deployed_at", mcp.ArgumentDescription("When it was deployed: 2026-11-25T14:00:00Z, -30m."), mcp.RequiredArgument()),
	), ts.verifyDeployPrompt)
}

func (ts *Toolset) has(name string) bool {
	return slices.ContainsFunc(ts.tools, func(t *tool) bool { return t.name == name })
}

// planStep is one numbered line of a plan: a tool call and what to learn.
type planStep struct {
	tool string
	args map[string]any
	why  string
}

// plan renders the steps whose tools this server offers.
func (ts *Toolset) plan(intro string, steps []planStep, outro string) string {
	var b strings.Builder
	b.WriteString(intro)
	b.WriteString("\n")
	n := 0
	for _, s := range steps {
		if !ts.has(s.tool) {
			continue
		}
		n++
		args, _ := json.Marshal(s.args)
		fmt.Fprintf(&b, "%d. %s %s: %s\n", n, s.tool, args, s.why)
	}
	b.WriteString(outro)
	return b.String()
}

func promptResult(desc, text string) *mcp.GetPromptResult {
	return mcp.NewGetPromptResult(desc, []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text))})
}

// promptTime resolves a caller's time argument to absolute UTC, so the
// plan's calls mean the same instant whenever the agent runs them.
func (ts *Toolset) promptTime(name, expr string) (time.Time, error) {
	t, err := timerange.Parse(expr, ts.env.now())
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", name, err)
	}
	return t.UTC(), nil
}

func (ts *Toolset) investigatePrompt(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	service := ts.env.clean.String(strings.TrimSpace(req.Params.Arguments["service"]))
	since := strings.TrimSpace(req.Params.Arguments["since"])
	from := "-24h"
	if since != "" {
		t, err := ts.promptTime("since", since)
		if err != nil {
			return nil, err
		}
		from = timerange.FormatTime(t)
	}
	scope := func(extra map[string]any) map[string]any {
		args := map[string]any{"date_from": from}
		if service != "" {
			args["services"] = []string{service}
		}
		for k, v := range extra {
			args[k] = v
		}
		return args
	}
	subject := "a production incident"
	if service != "" {
		subject = fmt.Sprintf("a production incident in the service %q", service)
	}
	steps := []planStep{
		{NameListServices, map[string]any{"date_from": from}, "which services log errors, and how their error rates compare (confirm the exact service name)"},
		{NameGetSparkline, scope(nil), "when errors started; note the spike window it prints and use it as date_from/date_to below"},
		{"get_log_patterns", scope(map[string]any{"severity": []string{"error", "fatal"}, "compare": "previous"}), "what kinds of error lines there are and which are new; run this on the spike window"},
		{"count_logs", scope(map[string]any{"severity": []string{"error", "fatal"}, "group_by": []string{"service.version", "k8s.pod.name"}}), "whether the errors are confined to one version or pod"},
		{NameQueryLogs, scope(map[string]any{"severity": []string{"error", "fatal"}, "limit": 10}), "a few raw lines (better: run the query_logs call printed under the new pattern); then follow one line's trace_id, and use around on it for its context"},
		{NameExplainLog, map[string]any{"uuid": "<uuid printed by query_logs>", "timestamp": "<its timestamp>"}, "PostHog's AI reading of one representative error line"},
	}
	text := ts.plan(
		fmt.Sprintf("Investigate %s from its logs in PostHog. Use summaries before raw rows; each result prints the ready call that drills into it, so prefer running those verbatim.", subject),
		steps,
		"Report: the service, when it started (UTC), what changed (version, deploy, route), the error template, one trace across services, and a likely cause with the evidence.")
	return promptResult("Plan: investigate an incident", text), nil
}

func (ts *Toolset) verifyDeployPrompt(ctx context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	service := ts.env.clean.String(strings.TrimSpace(req.Params.Arguments["service"]))
	if service == "" {
		return nil, fmt.Errorf("service is required: the deployed service's name from list_services")
	}
	at, err := ts.promptTime("deployed_at", strings.TrimSpace(req.Params.Arguments["deployed_at"]))
	if err != nil {
		return nil, err
	}
	deployed := timerange.FormatTime(at)
	before := timerange.FormatTime(at.Add(-time.Hour))
	svc := []string{service}
	steps := []planStep{
		{"get_log_patterns", map[string]any{"services": svc, "date_from": deployed, "compare": "previous"}, "patterns that are new or more frequent since the deploy, against the same length of time before it"},
		{"count_logs", map[string]any{"services": svc, "date_from": before, "severity": []string{"error", "fatal"}, "group_by": []string{"service.version"}}, "errors per version from an hour before the deploy: does the new version error more?"},
		{NameGetSparkline, map[string]any{"services": svc, "date_from": before}, "volume and errors around the deploy; any spike after it"},
		{NameQueryLogs, map[string]any{"services": svc, "date_from": deployed, "severity": []string{"error", "fatal"}, "limit": 10}, "the errors since the deploy, if any (or run the call printed under a new pattern)"},
		{NameQueryLogs, map[string]any{"services": svc, "severity": []string{"error", "fatal"}, "wait_seconds": 60}, "watch a minute for new errors; \"no new matching lines\" is good news"},
	}
	text := ts.plan(
		fmt.Sprintf("Verify the deploy of %q at %s from its logs in PostHog.", service, deployed),
		steps,
		"Verdict: healthy, or regressed, with the evidence (new patterns, error counts per version before and after, example lines).")
	return promptResult("Plan: verify a deploy", text), nil
}

// serviceNames caches each caller's service names briefly for argument
// completion: a client asks on every keystroke.
type serviceNames struct {
	mu      sync.Mutex
	entries map[[32]byte]serviceNamesEntry
}

type serviceNamesEntry struct {
	names []string
	at    time.Time
}

const (
	serviceNamesTTL     = time.Minute
	serviceNamesMaxKeys = 256
	completionMaxValues = 100 // the protocol's bound
)

// CompletePromptArgument completes the service argument of the prompts
// from the caller's project (server.PromptCompletionProvider). Other
// arguments, callers without a known project and upstream failures get
// no suggestions rather than an error: completion is a convenience.
func (ts *Toolset) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	empty := &mcp.Completion{Values: []string{}}
	c, ok := CallerFrom(ctx)
	if arg.Name != "service" || !ok || c.Project == 0 || !ts.AccessFor(c).Read {
		return empty, nil
	}
	names, err := ts.names(ctx, c)
	if err != nil {
		return empty, nil
	}
	prefix := strings.ToLower(arg.Value)
	var match []string
	for _, n := range names {
		if strings.Contains(strings.ToLower(n), prefix) {
			match = append(match, n)
		}
	}
	out := &mcp.Completion{Values: match, Total: len(match)}
	if len(match) > completionMaxValues {
		out.Values, out.HasMore = match[:completionMaxValues], true
	}
	if out.Values == nil {
		out.Values = []string{}
	}
	return out, nil
}

func (ts *Toolset) names(ctx context.Context, c Caller) ([]string, error) {
	id := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s", c.Project, c.Key)))
	now := ts.env.now()
	cache := &ts.serviceNames
	cache.mu.Lock()
	if e, ok := cache.entries[id]; ok && now.Sub(e.at) < serviceNamesTTL {
		cache.mu.Unlock()
		return e.names, nil
	}
	cache.mu.Unlock()
	res, err := ts.env.client.Services(ctx, client.Auth{Key: c.Key, ProjectID: c.Project},
		client.ServicesQuery{Filters: client.Filters{From: now.Add(-24 * time.Hour), To: now}})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(res.Services))
	for _, s := range res.Services {
		names = append(names, ts.env.clean.String(s.Name))
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.entries == nil || len(cache.entries) >= serviceNamesMaxKeys {
		cache.entries = map[[32]byte]serviceNamesEntry{}
	}
	cache.entries[id] = serviceNamesEntry{names: names, at: now}
	return names, nil
}
