package packaging

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// goreleaser is the part of .goreleaser.yaml the tests check.
type goreleaser struct {
	Version int `yaml:"version"`
	Builds  []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
	} `yaml:"builds"`
	Archives []struct {
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
}

func readGoreleaser(t *testing.T) *goreleaser {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var g goreleaser
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func TestGoreleaserConfig(t *testing.T) {
	g := readGoreleaser(t)
	if g.Version != 2 || len(g.Builds) != 1 {
		t.Fatalf("want goreleaser config version 2 with one build, got version %d, %d builds", g.Version, len(g.Builds))
	}
	b := g.Builds[0]
	if b.Main != "./cmd/posthog-logs-mcp" || b.Binary != "posthog-logs-mcp" {
		t.Errorf("main %q binary %q", b.Main, b.Binary)
	}
	if goos := slices.Sorted(slices.Values(b.Goos)); !slices.Equal(goos, []string{"darwin", "linux", "windows"}) {
		t.Errorf("goos %v", b.Goos)
	}
	if goarch := slices.Sorted(slices.Values(b.Goarch)); !slices.Equal(goarch, []string{"amd64", "arm64"}) {
		t.Errorf("goarch %v", b.Goarch)
	}
	if g.Checksum.NameTemplate == "" || g.Checksum.Algorithm != "sha256" {
		t.Errorf("checksums: %+v", g.Checksum)
	}
	if len(g.Archives) != 1 || len(g.Archives[0].FormatOverrides) != 1 || g.Archives[0].FormatOverrides[0].Goos != "windows" ||
		!slices.Equal(g.Archives[0].FormatOverrides[0].Formats, []string{"zip"}) {
		t.Errorf("archives: want tar.gz, and zip for windows: %+v", g.Archives)
	}

	// The release binaries are built as the image's: same environment,
	// flags and version stamp.
	d, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range b.Env {
		if !strings.Contains(d.buildCmd, e) {
			t.Errorf("goreleaser sets %s, the Dockerfile does not", e)
		}
	}
	for _, f := range b.Flags {
		if !strings.Contains(d.buildCmd, f) {
			t.Errorf("goreleaser passes %s, the Dockerfile does not", f)
		}
	}
	ldflags := strings.ReplaceAll(strings.Join(b.Ldflags, " "), "{{.Version}}", "${VERSION}")
	if !strings.Contains(d.buildCmd, `-ldflags "`+ldflags+`"`) {
		t.Errorf("ldflags differ: goreleaser %q, Dockerfile %s", ldflags, d.buildCmd)
	}
}

// TestReleaseTargetsBuild builds release targets with the goreleaser
// config's flags and checks each binary's format and architecture. The
// Dockerfile's build (TestMain) covers this machine's target. A cold cross
// build costs over a minute of CPU, which CI's ten minutes cannot spare, so
// cross builds are opt-in: PACKAGING_CROSS_BUILD=1 adds one target that
// differs in both OS and architecture (windows/arm64), PACKAGING_ALL_TARGETS=1
// builds all six.
func TestReleaseTargetsBuild(t *testing.T) {
	var targets [][2]string
	if os.Getenv("PACKAGING_CROSS_BUILD") != "" {
		targets = [][2]string{{"windows", "arm64"}}
	}
	g := readGoreleaser(t)
	b := g.Builds[0]
	if os.Getenv("PACKAGING_ALL_TARGETS") != "" {
		targets = nil
		for _, goos := range b.Goos {
			for _, goarch := range b.Goarch {
				targets = append(targets, [2]string{goos, goarch})
			}
		}
	}
	if len(targets) == 0 {
		t.Skip("cross builds are opt-in: PACKAGING_CROSS_BUILD=1 (windows/arm64) or PACKAGING_ALL_TARGETS=1 (all six)")
	}
	dir := t.TempDir()
	for _, target := range targets {
		goos, goarch := target[0], target[1]
		t.Run(goos+"/"+goarch, func(t *testing.T) {
			out := filepath.Join(dir, goos+"-"+goarch+"-"+b.Binary)
			args := append([]string{"build"}, b.Flags...)
			args = append(args, "-ldflags", strings.ReplaceAll(strings.Join(b.Ldflags, " "), "{{.Version}}", testVersion), "-o", out, b.Main)
			cmd := exec.Command("go", args...)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), b.Env...)
			cmd.Env = append(cmd.Env, "GOOS="+goos, "GOARCH="+goarch)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
			}
			checkBinary(t, out, goos, goarch)
			if goos == runtime.GOOS && goarch == runtime.GOARCH {
				if v, err := exec.Command(out, "--version").Output(); err != nil || !strings.Contains(string(v), testVersion) {
					t.Errorf("--version: %q %v", v, err)
				}
			}
		})
	}
}

// checkBinary checks the executable format and architecture of path.
func checkBinary(t *testing.T, path, goos, goarch string) {
	t.Helper()
	switch goos {
	case "linux":
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
		if f.Machine != want {
			t.Errorf("ELF machine %v, want %v", f.Machine, want)
		}
	case "darwin":
		f, err := macho.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
		if f.Cpu != want {
			t.Errorf("Mach-O CPU %v, want %v", f.Cpu, want)
		}
	case "windows":
		f, err := pe.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		want := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[goarch]
		if f.Machine != want {
			t.Errorf("PE machine %#x, want %#x", f.Machine, want)
		}
	default:
		t.Fatalf("unexpected GOOS %s", goos)
	}
}
