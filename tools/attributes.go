package tools

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/timerange"
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
		handle: handler(handleListAttributes),
	}
}

type attributesArgs struct {
	projectArgs
	windowArgs
	Scope    string   `json:"scope"`
	Search   string   `json:"search"`
	Limit    *int     `json:"limit"`
	Services []string `json:"services"`
	formatArg

	scopes []string
	limit  int
}

func (a *attributesArgs) check() error {
	switch a.Scope {
	case "", "both":
		a.scopes = []string{"log", "resource"}
	case "log", "resource":
		a.scopes = []string{a.Scope}
	default:
		return fmt.Errorf(`scope must be "log", "resource" or "both" (got %s)`, echoQ(a.Scope))
	}
	limit, err := limitArg(a.Limit, defaultAttributesLimit, maxAttributesLimit)
	a.limit = limit
	return err
}

func handleListAttributes(ctx context.Context, e *env, r *request[attributesArgs]) *mcp.CallToolResult {
	rep := keysReport{win: r.win, args: r.args}
	for _, s := range r.args.scopes {
		res, err := e.client.Attributes(ctx, r.auth, client.AttributesQuery{
			From: r.win.From, To: r.win.To, Services: r.args.Services, Search: r.args.Search,
			Resource: s == "resource", Limit: r.args.limit,
		})
		if err != nil {
			return upstreamError("list attributes", err)
		}
		sk := scopeKeys{Scope: s, Total: max(res.Count, len(res.Results))}
		for _, a := range res.Results {
			sk.Keys = append(sk.Keys, e.clean.String(a.Name))
		}
		rep.scopes = append(rep.scopes, sk)
	}
	if !rep.anyKeys() {
		rep.hints = e.unknownServices(ctx, r.auth, r.args.Services, r.win.From)
	}
	return answer(r.json, rep.text, rep.json)
}

// keysReport is a list_attributes answer: sanitised keys per scope.
type keysReport struct {
	win    timerange.Window
	args   attributesArgs
	scopes []scopeKeys
	hints  []string // unknown services, when no key came back
}

func (k keysReport) anyKeys() bool {
	for _, sk := range k.scopes {
		if len(sk.Keys) > 0 {
			return true
		}
	}
	return false
}

// next is the get_attribute_values call for the first key listed, with
// this call's window and services, so it looks where the keys were found.
func (k keysReport) next() string {
	for _, sk := range k.scopes {
		if len(sk.Keys) == 0 {
			continue
		}
		q := map[string]any{"key": sk.Keys[0], "scope": sk.Scope, "date_from": isoTime(k.win.From), "date_to": isoTime(k.win.To)}
		if len(k.args.Services) > 0 {
			q["services"] = k.args.Services
		}
		return followUp(NameGetAttributeValues, q)
	}
	return ""
}

type scopeKeys struct {
	Scope string   `json:"scope"`
	Total int      `json:"total"`
	Keys  []string `json:"keys"`
}

func (k keysReport) json() map[string]any {
	out := map[string]any{"window": windowJSON{isoTime(k.win.From), isoTime(k.win.To)}, "scopes": k.scopes}
	if len(k.hints) > 0 {
		out["hints"] = k.hints
	}
	return out
}

func (k keysReport) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "attribute keys · window %s (UTC)\n", k.win)
	for _, sk := range k.scopes {
		fmt.Fprintf(&b, "%s (%d", sk.Scope, sk.Total)
		if len(sk.Keys) < sk.Total {
			fmt.Fprintf(&b, ", showing %d; narrow with search", len(sk.Keys))
		}
		b.WriteString("): ")
		b.WriteString(strings.Join(sk.Keys, " "))
		b.WriteByte('\n')
	}
	switch {
	case k.anyKeys():
		fmt.Fprintf(&b, "values of a key (this window): %s\n", k.next())
		b.WriteString(`filter with {"key": "<key>", "value": "...", "scope": "log"|"resource"}` + "\n")
	case len(k.hints) > 0:
		fmt.Fprintf(&b, "No keys matched. Check: %s.\n", strings.Join(k.hints, "; "))
	default:
		tries := []string{}
		if w := widerWindow(k.win); w != "" {
			tries = append(tries, w)
		}
		if k.args.Search != "" {
			tries = append(tries, "a shorter search")
		}
		if len(k.args.Services) > 0 {
			tries = append(tries, "without services")
		}
		b.WriteString("No keys matched.")
		if len(tries) > 0 {
			fmt.Fprintf(&b, " Try %s.", strings.Join(tries, " or "))
		}
		b.WriteByte('\n')
	}
	return b.String()
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
				propDateFrom, propDateTo, propServices, propFiltersShort,
				propFormat,
			})
			return newTool(NameGetAttributeValues,
				"Values seen for one attribute key, with counts: exact filter values (routes, pods, user ids) for query_logs.",
				props, readOnlyTool("Attribute values"))
		},
		handle: handler(handleGetAttributeValues),
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
	formatArg

	resource bool
	limit    int
}

