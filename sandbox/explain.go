package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

const aiConsentDetail = "AI data processing must be approved by your organization before using log explanation"

type explainRequest struct {
	UUID         json.RawMessage `json:"uuid"`
	Timestamp    json.RawMessage `json:"timestamp"`
	ForceRefresh json.RawMessage `json:"force_refresh"`
}

type probableCause struct {
	Hypothesis string `json:"hypothesis"`
	Confidence string `json:"confidence"`
	Reasoning  string `json:"reasoning"`
}

type immediateAction struct {
	Action   string `json:"action"`
	Priority string `json:"priority"`
	Why      string `json:"why"`
}

type keyField struct {
	Field         string `json:"field"`
	Value         string `json:"value"`
	Significance  string `json:"significance"`
	AttributeType string `json:"attribute_type"`
}

type explanation struct {
	Headline             string            `json:"headline"`
	SeverityAssessment   string            `json:"severity_assessment"`
	ImpactSummary        string            `json:"impact_summary"`
	ProbableCauses       []probableCause   `json:"probable_causes"`
	ImmediateActions     []immediateAction `json:"immediate_actions"`
	TechnicalExplanation string            `json:"technical_explanation"`
	KeyFields            []keyField        `json:"key_fields"`
}

// handleExplain serves POST logs/explainLogWithAI/. The "AI" is a set of
// local rules over the row, and says so.
func (s *Sandbox) handleExplain(rq *logsRequest) {
	if !rq.key.AIConsent {
		rq.fail(errPermission(aiConsentDetail))
		return
	}
	uuid, at, err := readExplainRequest(rq.body)
	if err != nil {
		rq.fail(err)
		return
	}
	row := findRow(rq.rows, uuid, at)
	if row == nil {
		rq.fail(errPlain(http.StatusNotFound, "Log not found"))
		return
	}
	writeJSON(rq.w, http.StatusOK, explain(row, rq.rows))
}

// readExplainRequest validates the body like DRF does: every problem is
// reported per field in a raw dict.
func readExplainRequest(body []byte) ([16]byte, time.Time, *apiError) {
	var in explainRequest
	var u [16]byte
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}") // DRF reads an empty body as no fields
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return u, time.Time{}, errParse(err.Error())
	}
	problems := map[string][]string{}
	var at time.Time
	var uuidText string
	if isNull(in.UUID) {
		problems["uuid"] = []string{"This field is required."}
	} else if json.Unmarshal(in.UUID, &uuidText) != nil || uuidText == "" {
		problems["uuid"] = []string{"Not a valid string."}
	}
	var tsText string
	if isNull(in.Timestamp) {
		problems["timestamp"] = []string{"This field is required."}
	} else if json.Unmarshal(in.Timestamp, &tsText) != nil {
		problems["timestamp"] = []string{"Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."}
	} else {
		t, err := parseDate(tsText, time.Time{}, false)
		if err != nil || strings.HasPrefix(tsText, "-") || tsText == "now" {
			problems["timestamp"] = []string{"Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."}
		}
		at = t
	}
	if !isNull(in.ForceRefresh) {
		var b bool
		if json.Unmarshal(in.ForceRefresh, &b) != nil {
			problems["force_refresh"] = []string{"Must be a valid boolean."}
		}
	}
	if len(problems) > 0 {
		return u, time.Time{}, &apiError{status: http.StatusBadRequest, body: problems}
	}
	// A string that is not a uuid parses to the zero uuid, which no row has:
	// PostHog answers "Log not found" for it too.
	u, _ = parseUUID(uuidText)
	return u, at, nil
}

// findRow looks for the uuid within one second of the given timestamp.
func findRow(rows []logRow, uuid [16]byte, at time.Time) *logRow {
	f := logFilter{window: window{from: at.Add(-time.Second).UnixMicro(), to: at.Add(time.Second).UnixMicro()}}
	span := f.span(rows)
	for i := range span {
		if span[i].uuid == uuid {
			return &span[i]
		}
	}
	return nil
}

