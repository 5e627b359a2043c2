package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/bench"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// stdioWarmup calls of each kind run before measuring: connections are
// opened and code paths warmed, as in a session that has been going on.
const stdioWarmup = 20

// maxCallTime bounds one call in any measurement: a hung server fails the
// run instead of stalling it.
const maxCallTime = 10 * time.Second

// measureStdio compares an MCP query_logs call over stdio with a direct
// HTTP POST of the same query to the same sandbox, interleaved so that
// both see the same machine conditions.
func measureStdio(ctx context.Context, bin string, sb *sandbox.Server, calls int, latency time.Duration) (*section, error) {
	sec := &section{title: fmt.Sprintf("stdio overhead: MCP query_logs vs direct HTTP (%d calls each, %d rows, interleaved, backend latency +%s)", calls, bench.PageRows, latency)}
	args := bench.PageArgs(sb.Now().Add(-time.Hour), sb.Now())
	// Both paths reach the sandbox through the same front, which can add
	// the latency of a real PostHog to each logs query.
	front := httptest.NewServer(delayQueries(sb.Sandbox, latency))
	defer front.Close()

	var server *exec.Cmd
	tr := transport.NewStdioWithOptions(bin, nil, nil, transport.WithCommandFunc(
		func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			server = exec.CommandContext(ctx, command, args...)
			server.Env = serverEnv(front.URL, sandbox.KeyFull)
			return server, nil
		}))
	c := mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(bench.ProtocolVersion))
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("start %s over stdio: %w", bin, err)
	}
	defer c.Close()
	if _, err := c.Initialize(ctx, initializeRequest()); err != nil {
		return nil, fmt.Errorf("initialize over stdio: %w", err)
	}
	mcpCall := func() (time.Duration, error) {
		return timedToolCall(ctx, c, tools.NameQueryLogs, args)
	}

	sb.ResetRequests()
	if _, err := mcpCall(); err != nil {
		return nil, err
	}
	upstream, err := lastQueryRequest(sb)
	if err != nil {
		return nil, err
	}
	direct := directCaller(front.URL, upstream)
	for range stdioWarmup {
		if _, err := mcpCall(); err != nil {
			return nil, err
		}
		if _, _, err := direct(ctx); err != nil {
			return nil, err
		}
	}

	cpuBefore, err := processCPU(server.Process.Pid)
	if err != nil {
		return nil, err
	}
	mcpTimes := make([]time.Duration, 0, calls)
	directTimes := make([]time.Duration, 0, calls)
	decodedTimes := make([]time.Duration, 0, calls)
	for i := range calls {
		if i%50 == 0 {
			sb.ResetRequests() // the sandbox records every request: keep it small
		}
		// Alternate which goes first so neither always runs on a warmer cache.
		order := []bool{i%2 == 0, i%2 != 0}
		for _, viaMCP := range order {
			if viaMCP {
				d, err := mcpCall()
				if err != nil {
					return nil, err
				}
				mcpTimes = append(mcpTimes, d)
			} else {
				d, body, err := direct(ctx)
				if err != nil {
					return nil, err
				}
				directTimes = append(directTimes, d)
				decode, err := timeDecode(body)
				if err != nil {
					return nil, err
				}
				decodedTimes = append(decodedTimes, d+decode)
			}
		}
	}
	cpuAfter, err := processCPU(server.Process.Pid)
	if err != nil {
		return nil, err
	}

	mcpMed, directMed := median(mcpTimes), median(directTimes)
	ratio := float64(mcpMed) / float64(directMed)
	sec.add("MCP query_logs over stdio: median (p90)", fmt.Sprintf("%s (%s)", ms(mcpMed), ms(percentile(mcpTimes, 90))))
	sec.add("direct HTTP POST logs/query/: median (p90)", fmt.Sprintf("%s (%s)", ms(directMed), ms(percentile(directTimes, 90))))
	sec.check("ratio of medians MCP / direct", fmt.Sprintf("%.2f", ratio), "≤ 1.2", ratio <= 1.2)
	sec.add("overhead per call (difference of medians)", ms(mcpMed-directMed))
	decodedMed := median(decodedTimes)
	sec.add("for comparison: direct HTTP POST + decoding the page with encoding/json, median", ms(decodedMed))
	sec.add("for comparison: ratio MCP / (direct + decode)", fmt.Sprintf("%.2f", float64(mcpMed)/float64(decodedMed)))
	perCall := (cpuAfter - cpuBefore) / time.Duration(calls)
	sec.check("server process CPU per call (incl. stdio and upstream HTTP I/O)", ms(perCall), "≤ 0.5 ms", perCall <= 500*time.Microsecond)
	sec.note("backend: the sandbox holding the generated data set, behind a loopback front that adds %s to each logs/query/ answer (-backend-latency); window %s → %s, limit %d, every call identical",
		latency, args["date_from"], args["date_to"], bench.PageRows)
	sec.note("the direct call POSTs the exact body the server sent upstream (%d bytes) with a keep-alive client and reads the whole response without decoding it; the decoding line adds the time to decode that body",
		len(upstream.Body))
	sec.note("server CPU is read from /proc/<pid>/stat (10 ms ticks) over the %d MCP calls", calls)
	return sec, nil
}

