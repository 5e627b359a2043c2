package client

import (
	"strings"
	"testing"
	"time"
)

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		kind        Kind
		code        string
		detail      string
		attr        string
	}{
		{
			name: "standard 401", status: 401, contentType: "application/json",
			body: `{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request Authorization header is invalid.","attr":null}`,
			kind: KindAuth, code: "authentication_failed", detail: "Personal API key found in request Authorization header is invalid.",
		},
		{
			name: "403 scope", status: 403, contentType: "application/json",
			body: `{"type":"authentication_error","code":"permission_denied","detail":"API key missing required scope 'logs:write'"}`,
			kind: KindScope, code: "permission_denied", detail: "API key missing required scope 'logs:write'",
		},
		{
			name: "404 project", status: 404, contentType: "application/json",
			body: `{"type":"invalid_request","code":"not_found","detail":"Project not found.","attr":null}`,
			kind: KindNotFound, code: "not_found", detail: "Project not found.",
		},
		{
			name: "400 validation with attr", status: 400, contentType: "application/json",
			body: `{"type":"validation_error","code":"required","detail":"This field is required.","attr":"name"}`,
			kind: KindValidation, code: "required", detail: "This field is required.", attr: "name",
		},
		{
			name: "429 throttled", status: 429, contentType: "application/json",
			body: `{"type":"throttled_error","code":"throttled","detail":"Request was throttled. Expected available in 17 seconds.","attr":null}`,
			kind: KindThrottled, code: "throttled", detail: "Request was throttled. Expected available in 17 seconds.",
		},
		{
			name: "error key", status: 400, contentType: "application/json",
			body: `{"error":"No query provided"}`, kind: KindValidation, detail: "No query provided",
		},
		{
			name: "error key on 404", status: 404, contentType: "application/json",
			body: `{"error":"Log not found"}`, kind: KindNotFound, detail: "Log not found",
		},
		{
			name: "503 error key", status: 503, contentType: "application/json",
			body: `{"error":"Too many concurrent queries, try again later"}`, kind: KindUpstream, detail: "Too many concurrent queries, try again later",
		},
		{
			name: "bare JSON string", status: 400, contentType: "application/json",
			body: `"key is required"`, kind: KindValidation, detail: "key is required",
		},
		{
			name: "raw field dict", status: 400, contentType: "application/json",
			body: `{"uuid":["This field is required."]}`, kind: KindValidation, detail: "uuid: This field is required.", attr: "uuid",
		},
		{
			name: "several field errors sorted", status: 400, contentType: "application/json",
			body: `{"uuid":["This field is required."],"timestamp":["Datetime has wrong format.","Another."]}`,
			kind: KindValidation, detail: "timestamp: Datetime has wrong format. Another.; uuid: This field is required.",
		},
		{
			name: "nested field errors", status: 400, contentType: "application/json",
			body: `{"filters":{"dateRange":["Unknown key."]}}`, kind: KindValidation, detail: "filters.dateRange: Unknown key.", attr: "filters",
		},
		{
			name: "non_field_errors", status: 400, contentType: "application/json",
			body: `{"non_field_errors":["Bad combination."]}`, kind: KindValidation, detail: "Bad combination.",
		},
		{
			name: "list of messages", status: 400, contentType: "application/json",
			body: `["first","second"]`, kind: KindValidation, detail: "first second",
		},
		{
			name: "HTML from a proxy", status: 502, contentType: "text/html; charset=utf-8",
			body: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
			kind: KindUpstream, detail: "upstream returned an HTML error page (502)",
		},
		{
			name: "HTML without content type", status: 504, body: "\n  <!DOCTYPE html><html>gateway timeout</html>",
			kind: KindUpstream, detail: "upstream returned an HTML error page (504)",
		},
		{
			name: "empty body", status: 500, body: "", kind: KindUpstream, detail: "Internal Server Error (500)",
		},
		{
			name: "plain text", status: 503, contentType: "text/plain", body: "upstream connect error\n",
			kind: KindUpstream, detail: "upstream connect error",
		},
		{
			name: "garbage JSON-ish", status: 500, contentType: "application/json", body: `{"detail": "oops`,
			kind: KindUpstream, detail: `{"detail": "oops`,
		},
		{
			name: "null", status: 500, contentType: "application/json", body: `null`,
			kind: KindUpstream, detail: "Internal Server Error (500)",
		},
		{
			name: "tags inside a JSON detail are stripped", status: 400, contentType: "application/json",
			body: `{"detail":"bad <b>value</b> <script>alert(1)</script>"}`, kind: KindValidation, detail: "bad value alert(1)",
		},
		{
			name: "control and bidi characters removed", status: 400, contentType: "application/json",
			body: `{"detail":"a\u001b[31mred\u202e\nnext"}`, kind: KindValidation, detail: "a [31mred next",
		},
		{
			name: "422", status: 422, body: `{"detail":"Unprocessable"}`, kind: KindValidation, detail: "Unprocessable",
		},
		{
			name: "teapot", status: 418, body: ``, kind: KindValidation, detail: "I'm a teapot (418)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseErrorBody(tt.status, tt.contentType, []byte(tt.body))
			if e == nil {
				t.Fatal("nil error")
			}
			if e.Kind != tt.kind || e.Status != tt.status {
				t.Errorf("kind/status = %s/%d, want %s/%d", e.Kind, e.Status, tt.kind, tt.status)
			}
			if e.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", e.Detail, tt.detail)
			}
			if e.Code != tt.code {
				t.Errorf("code = %q, want %q", e.Code, tt.code)
			}
			if e.Attr != tt.attr {
				t.Errorf("attr = %q, want %q", e.Attr, tt.attr)
			}
		})
	}
}

