package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// defaultSandboxListen is where `posthog-logs-mcp sandbox` listens unless
// --listen says otherwise.
const defaultSandboxListen = "127.0.0.1:8090"

// runSandbox serves the sandbox API alone until ctx ends, after printing
// how to reach it.
func runSandbox(ctx context.Context, cfg *config, stdout io.Writer, log *slog.Logger) int {
	addr := defaultSandboxListen
	if cfg.listenSet {
		addr = cfg.listen
	}
	sb, err := sandbox.Listen(sandbox.Config{Logger: log.With("component", "sandbox")}, addr)
	if err != nil {
		log.Error("could not start the sandbox", "listen", addr, "err", err)
		return exitError
	}
	defer sb.Close()
	printSandboxInfo(stdout, sb)
	<-ctx.Done()
	return exitOK
}

func printSandboxInfo(w io.Writer, sb *sandbox.Server) {
	fmt.Fprintf(w, "PostHog Logs SANDBOX: a fake PostHog Logs API with generated data (not a real PostHog).\n\n")
	fmt.Fprintf(w, "Base URL:   %s\n", sb.URL)
	fmt.Fprintf(w, "Project id: %d (project %d exists too, without data)\n\n", sandbox.ProjectID, sandbox.OtherProjectID)
	fmt.Fprintf(w, "Demo keys:\n")
	for _, k := range sandbox.DemoKeys() {
		fmt.Fprintf(w, "  %-40s %s\n", k.Token, describeKey(k))
	}
	from := sb.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	fmt.Fprintf(w, "\nTry it:\n")
	fmt.Fprintf(w, "  curl -s -X POST '%s/api/projects/%d/logs/query/' \\\n", sb.URL, sandbox.ProjectID)
	fmt.Fprintf(w, "    -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n", sandbox.KeyFull)
	fmt.Fprintf(w, "    -d '{\"query\":{\"dateRange\":{\"date_from\":\"%s\"},\"severityLevels\":[\"error\"],\"limit\":5}}'\n", from)
	fmt.Fprintf(w, "\nPoint the MCP server at it:\n")
	fmt.Fprintf(w, "  POSTHOG_HOST=%s POSTHOG_PERSONAL_API_KEY=%s posthog-logs-mcp\n", sb.URL, sandbox.KeyFull)
	fmt.Fprintf(w, "\nCtrl-C stops it.\n")
}

func describeKey(k sandbox.Key) string {
	scopes := "all scopes"
	if len(k.Scopes) > 0 && !(len(k.Scopes) == 1 && k.Scopes[0] == "*") {
		scopes = strings.Join(k.Scopes, " ")
	}
	projects := "all projects"
	if len(k.Teams) > 0 {
		projects = "projects " + joinInts(k.Teams)
	}
	parts := []string{scopes, projects}
	if !k.AIConsent {
		parts = append(parts, "organization without AI consent")
	}
	if k.OAuth {
		parts = append(parts, "OAuth token")
	}
	desc := strings.Join(parts, "; ")
	if k.Label != "" {
		desc = k.Label + ": " + desc
	}
	return desc
}

func joinInts(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ",")
}