func explain(r *logRow, rows []logRow) explanation {
	service := r.res.service
	if service == "" {
		service = noService
	}
	gist := firstLine(r.body)
	if len(gist) > 90 {
		gist = gist[:87] + "..."
	}
	lower := r.bodyLower
	causes, actions := diagnose(lower, r)

	similar := 0
	hourBefore := logFilter{window: window{from: r.micros - time.Hour.Microseconds(), to: r.micros}}
	for _, other := range hourBefore.span(rows) {
		if other.res.service == r.res.service && other.sev == r.sev {
			similar++
		}
	}
	return explanation{
		Headline:           fmt.Sprintf("%s: %s", service, gist),
		SeverityAssessment: assessment(r.sev),
		ImpactSummary: fmt.Sprintf("%s logged this at %s level; %d %s-level lines from %s in the hour up to it.",
			service, severityNames[r.sev], similar, severityNames[r.sev], service),
		ProbableCauses:   causes,
		ImmediateActions: actions,
		TechnicalExplanation: "Sandbox explanation (generated locally, no AI involved): rules matched the log body and attributes of " +
			service + " (" + severityNames[r.sev] + "). Body starts: " + gist,
		KeyFields: keyFields(r),
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

func assessment(sev severity) string {
	switch sev {
	case sevFatal:
		return "critical"
	case sevError:
		return "error"
	case sevWarn:
		return "warning"
	}
	return "ok"
}

// diagnosis is one rule: when the body contains any marker, suggest this.
type diagnosis struct {
	markers []string
	cause   probableCause
	action  immediateAction
}

var diagnoses = []diagnosis{
	{[]string{"declined", "card_expired", "insufficient_funds"},
		probableCause{"The payment provider declined the card", "high", "the body carries the provider's decline code"},
		immediateAction{"Ask the customer to update or change the payment method", "soon", "declines are customer-side; retrying the same card fails again"}},
	{[]string{"typeerror", "cannot read properties of undefined", "nullpointer", "panic:", "index out of range"},
		probableCause{"A code bug in the current release", "high", "an unhandled exception with a stack trace points at application code"},
		immediateAction{"Compare with the previous release and roll back if the errors started with a deploy", "now", "exceptions in a fresh release are usually regressions"}},
	{[]string{"timed out", "timeout", "connection refused", "not available"},
		probableCause{"A dependency is slow or unreachable", "medium", "the body reports a timeout or refused connection"},
		immediateAction{"Check the health and saturation of the dependency named in the log", "now", "callers fail while it is down"}},
	{[]string{"slow query", "took", "slow:"},
		probableCause{"A slow database or backend call", "medium", "the body reports a long duration"},
		immediateAction{"Look at the query plan and missing indexes", "later", "slow calls add latency to every request that makes them"}},
	{[]string{"login failed", "invalid password", "locked", "expired at", "rejected"},
		probableCause{"Authentication failures from clients", "medium", "the body reports rejected credentials or tokens"},
		immediateAction{"Watch the failure rate per client IP for credential stuffing", "soon", "many failures from few IPs suggest an attack"}},
	{[]string{"deploy", "rollback"},
		probableCause{"A release changed the service's behaviour", "medium", "the line records a deployment event"},
		immediateAction{"Correlate error rates before and after this event", "soon", "deploys are the most common cause of sudden changes"}},
	{[]string{"circuit breaker"},
		probableCause{"A downstream service is failing repeatedly", "high", "the breaker opened after consecutive failures"},
		immediateAction{"Find the failing downstream call and its errors", "now", "requests fail fast while the breaker is open"}},
}

func diagnose(lower string, r *logRow) ([]probableCause, []immediateAction) {
	var causes []probableCause
	var actions []immediateAction
	for _, d := range diagnoses {
		for _, m := range d.markers {
			if strings.Contains(lower, m) {
				causes = append(causes, d.cause)
				actions = append(actions, d.action)
				break
			}
		}
	}
	if len(causes) == 0 {
		if r.sev >= sevWarn {
			causes = append(causes, probableCause{"An unusual condition reported by the service", "low", "no specific rule matched the body"})
			actions = append(actions, immediateAction{"Look at neighbouring lines with the same trace id", "soon", "the context shows what led here"})
		} else {
			causes = append(causes, probableCause{"Routine operation", "high", "the line is informational"})
			actions = append(actions, immediateAction{"No action needed", "later", "nothing indicates a problem"})
		}
	}
	return causes, actions
}

// significantAttrs are the attributes worth pointing out, in order.
var significantAttrs = map[string]string{
	"http.route":           "the endpoint involved",
	"http.status_code":     "the response status",
	"payment.decline_code": "the provider's reason",
	"exception.type":       "the exception raised",
	"duration_ms":          "how long it took",
	"user.id":              "the affected user",
	"order.id":             "the affected order",
	"promotion.code":       "the promotion applied",
	"db.statement":         "the query run",
	"deploy.version":       "the release involved",
}

func keyFields(r *logRow) []keyField {
	var fields []keyField
	for _, a := range r.attrs {
		if why, ok := significantAttrs[a.key]; ok {
			fields = append(fields, keyField{Field: a.key, Value: a.value, Significance: why, AttributeType: "log"})
		}
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	for _, k := range []string{"service.name", "service.version", "k8s.pod.name"} {
		if v, ok := r.res.lookup(k); ok {
			fields = append(fields, keyField{Field: k, Value: v, Significance: "where it ran", AttributeType: "resource"})
		}
	}
	return fields
}
