package sandbox

import (
	"slices"
	"strings"
)

// ProjectID is the demo project holding the generated data set.
const ProjectID int64 = 1

// OtherProjectID is a project that exists but holds no data; only
// KeyOtherProject (and keys scoped to every project) may read it.
const OtherProjectID int64 = 2

// Demo keys, fixed strings so that docs and tests can name them.
const (
	// KeyFull has scopes logs:read logs:write on project 1, with AI consent.
	KeyFull = "phx_sandbox_full_key_0123456789abcdef"
	// KeyReadOnly has scope logs:read on project 1.
	KeyReadOnly = "phx_sandbox_read_only_0123456789abcdef"
	// KeyOtherProject has scopes logs:read logs:write on project 2 only.
	KeyOtherProject = "phx_sandbox_other_project_0123456789ab"
	// KeyNoAIConsent has scopes logs:read logs:write on project 1, but its
	// organization has not approved AI data processing.
	KeyNoAIConsent = "phx_sandbox_no_ai_consent_0123456789ab"
	// KeyAllAccess has scopes ["*"] and no project restriction.
	KeyAllAccess = "phx_sandbox_all_access_0123456789abcdef"
	// TokenOAuth is an OAuth access token with scope "logs:read logs:write"
	// on project 1, introspected via POST /oauth/introspect.
	TokenOAuth = "pha_sandbox_oauth_token_0123456789abcd"
)

// Key is a credential the sandbox accepts in `Authorization: Bearer ...`.
type Key struct {
	Token     string
	Label     string
	Scopes    []string // nil, empty or ["*"] = everything
	Teams     []int64  // nil or empty = every project
	AIConsent bool
	OAuth     bool // introspected via POST /oauth/introspect instead of /api/personal_api_keys/@current/
}

// DemoKeys returns the sandbox's default keys (the Key* and TokenOAuth constants).
func DemoKeys() []Key {
	readWrite := []string{"logs:read", "logs:write"}
	return []Key{
		{Token: KeyFull, Label: "sandbox full access", Scopes: readWrite, Teams: []int64{ProjectID}, AIConsent: true},
		{Token: KeyReadOnly, Label: "sandbox read only", Scopes: []string{"logs:read"}, Teams: []int64{ProjectID}, AIConsent: true},
		{Token: KeyOtherProject, Label: "sandbox other project", Scopes: readWrite, Teams: []int64{OtherProjectID}, AIConsent: true},
		{Token: KeyNoAIConsent, Label: "sandbox without AI consent", Scopes: readWrite, Teams: []int64{ProjectID}, AIConsent: false},
		{Token: KeyAllAccess, Label: "sandbox all access", Scopes: []string{"*"}, Teams: nil, AIConsent: true},
		{Token: TokenOAuth, Label: "sandbox OAuth token", Scopes: readWrite, Teams: []int64{ProjectID}, AIConsent: true, OAuth: true},
	}
}

// allows reports whether the key's scopes grant scope ("logs:read" or
// "logs:write"). A write scope implies the matching read scope.
func (k Key) allows(scope string) bool {
	if len(k.Scopes) == 0 || slices.Contains(k.Scopes, "*") {
		return true
	}
	if slices.Contains(k.Scopes, scope) {
		return true
	}
	if object, ok := strings.CutSuffix(scope, ":read"); ok {
		return slices.Contains(k.Scopes, object+":write")
	}
	return false
}

// canAccess reports whether the key may use project id.
func (k Key) canAccess(project int64) bool {
	return len(k.Teams) == 0 || slices.Contains(k.Teams, project)
}

// maskedToken is what PostHog shows of a key: its prefix and last four characters.
func (k Key) maskedToken() string {
	prefix, _, found := strings.Cut(k.Token, "_")
	if !found || len(k.Token) < 8 {
		return "****"
	}
	return prefix + "_..." + k.Token[len(k.Token)-4:]
}
