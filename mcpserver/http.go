package mcpserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// HTTP defaults.
const (
	DefaultListen       = "127.0.0.1:8080"
	DefaultMaxBodyBytes = 1 << 20

	// ProjectHeader lets an HTTP caller choose its project per request.
	ProjectHeader = "X-PostHog-Project-Id"

	// maxKeyLength bounds what we accept as a bearer token before asking
	// PostHog about it; real keys are far shorter.
	maxKeyLength = 512
)

// HTTPConfig configures the Streamable HTTP transport.
type HTTPConfig struct {
	// Listen is the address to bind; default 127.0.0.1:8080.
	Listen string
	// AllowedHosts lists extra host names accepted in the Host and Origin
	// headers besides the listen host and localhost/127.0.0.1/[::1] (for
	// example the name a reverse proxy serves). "*" accepts any host.
	AllowedHosts []string
	// MaxBodyBytes bounds a request body; larger bodies get 413. Default 1 MiB.
	MaxBodyBytes int64
	// OnListen, when set, is called with the bound address before serving.
	OnListen func(net.Addr)
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return c
}

// RunHTTP listens on cfg.Listen and serves /mcp, /healthz and /metrics
// until ctx is cancelled, then shuts down gracefully: it stops accepting,
// lets running tool calls go on for the shutdown grace period
// (Options.ShutdownGrace), and answers those still running then with
// CANCELLED before closing their connections.
func (s *Server) RunHTTP(ctx context.Context, cfg HTTPConfig) error {
	cfg = cfg.withDefaults()
	if err := CheckListenAddress(cfg.Listen, s.opts.ServerKey != ""); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           s.HTTPHandler(cfg),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long enough for the slowest tool (an AI explanation may take 90 s).
		WriteTimeout:   3 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if cfg.OnListen != nil {
		cfg.OnListen(ln.Addr())
	}
	s.log.Info("serving MCP over Streamable HTTP", "url", "http://"+ln.Addr().String()+"/mcp")
	if host, _, _ := net.SplitHostPort(cfg.Listen); !isLoopbackName(host) && len(cfg.AllowedHosts) == 0 {
		s.log.Warn("listening beyond loopback without --allowed-hosts: only requests whose Host is " +
			"the listen address or localhost are served; list the names clients use with --allowed-hosts")
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: no new connections; running tool calls may finish", "grace", s.opts.ShutdownGrace)
	shutdown := make(chan error, 1)
	go func() {
		// Shutdown returns once every request has been answered: the drain
		// below makes sure tool calls are by the end of the grace period.
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownGrace+drainSettle+time.Second)
		defer cancel()
		shutdown <- srv.Shutdown(ctx)
	}()
	s.drain()
	if err := <-shutdown; err != nil {
		// Only a request stuck outside any tool call (a slow key check)
		// can get here; the tool calls have been answered.
		s.log.Warn("closing connections still open after the shutdown grace period", "err", err)
		_ = srv.Close()
	}
	<-served
	return nil
}

// CheckListenAddress refuses a non-loopback address while a server-level
// key is configured: anyone reaching that address could use the key.
func CheckListenAddress(addr string, serverKey bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid listen address %q (want host:port, e.g. 127.0.0.1:8080): %v", addr, err)
	}
	if serverKey && !isLoopbackName(host) {
		return fmt.Errorf("refusing to listen on %s while POSTHOG_PERSONAL_API_KEY is set: anyone reaching that address would act with this key. "+
			"Either listen on 127.0.0.1, or unset POSTHOG_PERSONAL_API_KEY so that every caller must send its own key (Authorization: Bearer phx_...)", addr)
	}
	return nil
}

// HTTPHandler returns the handler of the HTTP transport: /mcp (Streamable
// HTTP, stateless), /healthz and /metrics, behind Host/Origin checks.
func (s *Server) HTTPHandler(cfg HTTPConfig) http.Handler {
	cfg = cfg.withDefaults()
	streamable := server.NewStreamableHTTPServer(s.mcp,
		// No session state: any replica behind a load balancer can serve
		// any request.
		server.WithStateLess(true),
		server.WithHTTPContextFunc(s.httpContext),
		// hostGuard below does this check, with --allowed-hosts.
		server.WithDisableLocalhostProtection(true),
		// Only the standalone GET stream: nothing is pushed outside a call,
		// and it would only hold a connection open. A POST still answers as
		// SSE when a call sends notifications (explain_log's progress), which
		// needs every wrapper of the ResponseWriter to keep http.Flusher.
		server.WithDisableStreaming(true),
		server.WithStreamableHTTPLogger(s.log),
	)
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.authenticate(cfg, newInflightRequests(), streamable))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
	})
	mux.Handle("GET /metrics", s.metrics.Handler())
	return s.hostGuard(cfg, mux)
}

type httpCallerKey struct{}

