package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

const (
	defaultAttributesLimit = 50
	defaultValuesLimit     = 20
	maxAttributesLimit     = 100
)

func listAttributesTool() *tool {
	return &tool{
		name:  NameListAttributes,
		scope: ScopeRead,
		define: func(v variant) mcp.Tool {
			props := withProject(v, []prop{
				prop{name: "scope", schema: strEnum("Default both.", "log", "resource", "both")},
				prop{name: "search", schema: str("Substring of the key.")},
				prop{name: "limit", schema: integer("Per scope, default 50.", 1, maxAttributesLimit)},
				propDateFrom, propDateTo, propServices,
				propFormat,
			})
			return newTool(NameListAttributes,
				"Attribute keys present on logs in the window, with their scope (log or resource), for use in filters. Then get_attribute_values for a key's values.",
				props, readOnlyTool("List attribute keys"))
		},
		handle: handleListAttributes,
	}
}

type attributesArgs struct {
	projectArgs
	windowArgs
	Scope    string   `json:"scope"`
	Search   string   `json:"search"`
	Limit    *int     `json:"limit"`
	Services []string `json:"services"`
	Format   string   `json:"format"`
}

func handleListAttributes(ctx context.Context, e *env, c *call) *mcp.CallToolResult {
	var args attributesArgs
	if err := c.decode(&args); err != nil {
		return invalidArgs(err)
	}
	var scopes []string
	switch args.Scope {
	case "", "both":
		scopes = []string{"log", "resource"}
	case "log", "resource":
		scopes = []string{args.Scope}
	default:
		return invalidArgs(fmt.Errorf(`scope must be "log", "resource" or "both" (got %q)`, args.Scope))
	}
	limit, err := limitArg(args.Limit, defaultAttributesLimit, maxAttributesLimit)
	if err != nil {
		return invalidArgs(err)
	}
	asJSON, err := formatFlag(args.Format)
	if err != nil {
		return invalidArgs(err)
	}
	auth, err := c.auth(args.projectArgs)
	if err != nil {
		return invalidArgs(err)
	}
	win, err := args.resolve(e.now())
	if err != nil {
		return invalidArgs(err)
	}
	type scopeKeys struct {
		Scope string   `json:"scope"`
		Total int      `json:"total"`
		Keys  []string `json:"keys"`
	}
	var found []scopeKeys
	for _, s := range scopes {
		res, err := e.client.Attributes(ctx, auth, client.AttributesQuery{
			From: win.From, To: win.To, Services: args.Services, Search: args.Search,
			Resource: s == "resource", Limit: limit,
		})
		if err != nil {
			return upstreamError("list attributes", err)
		}
		sk := scopeKeys{Scope: s, Total: max(res.Count, len(res.Results))}
		for _, a := range res.Results {
			sk.Keys = append(sk.Keys, e.clean.String(a.Name))
		}
		found = append(found, sk)
	}
	if asJSON {
		return jsonResult(map[string]any{"window": windowJSON{isoTime(win.From), isoTime(win.To)}, "scopes": found})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "attribute keys · window %s (UTC)\n", win)
	anyKeys := false
	for _, sk := range found {
		fmt.Fprintf(&b, "%s (%d", sk.Scope, sk.Total)
		if len(sk.Keys) < sk.Total {
			fmt.Fprintf(&b, ", showing %d; narrow with search", len(sk.Keys))
		}
		b.WriteString("): ")
		b.WriteString(strings.Join(sk.Keys, " "))
		b.WriteByte('\n')
		anyKeys = anyKeys || len(sk.Keys) > 0
	}
	if anyKeys {
		b.WriteString(`next: get_attribute_values {"key": "<key>"}; filter with {"key": "<key>", "value": "...", "scope": "log"|"resource"}` + "\n")
	} else {
		b.WriteString(`No keys matched. Try a wider window (date_from "-24h") or a shorter search.` + "\n")
	}
	return textResult(b.String())
}

