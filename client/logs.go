package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// LogsQuery asks logs/query/ for one page of log rows.
type LogsQuery struct {
	Filters
	Order             string // "latest" (default) or "earliest"
	Limit             int    // 0: the server's default (1000); the server caps at 2000
	After             string // the previous page's NextCursor (or AfterCursor); resend the same filters and order
	ExcludeAttributes bool   // attributes come back empty, making pages much smaller
	// LiveLogsCheckpoint, when set, asks only for lines ingested at or after it (live tail,
	// contract section 15): pass the previous answer's LogRow.LiveLogsCheckpoint, keep To
	// open, and dedupe by uuid (">=" repeats lines; late lines appear).
	LiveLogsCheckpoint time.Time
}

// LogRow is one log record. Unset trace and span ids (all zeros on the wire) are "".
type LogRow struct {
	UUID                 string            `json:"uuid"`
	Timestamp            string            `json:"timestamp"`
	ObservedTimestamp    string            `json:"observed_timestamp"` // ingestion time; parse with ParseTime
	Body                 string            `json:"body"`
	SeverityText         string            `json:"severity_text"`
	SeverityNumber       int               `json:"severity_number"`
	Level                string            `json:"level"`
	TraceID              string            `json:"trace_id"`
	SpanID               string            `json:"span_id"`
	Attributes           map[string]string `json:"attributes"`
	ResourceAttributes   map[string]string `json:"resource_attributes"`
	ResourceFingerprint  string            `json:"resource_fingerprint"`
	InstrumentationScope string            `json:"instrumentation_scope"`
	EventName            string            `json:"event_name"`
	LiveLogsCheckpoint   string            `json:"live_logs_checkpoint"` // ingestion complete up to here; see Checkpoint
}

// Checkpoint returns the row's live_logs_checkpoint as a time (zero when null or
// unparsable): pass it as the next LogsQuery.LiveLogsCheckpoint.
func (r LogRow) Checkpoint() time.Time {
	t, _ := ParseTime(r.LiveLogsCheckpoint)
	return t
}

// Service returns the row's service: its resource attribute "service.name" (rows carry no service field).
func (r LogRow) Service() string { return r.ResourceAttributes["service.name"] }

// LogsPage is one page of QueryLogs. Its strings usually share one backing copy of the
// response body: keeping any of them alive keeps that copy alive.
type LogsPage struct {
	Results           []LogRow `json:"results"`
	HasMore           bool     `json:"hasMore"`
	NextCursor        string   `json:"nextCursor"`
	MaxExportableLogs int      `json:"maxExportableLogs"`
}

// AfterCursor builds PostHog's cursor (base64 of {"timestamp":..,"uuid":..}) so paging can
// resume after any row, e.g. the last row shown rather than the last row fetched.
func AfterCursor(timestamp, uuid string) string {
	ts, _ := json.Marshal(timestamp)
	id, _ := json.Marshal(uuid)
	raw := make([]byte, 0, len(ts)+len(id)+28)
	raw = append(raw, `{"timestamp": `...)
	raw = append(raw, ts...)
	raw = append(raw, `, "uuid": `...)
	raw = append(raw, id...)
	raw = append(raw, '}')
	return base64.StdEncoding.EncodeToString(raw)
}