// httpContext hands the caller resolved by authenticate to the tools, with
// the problem its tool calls must answer, if any.
func (s *Server) httpContext(ctx context.Context, r *http.Request) context.Context {
	ctx = s.metrics.extractTraceContext(ctx, r.Header)
	if problem, ok := r.Context().Value(problemCtx{}).(*mcp.CallToolResult); ok {
		ctx = withProblem(ctx, problem)
	}
	if c, ok := r.Context().Value(httpCallerKey{}).(tools.Caller); ok {
		return tools.WithCaller(ctx, c)
	}
	return ctx
}

// hostGuard rejects foreign Host and Origin headers: a web page must not
// reach a local server through DNS rebinding or a cross-site request.
func (s *Server) hostGuard(cfg HTTPConfig, next http.Handler) http.Handler {
	listenHost, _, _ := net.SplitHostPort(cfg.Listen)
	allowed := map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
	if listenHost != "" && !isUnspecified(listenHost) {
		allowed[strings.ToLower(strings.Trim(listenHost, "[]"))] = true
	}
	anyHost := false
	for _, h := range cfg.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "*" {
			anyHost = true
		}
		if name, _, err := net.SplitHostPort(h); err == nil {
			h = name
		}
		if h != "" {
			allowed[strings.Trim(h, "[]")] = true
		}
	}
	hostAllowed := func(hostport string) bool {
		if anyHost {
			return true
		}
		host := hostport
		if name, _, err := net.SplitHostPort(hostport); err == nil {
			host = name
		}
		return allowed[strings.ToLower(strings.Trim(host, "[]"))]
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host) {
			s.metrics.reject(rejectHost)
			writeJSONError(w, http.StatusForbidden, "forbidden_host",
				fmt.Sprintf("Host %q is not allowed; add it with --allowed-hosts if this server is meant to be reached by that name", r.Host))
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !originAllowed(origin, hostAllowed) {
			s.metrics.reject(rejectOrigin)
			writeJSONError(w, http.StatusForbidden, "forbidden_origin",
				fmt.Sprintf("Origin %q is not allowed; add its host with --allowed-hosts to accept it", origin))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func originAllowed(origin string, hostAllowed func(string) bool) bool {
	scheme, rest, ok := strings.Cut(origin, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#@") {
		return false
	}
	return hostAllowed(rest)
}

// authenticate bounds the body, resolves the caller from the request's
// key and project header, and answers 401/403/400/413 itself, so that the
// MCP layer only sees requests it can serve. It also answers
// notifications/cancelled, scoped to the caller's key (see inflight).
func (s *Server) authenticate(cfg HTTPConfig, inflight *inflightRequests, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodDelete {
			// Stateless, without SSE GET streams: GET (and so HEAD, which
			// must agree with it) is 405, as the transport specifies for
			// a server that offers no stream.
			s.metrics.reject(rejectBadRequest)
			w.Header().Set("Allow", mcpMethods)
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			writeJSONError(w, http.StatusMethodNotAllowed, "method_not_allowed",
				fmt.Sprintf("%s is not supported on /mcp: this server is stateless and opens no SSE stream; send JSON-RPC messages with POST", r.Method))
			return
		}
		if v := r.Header.Get(mcp.HeaderProtocolVersion); v != "" && !mcp.IsValidProtocolVersion(v) {
			s.metrics.reject(rejectBadRequest)
			writeJSONRPCHTTPError(w, http.StatusBadRequest, mcp.INVALID_REQUEST, fmt.Sprintf(
				"invalid %s header %s: this server speaks %s", mcp.HeaderProtocolVersion, strconv.Quote(truncate(v, 40)),
				strings.Join(mcp.ValidProtocolVersions, ", ")))
			return
		}
		if r.ContentLength > cfg.MaxBodyBytes {
			s.rejectTooLarge(w, cfg.MaxBodyBytes)
			return
		}
		key, ok := s.requestKey(r)
		if !ok {
			s.metrics.reject(rejectUnauthorized)
			writeUnauthorized(w, "invalid_request", "malformed Authorization header: send Authorization: Bearer phx_...")
			return
		}
		if key == "" {
			s.metrics.reject(rejectUnauthorized)
			writeUnauthorized(w, "", "no PostHog API key: send Authorization: Bearer phx_... (a personal API key with the logs:read scope)")
			return
		}
		project, err := parseProjectHeader(r.Header.Get(ProjectHeader))
		if err != nil {
			s.metrics.reject(rejectBadRequest)
			writeJSONError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		caller, err := s.callers.resolve(r.Context(), key, project, clientAddr(r.RemoteAddr))
		var authErr *AuthError
		var projectErr *ProjectError
		var unreachable *UnreachableError
		var limitErr *RateLimitError
		switch {
		case errors.As(err, &limitErr):
			s.metrics.reject(rejectRateLimited)
			w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(limitErr.RetryAfter)))
			writeJSONError(w, http.StatusTooManyRequests, "rate_limited", limitErr.Msg)
			return
		case errors.As(err, &unreachable):
			// Serve the request: tools/list still works, and each tool call
			// says PostHog could not be reached (see UnreachableError).
			r = r.WithContext(withProblem(r.Context(), mcp.NewToolResultError("UPSTREAM_ERROR: "+unreachable.Error())))
		case errors.As(err, &authErr):
			s.metrics.reject(rejectUnauthorized)
			code := "invalid_request"
			if authErr.Rejected {
				code = "invalid_token"
			}
			writeUnauthorized(w, code, authErr.Msg)
			return
		case errors.As(err, &projectErr):
			s.metrics.reject(rejectForbidden)
			writeJSONError(w, http.StatusForbidden, "forbidden_project", projectErr.Msg)
			return
		case err != nil: // the client went away while we introspected
			writeJSONError(w, http.StatusServiceUnavailable, "unavailable", "could not check the API key: "+err.Error())
			return
		}
		if r.Body != nil && r.Method == http.MethodPost {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes))
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				s.rejectTooLarge(w, cfg.MaxBodyBytes)
				return
			}
			if err != nil {
				s.metrics.reject(rejectBadRequest)
				writeJSONError(w, http.StatusBadRequest, "invalid_request", "could not read the request body")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			ctx, release, done, id := inflight.trackCancellation(w, r, sha256.Sum256([]byte(key)), body)
			defer release()
			if done {
				return
			}
			if id != nil {
				tw := &trackingWriter{ResponseWriter: w}
				defer answerCancelled(tw, ctx, id)
				w = tw
			}
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), httpCallerKey{}, caller)))
	})
}

