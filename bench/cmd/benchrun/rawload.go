package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/bench"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// rawClient is a lean Streamable HTTP client for load generation, as wrk
// or hey would be: the initialize handshake once, then the same
// pre-encoded tools/call POST on a keep-alive connection, checking each
// answer without decoding it. It spends a fraction of the CPU of mcp-go's
// full client, so more of the shared cores measure the server.
type rawClient struct {
	http    *http.Client
	url     string
	session string
	call    []byte
	buf     bytes.Buffer
}

func newRawClient(ctx context.Context, url string, args map[string]any) (*rawClient, error) {
	c := &rawClient{http: &http.Client{Timeout: maxCallTime, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}, url: url}
	init, _ := bench.Request(1, "initialize", bench.InitializeParams())
	status, header, err := c.post(ctx, init, false)
	if err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("initialize: status %d: %v %s", status, err, c.buf.Bytes())
	}
	c.session = header.Get("Mcp-Session-Id")
	note, _ := bench.Request(0, "notifications/initialized", nil)
	if status, _, err := c.post(ctx, note, true); err != nil || status >= 300 {
		return nil, fmt.Errorf("notifications/initialized: status %d: %v", status, err)
	}
	c.call, err = bench.Request(2, "tools/call", bench.CallParams(tools.NameQueryLogs, args))
	return c, err
}

func (c *rawClient) post(ctx context.Context, body []byte, versioned bool) (int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+sandbox.KeyFull)
	if versioned {
		req.Header.Set("Mcp-Protocol-Version", bench.ProtocolVersion)
	}
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	c.buf.Reset()
	_, err = io.Copy(&c.buf, resp.Body)
	return resp.StatusCode, resp.Header, err
}

// timedCall sends one query_logs call; anything but a successful tool
// result is an error, so every counted call did the full work.
func (c *rawClient) timedCall(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	status, _, err := c.post(ctx, c.call, true)
	d := time.Since(start)
	switch {
	case err != nil:
		return 0, err
	case status != http.StatusOK:
		return 0, fmt.Errorf("tools/call: HTTP %d: %.200s", status, c.buf.Bytes())
	case !bytes.Contains(c.buf.Bytes(), []byte(`"content"`)) || bytes.Contains(c.buf.Bytes(), []byte(`"isError":true`)):
		return 0, fmt.Errorf("tools/call: not a successful tool result: %.300s", c.buf.Bytes())
	case !bytes.Contains(c.buf.Bytes(), []byte(`logs, latest first`)):
		return 0, fmt.Errorf("tools/call: no query_logs page in the answer: %.300s", c.buf.Bytes())
	}
	return d, nil
}
