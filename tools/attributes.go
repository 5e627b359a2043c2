package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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
	vals := e.attributeValues(res.Results)
	more := len(res.Results) == limit
	if asJSON {
		return jsonResult(map[string]any{"key": key, "scope": scope, "window": windowJSON{isoTime(win.From), isoTime(win.To)}, "values": vals, "limit_reached": more})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s attribute) · %s · window %s (UTC)", key, scope, plural(len(vals), "value"), win)
	if more {
		b.WriteString(" · limit reached, more may exist: raise limit or add search")
	}
	b.WriteByte('\n')
	if len(vals) == 0 {
		other := "resource"
		if resource {
			other = "log"
		}
		var tries []string
		tries = append(tries, fmt.Sprintf("scope %q (list_attributes shows which scope has %s)", other, key))
		if win.Duration() < 24*time.Hour {
			tries = append(tries, `a wider window (date_from "-24h")`)
		}
		if args.Search != "" {
			tries = append(tries, "a shorter search")
		}
		if len(args.Services) > 0 || len(args.Filters) > 0 {
			tries = append(tries, "fewer services or filters (the key may only exist on other services)")
		}
		fmt.Fprintf(&b, "No values. Try %s.\n", strings.Join(tries, "; "))
		return textResult(b.String())
	}
	rows := make([][]string, 0, len(vals))
	example := ""
	for _, v := range vals {
		n := "?"
		if v.Count != nil {
			n = thousands(*v.Count)
		}
		shown := quoteIfNeeded(v.Value)
		if v.Masked {
			shown += " (masked)"
		} else if example == "" {
			example = v.Value
		}
		rows = append(rows, []string{n, shown})
	}
	b.WriteString(table([]string{"count", "value"}, []bool{true, false}, rows))
	// The suggestion carries this call's window and filters, so it finds
	// the rows these counts describe.
	next := filterArg{Key: args.Key, Value: example, Scope: scope}
	if example == "" {
		next = filterArg{Key: args.Key, Operator: "is_set", Scope: scope}
		b.WriteString("(masked values hide secrets and cannot be matched exactly; is_set finds the rows)\n")
	}
	q := map[string]any{"date_from": isoTime(win.From), "date_to": isoTime(win.To), "filters": append(slices.Clone(args.Filters), next)}
	if len(args.Services) > 0 {
		q["services"] = args.Services
	}
	suggestion, _ := json.Marshal(q)
	fmt.Fprintf(&b, "next: query_logs %s\n", suggestion)
	return textResult(b.String())
}

// attributeValue is one value as printed: sanitised, with identical
// printed values merged.
type attributeValue struct {
	Value  string `json:"value"`
	Count  *int64 `json:"count,omitempty"`
	Masked bool   `json:"masked,omitempty"` // a secret or control characters were removed
}

// attributeValues sanitises values and merges those that print the same
// (three different tokens all print "Bearer [REDACTED]").
func (e *env) attributeValues(in []client.AttributeValue) []attributeValue {
	out := make([]attributeValue, 0, len(in))
	index := map[string]int{}
	for _, v := range in {
		clean := e.clean.String(v.Value)
		if i, ok := index[clean]; ok {
			if out[i].Count != nil && v.Count != nil {
				sum := *out[i].Count + *v.Count
				out[i].Count = &sum
			}
			continue
		}
		index[clean] = len(out)
		out = append(out, attributeValue{Value: clean, Count: v.Count, Masked: clean != v.Value})
	}
	return out
}

// plural writes "1 value", "3 values".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
