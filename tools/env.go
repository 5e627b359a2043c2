package tools

import (
	"log/slog"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sanitize"
)

// env is what handlers share: the configuration, the PostHog client and
// the sanitiser for untrusted log content.
type env struct {
	cfg    Config
	client *client.Client
	clean  sanitize.Sanitizer
	log    *slog.Logger
}

func newEnv(cfg Config) *env {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &env{cfg: cfg, client: cfg.Client, clean: sanitize.Sanitizer{Redact: cfg.Redact}, log: log}
}

// now is the current time to the second: windows echo back readable
// timestamps, and a sub-second shift of "now" changes no answer.
func (e *env) now() time.Time { return e.cfg.Now().UTC().Truncate(time.Second) }
