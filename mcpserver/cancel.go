package mcpserver

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
)

// Cancellation over stateless HTTP.
//
// mcp-go files each in-flight request under "<session id>:<JSON-RPC id>"
// and a notifications/cancelled cancels whatever is filed under the same
// name. Stateless HTTP serves every request (of either protocol era) with a
// session whose id is empty, so all callers share one namespace of request
// ids, and those are small sequential integers: any caller could cancel
// any other caller's calls. The HTTP transport therefore answers
// notifications/cancelled itself, and only cancels requests that came with
// the same key.

// inflightRequests files the in-flight requests of the HTTP transport by
// key and JSON-RPC id.
type inflightRequests struct {
	mu   sync.Mutex
	reqs map[inflightID]map[*inflightRequest]struct{}
}

type inflightID struct {
	key [sha256.Size]byte // the caller's key, hashed
	id  string            // the JSON-RPC id, as canonical JSON
}

type inflightRequest struct{ cancel context.CancelFunc }

func newInflightRequests() *inflightRequests {
	return &inflightRequests{reqs: map[inflightID]map[*inflightRequest]struct{}{}}
}

// add files a request; the returned function removes it.
func (f *inflightRequests) add(id inflightID, cancel context.CancelFunc) (remove func()) {
	req := &inflightRequest{cancel: cancel}
	f.mu.Lock()
	set := f.reqs[id]
	if set == nil {
		set = map[*inflightRequest]struct{}{}
		f.reqs[id] = set
	}
	set[req] = struct{}{}
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.reqs[id], req)
		if len(f.reqs[id]) == 0 {
			delete(f.reqs, id)
		}
	}
}

// cancel cancels the requests filed under id.
func (f *inflightRequests) cancel(id inflightID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for req := range f.reqs[id] {
		req.cancel()
	}
}

// jsonRPCEnvelope is what the transport needs to know of a message. It
// decodes like mcp-go does (the method and the id through encoding/json
// struct fields, a notification's params as a map), so that both agree on
// what a message is.
type jsonRPCEnvelope struct {
	Method string          `json:"method"`
	ID     any             `json:"id"`
	Params json.RawMessage `json:"params"`
}

// trackCancellation handles one POSTed message of a caller whose hashed key
// is key. A notifications/cancelled is answered here (202) and done is
// true. A request gets a context that the caller's own cancellations can
// end; release must be called when it has been served.
//
// A request its caller cancels ends with errCancelledByCaller as the cause
// of ctx; id is its JSON-RPC id, to answer it (see answerCancelled).
func (f *inflightRequests) trackCancellation(w http.ResponseWriter, r *http.Request, key [sha256.Size]byte, body []byte) (ctx context.Context, release func(), done bool, id any) {
	ctx, release = r.Context(), func() {}
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mediaType != "application/json" {
		return ctx, release, false, nil // mcp-go refuses it
	}
	var msg jsonRPCEnvelope
	if json.Unmarshal(body, &msg) != nil {
		return ctx, release, false, nil // mcp-go answers the parse error
	}
	if msg.ID == nil {
		if msg.Method != string(mcp.MethodNotificationCancelled) {
			return ctx, release, false, nil
		}
		var params map[string]any
		if json.Unmarshal(msg.Params, &params) == nil {
			if id, ok := canonicalID(params["requestId"]); ok {
				f.cancel(inflightID{key: key, id: id})
			}
		}
		w.WriteHeader(http.StatusAccepted)
		return ctx, release, true, nil
	}
	canonical, ok := canonicalID(msg.ID)
	if !ok || msg.Method == "" {
		return ctx, release, false, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	remove := f.add(inflightID{key: key, id: canonical}, func() { cancel(errCancelledByCaller) })
	return ctx, func() { remove(); cancel(nil) }, false, msg.ID
}

var errCancelledByCaller = errors.New("cancelled by the caller (notifications/cancelled)")

// answerCancelled answers a request its caller cancelled, if nothing was
// written yet: mcp-go drops the response of a request whose context ended,
// which over HTTP would leave an empty 200, a response the transport does
// not allow for a request. A JSON-RPC error says what happened.
func answerCancelled(w *trackingWriter, ctx context.Context, id any) {
	if w.wrote || !errors.Is(context.Cause(ctx), errCancelledByCaller) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(mcp.JSONRPCError{
		JSONRPC: mcp.JSONRPC_VERSION,
		ID:      mcp.NewRequestId(id),
		Error: mcp.JSONRPCErrorDetails{
			Code:    mcp.REQUEST_INTERRUPTED,
			Message: "request cancelled by the client (notifications/cancelled)",
		},
	})
}

// trackingWriter notes whether anything was written.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackingWriter) WriteHeader(status int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush keeps SSE answers streaming through the wrapper.
func (w *trackingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.wrote = true
		f.Flush()
	}
}

func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// canonicalID renders a JSON-RPC id (a string or a number) so that equal
// ids compare equal: 7 and 7.0 alike, "7" apart.
func canonicalID(v any) (string, bool) {
	switch v.(type) {
	case string, float64:
		b, err := json.Marshal(v)
		return string(b), err == nil
	}
	return "", false
}
