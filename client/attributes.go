package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxAttributesLimit is the server's cap on logs/attributes/.
const maxAttributesLimit = 100

// AttributesQuery asks logs/attributes/ which attribute keys exist.
type AttributesQuery struct {
	From, To   time.Time
	Services   []string
	Properties []PropertyFilter
	Search     string // substring of the key
	Resource   bool   // resource attributes (service.name, k8s.*, host.name) instead of log attributes
	Limit      int    // 0: server default (100); capped at 100
	Offset     int
}

// Attribute is one attribute key and the property filter type that addresses it.
type Attribute struct {
	Name string `json:"name"`
	Type string `json:"propertyFilterType"`
}

// AttributesResult is one page of attribute keys; Count is the total across pages.
type AttributesResult struct {
	Results []Attribute `json:"results"`
	Count   int         `json:"count"`
}

// Attributes runs GET logs/attributes/.
func (c *Client) Attributes(ctx context.Context, a Auth, q AttributesQuery) (*AttributesResult, error) {
	const path = "logs/attributes/"
	params := url.Values{}
	if err := pageParams(params, q.Limit, q.Offset, maxAttributesLimit); err != nil {
		return nil, invalid(http.MethodGet, path, err)
	}
	if err := getFilterParams(params, q.From, q.To, q.Services, q.Properties); err != nil {
		return nil, invalid(http.MethodGet, path, err)
	}
	params.Set("attribute_type", attributeType(q.Resource))
	if q.Search != "" {
		params.Set("search", q.Search)
	}
	out := &AttributesResult{}
	err := c.do(ctx, a.Key, &request{
		method: http.MethodGet, path: path, project: a.ProjectID, query: params, replay: replaySafe,
		decode: func(body []byte) error { return decodeAttributes(body, out) },
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodeAttributes reads {"results": [...], "count": N}; older servers answer a bare array.
func decodeAttributes(body []byte, out *AttributesResult) error {
	if isJSONArray(body) {
		if err := json.Unmarshal(body, &out.Results); err != nil {
			return err
		}
		out.Count = len(out.Results)
		return nil
	}
	return json.Unmarshal(body, out)
}

// ValuesQuery asks logs/values/ which values one attribute takes.
type ValuesQuery struct {
	Key        string // required
	Resource   bool   // the key is a resource attribute (service.name, k8s.*): required for those, or nothing matches
	Value      string // substring of the value
	Limit      int
	Offset     int
	From, To   time.Time
	Services   []string
	Properties []PropertyFilter
}

// AttributeValue is one value with its occurrence count when the server gives one.
type AttributeValue struct {
	Value string
	Count *int64
}

// ValuesResult lists values; Refreshing means the server is still computing fresher counts.
type ValuesResult struct {
	Results    []AttributeValue
	Refreshing bool
}

type wireValue struct {
	ID    json.RawMessage `json:"id"`
	Name  json.RawMessage `json:"name"`
	Count *json.Number    `json:"count"`
}

// Values runs GET logs/values/.
func (c *Client) Values(ctx context.Context, a Auth, q ValuesQuery) (*ValuesResult, error) {
	const path = "logs/values/"
	if strings.TrimSpace(q.Key) == "" {
		return nil, invalid(http.MethodGet, path, errors.New("an attribute key is required"))
	}
	params := url.Values{}
	if err := pageParams(params, q.Limit, q.Offset, 0); err != nil {
		return nil, invalid(http.MethodGet, path, err)
	}
	if err := getFilterParams(params, q.From, q.To, q.Services, q.Properties); err != nil {
		return nil, invalid(http.MethodGet, path, err)
	}
	params.Set("key", q.Key)
	params.Set("attribute_type", attributeType(q.Resource))
	if q.Value != "" {
		params.Set("value", q.Value)
	}
	var wire struct {
		Results    []wireValue `json:"results"`
		Refreshing bool        `json:"refreshing"`
	}
	err := c.do(ctx, a.Key, &request{
		method: http.MethodGet, path: path, project: a.ProjectID, query: params, replay: replaySafe,
		decode: func(body []byte) error {
			if isJSONArray(body) { // older servers: a bare array
				return json.Unmarshal(body, &wire.Results)
			}
			return json.Unmarshal(body, &wire)
		},
	})
	if err != nil {
		return nil, err
	}
	out := &ValuesResult{Refreshing: wire.Refreshing, Results: make([]AttributeValue, 0, len(wire.Results))}
	for _, w := range wire.Results {
		v := AttributeValue{Value: firstNonEmpty(rawText(w.Name), rawText(w.ID))}
		if w.Count != nil {
			if f, err := w.Count.Float64(); err == nil {
				n := int64(f)
				v.Count = &n
			}
		}
		out.Results = append(out.Results, v)
	}
	return out, nil
}

// rawText renders a JSON scalar as text: strings unquoted, other values verbatim, null empty.
func rawText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

func attributeType(resource bool) string {
	if resource {
		return "resource"
	}
	return "log"
}

// pageParams sets limit/offset, clamping limit to max when max > 0.
func pageParams(params url.Values, limit, offset, max int) error {
	if limit < 0 || offset < 0 {
		return errors.New("limit and offset must not be negative")
	}
	if max > 0 && limit > max {
		limit = max
	}
	if limit > 0 {
		params.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		params.Set("offset", strconv.Itoa(offset))
	}
	return nil
}

func isJSONArray(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '['
}
