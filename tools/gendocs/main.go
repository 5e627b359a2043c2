// Command gendocs writes the tool reference (docs/tools.md) and the
// README's tool table from the tool registry. It runs through
// `go generate ./...` (see tools/doc.go); a test fails when the
// checked-in files differ from what it would write.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

func main() {
	root := ".."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	if err := generate(root); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// generate writes both files under the module root.
func generate(root string) error {
	ref, readme, err := render(root)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "tools.md"), ref, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "README.md"), readme, 0o644)
}

// render returns what docs/tools.md and README.md should hold.
func render(root string) (ref, readme []byte, err error) {
	refs := tools.References()
	if ref, err = reference(refs); err != nil {
		return nil, nil, err
	}
	current, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return nil, nil, err
	}
	if readme, err = spliceTable(current, table(refs)); err != nil {
		return nil, nil, err
	}
	return ref, readme, nil
}
