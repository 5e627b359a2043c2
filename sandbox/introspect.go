package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// keyInfo is GET /api/personal_api_keys/@current/.
type keyInfo struct {
	ID                  string   `json:"id"`
	Label               string   `json:"label"`
	MaskValue           string   `json:"mask_value"`
	Scopes              []string `json:"scopes"`
	ScopedTeams         []int64  `json:"scoped_teams"`
	ScopedOrganizations []string `json:"scoped_organizations"`
	CreatedAt           string   `json:"created_at"`
	LastUsedAt          string   `json:"last_used_at"`
}

// handleCurrentKey describes the personal API key making the request.
func (s *Sandbox) handleCurrentKey(w http.ResponseWriter, r *http.Request) {
	key, err := s.authenticate(r)
	if err != nil {
		writeAPIError(w, r, err)
		return
	}
	if r.Method != http.MethodGet {
		writeAPIError(w, r, errMethodNotAllowed(r.Method))
		return
	}
	if key.OAuth {
		writeAPIError(w, r, errPermission("This action does not support OAuth access tokens."))
		return
	}
	scopes := key.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	writeJSON(w, http.StatusOK, keyInfo{
		ID:                  keyID(key.Token),
		Label:               key.Label,
		MaskValue:           key.maskedToken(),
		Scopes:              scopes,
		ScopedTeams:         key.Teams,
		ScopedOrganizations: []string{},
		CreatedAt:           formatTimestamp(s.anchor.AddDate(0, -2, 0).UnixMicro()),
		LastUsedAt:          formatTimestamp(s.clock().UnixMicro()),
	})
}

// keyID derives a stable uuid-shaped id from the token (never the token itself).
func keyID(token string) string {
	var u [16]byte
	h := splitmix64(uint64(len(token)))
	for i := 0; i < len(token); i++ {
		h = splitmix64(h ^ uint64(token[i]))
	}
	for i := range u {
		if i%8 == 0 {
			h = splitmix64(h)
		}
		u[i] = byte(h >> (8 * (i % 8)))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

// handleIntrospect serves POST /oauth/introspect (RFC 7662), taking the
// token as a form field or in a JSON body.
func (s *Sandbox) handleIntrospect(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		writeAPIError(w, r, errMethodNotAllowed(r.Method))
		return
	}
	token := ""
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var in struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(body, &in) == nil {
			token = in.Token
		}
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		token = form.Get("token")
	}
	key, ok := s.keys[token]
	if !ok || !key.OAuth {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return
	}
	scope := strings.Join(key.Scopes, " ")
	if len(key.Scopes) == 0 {
		scope = "*"
	}
	teams := key.Teams
	if teams == nil {
		teams = []int64{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"active":       true,
		"scope":        scope,
		"scoped_teams": teams,
		"client_id":    "posthog-logs-mcp-sandbox",
		"token_type":   "access_token",
		"exp":          s.clock().Add(time.Hour).Unix(),
	})
}
