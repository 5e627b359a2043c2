package sandbox

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Config configures a Sandbox. The zero value is ready to use.
type Config struct {
	// Now anchors the data set, generated over the 24 h before it. Zero means
	// time.Now() at New, and the sandbox's clock then runs with real time; a
	// non-zero Now also freezes the clock there ("now", default windows and
	// relative dates all resolve against it), which keeps tests reproducible.
	Now    time.Time
	Seed   int64        // zero: 1; same seed + same Now = same data
	Lines  int          // zero: 60000 log lines over the 24 h before Now
	Keys   []Key        // nil: DemoKeys()
	Logger *slog.Logger // nil: discard
}

// Sandbox is an in-memory PostHog Logs API. It is an http.Handler and is
// safe for concurrent use: the log data is immutable after New, while saved
// views, faults and the request record are guarded by their own mutexes.
type Sandbox struct {
	anchor time.Time
	frozen bool
	logger *slog.Logger
	keys   map[string]Key
	rows   []logRow // project 1's logs, sorted by (timestamp, uuid)

	views    *viewStore
	faults   faultQueue
	recorder recorder
}

// New generates the data set and returns a ready Sandbox.
func New(cfg Config) *Sandbox {
	anchor, frozen := cfg.Now, !cfg.Now.IsZero()
	if !frozen {
		anchor = time.Now()
	}
	anchor = anchor.UTC().Truncate(time.Microsecond)
	seed := cfg.Seed
	if seed == 0 {
		seed = 1
	}
	lines := cfg.Lines
	if lines <= 0 {
		lines = defaultLines
	}
	keys := cfg.Keys
	if keys == nil {
		keys = DemoKeys()
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Sandbox{
		anchor: anchor,
		frozen: frozen,
		logger: logger,
		keys:   make(map[string]Key, len(keys)),
		rows:   generate(anchor, seed, lines),
		views:  newViewStore(anchor, seed),
	}
	for _, k := range keys {
		s.keys[k.Token] = k
	}
	return s
}

// Now returns the time the data set was generated relative to.
func (s *Sandbox) Now() time.Time { return s.anchor }

// clock is the sandbox's "now" for resolving windows and relative dates.
func (s *Sandbox) clock() time.Time {
	if s.frozen {
		return s.anchor
	}
	return time.Now().UTC()
}

// rowsFor returns the logs of a project; only ProjectID holds any.
func (s *Sandbox) rowsFor(project int64) []logRow {
	if project == ProjectID {
		return s.rows
	}
	return nil
}

// maxBodyBytes bounds request bodies; larger ones get 413.
const maxBodyBytes = 1 << 20

// ServeHTTP records the request, applies any injected fault, then answers
// as PostHog would.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, tooLarge := readBody(w, r)
	s.recorder.add(r, body)
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		s.logger.Debug("sandbox request", "method", r.Method, "path", r.URL.Path, "status", sw.status)
	}()

	if fault, ok := s.faults.take(r.URL.Path); ok {
		if handled := s.applyFault(sw, r, fault); handled {
			return
		}
	}
	if tooLarge {
		writeAPIError(sw, r, errTooLarge())
		return
	}
	s.dispatch(sw, r, body)
}

func readBody(w http.ResponseWriter, r *http.Request) (body []byte, tooLarge bool) {
	if r.Body == nil {
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var maxErr *http.MaxBytesError
		return body, errors.As(err, &maxErr)
	}
	return body, false
}

// statusWriter remembers the status for the debug log line. Unwrap lets
// http.ResponseController reach Hijack for FaultReset.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
