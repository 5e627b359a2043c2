package tools

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

// Stable error codes: the first word of every error result, so agents and
// scripts can branch on them without parsing prose.
const (
	codeInvalidArgument = "INVALID_ARGUMENT"
	codeAuth            = "AUTH_FAILED"
	codePermission      = "PERMISSION_DENIED"
	codeAIConsent       = "AI_CONSENT_REQUIRED"
	codeNotFound        = "NOT_FOUND"
	codeRateLimited     = "RATE_LIMITED"
	codeUpstream        = "UPSTREAM_ERROR"
	codeTimeout         = "TIMEOUT"
	codeTooLarge        = "RESPONSE_TOO_LARGE"
	codeInternal        = "INTERNAL"
	codeCancelled       = "CANCELLED"
	codeUnsupported     = "UNSUPPORTED"
	codeDeclined        = "DECLINED" // the user refused a write when asked to confirm it
)

func errorResult(code, msg string) *mcp.CallToolResult {
	return mcp.NewToolResultError(code + ": " + msg)
}

func invalidArgs(err error) *mcp.CallToolResult {
	return errorResult(codeInvalidArgument, err.Error())
}

// upstreamError turns a client failure into an actionable tool error.
// what names the operation ("query logs"), for the message.
func upstreamError(what string, err error) *mcp.CallToolResult {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return errorResult(codeUpstream, fmt.Sprintf("could not %s: %v", what, err))
	}
	detail := strings.TrimSpace(echoClean.String(ce.Detail))
	if detail == "" {
		detail = fmt.Sprintf("HTTP %d", ce.Status)
	}
	if ce.NotSent {
		// Refused before anything left: PostHog is not to blame.
		if ce.Kind == client.KindThrottled {
			return errorResult(codeRateLimited, fmt.Sprintf("not sent: %s; wait a moment before the next call.", detail))
		}
		return errorResult(codeInvalidArgument, "not sent: "+detail)
	}
	switch ce.Kind {
	case client.KindAuth:
		return errorResult(codeAuth, fmt.Sprintf("PostHog rejected the API key (%s). Check POSTHOG_PERSONAL_API_KEY (or the Authorization header) and POSTHOG_HOST: a US key does not work on EU.", detail))
	case client.KindScope:
		if ce.AIConsentRequired() {
			return errorResult(codeAIConsent, "PostHog's AI log explanation needs your organization to approve AI data processing: an admin can enable it in PostHog under Organization settings → AI data processing. Every other tool (query_logs, list_services, get_sparkline, ...) still works without it.")
		}
		return errorResult(codePermission, fmt.Sprintf("PostHog refused: %s. The key needs the logs:read scope (logs:write to explain logs or change views) and access to this project.", detail))
	case client.KindNotFound:
		return errorResult(codeNotFound, fmt.Sprintf("could not %s: %s", what, detail))
	case client.KindValidation:
		return errorResult(codeInvalidArgument, fmt.Sprintf("PostHog rejected the request to %s: %s", what, detail))
	case client.KindThrottled:
		wait := ""
		if ce.RetryAfter > 0 {
			wait = fmt.Sprintf(" for about %s", ce.RetryAfter.Round(1e9))
		}
		return errorResult(codeRateLimited, fmt.Sprintf("PostHog is rate limiting this key (%s); wait%s before the next call, and prefer narrower queries.", detail, wait))
	case client.KindTimeout:
		if !windowed(what) {
			return errorResult(codeTimeout, fmt.Sprintf("PostHog did not answer in time to %s; retry in a moment.", what))
		}
		return errorResult(codeTimeout, fmt.Sprintf("PostHog did not answer in time to %s. Narrow the time range (date_from) or add filters (services, severity), then retry.", what))
	case client.KindBusy:
		return errorResult(codeRateLimited, fmt.Sprintf("server busy: this server is holding as many PostHog answers as it may (%s); retry in a few seconds.", detail))
	case client.KindUnsupported:
		return errorResult(codeUnsupported, fmt.Sprintf("this PostHog does not offer what is needed to %s (an older deployment); query_logs and the other tools still work.", what))
	case client.KindTooLarge:
		return errorResult(codeTooLarge, fmt.Sprintf("PostHog's answer to %s was too large (%s). Lower limit or narrow the window.", what, detail))
	}
	return errorResult(codeUpstream, fmt.Sprintf("could not %s: %s", what, detail))
}

// windowed reports whether an operation reads logs over a time window,
// so that narrowing the window can make it faster.
func windowed(what string) bool {
	return !strings.Contains(what, "view") && !strings.HasPrefix(what, "explain")
}

// writeError is upstreamError for a write (create, update or delete of a
// view). A write that was sent but whose answer does not prove it (a 2xx
// that is not the view, no complete answer in time, a server error, a
// dropped connection) may or may not have happened: it is never reported
// as done, nor as failed, and never replayed; the caller is told how to
// find out. check is the call that shows the truth, e.g.
// manage_views {"action":"list"}.
func writeError(what string, err error, check string) *mcp.CallToolResult {
	var ce *client.Error
	if errors.As(err, &ce) && !ce.NotSent {
		switch ce.Kind {
		case client.KindOutcomeUnknown:
			// The client's detail says what came back and that the write
			// may or may not have happened; add the exact call to check.
			detail := strings.TrimSpace(echoClean.String(ce.Detail))
			if detail == "" {
				return outcomeUnknown(what, "no answer that proves it", check)
			}
			return errorResult(codeUpstream, fmt.Sprintf("%s To check: %s", strings.TrimSuffix(detail, ".")+".", check))
		case client.KindTimeout, client.KindUpstream:
			reason := strings.TrimSpace(echoClean.String(ce.Detail))
			if ce.Kind == client.KindTimeout || reason == "" {
				reason = "no complete answer came in time"
			}
			return outcomeUnknown(what, reason, check)
		}
	}
	return upstreamError(what, err)
}

// outcomeUnknown says a write may or may not have happened, and how to
// check before trying again.
func outcomeUnknown(what, reason, check string) *mcp.CallToolResult {
	return errorResult(codeUpstream, fmt.Sprintf("the outcome is unknown: the request to %s was sent, but PostHog's answer does not prove it happened (%s). It may or may not have happened: check with %s before trying again.", what, reason, check))
}

// errResult carries a ready tool result (an upstream failure, say) through
// helpers that return errors, so they need not know about results.
type errResult struct{ *mcp.CallToolResult }

func (e errResult) Error() string { return "tool error" }

// toolError turns a helper's error into a result: a carried result as it
// is, anything else as an invalid argument.
func toolError(err error) *mcp.CallToolResult {
	var er errResult
	if errors.As(err, &er) {
		return er.CallToolResult
	}
	return invalidArgs(err)
}
