package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/bench"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// httpWarmup runs before the measured window: connections open, the key's
// introspection is cached, the server's heap reaches its working size.
const httpWarmup = 2 * time.Second

// loadResult is what the load generator saw in the measured window.
type loadResult struct {
	calls     int64
	errors    int64
	firstErr  error
	elapsed   time.Duration
	latencies []time.Duration
}

// measureHTTP runs the server binary with --transport http against an
// in-memory PostHog answering the same 50-row page, and drives it with
// concurrent mcp-go Streamable HTTP clients, each calling query_logs in a
// loop.
func measureHTTP(ctx context.Context, bin string, sb *sandbox.Server, clients int, duration time.Duration, loadgen string) (*section, error) {
	sec := &section{title: fmt.Sprintf("Streamable HTTP throughput (%d %s clients, %s, server binary in its own process)", clients, loadgen, duration)}
	page, err := bench.CaptureFixture(sb.Sandbox, bench.PageArgs(sb.Now().Add(-time.Hour), sb.Now()))
	if err != nil {
		return nil, err
	}
	// Key introspection goes to the sandbox; every query gets the canned page.
	backend := httptest.NewServer(bench.PageHandler(page.Body, sb.Sandbox))
	defer backend.Close()

	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	var stderr limitedBuffer
	cmd := exec.CommandContext(ctx, bin, "--transport", "http", "--listen", addr, "--log-level", "warn")
	// No server key: every caller sends its own, as a team deployment does.
	cmd.Env = serverEnv(backend.URL, "")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer stopServer(cmd)
	if err := waitHealthy(ctx, "http://"+addr+"/healthz", 10*time.Second); err != nil {
		return nil, fmt.Errorf("%w; server stderr: %s", err, stderr.String())
	}
	pid := cmd.Process.Pid

	// The server's clock is real: ask for the last hour (the page is canned).
	now := time.Now().UTC().Truncate(time.Second)
	args := bench.PageArgs(now.Add(-time.Hour), now)
	res, cpuUsed, genCPU, err := runLoad(ctx, "http://"+addr+"/mcp", clients, duration, args, pid, loadgen)
	if err != nil {
		return nil, fmt.Errorf("%w; server stderr: %s", err, stderr.String())
	}
	rss, peak, err := processMemory(pid)
	if err != nil {
		return nil, err
	}

	rate := float64(res.calls) / res.elapsed.Seconds()
	sec.check("tool calls per second", fmt.Sprintf("%.0f", rate), "≥ 1,500", rate >= 1500 && res.errors == 0)
	sec.add("calls in the measured window (errors)", fmt.Sprintf("%d (%d)", res.calls, res.errors))
	sec.add("call latency p50 / p99", fmt.Sprintf("%s / %s", ms(percentile(res.latencies, 50)), ms(percentile(res.latencies, 99))))
	sec.check("server peak resident memory (VmHWM)", mib(peak), "< 60 MB", peak < 60_000_000)
	sec.add("server resident memory at the end (VmRSS)", mib(rss))
	if res.calls > 0 {
		sec.add("server CPU per call", ms(cpuUsed/time.Duration(res.calls)))
	}
	sec.add("CPU used: server / load generator + backend", fmt.Sprintf("%.2f / %.2f cores", cpuUsed.Seconds()/res.elapsed.Seconds(), genCPU.Seconds()/res.elapsed.Seconds()))
	if res.firstErr != nil {
		sec.note("first error: %v", res.firstErr)
	}
	sec.note("backend: an httptest server in the load generator's process answering every logs/query/ with the same %d-row page (%d bytes) from memory; key introspection answered by the sandbox, then cached by the server", bench.PageRows, len(page.Body))
	if loadgen == "raw" {
		sec.note("each client is a lean Go HTTP client (initialize once, then the same tools/call POST on a keep-alive connection, each answer checked for a successful query_logs page without decoding it), sending Authorization: Bearer <sandbox full key>; the server runs without POSTHOG_PERSONAL_API_KEY (every caller brings its key)")
	} else {
		sec.note("each client is an mcp-go Streamable HTTP client with its own connection pool, sending Authorization: Bearer <sandbox full key>; the server runs without POSTHOG_PERSONAL_API_KEY (every caller brings its key)")
	}
	sec.note("measured window follows a %s warm-up; load generator, backend and server share the machine's cores", httpWarmup)
	return sec, nil
}

// runLoad connects the clients, warms up, then counts the calls completed
// in the measured window. It also returns the server's CPU time and this
// process's CPU time over that window.
func runLoad(ctx context.Context, url string, clients int, duration time.Duration, args map[string]any, pid int, loadgen string) (loadResult, time.Duration, time.Duration, error) {
	var callers []func(context.Context) (time.Duration, error)
	conns := make([]*mcpclient.Client, 0, clients)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	quiet := slog.New(slog.DiscardHandler)
	for range clients {
		if loadgen == "raw" {
			rc, err := newRawClient(ctx, url, args)
			if err != nil {
				return loadResult{}, 0, 0, err
			}
			callers = append(callers, rc.timedCall)
			continue
		}
		tr, err := transport.NewStreamableHTTP(url,
			transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + sandbox.KeyFull}),
			transport.WithHTTPBasicClient(&http.Client{Timeout: maxCallTime, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}),
			transport.WithHTTPLogger(quiet))
		if err != nil {
			return loadResult{}, 0, 0, err
		}
		c := mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(bench.ProtocolVersion))
		if err := c.Start(ctx); err != nil {
			return loadResult{}, 0, 0, err
		}
		conns = append(conns, c)
		if _, err := c.Initialize(ctx, initializeRequest()); err != nil {
			return loadResult{}, 0, 0, fmt.Errorf("initialize over Streamable HTTP: %w", err)
		}
		callers = append(callers, func(ctx context.Context) (time.Duration, error) {
			return timedToolCall(ctx, c, tools.NameQueryLogs, args)
		})
	}

	var (
		measuring atomic.Bool
		calls     atomic.Int64
		failures  atomic.Int64
		mu        sync.Mutex
		firstErr  error
		latencies = make([][]time.Duration, len(callers))
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	for i, call := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				d, err := call(ctx)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					failures.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				calls.Add(1)
				latencies[i] = append(latencies[i], d)
			}
		}()
	}

	time.Sleep(httpWarmup)
	serverCPU0, err := processCPU(pid)
	if err != nil {
		close(stop)
		wg.Wait()
		return loadResult{}, 0, 0, err
	}
	genCPU0 := bench.ProcessCPU()
	start := time.Now()
	measuring.Store(true)
	time.Sleep(duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	n, failed := calls.Load(), failures.Load()
	serverCPU1, err := processCPU(pid)
	genCPU := bench.ProcessCPU() - genCPU0
	close(stop)
	wg.Wait()
	if err != nil {
		return loadResult{}, 0, 0, err
	}
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	if n == 0 {
		if firstErr == nil {
			firstErr = errors.New("no call completed")
		}
		return loadResult{}, 0, 0, firstErr
	}
	return loadResult{calls: n, errors: failed, firstErr: firstErr, elapsed: elapsed, latencies: all},
		serverCPU1 - serverCPU0, genCPU, nil
}

// stopServer asks the server to shut down gracefully, then kills it if it
// does not exit in time.
func stopServer(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// limitedBuffer keeps the first 64 KiB written to it (a server's stderr
// for error messages) and drops the rest.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 64<<10 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*limitedBuffer)(nil)