func (a *valuesArgs) check() error {
	if strings.TrimSpace(a.Key) == "" {
		return fmt.Errorf(`key is required, e.g. {"key": "http.route"}; list_attributes shows the keys`)
	}
	a.resource = isResourceKey(a.Key)
	switch a.Scope {
	case "":
	case "log":
		a.resource = false
	case "resource":
		a.resource = true
	default:
		return fmt.Errorf(`scope must be "log" or "resource" (got %s)`, echoQ(a.Scope))
	}
	limit, err := limitArg(a.Limit, defaultValuesLimit, maxAttributesLimit)
	a.limit = limit
	return err
}

func handleGetAttributeValues(ctx context.Context, e *env, r *request[valuesArgs]) *mcp.CallToolResult {
	args := r.args
	props, err := properties(args.Filters)
	if err != nil {
		return invalidArgs(err)
	}
	res, err := e.client.Values(ctx, r.auth, client.ValuesQuery{
		Key: args.Key, Resource: args.resource, Value: args.Search, Limit: args.limit,
		From: r.win.From, To: r.win.To, Services: args.Services, Properties: props,
	})
	if err != nil {
		return upstreamError("get attribute values", err)
	}
	rep := valuesReport{
		args: args, win: r.win, key: e.clean.String(args.Key),
		values: e.attributeValues(res.Results), more: len(res.Results) == args.limit,
	}
	if len(rep.values) == 0 {
		rep.hints = e.unknownServices(ctx, r.auth, args.Services, r.win.From)
		rep.otherScope = e.keyInScope(ctx, r.auth, args, r.win, !args.resource)
	}
	return answer(r.json, rep.text, rep.json)
}

// keyInScope reports whether list_attributes would list key in the given
// scope (resource or log) for this window and these services: the only
// case where suggesting that scope can help.
func (e *env) keyInScope(ctx context.Context, auth client.Auth, args valuesArgs, win timerange.Window, resource bool) bool {
	res, err := e.client.Attributes(ctx, auth, client.AttributesQuery{
		From: win.From, To: win.To, Services: args.Services, Search: args.Key, Resource: resource, Limit: maxAttributesLimit,
	})
	if err != nil {
		return false
	}
	for _, a := range res.Results {
		if a.Name == args.Key {
			return true
		}
	}
	return false
}

// valuesReport is a get_attribute_values answer.
type valuesReport struct {
	args   valuesArgs
	win    timerange.Window
	key    string // sanitised
	values []attributeValue
	more   bool // the limit was reached: more values may exist
	// When no value came back: unknown services, and whether the key is
	// listed under the other scope.
	hints      []string
	otherScope bool
}

func (v valuesReport) scope() string {
	if v.args.resource {
		return "resource"
	}
	return "log"
}

func (v valuesReport) json() map[string]any {
	out := map[string]any{"key": v.key, "scope": v.scope(), "window": windowJSON{isoTime(v.win.From), isoTime(v.win.To)}, "values": v.values, "limit_reached": v.more}
	if len(v.hints) > 0 {
		out["hints"] = v.hints
	}
	return out
}

func (v valuesReport) text() string {
	args, win, key, scope := v.args, v.win, v.key, v.scope()
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s attribute) · %s · window %s (UTC)", key, scope, plural(len(v.values), "value"), win)
	if v.more {
		b.WriteString(" · limit reached, more may exist: raise limit or add search")
	}
	b.WriteByte('\n')
	if len(v.values) == 0 {
		if len(v.hints) > 0 {
			fmt.Fprintf(&b, "No values. Check: %s.\n", strings.Join(v.hints, "; "))
			return b.String()
		}
		other := "resource"
		if args.resource {
			other = "log"
		}
		var tries []string
		if v.otherScope {
			tries = append(tries, fmt.Sprintf("scope %q (list_attributes lists %s under %s in this window)", other, key, other))
		}
		if w := widerWindow(win); w != "" {
			tries = append(tries, w)
		}
		if args.Search != "" {
			tries = append(tries, "a shorter search")
		}
		if len(args.Services) > 0 || len(args.Filters) > 0 {
			tries = append(tries, "fewer services or filters (the key may only exist on other services)")
		}
		b.WriteString("No values.")
		if len(tries) > 0 {
			fmt.Fprintf(&b, " Try %s.", strings.Join(tries, "; "))
		}
		b.WriteByte('\n')
		return b.String()
	}
	rows := make([][]string, 0, len(v.values))
	example := ""
	for _, val := range v.values {
		n := "?"
		if val.Count != nil {
			n = thousands(*val.Count)
		}
		shown := quoteIfNeeded(val.Value)
		if val.Masked {
			shown += " (masked)"
		} else if example == "" {
			example = val.Value
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
	fmt.Fprintf(&b, "next: %s\n", followUp(NameQueryLogs, q))
	return b.String()
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
