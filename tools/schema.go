package tools

import (
	"bytes"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

// prop is one property of an input schema.
type prop struct {
	name     string
	schema   map[string]any
	required bool
}

// objectSchema renders properties in the given order (maps would sort
// them, and the order is part of how a model reads the schema).
func objectSchema(props []prop) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteString(`{"type":"object","properties":{`)
	var required []string
	for i, p := range props {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(p.name)
		body, err := json.Marshal(p.schema)
		if err != nil {
			panic(err) // schemas are static; a failure is a programming error caught by tests
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(body)
		if p.required {
			required = append(required, p.name)
		}
	}
	buf.WriteString(`}`)
	if len(required) > 0 {
		r, _ := json.Marshal(required)
		buf.WriteString(`,"required":`)
		buf.Write(r)
	}
	buf.WriteString(`,"additionalProperties":false}`)
	return json.RawMessage(buf.Bytes())
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }

func strEnum(desc string, values ...string) map[string]any {
	return map[string]any{"type": "string", "enum": values, "description": desc}
}

func integer(desc string, min, max int) map[string]any {
	return map[string]any{"type": "integer", "minimum": min, "maximum": max, "description": desc}
}

// propFormat selects text (compact, default) or JSON output.
var propFormat = prop{name: "format", schema: map[string]any{"enum": []string{"text", "json"}}}

func boolean(desc string) map[string]any {
	return map[string]any{"type": "boolean", "description": desc}
}

func strList(desc string) map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": desc}
}

// Common argument schemas: same names and meaning in every tool.
var (
	propDateFrom = prop{name: "date_from", schema: str(`Start: -1h (default), -15m (m = minutes), -7d, now-2h, RFC 3339 or 2026-11-25.`)}
	propDateTo   = prop{name: "date_to", schema: str(`End; default now.`)}
	// No enum: the aliases warning/critical and any case are accepted, and
	// a client validating against an enum would refuse them.
	propSeverity = prop{name: "severity", schema: strList("trace debug info warn error fatal (warning, critical accepted).")}
	propServices = prop{name: "services", schema: strList("Exact names from list_services.")}
	propSearch   = prop{name: "search", schema: str("Case-insensitive substring of the body.")}
	propFilters  = prop{name: "filters", schema: map[string]any{
		"type": "array",
		"items": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"key":      map[string]any{"type": "string"},
				"value":    map[string]any{},
				"operator": map[string]any{"enum": client.Operators},
				"scope":    map[string]any{"enum": []string{"log", "resource", "column"}},
			},
			"required":             []string{"key"},
			"additionalProperties": false,
		},
		"description": `ANDed, e.g. [{"key":"http.route","value":"/api/pay"}]. value: string, number or list (any of). operator: exact if omitted. scope: inferred (k8s.*, host.*, service.* are resource); column: message, trace_id, span_id, pattern, pattern_version.`,
	}}
	// propFiltersShort stands for propFilters in every tool but query_logs:
	// the catalogue carries the full item schema once (every tool's schema
	// sits in the model's context on every turn).
	propFiltersShort = prop{name: "filters", schema: map[string]any{
		"type": "array", "items": map[string]any{"type": "object"},
		"description": "As in query_logs: [{key, value, operator, scope}], ANDed.",
	}}
	propProject = prop{name: "project_id", required: true, schema: map[string]any{
		"type": "integer", "minimum": 1, "description": "PostHog project id.",
	}}
)

// commonFilterProps are the window and filter arguments of the log tools,
// with the full filter schema (query_logs).
func commonFilterProps() []prop {
	return []prop{propDateFrom, propDateTo, propSeverity, propServices, propSearch, propFilters}
}

// sharedFilterProps are commonFilterProps with filters described by
// reference to query_logs: every other tool.
func sharedFilterProps() []prop {
	return []prop{propDateFrom, propDateTo, propSeverity, propServices, propSearch, propFiltersShort}
}

// withProject appends project_id when the variant needs it.
func withProject(v variant, props []prop) []prop {
	if v.needProject {
		return append(props, propProject)
	}
	return props
}

// annotations builds truthful MCP annotations. Every tool talks to
// PostHog, a system outside the conversation, so openWorld is always true.
func annotations(title string, readOnly, destructive, idempotent bool) mcp.ToolAnnotation {
	return mcp.ToolAnnotation{
		Title:           title,
		ReadOnlyHint:    mcp.ToBoolPtr(readOnly),
		DestructiveHint: mcp.ToBoolPtr(destructive),
		IdempotentHint:  mcp.ToBoolPtr(idempotent),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
}

// newTool assembles a tool definition.
func newTool(name, desc string, props []prop, ann mcp.ToolAnnotation) mcp.Tool {
	return mcp.Tool{
		Name:           name,
		Description:    desc,
		RawInputSchema: objectSchema(props),
		Annotations:    ann,
	}
}

// readOnlyTool is the annotation set of every read tool.
func readOnlyTool(title string) mcp.ToolAnnotation { return annotations(title, true, false, true) }