func getAttributeValuesTool() *tool {
	return &tool{
		name:  NameGetAttributeValues,
		scope: ScopeRead,
		define: func(v variant) mcp.Tool {
			props := withProject(v, []prop{
				prop{name: "key", required: true, schema: str("Attribute key, e.g. http.route or k8s.pod.name.")},
				prop{name: "scope", schema: strEnum("Inferred from the key if omitted.", "log", "resource")},
				prop{name: "search", schema: str("Substring of the value.")},
				prop{name: "limit", schema: integer("Default 20.", 1, maxAttributesLimit)},
				propDateFrom, propDateTo, propServices, propFilters,
				propFormat,
			})
			return newTool(NameGetAttributeValues,
				"Values seen for one attribute key, with counts: exact filter values (routes, pods, user ids) for query_logs.",
				props, readOnlyTool("Attribute values"))
		},
		handle: handleGetAttributeValues,
	}
}

type valuesArgs struct {
	projectArgs
	windowArgs
	Key      string      `json:"key"`
	Scope    string      `json:"scope"`
	Search   string      `json:"search"`
	Limit    *int        `json:"limit"`
	Services []string    `json:"services"`
	Filters  []filterArg `json:"filters"`
	Format   string      `json:"format"`
}

func handleGetAttributeValues(ctx context.Context, e *env, c *call) *mcp.CallToolResult {
	var args valuesArgs
	if err := c.decode(&args); err != nil {
		return invalidArgs(err)
	}
	if strings.TrimSpace(args.Key) == "" {
		return invalidArgs(fmt.Errorf(`key is required, e.g. {"key": "http.route"}; list_attributes shows the keys`))
	}
	resource := isResourceKey(args.Key)
	switch args.Scope {
	case "":
	case "log":
		resource = false
	case "resource":
		resource = true
	default:
		return invalidArgs(fmt.Errorf(`scope must be "log" or "resource" (got %q)`, args.Scope))
	}
	limit, err := limitArg(args.Limit, defaultValuesLimit, maxAttributesLimit)
	if err != nil {
		return invalidArgs(err)
	}
	asJSON, err := formatFlag(args.Format)
	if err != nil {
		return invalidArgs(err)
	}
	auth, err := c.auth(args.projectArgs)
	if err != nil {
		return invalidArgs(err)
	}
	win, err := args.resolve(e.now())
	if err != nil {
		return invalidArgs(err)
	}
	props, err := properties(args.Filters)
	if err != nil {
		return invalidArgs(err)
	}
	res, err := e.client.Values(ctx, auth, client.ValuesQuery{
		Key: args.Key, Resource: resource, Value: args.Search, Limit: limit,
		From: win.From, To: win.To, Services: args.Services, Properties: props,
	})
	if err != nil {
		return upstreamError("get attribute values", err)
	}
	scope := "log"
	if resource {
		scope = "resource"
	}
	key := e.clean.String(args.Key)
	if asJSON {
		type valueJSON struct {
			Value string `json:"value"`
			Count *int64 `json:"count,omitempty"`
		}
		vals := make([]valueJSON, 0, len(res.Results))
		for _, v := range res.Results {
			vals = append(vals, valueJSON{e.clean.String(v.Value), v.Count})
		}
		return jsonResult(map[string]any{"key": key, "scope": scope, "window": windowJSON{isoTime(win.From), isoTime(win.To)}, "values": vals})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s attribute) · %d values · window %s (UTC)\n", key, scope, len(res.Results), win)
	if len(res.Results) == 0 {
		other := "resource"
		if resource {
			other = "log"
		}
		fmt.Fprintf(&b, "No values. Try scope %q (list_attributes shows which scope has %s), a wider window (date_from \"-24h\"), or a shorter search.\n", other, key)
		return textResult(b.String())
	}
	rows := make([][]string, 0, len(res.Results))
	for _, v := range res.Results {
		n := "?"
		if v.Count != nil {
			n = thousands(*v.Count)
		}
		rows = append(rows, []string{n, quoteIfNeeded(e.clean.String(v.Value))})
	}
	b.WriteString(table([]string{"count", "value"}, []bool{true, false}, rows))
	example, _ := json.Marshal(map[string]any{"filters": []filterArg{{Key: args.Key, Value: e.clean.String(res.Results[0].Value), Scope: scope}}})
	fmt.Fprintf(&b, "next: query_logs %s\n", example)
	return textResult(b.String())
}
