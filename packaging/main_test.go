package packaging

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// repoRoot is where the release files live.
const repoRoot = ".."

// testVersion is what the builds stamp with -X main.version.
const testVersion = "v0.0.0-packaging-test"

// binary is built once by the Dockerfile's own build command.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "packaging-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "posthog-logs-mcp")
	if err := dockerBuild(dir); err != nil {
		fmt.Fprintln(os.Stderr, "the Dockerfile's build command failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
