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
	// Now pins the sandbox: it is the anchor of the data set (generated
	// over the 24 h before it, the incident two hours before it) and the
	// clock stands still there ("now", default windows and relative dates
	// all resolve against it, no line arrives), which keeps tests
	// reproducible. Zero: the clock runs (see Clock) and the anchor is 30
	// minutes past the UTC hour in which New runs, so every sandbox started
	// in the same hour holds the same data.
	Now time.Time
	// Clock is the running clock when Now is zero; nil means time.Now.
	// Tests use it to start sandboxes at chosen instants and move time on.
	Clock  func() time.Time
	Seed   int64        // zero: 1; same seed + same anchor = same data
	Lines  int          // zero: 60000 log lines per 24 h
	Keys   []Key        // nil: DemoKeys()
	Logger *slog.Logger // nil: discard
}

// Sandbox is an in-memory PostHog Logs API. It is an http.Handler and is
// safe for concurrent use: generated rows never change (live minutes are
// appended as the clock reaches them, see live.go), while saved views,
// faults and the request record are guarded by their own mutexes.
type Sandbox struct {
	anchor  time.Time
	frozen  bool
	clockFn func() time.Time
	logger  *slog.Logger
	keys    map[string]Key
	data    *dataset
	rows    []logRow // the generated day before the anchor, sorted by (timestamp, uuid)

	views       *viewStore
	faults      faultQueue
	recorder    recorder
	diffLimiter rateLimiter // logs/patterns_diff's own per-key limits
}

// New generates the data set and returns a ready Sandbox.
func New(cfg Config) *Sandbox {
	clockFn := cfg.Clock
	if clockFn == nil {
		clockFn = time.Now
	}
	anchor, frozen := cfg.Now, !cfg.Now.IsZero()
	if !frozen {
		anchor = hourAnchor(clockFn())
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
	data := newDataset(anchor, seed, lines, !frozen)
	s := &Sandbox{
		anchor:  anchor,
		frozen:  frozen,
		clockFn: clockFn,
		logger:  logger,
		keys:    make(map[string]Key, len(keys)),
		data:    data,
		rows:    data.base,
		views:   newViewStore(anchor, seed),
	}
	for _, k := range keys {
		s.keys[k.Token] = k
	}
	return s
}

// Now returns the anchor the data set is told relative to: Config.Now when
// pinned, else 30 minutes past the UTC hour in which New ran (so up to 30
// minutes ahead of the clock; lines stamped after the clock stay hidden
// until it reaches them). The incident is at fixed offsets before it: see
// Incident.
func (s *Sandbox) Now() time.Time { return s.anchor }

// Clock returns the sandbox's current time: what "now", relative dates
// and default windows resolve against, and how far lines have arrived.
func (s *Sandbox) Clock() time.Time { return s.clock() }

// clock is the sandbox's "now" for resolving windows and relative dates.
func (s *Sandbox) clock() time.Time {
	if s.frozen {
		return s.anchor
	}
	return s.clockFn().UTC()
}

// rowsFor returns the logs of a project stamped up to now; only ProjectID
// holds any.
func (s *Sandbox) rowsFor(project int64, now time.Time) []logRow {
	if project == ProjectID {
		return s.data.visible(now.UnixMicro())
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
