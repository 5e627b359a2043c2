package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// PageRows is the page size every measurement asks for, as product.md §5 says.
const PageRows = 50

// FixtureNow anchors the sandbox data set fixtures are cut from. It is fixed
// (and in the past) so that every run measures the very same rows.
var FixtureNow = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// NewSandbox generates the deterministic data set fixtures are cut from.
func NewSandbox() *sandbox.Sandbox {
	return sandbox.New(sandbox.Config{Now: FixtureNow})
}

// PageArgs are query_logs arguments for one page of PageRows rows over a
// fixed absolute window, so that every call does the same work.
func PageArgs(from, to time.Time) map[string]any {
	return map[string]any{
		"date_from": from.UTC().Format(time.RFC3339),
		"date_to":   to.UTC().Format(time.RFC3339),
		"limit":     PageRows,
	}
}

// Fixture is a realistic PostHog logs/query/ response, captured from the
// sandbox, with the query_logs arguments that asked for it.
type Fixture struct {
	// Args are the query_logs arguments.
	Args map[string]any
	// Now is the clock the tools read when the page was asked for.
	Now time.Time
	// Body is PostHog's whole response body.
	Body []byte
}

// CaptureFixture runs query_logs with args against sb (in memory, through
// the real tools and client) and keeps the logs/query/ response body, so the
// canned page is exactly what this server's request gets from the contract.
func CaptureFixture(sb *sandbox.Sandbox, args map[string]any) (*Fixture, error) {
	capture := &captureTransport{next: HandlerTransport{Handler: sb}}
	st, err := NewStack(capture, sb.Now(), sandbox.ProjectID)
	if err != nil {
		return nil, err
	}
	res := st.Toolset.Call(CallerContext(context.Background()), tools.NameQueryLogs, args)
	if res.IsError {
		return nil, fmt.Errorf("query_logs %v failed: %s", args, ResultText(res))
	}
	if capture.body == nil {
		return nil, errors.New("query_logs sent no logs/query/ request")
	}
	return &Fixture{Args: args, Now: sb.Now(), Body: capture.body}, nil
}

// Results returns the "results" array of the page exactly as PostHog sent it.
func (f *Fixture) Results() (json.RawMessage, error) {
	var page struct {
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(f.Body, &page); err != nil {
		return nil, err
	}
	return page.Results, nil
}

// Rows counts the page's rows.
func (f *Fixture) Rows() (int, error) {
	var page struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(f.Body, &page); err != nil {
		return 0, err
	}
	return len(page.Results), nil
}

// ResultText joins the text contents of a tool result.
func ResultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// captureTransport keeps the body of the last successful logs/query/
// response that passes through it.
type captureTransport struct {
	next http.RoundTripper
	body []byte
}

func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req)
	if err != nil || res.StatusCode != http.StatusOK || !strings.HasSuffix(req.URL.Path, queryPathSuffix) {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	t.body = body
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}
