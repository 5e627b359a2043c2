package packaging

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/mcpserver"
)

// registrySchema compiles the MCP registry's server.json schema, vendored
// from the registry's published file (testdata/README.md says where).
func registrySchema(t *testing.T) (*jsonschema.Schema, string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "server.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := doc.(map[string]any)["$id"].(string)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return schema, id
}

func readServerJSON(t *testing.T) (raw []byte, inst any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return raw, inst
}

func TestServerJSONMatchesRegistrySchema(t *testing.T) {
	schema, id := registrySchema(t)
	_, inst := readServerJSON(t)
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("server.json does not match the registry schema:\n%v", err)
	}
	if got := inst.(map[string]any)["$schema"]; got != id {
		t.Errorf("server.json $schema %v, vendored schema %s: vendor the schema server.json names", got, id)
	}

	// The schema does catch mistakes.
	for name, mutate := range map[string]func(map[string]any){
		"description over 100 characters": func(m map[string]any) { m["description"] = strings.Repeat("x", 101) },
		"no name":                         func(m map[string]any) { delete(m, "name") },
		"package without transport": func(m map[string]any) {
			delete(m["packages"].([]any)[0].(map[string]any), "transport")
		},
	} {
		_, broken := readServerJSON(t)
		mutate(broken.(map[string]any))
		if err := schema.Validate(broken); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// serverJSON is the part of server.json checked against the code.
type serverJSON struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository struct {
		URL string `json:"url"`
	} `json:"repository"`
	Packages []struct {
		Identifier string `json:"identifier"`
		Transport  struct {
			Type string `json:"type"`
		} `json:"transport"`
		PackageArguments []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"packageArguments"`
		EnvironmentVariables []struct {
			Name string `json:"name"`
		} `json:"environmentVariables"`
	} `json:"packages"`
	Remotes []struct {
		Type    string `json:"type"`
		URL     string `json:"url"`
		Headers []struct {
			Name string `json:"name"`
		} `json:"headers"`
	} `json:"remotes"`
}

// TestServerJSONNamesRealSettings: every variable, flag and header that
// server.json tells a client to set is one the server reads.
func TestServerJSONNamesRealSettings(t *testing.T) {
	raw, _ := readServerJSON(t)
	var s serverJSON
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	help, err := exec.Command(binary, "help").Output()
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module := ""
	for _, line := range strings.Split(string(gomod), "\n") {
		if m, ok := strings.CutPrefix(line, "module "); ok {
			module = strings.TrimSpace(m)
		}
	}
	if s.Repository.URL != "https://"+module {
		t.Errorf("repository %q, module %s", s.Repository.URL, module)
	}
	owner := strings.Split(module, "/")[1]
	if !strings.HasPrefix(s.Name, "io.github."+owner+"/") {
		t.Errorf("name %q: the registry only lets the GitHub owner %s publish io.github.%s/...", s.Name, owner, owner)
	}
	if len(s.Packages) != 1 || s.Packages[0].Transport.Type != "stdio" {
		t.Fatalf("want one stdio package: %+v", s.Packages)
	}
	p := s.Packages[0]
	if !strings.HasSuffix(p.Identifier, ":"+s.Version) {
		t.Errorf("image %q is not tagged with the server version %s", p.Identifier, s.Version)
	}
	for _, arg := range p.PackageArguments {
		if !strings.Contains(string(help), "-"+strings.TrimLeft(arg.Name, "-")+" ") {
			t.Errorf("package argument %s is not a flag of the binary", arg.Name)
		}
	}
	if len(p.PackageArguments) != 1 || p.PackageArguments[0].Value != "stdio" {
		t.Errorf("the image serves HTTP by default: the stdio package must pass --transport stdio: %+v", p.PackageArguments)
	}
	for _, env := range p.EnvironmentVariables {
		if !strings.Contains(string(help), env.Name) {
			t.Errorf("environment variable %s is not one the binary reads", env.Name)
		}
	}
	if len(s.Remotes) != 1 || s.Remotes[0].Type != "streamable-http" || !strings.HasSuffix(s.Remotes[0].URL, "/mcp") {
		t.Fatalf("want one Streamable HTTP remote on /mcp: %+v", s.Remotes)
	}
	var headers []string
	for _, h := range s.Remotes[0].Headers {
		headers = append(headers, h.Name)
	}
	if strings.Join(headers, ",") != "Authorization,"+mcpserver.ProjectHeader {
		t.Errorf("remote headers %v, want Authorization and %s", headers, mcpserver.ProjectHeader)
	}
}
