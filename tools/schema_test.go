package tools

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

var update = flag.Bool("update", false, "rewrite the schema snapshots in testdata/schemas")

// snapshotVariants are the schema shapes a caller can meet: a full key
// with project_id required, and a read-only key on a pinned project.
var snapshotVariants = map[string]Access{
	"full":      {Read: true, Write: true, NeedProject: true},
	"read-only": {Read: true, Write: false, NeedProject: false},
}

// TestSchemaSnapshots fails on any change to a tool's name, description,
// input schema or annotations that was not reviewed: run
// `go test ./tools -run TestSchemaSnapshots -update` and commit the diff.
func TestSchemaSnapshots(t *testing.T) {
	ts, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for variantName, access := range snapshotVariants {
		for _, tool := range ts.Catalogue(access) {
			got, err := json.MarshalIndent(tool, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "schemas", tool.Name+"."+variantName+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("missing snapshot %s (run with -update to create it): %v", path, err)
			}
			if string(want) != string(got) {
				t.Errorf("schema of %s (%s) changed; review and run `go test ./tools -run TestSchemaSnapshots -update`:\n--- snapshot\n%s\n--- now\n%s", tool.Name, variantName, want, got)
			}
		}
	}
}

// TestCatalogueSize bounds the whole tools/list answer: every character
// of it sits in the model's context on every turn.
func TestCatalogueSize(t *testing.T) {
	ts, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	tools := ts.Catalogue(Access{Read: true, Write: true, NeedProject: true})
	if len(tools) != 9 {
		t.Fatalf("full catalogue has %d tools, want 9", len(tools))
	}
	b, err := json.Marshal(mcp.ListToolsResult{Tools: tools})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 15000 // the product's budget for the catalogue (nine tools)
	t.Logf("tools/list result: %d characters", len(b))
	if len(b) > limit {
		t.Errorf("tools/list is %d characters, over the %d budget", len(b), limit)
	}
}

// TestAnnotationsTellTheTruth checks the hints agents rely on to decide
// whether to ask the user before calling.
func TestAnnotationsTellTheTruth(t *testing.T) {
	ts, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(access Access, name string, readOnly, destructive bool) {
		t.Helper()
		for _, tool := range ts.Catalogue(access) {
			if tool.Name != name {
				continue
			}
			a := tool.Annotations
			if a.ReadOnlyHint == nil || *a.ReadOnlyHint != readOnly || a.DestructiveHint == nil || *a.DestructiveHint != destructive || a.OpenWorldHint == nil || !*a.OpenWorldHint || a.Title == "" {
				t.Errorf("%s (write=%v): annotations %+v, want readOnly=%v destructive=%v openWorld=true and a title", name, access.Write, a, readOnly, destructive)
			}
			return
		}
		t.Errorf("%s missing from catalogue (write=%v)", name, access.Write)
	}
	full := Access{Read: true, Write: true}
	read := Access{Read: true}
	for _, n := range []string{NameQueryLogs, NameListServices, NameGetSparkline, NameListAttributes, NameGetAttributeValues, NameGetLogPatterns, NameCountLogs} {
		check(full, n, true, false)
	}
	check(full, NameExplainLog, false, false)
	check(full, NameManageViews, false, true)
	check(read, NameManageViews, true, false)
	for _, tool := range ts.Catalogue(read) {
		if tool.Name == NameExplainLog {
			t.Error("explain_log visible without logs:write")
		}
	}
}
