package mcpserver

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// userAnswer is a client's elicitation handler: it records what the user
// was asked and answers with action.
type userAnswer struct {
	action mcp.ElicitationResponseAction
	mu     sync.Mutex
	asked  []string
}

func (u *userAnswer) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.asked = append(u.asked, req.Params.Message)
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: u.action}}, nil
}

// stdioClient runs ServeStdio for key over pipes and connects an MCP client
// built with opts.
func stdioClient(t *testing.T, s *Server, key, version string, opts ...mcpclient.ClientOption) *mcpclient.Client {
	t.Helper()
	clientIn, serverOut := io.Pipe()
	serverIn, clientOut := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.ServeStdio(ctx, key, serverIn, serverOut) }()
	opts = append(opts, mcpclient.WithProtocolVersion(version))
	c := mcpclient.NewClient(transport.NewIO(clientIn, clientOut, io.NopCloser(strings.NewReader(""))), opts...)
	// The stdio transport answers the server's requests (elicitation) under
	// the context it was started with: it must outlive the call.
	err := c.Start(ctx)
	if err == nil {
		initCtx, initCancel := context.WithTimeout(ctx, 20*time.Second)
		_, err = c.Initialize(initCtx, initRequest(version))
		initCancel()
	}
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Close()
		cancel()
		_ = serverIn.Close()
		_ = serverOut.Close()
		<-served
	})
	return c
}

// TestDeleteViewAsksTheUser: over stdio, a client that declared
// elicitation is asked to confirm a deletion, naming the view; accept
// deletes, decline and cancel leave the view and send PostHog no DELETE; a
// client without elicitation (stdio, or any stateless HTTP client, whose
// capabilities the server never keeps) deletes as before without asking.
func TestDeleteViewAsksTheUser(t *testing.T) {
	sb := testSandbox(t)
	direct := newTestClient(t, sb.URL, nil)
	auth := client.Auth{Key: sandbox.KeyFull, ProjectID: sandbox.ProjectID}
	ctx := context.Background()

	for _, version := range []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125} {
		for _, tc := range []struct {
			name    string
			answer  *userAnswer // nil: the client declares no elicitation
			http    bool
			deleted bool
			want    string
		}{
			{"accept", &userAnswer{action: mcp.ElicitationResponseActionAccept}, false, true, "deleted view"},
			{"decline", &userAnswer{action: mcp.ElicitationResponseActionDecline}, false, false, "DECLINED: not deleted: declined by the user"},
			{"cancel", &userAnswer{action: mcp.ElicitationResponseActionCancel}, false, false, "DECLINED: not deleted: declined by the user"},
			{"no capability over stdio", nil, false, true, "deleted view"},
			{"HTTP client with elicitation", &userAnswer{action: mcp.ElicitationResponseActionDecline}, true, true, "deleted view"},
		} {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				name := fmt.Sprintf("elicit %s %d", tc.name, time.Now().UnixNano())
				v, err := direct.CreateView(ctx, auth, client.ViewInput{Name: name, Filters: client.ViewFilters{ServiceNames: []string{"checkout"}}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = direct.DeleteView(ctx, auth, v.ShortID) })

				var opts []mcpclient.ClientOption
				if tc.answer != nil {
					opts = append(opts, mcpclient.WithElicitationHandler(tc.answer))
				}
				var c *mcpclient.Client
				if tc.http {
					f := newHTTPFixture(t, tools.Config{}, nil)
					tr, err := transport.NewStreamableHTTP(f.http.URL+"/mcp", transport.WithHTTPHeaders(bearer(sandbox.KeyFull)))
					if err != nil {
						t.Fatal(err)
					}
					c, err = initialize(mcpclient.NewClient(tr, append(opts, mcpclient.WithProtocolVersion(version))...), version)
					if err != nil {
						t.Fatal(err)
					}
					defer c.Close()
				} else {
					c = stdioClient(t, newTestServer(t, sb.URL, tools.Config{}, nil), sandbox.KeyFull, version, opts...)
				}

				text, isError, err := callTool(c, "manage_views", map[string]any{"action": "delete", "short_id": v.ShortID})
				if err != nil {
					t.Fatal(err)
				}
				if isError == tc.deleted || !strings.Contains(text, tc.want) {
					t.Fatalf("isError=%v, want %v; text %q lacks %q", isError, !tc.deleted, text, tc.want)
				}
				_, getErr := direct.GetView(ctx, auth, v.ShortID)
				if gone := getErr != nil; gone != tc.deleted {
					t.Fatalf("view gone=%v, want %v (get: %v)", gone, tc.deleted, getErr)
				}
				var deletes int
				for _, r := range upstreamRequests(sb, v.ShortID) {
					if r.Method == "DELETE" {
						deletes++
					}
				}
				if want := map[bool]int{true: 1, false: 0}[tc.deleted]; deletes != want {
					t.Fatalf("PostHog got %d DELETE of the view, want %d", deletes, want)
				}
				if tc.answer == nil || tc.http {
					return
				}
				tc.answer.mu.Lock()
				defer tc.answer.mu.Unlock()
				if len(tc.answer.asked) != 1 {
					t.Fatalf("the user was asked %d times, want once", len(tc.answer.asked))
				}
				if q := tc.answer.asked[0]; !strings.Contains(q, name) || !strings.Contains(q, v.ShortID) {
					t.Fatalf("the question names neither the view nor its short_id: %q", q)
				}
			})
		}
	}
}