// QueryLogs runs POST logs/query/ and returns one page, newest first unless q.Order is "earliest".
func (c *Client) QueryLogs(ctx context.Context, a Auth, q LogsQuery) (*LogsPage, error) {
	const path = "logs/query/"
	wq, err := buildQuery(q.Filters)
	if err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	switch q.Order {
	case "", "latest", "earliest":
		wq.OrderBy = q.Order
	default:
		return nil, invalid(http.MethodPost, path, fmt.Errorf("order must be \"latest\" or \"earliest\", not %q", q.Order))
	}
	if q.Limit < 0 {
		return nil, invalid(http.MethodPost, path, errors.New("limit must not be negative"))
	}
	wq.Limit, wq.After, wq.ExcludeAttributes = q.Limit, q.After, q.ExcludeAttributes
	if !q.LiveLogsCheckpoint.IsZero() {
		wq.LiveLogsCheckpoint = q.LiveLogsCheckpoint.UTC().Format(isoTime)
	}

	page := &LogsPage{}
	err = c.do(ctx, a.Key, &request{
		method: http.MethodPost, path: path, project: a.ProjectID, body: wireBody{Query: wq},
		replay: replaySafe, heavy: true,
		decode: func(body []byte) error { return decodeLogsPage(body, page) },
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// decodeLogsPage decodes body into page: by the fast path when it can (see logsdecode.go),
// else by encoding/json. Attribute values are strings by contract; if a server sends another
// JSON type there, the page is decoded again leniently rather than lost.
func decodeLogsPage(body []byte, page *LogsPage) error {
	err := fastDecodeLogsPage(body, page)
	if err == errDeclined {
		err = json.Unmarshal(body, page)
	}
	var typeErr *json.UnmarshalTypeError
	if err != nil && errors.As(err, &typeErr) && isAttributeField(typeErr.Field) {
		*page = LogsPage{}
		err = decodeLogsPageLeniently(body, page)
	}
	if err != nil {
		return err
	}
	for i := range page.Results {
		r := &page.Results[i]
		if allZeros(r.TraceID) {
			r.TraceID = ""
		}
		if allZeros(r.SpanID) {
			r.SpanID = ""
		}
	}
	return nil
}

func isAttributeField(field string) bool {
	return strings.HasPrefix(field, "results.attributes") || strings.HasPrefix(field, "results.resource_attributes")
}

func decodeLogsPageLeniently(body []byte, page *LogsPage) error {
	type lenientRow struct {
		LogRow
		Attributes         map[string]any `json:"attributes"`
		ResourceAttributes map[string]any `json:"resource_attributes"`
	}
	var wire struct {
		Results           []lenientRow `json:"results"`
		HasMore           bool         `json:"hasMore"`
		NextCursor        string       `json:"nextCursor"`
		MaxExportableLogs int          `json:"maxExportableLogs"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&wire); err != nil {
		return err
	}
	page.HasMore, page.NextCursor, page.MaxExportableLogs = wire.HasMore, wire.NextCursor, wire.MaxExportableLogs
	page.Results = make([]LogRow, len(wire.Results))
	for i, lr := range wire.Results {
		row := lr.LogRow
		row.Attributes = stringifyValues(lr.Attributes)
		row.ResourceAttributes = stringifyValues(lr.ResourceAttributes)
		page.Results[i] = row
	}
	return nil
}

// stringifyValues renders non-string attribute values as their JSON text.
func stringifyValues(m map[string]any) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = string(x)
		case nil:
			out[k] = ""
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out
}

func allZeros(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// ServicesQuery asks logs/services/ for per-service volumes.
type ServicesQuery struct {
	Filters
	NameSearch string // substring of the service name, at most 200 characters
}

// Service is one service's aggregate over the range.
type Service struct {
	Name              string           `json:"service_name"`
	LogCount          int64            `json:"log_count"`
	ErrorCount        int64            `json:"error_count"` // error + fatal
	ErrorRate         float64          `json:"error_rate"`
	VolumeSharePct    float64          `json:"volume_share_pct"`
	SeverityBreakdown map[string]int64 `json:"severity_breakdown"` // "debug" includes trace
}

// ServicePoint is one bucket of a service's volume over time.
type ServicePoint struct {
	Time    string `json:"time"`
	Service string `json:"service_name"`
	Count   int64  `json:"count"`
}

// ServicesResult is the answer of Services, ordered by log count descending.
type ServicesResult struct {
	Services      []Service      `json:"services"`
	Sparkline     []ServicePoint `json:"sparkline"`
	TotalServices int            `json:"total_services"` // 0 when absent (older deployments)
}

// Services runs POST logs/services/.
func (c *Client) Services(ctx context.Context, a Auth, q ServicesQuery) (*ServicesResult, error) {
	const path = "logs/services/"
	wq, err := buildQuery(q.Filters)
	if err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	if utf8.RuneCountInString(q.NameSearch) > 200 {
		return nil, invalid(http.MethodPost, path, errors.New("the service name search is longer than 200 characters"))
	}
	wq.ServiceNameSearch = q.NameSearch
	out := &ServicesResult{}
	err = c.do(ctx, a.Key, &request{
		method: http.MethodPost, path: path, project: a.ProjectID, body: wireBody{Query: wq},
		replay: replaySafe, heavy: true,
		decode: func(body []byte) error { return json.Unmarshal(body, out) },
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SparklineQuery asks logs/sparkline/ for volume over time.
type SparklineQuery struct {
	Filters
	BreakdownBy string // "severity" (default) or "service"
}

// SparklinePoint is one bucket of one series.
type SparklinePoint struct {
	Time   string
	Series string // the severity or service, per BreakdownBy
	Count  int64
}

type wireSparklinePoint struct {
	Time        string `json:"time"`
	Severity    string `json:"severity"`
	Service     string `json:"service"`
	ServiceName string `json:"service_name"`
	Count       int64  `json:"count"`
}

// Sparkline runs POST logs/sparkline/, whose answer is a bare JSON array (about 50 buckets per series).
func (c *Client) Sparkline(ctx context.Context, a Auth, q SparklineQuery) ([]SparklinePoint, error) {
	const path = "logs/sparkline/"
	wq, err := buildQuery(q.Filters)
	if err != nil {
		return nil, invalid(http.MethodPost, path, err)
	}
	switch q.BreakdownBy {
	case "", "severity", "service":
		wq.SparklineBreakdownBy = q.BreakdownBy
	default:
		return nil, invalid(http.MethodPost, path, fmt.Errorf("breakdown must be \"severity\" or \"service\", not %q", q.BreakdownBy))
	}
	var wire []wireSparklinePoint
	err = c.do(ctx, a.Key, &request{
		method: http.MethodPost, path: path, project: a.ProjectID, body: wireBody{Query: wq},
		replay: replaySafe, heavy: true,
		decode: func(body []byte) error { return decodeListOrResults(body, &wire) },
	})
	if err != nil {
		return nil, err
	}
	points := make([]SparklinePoint, len(wire))
	for i, w := range wire {
		series := w.Severity
		if q.BreakdownBy == "service" || series == "" {
			series = firstNonEmpty(w.Service, w.ServiceName, w.Severity)
		}
		points[i] = SparklinePoint{Time: w.Time, Series: series, Count: w.Count}
	}
	return points, nil
}

// decodeListOrResults decodes a bare array, or the {"results": [...]} shape some versions document.
func decodeListOrResults[T any](body []byte, out *[]T) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var wrapped struct {
			Results []T `json:"results"`
		}
		if err := json.Unmarshal(body, &wrapped); err != nil {
			return err
		}
		*out = wrapped.Results
		return nil
	}
	return json.Unmarshal(body, out)
}

// Count runs POST logs/count/ and returns how many log lines match f.
func (c *Client) Count(ctx context.Context, a Auth, f Filters) (int64, error) {
	const path = "logs/count/"
	wq, err := buildQuery(f)
	if err != nil {
		return 0, invalid(http.MethodPost, path, err)
	}
	var n int64
	err = c.do(ctx, a.Key, &request{
		method: http.MethodPost, path: path, project: a.ProjectID, body: wireBody{Query: wq},
		replay: replaySafe, heavy: true,
		decode: func(body []byte) error { return decodeCount(body, &n) },
	})
	return n, err
}

// decodeCount reads {"count": N}; {"results": {"count": N}} is accepted too (the runner's own shape).
func decodeCount(body []byte, n *int64) error {
	var wire struct {
		Count   *json.Number    `json:"count"`
		Results json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		return err
	}
	if wire.Count == nil && len(wire.Results) > 0 {
		var nested struct {
			Count *json.Number `json:"count"`
		}
		if json.Unmarshal(wire.Results, &nested) == nil {
			wire.Count = nested.Count
		}
	}
	if wire.Count == nil {
		return errors.New("the response has no count")
	}
	f, err := wire.Count.Float64()
	if err != nil || f < 0 {
		return fmt.Errorf("the count %q is not a non-negative number", wire.Count.String())
	}
	*n = int64(f)
	return nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// invalid reports a request refused before sending.
func invalid(method, path string, err error) *Error {
	return &Error{Kind: KindValidation, Method: method, Path: path, Detail: cleanDetail(err.Error()), NotSent: true}
}
