package tools

import (
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// Reference describes one tool for people: what the generated docs
// (docs/tools.md, the README's tool table) are made of. It comes from the
// same registry that serves tools/list, so the docs cannot drift from
// what a model sees.
type Reference struct {
	Name        string
	Description string
	// Scope is the PostHog key scope the tool needs, per action where the
	// tool's actions differ.
	Scope       string
	Annotations mcp.ToolAnnotation
	// InputSchema is the schema with every action offered and no project
	// pinned (project_id present).
	InputSchema json.RawMessage
	// Example is one call's arguments as JSON; it runs against the sandbox
	// (a test proves it).
	Example string
}

// References lists every tool in catalogue order, in its fullest variant.
func References() []Reference {
	var out []Reference
	for _, t := range allTools() {
		def := t.define(variant{write: true, needProject: true})
		scope := string(t.scope)
		if t.name == NameManageViews {
			scope = string(ScopeRead) + " (list, get), " + string(ScopeWrite) + " (create, update, delete)"
		}
		out = append(out, Reference{
			Name:        t.name,
			Description: def.Description,
			Scope:       scope,
			Annotations: def.Annotations,
			InputSchema: def.RawInputSchema,
			Example:     toolExamples[t.name],
		})
	}
	return out
}
