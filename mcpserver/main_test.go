package mcpserver

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind: the
// server starts goroutines per call, per key check and per transport, and
// each must end with what started it.
func TestMain(m *testing.M) {
	code := m.Run()
	if sharedSandbox != nil {
		_ = sharedSandbox.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
