package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// ServeStdio serves MCP over in/out for the one caller whose key is key
// (POSTHOG_PERSONAL_API_KEY) until in ends, out is closed by the client, or
// ctx is cancelled. Each request resolves the caller from the cached
// introspection (see ConfiguredCaller): a problem with the key or the host
// is answered by every tool call, and retried, rather than ending the
// server. out carries nothing but JSON-RPC; diagnostics go to the Logger.
// mcp-go keeps one stdio session per process, so run at most one
// ServeStdio at a time.
//
// Lines longer than the HTTP body cap (DefaultMaxBodyBytes) are answered
// with a JSON-RPC error and skipped without being held whole: mcp-go reads
// a whole line into memory before looking at it. A client that closes out
// ends the session cleanly (nil). Cancelling ctx is a graceful shutdown:
// new calls are refused, running calls may finish within the shutdown
// grace period and are then answered CANCELLED.
//
// The goroutine reading in stays blocked in its Read until in delivers
// something or is closed; the command exits, tests close in.
func (s *Server) ServeStdio(ctx context.Context, key string, in io.Reader, out io.Writer) error {
	w := &stdioWriter{w: out, broken: make(chan struct{})}
	pr, pw := io.Pipe()
	stdio := server.NewStdioServer(s.mcp)
	stdio.SetErrorLogger(slog.NewLogLogger(s.log.Handler(), slog.LevelError))
	stdio.SetContextFunc(func(ctx context.Context) context.Context {
		return withConfiguredKey(ctx, key)
	})
	// mcp-go cancels every running call as soon as its context ends; a
	// shutdown must let them finish first, so it only sees end of input.
	listened := make(chan error, 1)
	go func() { listened <- stdio.Listen(context.WithoutCancel(ctx), pr, w) }()
	read := make(chan error, 1)
	go func() { read <- forwardLines(pw, in, w, DefaultMaxBodyBytes) }()

	var readErr error
	select {
	case readErr = <-read:
		// The client closed stdin: it is gone, and so are its calls.
	case <-w.broken:
		s.log.Info("the client closed stdout; ending the session")
	case <-ctx.Done():
		s.drain()
	}
	_ = pw.Close()
	err := <-listened
	switch {
	case w.isBroken():
		return nil
	case readErr != nil:
		return fmt.Errorf("read stdin: %w", readErr)
	case errors.Is(err, context.Canceled) || errors.Is(err, io.EOF):
		return nil
	}
	return err
}

// stdioWriter serialises whole lines to out (mcp-go writes each message
// with one Write, and so do we) and notices when the client has closed
// it: every later write fails at once instead of going to a dead pipe.
type stdioWriter struct {
	mu     sync.Mutex
	w      io.Writer
	once   sync.Once
	broken chan struct{}
}

var errOutputClosed = errors.New("stdout closed by the client")

func (w *stdioWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.isBroken() {
		return 0, errOutputClosed
	}
	n, err := w.w.Write(p)
	if err != nil {
		// EPIPE, or any failure: a partial line cannot be repaired, and
		// the client can no longer read answers.
		w.once.Do(func() { close(w.broken) })
	}
	return n, err
}

func (w *stdioWriter) isBroken() bool {
	select {
	case <-w.broken:
		return true
	default:
		return false
	}
}

// forwardLines copies newline-delimited messages from src to dst, holding
// at most max bytes of one. A longer line is skipped to its end, reading
// it in chunks, and answered on out with a JSON-RPC error. It returns nil
// at the end of src, or when dst is closed.
func forwardLines(dst io.Writer, src io.Reader, out io.Writer, max int) error {
	br := bufio.NewReaderSize(src, 64<<10)
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) > max+1 { // +1: the newline
			tooLong = true
		}
		if !tooLong {
			line = append(line, chunk...)
		} else if len(line) < maxIDPrefix {
			// Keep the beginning: it usually names the request's id.
			line = append(line, chunk[:min(len(chunk), maxIDPrefix-len(line))]...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == nil: // a whole line
			if tooLong {
				if _, err := out.Write(tooLongResponse(line, max)); err != nil {
					return nil
				}
			} else if _, err := dst.Write(line); err != nil {
				return nil // the session is over
			}
		case errors.Is(err, io.EOF):
			if len(line) > 0 && !tooLong {
				_, _ = dst.Write(line) // what mcp-go does with a last line without newline is its call
			}
			return nil
		default:
			return err
		}
		line, tooLong = line[:0], false
		if cap(line) > 256<<10 {
			line = nil // do not pin a large buffer between messages
		}
	}
}

// maxIDPrefix is how much of an over-long line is kept to find its id.
const maxIDPrefix = 512

// leadingID finds a request id at the top level of a message's first
// bytes, before any "params" (where an "id" key would be another one's).
var leadingID = regexp.MustCompile(`^\s*\{(?:\s*"(?:jsonrpc|method)"\s*:\s*"[^"\\]*"\s*,)*\s*"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")`)

// tooLongResponse is the JSON-RPC error line for an over-long message:
// with its id when the message's beginning names it, else with a null id.
func tooLongResponse(prefix []byte, max int) []byte {
	var id any
	if m := leadingID.FindSubmatch(prefix); m != nil {
		var v any
		if json.Unmarshal(m[1], &v) == nil {
			id = v
		}
	}
	b, _ := json.Marshal(map[string]any{
		"jsonrpc": mcp.JSONRPC_VERSION,
		"id":      id,
		"error": map[string]any{
			"code":    mcp.INVALID_REQUEST,
			"message": fmt.Sprintf("message too large: a message is limited to %d bytes; this one was discarded", max),
		},
	})
	return append(b, '\n')
}
