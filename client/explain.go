package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// ExplainRequest names the log line to explain: its uuid and its own timestamp (the server
// matches within one second).
type ExplainRequest struct {
	UUID         string `json:"uuid"`
	Timestamp    string `json:"timestamp"`
	ForceRefresh bool   `json:"force_refresh"` // bypass the server's one-hour cache
}

// Explanation is PostHog's AI explanation of one log line.
type Explanation struct {
	Headline             string     `json:"headline"`
	SeverityAssessment   string     `json:"severity_assessment"` // ok | warning | error | critical
	ImpactSummary        string     `json:"impact_summary"`
	TechnicalExplanation string     `json:"technical_explanation"`
	ProbableCauses       []Cause    `json:"probable_causes"`
	ImmediateActions     []Action   `json:"immediate_actions"`
	KeyFields            []KeyField `json:"key_fields"`
}

// Cause is one hypothesis for what went wrong.
type Cause struct {
	Hypothesis string `json:"hypothesis"`
	Confidence string `json:"confidence"` // high | medium | low
	Reasoning  string `json:"reasoning"`
}

// Action is one suggested next step.
type Action struct {
	Action   string `json:"action"`
	Priority string `json:"priority"` // now | soon | later
	Why      string `json:"why"`
}

// KeyField is one field of the log line the explanation relies on.
type KeyField struct {
	Field         string `json:"field"`
	Value         string `json:"value"`
	Significance  string `json:"significance"`
	AttributeType string `json:"attribute_type"` // log | resource
}

// Explain runs POST logs/explainLogWithAI/ (scope logs:write; the organisation must have
// approved AI data processing, see Error.AIConsentRequired). It may take tens of seconds and
// is never replayed after an ambiguous failure: each attempt costs a model call.
func (c *Client) Explain(ctx context.Context, a Auth, r ExplainRequest) (*Explanation, error) {
	const path = "logs/explainLogWithAI/"
	if strings.TrimSpace(r.UUID) == "" || strings.TrimSpace(r.Timestamp) == "" {
		return nil, invalid(http.MethodPost, path, errors.New("the log line's uuid and timestamp are both required"))
	}
	out := &Explanation{}
	err := c.do(ctx, a.Key, &request{
		method: http.MethodPost, path: path, project: a.ProjectID, body: r,
		replay: replayNever, explain: true,
		decode: func(body []byte) error { return json.Unmarshal(body, out) },
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
