package sandbox

import (
	"net/http"
	"strconv"
)

// apiError is a non-2xx answer. Most of PostHog's errors use the DRF shape
// {type, code, detail, attr}, but some endpoints answer {"error": ...}, a
// bare JSON string or a raw field dict; body holds whichever applies.
type apiError struct {
	status int
	body   any
	header map[string]string
}

type drfBody struct {
	Type   string  `json:"type"`
	Code   string  `json:"code"`
	Detail string  `json:"detail"`
	Attr   *string `json:"attr"`
}

func drfError(status int, typ, code, detail string, attr string) *apiError {
	body := drfBody{Type: typ, Code: code, Detail: detail}
	if attr != "" {
		body.Attr = &attr
	}
	return &apiError{status: status, body: body}
}

func errEndpointNotFound() *apiError {
	return drfError(http.StatusNotFound, "invalid_request", "not_found", "Endpoint not found.", "")
}

func errNotFound() *apiError {
	return drfError(http.StatusNotFound, "invalid_request", "not_found", "Not found.", "")
}

func errProjectNotFound() *apiError {
	return drfError(http.StatusNotFound, "invalid_request", "not_found", "Project not found.", "")
}

func errNotAuthenticated() *apiError {
	return drfError(http.StatusUnauthorized, "authentication_error", "not_authenticated",
		"Authentication credentials were not provided.", "")
}

func errInvalidKey(token string) *apiError {
	detail := "Personal API key found in request Authorization header is invalid."
	if len(token) >= 4 && token[:4] == "pha_" {
		detail = "OAuth access token found in request Authorization header is invalid."
	}
	return drfError(http.StatusUnauthorized, "authentication_error", "authentication_failed", detail, "")
}

func errPermission(detail string) *apiError {
	return drfError(http.StatusForbidden, "authentication_error", "permission_denied", detail, "")
}

func errMissingScope(scope string) *apiError {
	return errPermission("API key missing required scope '" + scope + "'")
}

func errNoProjectAccess(project int64) *apiError {
	return errPermission("API key does not have access to the requested project: ID " + strconv.FormatInt(project, 10) + ".")
}

func errMethodNotAllowed(method string) *apiError {
	return drfError(http.StatusMethodNotAllowed, "invalid_request", "method_not_allowed",
		`Method "`+method+`" not allowed.`, "")
}

func errTooLarge() *apiError {
	return drfError(http.StatusRequestEntityTooLarge, "invalid_request", "payload_too_large",
		"Request body exceeds "+strconv.Itoa(maxBodyBytes)+" bytes.", "")
}

// errParse is DRF's ParseError, which PostHog raises for a bad dateRange.
func errParse(detail string) *apiError {
	return drfError(http.StatusBadRequest, "invalid_request", "parse_error", "JSON parse error - "+detail, "")
}

func errValidation(code, detail, attr string) *apiError {
	return drfError(http.StatusBadRequest, "validation_error", code, detail, attr)
}

// errServer is PostHog's opaque 500, which is what a query that fails its
// schema validation (an unknown severity, a malformed filter) turns into.
func errServer() *apiError {
	return drfError(http.StatusInternalServerError, "server_error", "error", "A server error occurred.", "")
}

// errPlain is the {"error": "..."} shape some logs endpoints use.
func errPlain(status int, message string) *apiError {
	return &apiError{status: status, body: map[string]string{"error": message}}
}

func writeAPIError(w http.ResponseWriter, r *http.Request, e *apiError) {
	for k, v := range e.header {
		w.Header().Set(k, v)
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="http://`+r.Host+`/.well-known/oauth-protected-resource"`)
	}
	writeJSON(w, e.status, e.body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalJSON(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"type":"server_error","code":"error","detail":"A server error occurred.","attr":null}`)
	}
	writeRaw(w, status, body)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
