// Command benchrun measures posthog-logs-mcp end to end against the
// performance targets of product.md §5: stdio overhead against a direct
// HTTP call, cold start, and Streamable HTTP throughput and memory. It
// builds the server (or takes -bin), runs it as a separate process against
// the sandbox or an in-memory PostHog on loopback, and prints a table;
// -out also writes it as markdown. See bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

type options struct {
	bin        string
	only       map[string]bool
	calls      int
	coldStarts int
	clients    int
	duration   time.Duration
	out        string
	cpuProfile string
	loadgen    string
	latency    time.Duration
	soak       soakOptions
}

// measurements run by default; abuseMeasurements (issue 7: memory under a
// burst of huge answers, key floods, mixed faults, stdio limits) take
// minutes and run only when named with -only.
var (
	measurements      = []string{"stdio", "cold", "http"}
	abuseMeasurements = []string{"burst", "flood", "soak", "stdiolimits"}
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(2)
	}
	failed, err := run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
	if failed {
		// Every measurement ran; some missed a target.
		os.Exit(3)
	}
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	only := fs.String("only", strings.Join(measurements, ","), "comma-separated measurements to run: stdio, cold, http; and, only when named, burst, flood, soak, stdiolimits")
	fs.IntVar(&o.soak.burstCalls, "burst-calls", 64, "burst: concurrent query_logs calls")
	fs.Int64Var(&o.soak.burstSize, "burst-size", 30<<20, "burst: bytes of each upstream answer")
	fs.DurationVar(&o.soak.idle, "idle", 60*time.Second, "burst: idle time measured after the burst")
	fs.IntVar(&o.soak.floodKeys, "flood-keys", 2000, "flood: requests with random keys")
	fs.DurationVar(&o.soak.floodDelay, "flood-delay", 500*time.Millisecond, "flood: time each key check takes during the flood")
	fs.IntVar(&o.soak.soakCalls, "soak-calls", 3000, "soak: query_logs calls")
	fs.IntVar(&o.soak.soakConc, "soak-clients", 16, "soak: concurrent clients")
	fs.StringVar(&o.bin, "bin", "", "server binary to measure (default: go build ./cmd/posthog-logs-mcp into a temporary directory)")
	fs.IntVar(&o.calls, "calls", 300, "stdio: MCP calls and direct HTTP calls, each, interleaved")
	fs.IntVar(&o.coldStarts, "cold-starts", 20, "cold start: number of measured process starts")
	fs.IntVar(&o.clients, "clients", 32, "http: concurrent Streamable HTTP clients")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "http: length of the measured window")
	fs.DurationVar(&o.latency, "backend-latency", 0, "stdio: time added to each logs query answer, to stand in for PostHog's own query time (e.g. 20ms)")
	fs.StringVar(&o.loadgen, "loadgen", "raw", "http: load generator clients: raw (lean HTTP, like wrk) or mcp (mcp-go's full client)")
	fs.StringVar(&o.out, "out", "", "also write the results as markdown to this file")
	fs.Func("server-env", "KEY=VALUE added to the server processes' environment (repeatable), e.g. GOGC=400", func(kv string) error {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", kv)
		}
		extraServerEnv = append(extraServerEnv, kv)
		return nil
	})
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of benchrun itself (load generator and backend) to this file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.only = map[string]bool{}
	for _, m := range strings.Split(*only, ",") {
		m = strings.TrimSpace(m)
		if !contains(measurements, m) && !contains(abuseMeasurements, m) {
			return nil, fmt.Errorf("-only: unknown measurement %q (want %s)", m, strings.Join(append(measurements, abuseMeasurements...), ", "))
		}
		o.only[m] = true
	}
	if o.loadgen != "raw" && o.loadgen != "mcp" {
		return nil, fmt.Errorf("-loadgen: want raw or mcp, got %q", o.loadgen)
	}
	if o.calls < 1 || o.coldStarts < 1 || o.clients < 1 || o.duration <= 0 || o.soak.burstCalls < 1 || o.soak.floodKeys < 1 || o.soak.soakCalls < 1 || o.soak.soakConc < 1 {
		return nil, errors.New("-calls, -cold-starts, -clients, -duration and the -burst-calls, -flood-keys, -soak-calls and -soak-clients counts must be positive")
	}
	return o, nil
}

// run performs the selected measurements; failed reports a missed target.
func run(ctx context.Context, o *options) (failed bool, err error) {
	bin := o.bin
	if bin == "" {
		dir, err := os.MkdirTemp("", "benchrun-")
		if err != nil {
			return false, err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "benchrun: building ./cmd/posthog-logs-mcp")
		if bin, err = buildServer(ctx, dir); err != nil {
			return false, err
		}
	}
	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return false, err
		}
		defer stopProfile()
	}
	fmt.Fprintln(os.Stderr, "benchrun: starting the sandbox")
	sb, err := sandbox.Start(sandbox.Config{})
	if err != nil {
		return false, fmt.Errorf("start the sandbox: %w", err)
	}
	defer sb.Close()

	var sections []*section
	steps := []struct {
		name    string
		measure func() (*section, error)
	}{
		{"stdio", func() (*section, error) { return measureStdio(ctx, bin, sb, o.calls, o.latency) }},
		{"cold", func() (*section, error) { return measureColdStart(ctx, bin, sb, o.coldStarts) }},
		{"http", func() (*section, error) { return measureHTTP(ctx, bin, sb, o.clients, o.duration, o.loadgen) }},
		{"burst", func() (*section, error) { return measureBurst(ctx, bin, sb, o.soak) }},
		{"flood", func() (*section, error) { return measureFlood(ctx, bin, sb, o.soak) }},
		{"soak", func() (*section, error) { return measureSoak(ctx, bin, sb, o.soak) }},
		{"stdiolimits", func() (*section, error) { return measureStdioLimits(ctx, bin, sb) }},
	}
	for _, step := range steps {
		if !o.only[step.name] {
			continue
		}
		fmt.Fprintf(os.Stderr, "benchrun: measuring %s\n", step.name)
		sec, err := step.measure()
		if err != nil {
			return false, fmt.Errorf("%s: %w", step.name, err)
		}
		sec.writeText(os.Stdout)
		sections = append(sections, sec)
	}
	for _, sec := range sections {
		for _, r := range sec.rows {
			failed = failed || r.verdict == "FAIL"
		}
	}
	if o.out != "" {
		if err := writeMarkdownFile(o.out, sections); err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// startCPUProfile profiles this process until the returned function runs.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

func writeMarkdownFile(path string, sections []*section) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	writeMarkdown(f, sections)
	return f.Close()
}

func writeMarkdown(w io.Writer, sections []*section) {
	fmt.Fprintf(w, "# posthog-logs-mcp benchmark results\n\n")
	fmt.Fprintf(w, "Measured %s with `go run ./bench/cmd/benchrun %s` on %s, %d CPUs (%s), %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.Join(os.Args[1:], " "),
		runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version())
	for _, sec := range sections {
		sec.writeMarkdown(w)
	}
}

// cpuModel names the processor, from /proc/cpuinfo where there is one.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
