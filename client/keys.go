package client

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// KeyInfo describes what a key may do, as the server reports it.
type KeyInfo struct {
	Label  string
	Scopes []string // nil, empty or ["*"]: every scope
	Teams  []int64  // nil or empty: every project the owner can see
	OAuth  bool     // a pha_ OAuth access token rather than a personal API key
}

// Allows reports whether the key passes a check for scope ("logs:read", "logs:write").
// "*", empty or nil scopes allow everything; a write scope implies the matching read scope.
func (k KeyInfo) Allows(scope string) bool {
	if len(k.Scopes) == 0 || slices.Contains(k.Scopes, "*") || slices.Contains(k.Scopes, scope) {
		return true
	}
	if object, ok := strings.CutSuffix(scope, ":read"); ok {
		return slices.Contains(k.Scopes, object+":write")
	}
	return false
}

// AllTeams reports whether the key is not restricted to particular projects.
func (k KeyInfo) AllTeams() bool { return len(k.Teams) == 0 }

// AllowsProject reports whether the key may address project id.
func (k KeyInfo) AllowsProject(id int64) bool { return k.AllTeams() || slices.Contains(k.Teams, id) }

type wirePersonalKey struct {
	Label       string   `json:"label"`
	Scopes      []string `json:"scopes"`
	ScopedTeams []int64  `json:"scoped_teams"`
}

type wireIntrospection struct {
	Active      bool    `json:"active"`
	Scope       string  `json:"scope"`
	ScopedTeams []int64 `json:"scoped_teams"`
}

// Introspect asks the server what key may do: personal API keys (phx_) describe themselves
// at GET /api/personal_api_keys/@current/, OAuth access tokens (pha_) at POST /oauth/introspect.
// An invalid key fails with KindAuth.
func (c *Client) Introspect(ctx context.Context, key string) (*KeyInfo, error) {
	if strings.HasPrefix(key, "pha_") {
		return c.introspectOAuth(ctx, key)
	}
	var wire wirePersonalKey
	err := c.do(ctx, key, &request{
		method: http.MethodGet, path: "/api/personal_api_keys/@current/", replay: replaySafe,
		decode: func(body []byte) error { return json.Unmarshal(body, &wire) },
	})
	if err != nil {
		return nil, err
	}
	return &KeyInfo{Label: wire.Label, Scopes: wire.Scopes, Teams: wire.ScopedTeams}, nil
}

func (c *Client) introspectOAuth(ctx context.Context, key string) (*KeyInfo, error) {
	const path = "/oauth/introspect"
	var wire wireIntrospection
	err := c.do(ctx, key, &request{
		method: http.MethodPost, path: path, body: map[string]string{"token": key},
		replay: replaySafe, // reading the token's state has no effect
		decode: func(body []byte) error { return json.Unmarshal(body, &wire) },
	})
	if err != nil {
		return nil, err
	}
	if !wire.Active {
		return nil, &Error{Kind: KindAuth, Method: http.MethodPost, Path: path, Attempts: 1,
			Detail: "the OAuth access token is not active (expired or revoked)"}
	}
	return &KeyInfo{Label: "OAuth access token", Scopes: strings.Fields(wire.Scope), Teams: wire.ScopedTeams, OAuth: true}, nil
}