// initializeRequest is the initialize request of every measurement client.
func initializeRequest() mcp.InitializeRequest {
	var req mcp.InitializeRequest
	req.Params.ProtocolVersion = bench.ProtocolVersion
	req.Params.ClientInfo = mcp.Implementation{Name: "posthog-logs-mcp-benchrun", Version: "1"}
	return req
}

// timedToolCall calls a tool and returns how long it took; a tool error is
// an error, since every measured call must do the full work.
func timedToolCall(ctx context.Context, c *mcpclient.Client, name string, args map[string]any) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, maxCallTime)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	start := time.Now()
	res, err := c.CallTool(ctx, req)
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("tools/call %s: %w", name, err)
	}
	if res.IsError {
		return 0, fmt.Errorf("tools/call %s returned a tool error: %s", name, bench.ResultText(res))
	}
	return d, nil
}

// lastQueryRequest is the last logs/query/ request the sandbox received.
func lastQueryRequest(sb *sandbox.Server) (sandbox.Request, error) {
	reqs := sb.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if strings.HasSuffix(reqs[i].Path, "/logs/query/") {
			return reqs[i], nil
		}
	}
	return sandbox.Request{}, errors.New("the server sent no logs/query/ request to the sandbox")
}

// directCaller returns a function that replays upstream against baseURL
// as a plain HTTP client would (reading the body without decoding it),
// timing each call and returning the response body.
func directCaller(baseURL string, upstream sandbox.Request) func(context.Context) (time.Duration, []byte, error) {
	hc := &http.Client{Timeout: maxCallTime}
	url := baseURL + upstream.Path
	return func(ctx context.Context) (time.Duration, []byte, error) {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(upstream.Body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", upstream.Auth)
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			return 0, nil, fmt.Errorf("direct POST %s: %w", upstream.Path, err)
		}
		body, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		d := time.Since(start)
		if err != nil {
			return 0, nil, err
		}
		if res.StatusCode != http.StatusOK {
			return 0, nil, fmt.Errorf("direct POST %s: %s", upstream.Path, res.Status)
		}
		return d, body, nil
	}
}

// timeDecode times decoding a logs/query/ body into the client's types with
// encoding/json, as a program calling PostHog directly would.
func timeDecode(body []byte) (time.Duration, error) {
	start := time.Now()
	var page client.LogsPage
	if err := json.Unmarshal(body, &page); err != nil {
		return 0, fmt.Errorf("decode the direct response: %w", err)
	}
	d := time.Since(start)
	if len(page.Results) != bench.PageRows {
		return 0, fmt.Errorf("the direct response has %d rows, want %d", len(page.Results), bench.PageRows)
	}
	return d, nil
}

// delayQueries answers like h, after waiting latency on logs queries: the
// stand-in for PostHog's own query time, which a loopback sandbox lacks.
func delayQueries(h http.Handler, latency time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if latency > 0 && strings.HasSuffix(r.URL.Path, "/logs/query/") {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