func (s *Server) rejectTooLarge(w http.ResponseWriter, limit int64) {
	s.metrics.reject(rejectBodyTooLarge)
	writeJSONError(w, http.StatusRequestEntityTooLarge, "request_too_large",
		fmt.Sprintf("request body larger than %d bytes", limit))
}

// requestKey returns the caller's key: the Bearer token, or the server's
// own key when the request has none, arrived on a loopback listener and is
// addressed to a loopback name (see addressedToLoopback).
// ok is false for a malformed Authorization header.
func (s *Server) requestKey(r *http.Request) (key string, ok bool) {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	if auth == "" {
		if s.opts.ServerKey != "" && onLoopbackListener(r) && addressedToLoopback(r) {
			return s.opts.ServerKey, true
		}
		return "", true
	}
	scheme, token, found := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > maxKeyLength || !printableASCII(token) {
		return "", false
	}
	return token, true
}

func parseProjectHeader(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer project id, got %q", ProjectHeader, truncate(v, 40))
	}
	return id, nil
}

// writeUnauthorized answers 401 with a Bearer challenge; code is the
// RFC 6750 error code, empty when the request simply carried no key.
func writeUnauthorized(w http.ResponseWriter, code, msg string) {
	challenge := fmt.Sprintf(`Bearer realm=%q`, Name)
	if code != "" {
		challenge += fmt.Sprintf(`, error=%q`, code)
	} else {
		code = "unauthorized"
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeJSONError(w, http.StatusUnauthorized, code, msg)
}

// mcpMethods are the methods /mcp serves (the Allow header of a 405).
const mcpMethods = "POST, DELETE"

// writeJSONRPCHTTPError answers with an HTTP error status and a JSON-RPC
// error without id, which MCP clients show as they would a server's error.
func writeJSONRPCHTTPError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(mcp.JSONRPCError{
		JSONRPC: mcp.JSONRPC_VERSION,
		ID:      mcp.NewRequestId(nil),
		Error:   mcp.JSONRPCErrorDetails{Code: code, Message: msg},
	})
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": msg})
}

func onLoopbackListener(r *http.Request) bool {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// addressedToLoopback reports whether the request names a loopback host in
// Host and, if it has one, in Origin. The server's own key is an ambient
// credential, so it is kept from requests that reach the loopback listener
// under another name, whatever --allowed-hosts accepts: a DNS-rebound page
// (Host: attacker.example, which "*" lets through) or a reverse proxy on the
// same machine (which would hand the key to everyone reaching the proxy).
// Those callers send their own key.
func addressedToLoopback(r *http.Request) bool {
	host := r.Host
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	if !isLoopbackName(host) {
		return false
	}
	origin := r.Header.Get("Origin")
	return origin == "" || originAllowed(origin, func(hostport string) bool {
		if name, _, err := net.SplitHostPort(hostport); err == nil {
			hostport = name
		}
		return isLoopbackName(hostport)
	})
}

// isLoopbackName reports whether a listen host is loopback. Other host
// names are treated as non-loopback: they may resolve anywhere.
func isLoopbackName(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isUnspecified(host string) bool {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsUnspecified()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
