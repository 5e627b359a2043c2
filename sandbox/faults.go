package sandbox

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is a way for the sandbox to misbehave, for testing clients.
type FaultKind int

// The faults a test can inject.
const (
	FaultThrottle           FaultKind = iota + 1 // 429, PostHog throttled body, detail "Request was throttled. Expected available in 1 seconds.", NO Retry-After header
	FaultThrottleRetryAfter                      // 429 with Retry-After: 1
	FaultUnavailable                             // 503 {"error":"..."}
	FaultBadGateway                              // 502 with an HTML page (like a proxy)
	FaultReset                                   // hijack the connection and close it without answering
	FaultGarbage                                 // 200, Content-Type application/json, body not JSON
	FaultSlow                                    // sleep Fault.Delay (respecting request ctx), then answer normally
	FaultOversized                               // 200 JSON body of Fault.Size bytes (valid JSON prefix, e.g. {"results":[... huge string ...]})
)

// Fault is an injected misbehaviour. Delay is used by FaultSlow, Size by
// FaultOversized.
type Fault struct {
	Kind  FaultKind
	Delay time.Duration
	Size  int64
}

type faultRule struct {
	pathSuffix string
	fault      Fault
	remaining  int
}

// faultQueue holds injected faults in injection order.
type faultQueue struct {
	mu    sync.Mutex
	rules []*faultRule
}

// InjectFault makes the next `times` requests whose path ends with
// pathSuffix (e.g. "logs/query/"; "" matches every path) get the fault
// instead of a normal answer. Faults injected earlier are served first.
//
// Note for FaultReset: Go's http.Transport silently retries an idempotent
// request (GET) once when a reused keep-alive connection dies before any
// answer, so inject it twice to make such a client see the failure.
func (s *Sandbox) InjectFault(pathSuffix string, f Fault, times int) {
	if times <= 0 {
		return
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = append(s.faults.rules, &faultRule{pathSuffix: pathSuffix, fault: f, remaining: times})
}

// ClearFaults drops every pending fault.
func (s *Sandbox) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rules = nil
}

// take consumes one use of the first pending fault matching path.
func (q *faultQueue) take(path string) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, rule := range q.rules {
		if !strings.HasSuffix(path, rule.pathSuffix) {
			continue
		}
		rule.remaining--
		if rule.remaining <= 0 {
			q.rules = append(q.rules[:i], q.rules[i+1:]...)
		}
		return rule.fault, true
	}
	return Fault{}, false
}

const badGatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// applyFault answers with the fault. It reports false when the request
// should still get its normal answer (FaultSlow after its delay).
func (s *Sandbox) applyFault(w http.ResponseWriter, r *http.Request, f Fault) (handled bool) {
	switch f.Kind {
	case FaultThrottle, FaultThrottleRetryAfter:
		e := drfError(http.StatusTooManyRequests, "throttled_error", "throttled",
			"Request was throttled. Expected available in 1 seconds.", "")
		if f.Kind == FaultThrottleRetryAfter {
			e.header = map[string]string{"Retry-After": "1"}
		}
		writeAPIError(w, r, e)
	case FaultUnavailable:
		writeAPIError(w, r, errPlain(http.StatusServiceUnavailable, "Service temporarily unavailable, please try again later."))
	case FaultBadGateway:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(badGatewayPage))
	case FaultReset:
		resetConnection(w)
	case FaultGarbage:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`<!-- not json -->{"results": [tru`))
	case FaultSlow:
		timer := time.NewTimer(f.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
			return false
		case <-r.Context().Done():
			return true
		}
	case FaultOversized:
		writeOversized(w, f.Size)
	default:
		return false
	}
	return true
}

// resetConnection closes the TCP connection without answering, with
// SO_LINGER 0 so the client sees a reset rather than a clean EOF.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not a real connection (e.g. httptest.ResponseRecorder): let
		// net/http abort the response instead.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// writeOversized streams {"results":["xxxx..."]} of exactly size bytes
// (or the smallest such document when size is smaller).
func writeOversized(w http.ResponseWriter, size int64) {
	const prefix, suffix = `{"results":["`, `"]}`
	filler := max(0, size-int64(len(prefix)+len(suffix)))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.FormatInt(filler+int64(len(prefix)+len(suffix)), 10))
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(prefix))
	chunk := []byte(strings.Repeat("x", 32<<10))
	for filler > 0 {
		n := min(filler, int64(len(chunk)))
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		filler -= n
	}
	w.Write([]byte(suffix))
}