func TestParseErrorBodyBoundsDetail(t *testing.T) {
	long := `{"detail":"` + strings.Repeat("é", 5000) + `"}`
	e := ParseErrorBody(400, "application/json", []byte(long))
	if len(e.Detail) > maxDetailBytes+len("…") {
		t.Fatalf("detail is %d bytes", len(e.Detail))
	}
	if !strings.HasSuffix(e.Detail, "…") {
		t.Errorf("truncated detail should end with an ellipsis: %q", e.Detail[len(e.Detail)-10:])
	}
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Kind: KindScope, Status: 403, Method: "POST", Path: "/api/projects/1/logs/views/",
		Detail: "API key missing required scope 'logs:write'", Attempts: 1}
	want := "posthog: scope (HTTP 403) POST /api/projects/1/logs/views/: API key missing required scope 'logs:write'"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q\nwant %q", got, want)
	}
	e = &Error{Kind: KindThrottled, Status: 429, Method: "GET", Path: "/x/", Detail: "slow down",
		RetryAfter: 17 * time.Second, Attempts: 4}
	if got := e.Error(); !strings.Contains(got, "retry after 17s") || !strings.Contains(got, "after 4 attempts") {
		t.Errorf("Error() = %q", got)
	}
	e = &Error{Kind: KindValidation, Status: 400, Detail: "This field is required.", Attr: "name"}
	if got := e.Error(); !strings.Contains(got, "(field name)") {
		t.Errorf("Error() = %q lacks the field", got)
	}
}

func TestAIConsentRequired(t *testing.T) {
	e := ParseErrorBody(403, "application/json", []byte(`{"type":"authentication_error","code":"permission_denied","detail":"AI data processing must be approved by your organization before using log explanation"}`))
	if !e.AIConsentRequired() {
		t.Error("consent error not recognised")
	}
	if ParseErrorBody(403, "", []byte(`{"detail":"API key missing required scope 'logs:write'"}`)).AIConsentRequired() {
		t.Error("scope error taken for a consent error")
	}
	var nilErr *Error
	if nilErr.AIConsentRequired() {
		t.Error("nil error")
	}
}

func TestScrubKey(t *testing.T) {
	const odd = "sk-not-a-posthog-shape-1234"
	e := &Error{Detail: "key " + odd + " and phx_abcdefghijklmnop and Bearer eyJhbGciOi.x.y", Code: odd}
	e.scrubKey(odd)
	for _, s := range []string{odd, "phx_abcdefghijklmnop", "eyJhbGciOi"} {
		if strings.Contains(e.Detail, s) || strings.Contains(e.Code, s) || strings.Contains(e.Error(), s) {
			t.Errorf("%q survived: %q", s, e.Error())
		}
	}
}
