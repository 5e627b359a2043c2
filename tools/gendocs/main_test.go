package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestDocsUpToDate fails when docs/tools.md or the README's tool table
// differ from what the registry generates: run `go generate ./...`.
func TestDocsUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	ref, readme, err := render(root)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"docs/tools.md": ref, "README.md": readme} {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go generate ./...` and commit the result", name)
		}
	}
}

func TestDefaultOf(t *testing.T) {
	for desc, want := range map[string]string{
		"Default 50.":                     "`50`",
		"End; default now.":               "`now`",
		"Start: -1h (default), -15m.":     "`-1h`",
		"Default true.":                   "`true`",
		"Exact names from list_services.": "",
	} {
		if got := defaultOf(desc); got != want {
			t.Errorf("defaultOf(%q) = %q, want %q", desc, got, want)
		}
	}
}
