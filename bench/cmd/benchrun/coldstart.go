package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/bench"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/mcpserver"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// coldStartWarmup runs are discarded: the first exec of a fresh binary pays
// for reading it from disk, which an installed binary does not.
const coldStartWarmup = 2

// measureColdStart times, over several fresh processes, exec of the binary
// (stdio, the sandbox as PostHog) to its initialize and tools/list answers.
func measureColdStart(ctx context.Context, bin string, sb *sandbox.Server, runs int) (*section, error) {
	sec := &section{title: fmt.Sprintf("cold start over stdio (median of %d fresh processes)", runs)}
	env := serverEnv(sb.URL, sandbox.KeyFull)
	var toInit, toList, introspections, versions []time.Duration
	for i := range runs + coldStartWarmup {
		initD, listD, err := coldStartOnce(ctx, bin, env)
		if err != nil {
			return nil, fmt.Errorf("cold start run %d: %w", i+1, err)
		}
		versionD, err := timeVersion(ctx, bin)
		if err != nil {
			return nil, err
		}
		introD, err := timeIntrospection(ctx, sb.URL)
		if err != nil {
			return nil, err
		}
		if i < coldStartWarmup {
			continue
		}
		toInit, toList = append(toInit, initD), append(toList, listD)
		versions, introspections = append(versions, versionD), append(introspections, introD)
	}
	listMed, introMed := median(toList), median(introspections)
	excluded := listMed - introMed
	sec.add("exec → initialize response (includes the startup introspection)", ms(median(toInit)))
	sec.add("exec → tools/list response (includes the startup introspection)", ms(listMed))
	sec.add("startup introspection: one GET @current/ on a fresh loopback connection", ms(introMed))
	sec.check("exec → tools/list, introspection excluded", ms(excluded), "< 50 ms", excluded < 50*time.Millisecond)
	sec.add("floor: exec of `posthog-logs-mcp --version` to exit", ms(median(versions)))
	sec.note("each run starts a new process and speaks raw JSON-RPC over its pipes: initialize, then notifications/initialized and tools/list once initialize is answered")
	sec.note("the server introspects its key (GET /api/personal_api_keys/@current/) before serving stdio and no setting skips it; its cost is measured separately with a fresh client.Client against the same sandbox and subtracted")
	return sec, nil
}

// coldStartOnce starts one server process and returns the times from exec
// to the initialize response and to the tools/list response.
func coldStartOnce(ctx context.Context, bin string, env []string) (toInit, toList time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, maxCallTime)
	defer cancel()
	initMsg, err1 := bench.Request(1, "initialize", bench.InitializeParams())
	initialized, err2 := bench.Request(0, "notifications/initialized", nil)
	listMsg, err3 := bench.Request(2, "tools/list", map[string]any{})
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, fmt.Errorf("encode requests: %v %v %v", err1, err2, err3)
	}

	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = stdin.Close() // end of input: the server exits
		_ = cmd.Wait()
	}()
	out := bufio.NewReader(stdout)

	if _, err := stdin.Write(append(initMsg, '\n')); err != nil {
		return 0, 0, err
	}
	if _, err := readResponse(out, 1); err != nil {
		return 0, 0, fmt.Errorf("initialize: %w", err)
	}
	toInit = time.Since(start)
	if _, err := stdin.Write(append(append(append(initialized, '\n'), listMsg...), '\n')); err != nil {
		return 0, 0, err
	}
	resp, err := readResponse(out, 2)
	if err != nil {
		return 0, 0, fmt.Errorf("tools/list: %w", err)
	}
	toList = time.Since(start)
	if !bytes.Contains(resp, []byte(`"tools"`)) {
		return 0, 0, fmt.Errorf("tools/list answered without tools: %.300s", resp)
	}
	return toInit, toList, nil
}

// readResponse reads JSON-RPC lines until the response with id arrives.
func readResponse(r *bufio.Reader, id int) ([]byte, error) {
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("read stdout: %w", err)
		}
		var msg struct {
			ID    json.Number     `json:"id"`
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(line, &msg) != nil || msg.ID.String() != fmt.Sprint(id) {
			continue // a notification, or noise a server must not print
		}
		if len(msg.Error) > 0 && string(msg.Error) != "null" {
			return nil, fmt.Errorf("JSON-RPC error: %s", msg.Error)
		}
		return line, nil
	}
}

// timeVersion times a run of the binary that does nothing but print its
// version: the floor of any cold start (exec, loading, Go runtime start).
func timeVersion(ctx context.Context, bin string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Stdout = io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s --version: %w", bin, err)
	}
	return time.Since(start), nil
}

// timeIntrospection times what the server does at startup before serving:
// introspecting the key with a new client, so on a new connection.
func timeIntrospection(ctx context.Context, host string) (time.Duration, error) {
	// A new transport, as in a new process: the request opens its connection.
	tr := mcpserver.NewUpstreamTransport()
	defer tr.CloseIdleConnections()
	cl, err := client.New(client.Options{Host: host, Transport: tr})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if _, err := cl.Introspect(ctx, sandbox.KeyFull); err != nil {
		return 0, fmt.Errorf("introspect the sandbox key: %w", err)
	}
	return time.Since(start), nil
}
