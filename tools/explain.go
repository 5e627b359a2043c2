package tools

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
)

func explainLogTool() *tool {
	return &tool{
		name:  NameExplainLog,
		scope: ScopeWrite,
		define: func(v variant) mcp.Tool {
			props := withProject(v, []prop{
				prop{name: "uuid", required: true, schema: str("The row's uuid, as printed by query_logs.")},
				prop{name: "timestamp", required: true, schema: str("The row's timestamp, as printed by query_logs.")},
				prop{name: "force_refresh", schema: boolean("Bypass PostHog's 1-hour cache of explanations.")},
				propFormat,
			})
			// Not read-only: PostHog runs (and bills) an AI model call and
			// caches its answer. Not destructive, and repeating it is harmless.
			return newTool(NameExplainLog,
				"Ask PostHog's AI to explain one log line: headline, severity, impact, probable causes, actions, key fields. "+
					"Use on the one line that matters after query_logs; it can take tens of seconds and needs the organization's AI data processing approval.",
				props, annotations("Explain a log line with AI", false, false, true))
		},
		handle: handler(handleExplainLog),
	}
}

type explainArgs struct {
	projectArgs
	UUID         string `json:"uuid"`
	Timestamp    string `json:"timestamp"`
	ForceRefresh bool   `json:"force_refresh"`
	formatArg
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// explainTimeout leaves room for PostHog's 60 s model call.
const explainTimeout = 90 * time.Second

func (a *explainArgs) check() error {
	if !uuidPattern.MatchString(a.UUID) {
		return fmt.Errorf(`uuid must be a log row's uuid as query_logs prints it, e.g. "0199a3c2-5b7e-7c1a-9d2e-8f6a1b2c3d4e"`)
	}
	if strings.TrimSpace(a.Timestamp) == "" {
		return fmt.Errorf(`timestamp is required: the row's timestamp as query_logs prints it, e.g. "2026-11-25T14:01:58.123Z"`)
	}
	return nil
}

func handleExplainLog(ctx context.Context, e *env, r *request[explainArgs]) *mcp.CallToolResult {
	args := r.args
	ts, err := timerange.Parse(args.Timestamp, e.now())
	if err == nil && !isAbsolute(args.Timestamp) {
		err = errors.New("a relative time cannot name one log line")
	}
	if err != nil {
		return invalidArgs(fmt.Errorf(`timestamp: %v; pass the row's own timestamp as query_logs printed it, e.g. "2026-11-25T14:01:58.123Z"`, err))
	}
	ctx, cancel := context.WithTimeout(ctx, explainTimeout)
	defer cancel()
	stopWaiting := reportWaiting(ctx, "waiting for PostHog's AI to explain the log line", explainTimeout, waitingEvery)
	ex, err := e.client.Explain(ctx, r.auth, client.ExplainRequest{
		UUID: strings.ToLower(args.UUID), Timestamp: ts.UTC().Format(time.RFC3339Nano), ForceRefresh: args.ForceRefresh,
	})
	stopWaiting()
	if err != nil {
		var ce *client.Error
		if errors.As(err, &ce) && ce.Kind == client.KindNotFound {
			return errorResult(codeNotFound, "PostHog has no log with that uuid within a second of that timestamp; pass both exactly as query_logs printed them")
		}
		return upstreamError("explain the log", err)
	}
	clean := e.cleanExplanation(ex)
	return answer(r.json, func() string { return renderExplanation(clean) }, func() client.Explanation { return clean })
}

// cleanExplanation sanitises PostHog's answer: the model wrote it from log
// content, so it is as untrusted as the logs.
func (e *env) cleanExplanation(ex *client.Explanation) client.Explanation {
	s := e.clean.String
	out := client.Explanation{
		Headline: s(ex.Headline), SeverityAssessment: s(ex.SeverityAssessment),
		ImpactSummary: s(ex.ImpactSummary), TechnicalExplanation: s(ex.TechnicalExplanation),
	}
	for _, c := range ex.ProbableCauses {
		out.ProbableCauses = append(out.ProbableCauses, client.Cause{Hypothesis: s(c.Hypothesis), Confidence: s(c.Confidence), Reasoning: s(c.Reasoning)})
	}
	for _, a := range ex.ImmediateActions {
		out.ImmediateActions = append(out.ImmediateActions, client.Action{Action: s(a.Action), Priority: s(a.Priority), Why: s(a.Why)})
	}
	for _, k := range ex.KeyFields {
		_, value := e.clean.Attribute(k.Field, k.Value)
		out.KeyFields = append(out.KeyFields, client.KeyField{Field: s(k.Field), Value: value, Significance: s(k.Significance), AttributeType: s(k.AttributeType)})
	}
	return out
}

// renderExplanation prints a sanitised explanation densely.
func renderExplanation(ex client.Explanation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (severity: %s)\n", ex.Headline, ex.SeverityAssessment)
	if ex.ImpactSummary != "" {
		fmt.Fprintf(&b, "impact: %s\n", ex.ImpactSummary)
	}
	if len(ex.ProbableCauses) > 0 {
		b.WriteString("probable causes:\n")
		for i, pc := range ex.ProbableCauses {
			fmt.Fprintf(&b, "  %d. %s (%s)", i+1, pc.Hypothesis, pc.Confidence)
			if pc.Reasoning != "" {
				fmt.Fprintf(&b, " — %s", pc.Reasoning)
			}
			b.WriteByte('\n')
		}
	}
	if len(ex.ImmediateActions) > 0 {
		b.WriteString("actions:\n")
		for _, a := range ex.ImmediateActions {
			fmt.Fprintf(&b, "  [%s] %s", a.Priority, a.Action)
			if a.Why != "" {
				fmt.Fprintf(&b, " — %s", a.Why)
			}
			b.WriteByte('\n')
		}
	}
	if len(ex.KeyFields) > 0 {
		b.WriteString("key fields: ")
		for i, k := range ex.KeyFields {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s=%s", k.Field, quoteIfNeeded(k.Value))
			if k.Significance != "" {
				fmt.Fprintf(&b, " (%s)", k.Significance)
			}
		}
		b.WriteByte('\n')
	}
	if ex.TechnicalExplanation != "" {
		fmt.Fprintf(&b, "technical: %s\n", ex.TechnicalExplanation)
	}
	return b.String()
}

// isAbsolute reports whether a time expression names an instant rather
// than an offset from now: a date-time, a date, or unix time.
func isAbsolute(expr string) bool {
	e := strings.TrimSpace(expr)
	return e != "" && (isDigits(e) || (len(e) >= 10 && e[4] == '-' && isDigits(e[:4])))
}
