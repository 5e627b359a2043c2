package mcpserver

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// The protocol revisions IDE clients speak today, and the stateless one.
var protocolVersions = []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125, mcp.ProtocolVersion20260728}

var (
	sharedSandboxOnce sync.Once
	sharedSandbox     *sandbox.Server
	sharedSandboxErr  error
)

// testSandbox returns the sandbox shared by the package's end-to-end tests
// (generating the data set once keeps the run short). Tests that assert
// on Requests() reset them first and do not run in parallel.
func testSandbox(t testing.TB) *sandbox.Server {
	t.Helper()
	sharedSandboxOnce.Do(func() { sharedSandbox, sharedSandboxErr = sandbox.Start(sandbox.Config{}) })
	if sharedSandboxErr != nil {
		t.Fatal(sharedSandboxErr)
	}
	return sharedSandbox
}

// httpFixture is an MCP server over real HTTP in front of the sandbox.
type httpFixture struct {
	sb     *sandbox.Server
	server *Server
	http   *httptest.Server
}

func newHTTPFixture(t testing.TB, tcfg tools.Config, edit func(*Options)) *httpFixture {
	t.Helper()
	sb := testSandbox(t)
	s := newTestServer(t, sb.URL, tcfg, edit)
	hs := httptest.NewServer(s.HTTPHandler(HTTPConfig{}))
	t.Cleanup(hs.Close)
	return &httpFixture{sb: sb, server: s, http: hs}
}

// connect opens an MCP client over Streamable HTTP with headers, speaking
// protocol version.
func (f *httpFixture) connect(t *testing.T, version string, headers map[string]string) *mcpclient.Client {
	t.Helper()
	c, err := f.tryConnect(version, headers)
	if err != nil {
		t.Fatalf("connect (%s): %v", version, err)
	}
	return c
}

func (f *httpFixture) tryConnect(version string, headers map[string]string) (*mcpclient.Client, error) {
	tr, err := transport.NewStreamableHTTP(f.http.URL+"/mcp", transport.WithHTTPHeaders(headers))
	if err != nil {
		return nil, err
	}
	return initialize(mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(version)), version)
}

func initialize(c *mcpclient.Client, version string) (*mcpclient.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	if _, err := c.Initialize(ctx, initRequest(version)); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

// listTools returns the catalogue a client sees, by name.
func listTools(t *testing.T, c *mcpclient.Client) map[string]mcp.Tool {
	t.Helper()
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	out := map[string]mcp.Tool{}
	for _, tool := range res.Tools {
		out[tool.Name] = tool
	}
	return out
}

func toolNames(cat map[string]mcp.Tool) []string {
	var names []string
	for n := range cat {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// callTool calls a tool and returns its text; err is a JSON-RPC/transport error.
func callTool(c *mcpclient.Client, name string, args map[string]any) (text string, isError bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return "", false, err
	}
	var parts []string
	for _, content := range res.Content {
		if tc, ok := mcp.AsTextContent(content); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n"), res.IsError, nil
}

// mustCall calls a tool that must succeed and returns its text.
func mustCall(t *testing.T, c *mcpclient.Client, name string, args map[string]any) string {
	t.Helper()
	text, isError, err := callTool(c, name, args)
	if err != nil || isError || strings.TrimSpace(text) == "" {
		t.Fatalf("%s %v: isError=%v err=%v text=%q", name, args, isError, err, text)
	}
	return text
}

// schemaOf returns a tool's input schema as generic JSON.
func schemaOf(t *testing.T, tool mcp.Tool) map[string]any {
	t.Helper()
	raw, err := json.Marshal(tool)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		InputSchema map[string]any `json:"inputSchema"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.InputSchema
}

// actionEnum returns manage_views' action enum.
func actionEnum(t *testing.T, tool mcp.Tool) []string {
	t.Helper()
	props, _ := schemaOf(t, tool)["properties"].(map[string]any)
	action, _ := props["action"].(map[string]any)
	var out []string
	for _, v := range action["enum"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

// hasProperty reports whether a tool's schema has an argument.
func hasProperty(t *testing.T, tool mcp.Tool, name string) bool {
	t.Helper()
	props, _ := schemaOf(t, tool)["properties"].(map[string]any)
	_, ok := props[name]
	return ok
}

// upstreamRequests returns the sandbox requests whose path contains part.
func upstreamRequests(sb *sandbox.Server, part string) []sandbox.Request {
	var out []sandbox.Request
	for _, r := range sb.Requests() {
		if strings.Contains(r.Path, part) {
			out = append(out, r)
		}
	}
	return out
}

func initRequest(version string) mcp.InitializeRequest {
	var req mcp.InitializeRequest
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	return req
}
