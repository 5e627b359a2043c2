package packaging

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// dockerfile is what the tests need from the Dockerfile.
type dockerfile struct {
	stages     []string          // FROM of each stage
	args       map[string]string // ARG defaults
	buildCmd   string            // the RUN that runs go build
	user       string            // USER of the final stage
	expose     []string
	entrypoint []string
	cmd        []string
}

func parseDockerfile(path string) (*dockerfile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d := &dockerfile{args: map[string]string{}}
	var logical []string
	var cur strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if body, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	for _, l := range logical {
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			d.stages = append(d.stages, rest)
			d.user, d.expose = "", nil
		case "ARG":
			name, def, _ := strings.Cut(rest, "=")
			d.args[name] = def
		case "RUN":
			if strings.Contains(rest, "go build") {
				if d.buildCmd != "" {
					return nil, errors.New("more than one RUN with go build")
				}
				d.buildCmd = rest
			}
		case "USER":
			d.user = rest
		case "EXPOSE":
			d.expose = strings.Fields(rest)
		case "ENTRYPOINT", "CMD":
			var list []string
			if err := json.Unmarshal([]byte(rest), &list); err != nil {
				return nil, fmt.Errorf("%s must be the exec (JSON) form: %v", instr, err)
			}
			if strings.EqualFold(instr, "CMD") {
				d.cmd = list
			} else {
				d.entrypoint = list
			}
		}
	}
	return d, nil
}

// dockerBuild runs the Dockerfile's build command as `docker build` would
// (sh -c, build args as environment), for this machine's architecture,
// writing the binary to dir instead of /out.
func dockerBuild(dir string) error {
	d, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		return err
	}
	if d.buildCmd == "" || !strings.Contains(d.buildCmd, "/out/posthog-logs-mcp") {
		return fmt.Errorf("no go build writing /out/posthog-logs-mcp in the Dockerfile: %q", d.buildCmd)
	}
	cmd := exec.Command("sh", "-c", strings.ReplaceAll(d.buildCmd, "/out/", dir+"/"))
	cmd.Dir = repoRoot
	cmd.Env = os.Environ()
	for name, def := range d.args {
		cmd.Env = append(cmd.Env, name+"="+def)
	}
	cmd.Env = append(cmd.Env, "TARGETOS="+runtime.GOOS, "TARGETARCH="+runtime.GOARCH, "VERSION="+testVersion)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func TestDockerfile(t *testing.T) {
	d, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.stages) != 2 || !strings.HasSuffix(d.stages[0], " AS build") {
		t.Fatalf("want a two-stage build (build, then runtime): %v", d.stages)
	}
	if final := d.stages[1]; !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.HasSuffix(final, ":nonroot") {
		t.Errorf("runtime stage %q: want distroless static (CA certificates, no shell), nonroot", final)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/posthog-logs-mcp"} {
		if !strings.Contains(d.buildCmd, want) {
			t.Errorf("build command lacks %s: %s", want, d.buildCmd)
		}
	}
	if d.user == "" || strings.HasPrefix(d.user, "0") || strings.HasPrefix(d.user, "root") {
		t.Errorf("USER %q: want a numeric non-root user (Kubernetes' runAsNonRoot checks numbers)", d.user)
	}
	if !slices.Equal(d.entrypoint, []string{"/posthog-logs-mcp"}) {
		t.Errorf("ENTRYPOINT %v", d.entrypoint)
	}
	if !slices.Equal(d.expose, []string{"8080"}) || !slices.Contains(d.cmd, "0.0.0.0:8080") || !slices.Contains(d.cmd, "http") {
		t.Errorf("want HTTP on 0.0.0.0:8080 by default: CMD %v EXPOSE %v", d.cmd, d.expose)
	}
}

// TestDockerBuildIsStatic: the image's runtime stage has no libc, so the
// binary must not need one.
func TestDockerBuildIsStatic(t *testing.T) {
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary has a dynamic loader (PT_INTERP): not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary needs shared libraries: %v", libs)
	}
	out, err := exec.Command(binary, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "posthog-logs-mcp "+testVersion+" ") {
		t.Fatalf("--version: %q %v", out, err)
	}
}

// TestDockerIgnoreKeepsTheSources: nothing the binary is built from is
// left out of the build context.
func TestDockerIgnoreKeepsTheSources(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "../cmd/posthog-logs-mcp").Output()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs(repoRoot)
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module dependency, downloaded in the image
		}
		for _, pattern := range strings.Split(string(raw), "\n") {
			pattern = strings.Trim(strings.TrimSpace(pattern), "/")
			if pattern != "" && !strings.HasPrefix(pattern, "#") && (rel == pattern || strings.HasPrefix(rel, pattern+"/")) {
				t.Errorf(".dockerignore excludes %s, which the binary is built from", rel)
			}
		}
	}
}

// TestDockerCmdServes runs the image's ENTRYPOINT and CMD as the container
// would (no PostHog variable: callers bring their own keys), on a loopback
// port instead of 0.0.0.0:8080, and checks /healthz and that /mcp wants a key.
func TestDockerCmdServes(t *testing.T) {
	d, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append(slices.Clone(d.cmd), "--listen", "127.0.0.1:0") // the last --listen wins
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = []string{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	// --log-format json: find the line that says where it listens.
	var url string
	scanner := bufio.NewScanner(stderr)
	for url == "" && scanner.Scan() {
		var entry map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &entry); err != nil {
			t.Fatalf("a stderr line is not JSON although CMD asks for --log-format json: %q", scanner.Text())
		}
		url, _ = entry["url"].(string)
	}
	if url == "" {
		t.Fatal("the server never said where it listens")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()

	resp, err := http.Get(strings.TrimSuffix(url, "/mcp") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Fatalf("/healthz: %d %q", resp.StatusCode, body)
	}
	resp, err = http.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/mcp without a key: %d, want 401", resp.StatusCode)
	}
}
