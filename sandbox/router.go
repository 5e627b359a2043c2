package sandbox

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// logsRequest is what a logs handler gets once routing, authentication and
// permission checks have passed.
type logsRequest struct {
	*http.Request
	w       http.ResponseWriter
	body    []byte
	key     Key
	project int64
	rows    []logRow
	now     time.Time
	shortID string // views/{short_id}/ only
}

func (rq *logsRequest) fail(e *apiError) { writeAPIError(rq.w, rq.Request, e) }

type handlerFunc func(s *Sandbox, rq *logsRequest)

// route is one logs endpoint: the handler and required scope per method.
type route struct {
	methods map[string]string // method -> scope
	handle  handlerFunc
}

var logsRoutes = map[string]route{
	"query":            {map[string]string{"POST": "logs:read"}, (*Sandbox).handleQuery},
	"services":         {map[string]string{"POST": "logs:read"}, (*Sandbox).handleServices},
	"sparkline":        {map[string]string{"POST": "logs:read"}, (*Sandbox).handleSparkline},
	"count":            {map[string]string{"POST": "logs:read"}, (*Sandbox).handleCount},
	"patterns":         {map[string]string{"POST": "logs:read"}, (*Sandbox).handlePatterns},
	"patterns_diff":    {map[string]string{"POST": "logs:read"}, (*Sandbox).handlePatternsDiff},
	"group-by":         {map[string]string{"POST": "logs:read"}, (*Sandbox).handleGroupBy},
	"attributes":       {map[string]string{"GET": "logs:read"}, (*Sandbox).handleAttributes},
	"values":           {map[string]string{"GET": "logs:read"}, (*Sandbox).handleValues},
	"explainLogWithAI": {map[string]string{"POST": "logs:write"}, (*Sandbox).handleExplain},
	"views":            {map[string]string{"GET": "logs:read", "POST": "logs:write"}, (*Sandbox).handleViewList},
}

var viewRoute = route{
	methods: map[string]string{"GET": "logs:read", "PATCH": "logs:write", "PUT": "logs:write", "DELETE": "logs:write"},
	handle:  (*Sandbox).handleView,
}

var shortIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{8}$`)

// splitPath turns "/api/projects/1/logs/query/" into its segments; the
// trailing slash is optional, as on PostHog.
func splitPath(path string) []string {
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimSuffix(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

func (s *Sandbox) dispatch(w http.ResponseWriter, r *http.Request, body []byte) {
	segs := splitPath(r.URL.Path)
	switch {
	case len(segs) == 2 && segs[0] == "oauth" && segs[1] == "introspect":
		s.handleIntrospect(w, r, body)
	case len(segs) == 3 && segs[0] == "api" && segs[1] == "personal_api_keys" && segs[2] == "@current":
		s.handleCurrentKey(w, r)
	case len(segs) >= 5 && segs[0] == "api" && (segs[1] == "projects" || segs[1] == "environments") && segs[3] == "logs":
		s.serveLogs(w, r, body, segs[2], segs[4:])
	default:
		writeAPIError(w, r, errEndpointNotFound())
	}
}

// serveLogs checks, in PostHog's order: the route exists, the key is
// valid, the project exists, the method is allowed, the key may use the
// project, the key has the scope.
func (s *Sandbox) serveLogs(w http.ResponseWriter, r *http.Request, body []byte, projectSeg string, rest []string) {
	var rt route
	var shortID string
	switch {
	case len(rest) == 1:
		found, ok := logsRoutes[rest[0]]
		if !ok {
			writeAPIError(w, r, errEndpointNotFound())
			return
		}
		rt = found
	case len(rest) == 2 && rest[0] == "views" && rest[1] != "":
		rt, shortID = viewRoute, rest[1]
	default:
		writeAPIError(w, r, errEndpointNotFound())
		return
	}

	key, err := s.authenticate(r)
	if err != nil {
		writeAPIError(w, r, err)
		return
	}
	project, ok := parseProject(projectSeg)
	if !ok {
		writeAPIError(w, r, errProjectNotFound())
		return
	}
	scope, ok := rt.methods[r.Method]
	if !ok {
		writeAPIError(w, r, errMethodNotAllowed(r.Method))
		return
	}
	if !key.canAccess(project) {
		writeAPIError(w, r, errNoProjectAccess(project))
		return
	}
	if !key.allows(scope) {
		writeAPIError(w, r, errMissingScope(scope))
		return
	}
	if shortID != "" && !shortIDPattern.MatchString(shortID) {
		writeAPIError(w, r, errNotFound())
		return
	}
	now := s.clock()
	rt.handle(s, &logsRequest{
		Request: r, w: w, body: body, key: key, project: project,
		rows: s.rowsFor(project, now), now: now, shortID: shortID,
	})
}

// parseProject resolves the {project_id} path segment. "@current" is the
// demo user's current project.
func parseProject(seg string) (int64, bool) {
	if seg == "@current" {
		return ProjectID, true
	}
	id, err := strconv.ParseInt(seg, 10, 64)
	if err != nil || (id != ProjectID && id != OtherProjectID) {
		return 0, false
	}
	return id, true
}

// authenticate finds the key of the request's bearer token.
func (s *Sandbox) authenticate(r *http.Request) (Key, *apiError) {
	token, ok := bearerToken(r)
	if !ok {
		return Key{}, errNotAuthenticated()
	}
	key, ok := s.keys[token]
	if !ok {
		return Key{}, errInvalidKey(token)
	}
	return key, nil
}

func bearerToken(r *http.Request) (string, bool) {
	header := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
