package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

func TestForwardLines(t *testing.T) {
	const max = 64
	long := strings.Repeat("x", 200)
	tests := []struct {
		name    string
		in      string
		forward string
		answer  string // substring of the error line ("" for none)
	}{
		{"short lines pass", "{\"a\":1}\n{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n", ""},
		{"line of exactly the cap", strings.Repeat("y", max) + "\n", strings.Repeat("y", max) + "\n", ""},
		{"long request answered with its id", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"s":"` + long + "\"}}\n{\"ok\":1}\n", "{\"ok\":1}\n", `"id":7`},
		{"string id", `{"id":"a-1","params":"` + long + "\"}\n", "", `"id":"a-1"`},
		{"id inside params is not the request's", `{"params":{"id":5,"s":"` + long + "\"}}\n", "", `"id":null`},
		{"last line without newline", "{\"a\":1}", "{\"a\":1}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst, out strings.Builder
			if err := forwardLines(&dst, strings.NewReader(tt.in), &out, max); err != nil {
				t.Fatal(err)
			}
			if dst.String() != tt.forward {
				t.Errorf("forwarded %q, want %q", dst.String(), tt.forward)
			}
			if tt.answer == "" && out.Len() > 0 || !strings.Contains(out.String(), tt.answer) {
				t.Errorf("answered %q, want %q", out.String(), tt.answer)
			}
			if tt.answer != "" && !strings.Contains(out.String(), "message too large") {
				t.Errorf("answer %q does not say why", out.String())
			}
		})
	}
}

// endlessLine is a line of n bytes, generated as it is read.
type endlessLine struct{ left int }

func (e *endlessLine) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	n := min(len(p), e.left)
	for i := range n {
		p[i] = 'x'
	}
	if e.left == n {
		p[n-1] = '\n'
	}
	e.left -= n
	return n, nil
}

// TestForwardLinesDoesNotHoldALongLine: a 50 MB line costs about the cap
// in memory, not 50 MB.
func TestForwardLinesDoesNotHoldALongLine(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var out strings.Builder
	if err := forwardLines(io.Discard, &endlessLine{left: 50 << 20}, &out, DefaultMaxBodyBytes); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("a 50 MB line allocated %d bytes", alloc)
	}
	if !strings.Contains(out.String(), "message too large") {
		t.Fatalf("answer %q", out.String())
	}
}

// stdioSession runs ServeStdio over pipes.
type stdioSession struct {
	in     *io.PipeWriter
	out    *bufio.Reader
	outR   *io.PipeReader
	served chan error
}

func startStdio(t *testing.T, s *Server, ctx context.Context, out io.Writer) *stdioSession {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	if out == nil {
		out = outW
	}
	ss := &stdioSession{in: inW, out: bufio.NewReader(outR), outR: outR, served: make(chan error, 1)}
	go func() {
		ss.served <- s.ServeStdio(ctx, "phx_stdio_key", inR, out)
		_ = outW.Close()
	}()
	t.Cleanup(func() { _ = inW.Close(); _ = outR.Close() })
	return ss
}

func (ss *stdioSession) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(ss.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// answer reads the next message with the given id.
func (ss *stdioSession) answer(t *testing.T, id string) string {
	t.Helper()
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		for {
			line, err := ss.out.ReadString('\n')
			if err != nil {
				ch <- res{"", err}
				return
			}
			var msg struct {
				ID json.RawMessage `json:"id"`
			}
			if json.Unmarshal([]byte(line), &msg) == nil && string(msg.ID) == id {
				ch <- res{line, nil}
				return
			}
		}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("reading answer %s: %v", id, r.err)
		}
		return r.line
	case <-time.After(15 * time.Second):
		t.Fatalf("no answer with id %s", id)
	}
	return ""
}

const stdioInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// TestStdioLongLine: over stdio, a message longer than the cap is answered
// with a JSON-RPC error carrying its id, and the session goes on.
func TestStdioLongLine(t *testing.T) {
	upstream, _ := newBlockingPostHog(t)
	s := newTestServer(t, upstream.URL, tools.Config{}, nil)
	ss := startStdio(t, s, context.Background(), nil)
	ss.send(t, stdioInit)
	ss.answer(t, "1")
	ss.send(t, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"query_logs","arguments":{"search":"`+strings.Repeat("x", 2*DefaultMaxBodyBytes)+`"}}}`)
	if a := ss.answer(t, "2"); !strings.Contains(a, `"error"`) || !strings.Contains(a, "message too large") {
		t.Fatalf("answer to the long line: %.300s", a)
	}
	ss.send(t, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`)
	if a := ss.answer(t, "3"); !strings.Contains(a, `"tools"`) {
		t.Fatalf("tools/list after the long line: %.300s", a)
	}
	_ = ss.in.Close()
	if err := <-ss.served; err != nil {
		t.Fatalf("ServeStdio: %v", err)
	}
}

// brokenPipe fails every write after the first n, as a closed stdout does.
type brokenPipe struct {
	w io.Writer
	n int
}

func (b *brokenPipe) Write(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, syscall.EPIPE
	}
	b.n--
	return b.w.Write(p)
}

// TestStdioClientClosesStdout: when answers can no longer be written, the
// session ends cleanly (nil), although stdin stays open.
func TestStdioClientClosesStdout(t *testing.T) {
	upstream, _ := newBlockingPostHog(t)
	s := newTestServer(t, upstream.URL, tools.Config{}, nil)
	outR, outW := io.Pipe()
	defer outR.Close()
	ss := startStdio(t, s, context.Background(), &brokenPipe{w: outW, n: 1})
	ss.out = bufio.NewReader(outR)
	ss.send(t, stdioInit)
	ss.answer(t, "1")
	ss.send(t, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	select {
	case err := <-ss.served:
		if err != nil {
			t.Fatalf("ServeStdio: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio still running after stdout broke")
	}
}

// TestStdioShutdown: cancelling the context lets a running call go on
// until the grace period ends, then answers it CANCELLED, and returns nil.
func TestStdioShutdown(t *testing.T) {
	upstream, ph := newBlockingPostHog(t)
	s := newTestServer(t, upstream.URL, tools.Config{}, func(o *Options) { o.ShutdownGrace = 200 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ss := startStdio(t, s, ctx, nil)
	ss.send(t, stdioInit)
	ss.answer(t, "1")
	ss.send(t, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_services","arguments":{}}}`)
	select {
	case <-ph.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the call never reached PostHog")
	}
	cancel()
	if a := ss.answer(t, "2"); !strings.Contains(a, cancelledMessage) || !strings.Contains(a, `"isError":true`) {
		t.Fatalf("running call at the end of the grace period: %s", a)
	}
	select {
	case err := <-ss.served:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("ServeStdio: %v", err)
		}
		if err != nil {
			t.Fatalf("ServeStdio returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after the grace period")
	}
}
