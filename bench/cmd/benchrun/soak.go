package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/bench"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// The abuse measurements of issue 7 (product.md §4): a burst of calls whose
// upstream answers are huge, a flood of random keys, a soak of calls under
// mixed upstream faults, and the stdio limits. Each runs the server binary
// in its own process against the in-process sandbox (or a counting front
// before it) and reads the process's memory from /proc.

// soakOptions are the knobs of the abuse measurements.
type soakOptions struct {
	burstCalls int           // concurrent query_logs calls in the burst
	burstSize  int64         // bytes of each upstream answer in the burst
	idle       time.Duration // how long the burst is followed by idling
	floodKeys  int           // random keys in the flood
	floodDelay time.Duration // time the sandbox takes per key check during the flood
	soakCalls  int           // calls of the mixed-fault soak
	soakConc   int           // concurrent clients of the soak
}

// httpServerProc is the server binary running --transport http.
type httpServerProc struct {
	cmd    *exec.Cmd
	url    string // http://addr/mcp
	base   string // http://addr
	stderr *lineCounter
}

func startHTTPServer(ctx context.Context, bin, upstream, key string, extraArgs ...string) (*httpServerProc, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--transport", "http", "--listen", addr}, extraArgs...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = serverEnv(upstream, key)
	stderr := &lineCounter{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &httpServerProc{cmd: cmd, url: "http://" + addr + "/mcp", base: "http://" + addr, stderr: stderr}
	if err := waitHealthy(ctx, p.base+"/healthz", 10*time.Second); err != nil {
		stopServer(cmd)
		return nil, fmt.Errorf("%w; server stderr: %s", err, stderr.String())
	}
	return p, nil
}

// goroutines reads go_goroutines from the server's /metrics; -1 when the
// server does not export it (older builds).
func (p *httpServerProc) goroutines() int {
	res, err := http.Get(p.base + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// lineCounter keeps the first 64 KiB of a stream and counts its lines.
type lineCounter struct {
	limitedBuffer
	lines atomic.Int64
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.lines.Add(int64(bytes.Count(p, []byte{'\n'})))
	return l.limitedBuffer.Write(p)
}

// mcpCaller posts JSON-RPC messages to a Streamable HTTP server as one
// caller (one key, optionally one source address).
type mcpCaller struct {
	http *http.Client
	url  string
	key  string
}

func newMCPCaller(url, key, sourceIP string, timeout time.Duration) *mcpCaller {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if sourceIP != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(sourceIP)}
	}
	tr := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 64}
	return &mcpCaller{http: &http.Client{Timeout: timeout, Transport: tr}, url: url, key: key}
}

func (c *mcpCaller) close() { c.http.CloseIdleConnections() }

// post sends one message and returns the HTTP status and body.
func (c *mcpCaller) post(ctx context.Context, id int, method string, params any) (int, []byte, error) {
	body, err := bench.Request(id, method, params)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", bench.ProtocolVersion)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// callTool sends tools/call and classifies the answer: "ok", or the
// stable code of an isError result (RATE_LIMITED, UPSTREAM_ERROR, ...),
// or "http NNN" / "transport error" / "jsonrpc error".
func (c *mcpCaller) callTool(ctx context.Context, tool string, args any) (outcome, text string) {
	status, body, err := c.post(ctx, 2, "tools/call", bench.CallParams(tool, args))
	switch {
	case err != nil:
		return "transport error", err.Error()
	case status != http.StatusOK:
		return fmt.Sprintf("http %d", status), string(body)
	}
	res, err := bench.DecodeToolResponse(body)
	if err != nil {
		return "jsonrpc error", err.Error()
	}
	if !res.IsError {
		return "ok", res.Text
	}
	return errorCode(res.Text), res.Text
}

var errorCodePattern = regexp.MustCompile(`^[A-Z][A-Z_]+`)

func errorCode(text string) string {
	if code := errorCodePattern.FindString(text); code != "" {
		return code
	}
	return "isError"
}

// outcomes counts call outcomes by name, keeping one example text each.
type outcomes struct {
	mu      sync.Mutex
	counts  map[string]int
	example map[string]string
}

func newOutcomes() *outcomes {
	return &outcomes{counts: map[string]int{}, example: map[string]string{}}
}

func (o *outcomes) add(outcome, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts[outcome]++
	if _, ok := o.example[outcome]; !ok {
		o.example[outcome] = truncateText(text, 160)
	}
}

func (o *outcomes) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var parts []string
	for _, k := range sortedStrings(o.counts) {
		parts = append(parts, fmt.Sprintf("%s %d", k, o.counts[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedStrings(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func truncateText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// memSampler samples a process's RSS (and optionally its goroutines) until
// stopped, keeping the peak.
type memSampler struct {
	stop                 chan struct{}
	done                 chan struct{}
	peakRSS              atomic.Int64
	peakGoroutines       atomic.Int64
	sampleGoroutinesFrom *httpServerProc
}

func sampleMemory(pid int, every time.Duration, proc *httpServerProc) *memSampler {
	s := &memSampler{stop: make(chan struct{}), done: make(chan struct{}), sampleGoroutinesFrom: proc}
	s.peakGoroutines.Store(-1)
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		n := 0
		for {
			if rss, _, err := processMemory(pid); err == nil && rss > s.peakRSS.Load() {
				s.peakRSS.Store(rss)
			}
			if proc != nil && n%10 == 0 {
				if g := int64(proc.goroutines()); g > s.peakGoroutines.Load() {
					s.peakGoroutines.Store(g)
				}
			}
			n++
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) finish() { close(s.stop); <-s.done }

func queryArgs(sb *sandbox.Server) map[string]any {
	return bench.PageArgs(sb.Now().Add(-time.Hour), sb.Now())
}

// measureBurst: N concurrent query_logs calls whose upstream answers are
// each burstSize bytes (the sandbox's oversized-answer fault), then idling.
func measureBurst(ctx context.Context, bin string, sb *sandbox.Server, o soakOptions) (*section, error) {
	sec := &section{title: fmt.Sprintf("Burst: %d concurrent query_logs calls, each upstream answer %s (HTTP)", o.burstCalls, mib(o.burstSize))}
	p, err := startHTTPServer(ctx, bin, sb.URL, "", "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	defer stopServer(p.cmd)
	pid := p.cmd.Process.Pid
	args := queryArgs(sb)
	warm := newMCPCaller(p.url, sandbox.KeyFull, "", 2*time.Minute)
	defer warm.close()
	if out, text := warm.callTool(ctx, tools.NameQueryLogs, args); out != "ok" {
		return nil, fmt.Errorf("warm-up call: %s: %s", out, text)
	}
	rss0, _, err := processMemory(pid)
	if err != nil {
		return nil, err
	}
	g0 := p.goroutines()

	sb.ClearFaults()
	sb.InjectFault("logs/query/", sandbox.Fault{Kind: sandbox.FaultOversized, Size: o.burstSize}, o.burstCalls)
	defer sb.ClearFaults()
	sampler := sampleMemory(pid, 20*time.Millisecond, p)
	res := newOutcomes()
	start := time.Now()
	var wg sync.WaitGroup
	for range o.burstCalls {
		c := newMCPCaller(p.url, sandbox.KeyFull, "", 2*time.Minute)
		wg.Go(func() {
			defer c.close()
			res.add(c.callTool(ctx, tools.NameQueryLogs, args))
		})
	}
	wg.Wait()
	burstTime := time.Since(start)
	sampler.finish()
	_, hwm, err := processMemory(pid)
	if err != nil {
		return nil, err
	}
	peakG := sampler.peakGoroutines.Load()
	sb.ClearFaults()

	// Idle, sampling once a second.
	under := time.Duration(-1)
	idleStart := time.Now()
	var rssAfter10, rssEnd int64
	for time.Since(idleStart) < o.idle {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
		rss, _, err := processMemory(pid)
		if err != nil {
			return nil, err
		}
		if under < 0 && rss < 150_000_000 {
			under = time.Since(idleStart)
		}
		if rssAfter10 == 0 && time.Since(idleStart) >= 10*time.Second {
			rssAfter10 = rss
		}
		rssEnd = rss
	}
	gEnd := p.goroutines()

	sec.add("resident memory before the burst (VmRSS)", mib(rss0))
	sec.check("peak resident memory (VmHWM)", mib(hwm), "< 1 GB", hwm < 1_000_000_000)
	sec.add("burst duration", ms(burstTime))
	sec.add("call outcomes", res.String())
	sec.add("resident memory after 10 s idle", mib(rssAfter10))
	sec.check(fmt.Sprintf("resident memory after %s idle", o.idle), mib(rssEnd), "< 150 MB within 60 s", under >= 0 && under <= 60*time.Second)
	if under >= 0 {
		sec.add("idle time until under 150 MB", fmt.Sprintf("%.0f s", under.Seconds()))
	} else {
		sec.add("idle time until under 150 MB", "never (in the idle window)")
	}
	sec.add("goroutines: start / peak / end", fmt.Sprintf("%s / %s / %s", count(int64(g0)), count(peakG), count(int64(gEnd))))
	for k, ex := range res.example {
		if k != "ok" {
			sec.note("%s, for example: %s", k, ex)
		}
	}
	sec.note("every call carries the sandbox's full key; the sandbox's FaultOversized answers each logs/query/ with a valid-JSON prefix of the given size (%d faults injected); RSS sampled every 20 ms during the burst and every second while idle", o.burstCalls)
	return sec, nil
}

// floodTime is how long the key flood is spread over.
const floodTime = 5 * time.Second

// introspectionFront counts key checks and slows them down; everything
// else passes to the sandbox.
type introspectionFront struct {
	next  http.Handler
	delay atomic.Int64
	mu    sync.Mutex
	keys  map[string]int
	total atomic.Int64
}

func (f *introspectionFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/personal_api_keys/@current/") {
		f.total.Add(1)
		f.mu.Lock()
		f.keys[r.Header.Get("Authorization")]++
		f.mu.Unlock()
		if d := time.Duration(f.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
	}
	f.next.ServeHTTP(w, r)
}

func randomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "phx_flood_" + hex.EncodeToString(b)
}

// measureFlood: floodKeys requests from 127.0.0.2, each with a new random
// key, while key checks are slow; meanwhile a known key and a new
// legitimate key call from 127.0.0.1.
func measureFlood(ctx context.Context, bin string, sb *sandbox.Server, o soakOptions) (*section, error) {
	sec := &section{title: fmt.Sprintf("Key flood: %d requests with random keys from one address, key checks taking %s (HTTP)", o.floodKeys, o.floodDelay)}
	front := &introspectionFront{next: sb.Sandbox, keys: map[string]int{}}
	hs := httptest.NewServer(front)
	defer hs.Close()
	p, err := startHTTPServer(ctx, bin, hs.URL, "", "--log-level", "info")
	if err != nil {
		return nil, err
	}
	defer stopServer(p.cmd)

	known := newMCPCaller(p.url, sandbox.KeyFull, "127.0.0.1", 30*time.Second)
	defer known.close()
	if status, body, err := known.post(ctx, 1, "tools/list", nil); err != nil || status != http.StatusOK {
		return nil, fmt.Errorf("known key warm-up: %d %v %s", status, err, body)
	}
	checks0 := front.total.Load()
	lines0 := p.stderr.lines.Load()
	front.delay.Store(int64(o.floodDelay))

	flooder := newMCPCaller(p.url, "", "127.0.0.2", 30*time.Second)
	defer flooder.close()
	statuses := newOutcomes()
	var next atomic.Int64
	var wg sync.WaitGroup
	floodStart := time.Now()
	// The keys are spread evenly over floodTime (64 flooders at most at
	// once), so that the known and the new key are tried during the flood
	// however fast the server refuses keys.
	interval := floodTime / time.Duration(o.floodKeys)
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(o.floodKeys) {
					return
				}
				time.Sleep(time.Until(floodStart.Add(time.Duration(i) * interval)))
				c := *flooder
				c.key = randomKey()
				status, _, err := c.post(ctx, 1, "tools/list", nil)
				if err != nil {
					statuses.add("transport error", err.Error())
					continue
				}
				statuses.add(strconv.Itoa(status), "")
			}
		})
	}

	// During the flood: a known key, and a key never seen before.
	time.Sleep(time.Second)
	var knownWorst time.Duration
	for range 5 {
		t := time.Now()
		status, body, err := known.post(ctx, 1, "tools/list", nil)
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("known key during the flood: %d %v %.200s", status, err, body)
		}
		knownWorst = max(knownWorst, time.Since(t))
		time.Sleep(50 * time.Millisecond)
	}
	legit := newMCPCaller(p.url, sandbox.KeyReadOnly, "127.0.0.1", 30*time.Second)
	defer legit.close()
	t := time.Now()
	status, body, err := legit.post(ctx, 1, "tools/list", nil)
	newKeyLatency := time.Since(t)
	if err != nil || status != http.StatusOK {
		sec.note("the new legitimate key got %d %v %.200s", status, err, body)
	}
	stillFlooding := next.Load() < int64(o.floodKeys)
	wg.Wait()
	floodElapsed := time.Since(floodStart)
	front.delay.Store(0)
	// Let aggregated log lines of the flood's interval come out.
	time.Sleep(11 * time.Second)
	checks := front.total.Load() - checks0 - 1 // minus the new legitimate key's check
	lines := p.stderr.lines.Load() - lines0

	sec.check("upstream key checks caused by the flood", strconv.FormatInt(checks, 10), "a few hundred at most", checks <= 300)
	sec.check("server log lines during the flood (+10 s)", strconv.FormatInt(lines, 10), "< 100", lines < 100)
	sec.check("known key: slowest tools/list during the flood", ms(knownWorst), "never slowed (< 100 ms)", knownWorst < 100*time.Millisecond)
	sec.check("new legitimate key: first tools/list", ms(newKeyLatency), "< 1 s", newKeyLatency < time.Second && status == http.StatusOK)
	sec.add("flood answers by HTTP status", statuses.String())
	sec.add("flood duration (keys sent evenly over "+floodTime.String()+", at most 64 at once)", ms(floodElapsed))
	if !stillFlooding {
		sec.note("the flood had already ended when the new key was tried")
	}
	sec.note("flood requests come from 127.0.0.2, the known and the new key from 127.0.0.1; the server runs at --log-level info; key checks counted by a front before the sandbox, which delays each by %s during the flood", o.floodDelay)
	return sec, nil
}

// measureSoak drives soakCalls query_logs calls from soakConc clients while
// a fault is injected before about one call in four: 429 without
// Retry-After, 503, 502, connection resets, garbage, oversized answers.
func measureSoak(ctx context.Context, bin string, sb *sandbox.Server, o soakOptions) (*section, error) {
	sec := &section{title: fmt.Sprintf("Soak: %d query_logs calls from %d clients under mixed upstream faults (HTTP)", o.soakCalls, o.soakConc)}
	p, err := startHTTPServer(ctx, bin, sb.URL, "", "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	defer stopServer(p.cmd)
	pid := p.cmd.Process.Pid
	args := queryArgs(sb)
	clients := make([]*mcpCaller, o.soakConc)
	for i := range clients {
		clients[i] = newMCPCaller(p.url, sandbox.KeyFull, "", time.Minute)
		defer clients[i].close()
	}
	// Warm up at the soak's concurrency, so that the starting point already
	// holds the connections (and their goroutines) the soak reuses.
	var warmWG sync.WaitGroup
	var warmErr atomic.Value
	for _, c := range clients {
		warmWG.Go(func() {
			for range 5 {
				if out, text := c.callTool(ctx, tools.NameQueryLogs, args); out != "ok" {
					warmErr.Store(fmt.Errorf("warm-up call: %s: %s", out, text))
				}
			}
		})
	}
	warmWG.Wait()
	if err, _ := warmErr.Load().(error); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second)
	rss0, _, _ := processMemory(pid)
	g0 := p.goroutines()

	faults := []sandbox.Fault{
		{Kind: sandbox.FaultThrottle},
		{Kind: sandbox.FaultUnavailable},
		{Kind: sandbox.FaultBadGateway},
		{Kind: sandbox.FaultReset},
		{Kind: sandbox.FaultGarbage},
		{Kind: sandbox.FaultOversized, Size: 8 << 20},
		{Kind: sandbox.FaultOversized, Size: 40 << 20},
	}
	sb.ClearFaults()
	defer sb.ClearFaults()
	sampler := sampleMemory(pid, 50*time.Millisecond, p)
	res := newOutcomes()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range clients {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(o.soakCalls) {
					return
				}
				if i%4 == 0 {
					sb.InjectFault("logs/query/", faults[(i/4)%int64(len(faults))], 1)
				}
				res.add(c.callTool(ctx, tools.NameQueryLogs, args))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	sampler.finish()
	sb.ClearFaults()
	time.Sleep(15 * time.Second)
	rssEnd, hwm, _ := processMemory(pid)
	gEnd := p.goroutines()

	sec.add("calls / duration", fmt.Sprintf("%d / %s", o.soakCalls, ms(elapsed)))
	sec.add("call outcomes", res.String())
	sec.add("resident memory: start / peak (VmHWM) / end (after 15 s idle)", fmt.Sprintf("%s / %s / %s", mib(rss0), mib(hwm), mib(rssEnd)))
	sec.add("goroutines: start / peak / end", fmt.Sprintf("%s / %s / %s", count(int64(g0)), count(sampler.peakGoroutines.Load()), count(int64(gEnd))))
	sec.check("goroutines back to the start level", count(int64(gEnd)), fmt.Sprintf("≤ start + 5 (%s)", count(int64(g0))), g0 >= 0 && gEnd <= g0+5)
	sec.note("start: after a warm-up of 5 calls per client and 2 s idle (the clients' and upstream keep-alive connections are open); end: after the soak and 15 s idle")
	sec.note("a fault precedes one call in four, cycling: 429 without Retry-After, 503, 502 HTML, connection reset, garbage 200, 8 MiB answer, 40 MiB answer (over the client's 32 MiB cap); a fault may hit any client's call")
	return sec, nil
}

// measureStdioLimits: one 50 MB line on stdin, then a normal request; and
// a client that closes the server's stdout.
func measureStdioLimits(ctx context.Context, bin string, sb *sandbox.Server) (*section, error) {
	sec := &section{title: "stdio limits: a 50 MB line, and a client that closes stdout"}
	start := func() (*exec.Cmd, io.WriteCloser, io.ReadCloser, *limitedBuffer, error) {
		cmd := exec.CommandContext(ctx, bin, "--log-level", "warn")
		cmd.Env = serverEnv(sb.URL, sandbox.KeyFull)
		stderr := &limitedBuffer{}
		cmd.Stderr = stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, nil, nil, nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, nil, nil, err
		}
		return cmd, in, out, stderr, cmd.Start()
	}
	line := func(id int, method string, params any) []byte {
		b, _ := bench.Request(id, method, params)
		return append(b, '\n')
	}

	// 1. The 50 MB line.
	cmd, in, out, stderr, err := start()
	if err != nil {
		return nil, err
	}
	lines := bufio.NewReaderSize(out, 1<<20)
	readAnswer := func(id int) (string, error) {
		type answer struct {
			s   string
			err error
		}
		ch := make(chan answer, 1)
		go func() {
			for {
				l, err := lines.ReadString('\n')
				if err != nil {
					ch <- answer{"", err}
					return
				}
				if strings.Contains(l, fmt.Sprintf(`"id":%d`, id)) || (id == -1 && strings.Contains(l, `"id":null`)) {
					ch <- answer{l, nil}
					return
				}
			}
		}()
		select {
		case a := <-ch:
			return a.s, a.err
		case <-time.After(60 * time.Second):
			return "", errors.New("no answer within 60 s")
		}
	}
	if _, err := in.Write(line(1, "initialize", bench.InitializeParams())); err != nil {
		return nil, err
	}
	if _, err := readAnswer(1); err != nil {
		return nil, fmt.Errorf("initialize: %v; stderr %s", err, stderr.String())
	}
	_, _ = in.Write(line(0, "notifications/initialized", nil))
	sb.ResetRequests()
	big := map[string]any{"search": strings.Repeat("x", 50<<20)}
	for k, v := range queryArgs(sb) {
		big[k] = v
	}
	msg := line(2, "tools/call", bench.CallParams(tools.NameQueryLogs, big))
	big = nil
	writeErr := make(chan error, 1)
	go func() {
		_, err := in.Write(msg)
		writeErr <- err
	}()
	answer2, err2 := readAnswer(2)
	if answer2 == "" && err2 != nil {
		// A server that cannot name the request answers with id null.
		answer2, err2 = "(no answer with id 2)", nil
	}
	<-writeErr
	msg = nil
	_, _ = in.Write(line(3, "tools/list", nil))
	answer3, err3 := readAnswer(3)
	_, hwm, _ := processMemory(cmd.Process.Pid)
	// The sandbox records a body up to its own 1 MiB cap, then answers 413.
	forwarded, largest := 0, 0
	for _, r := range sb.Requests() {
		if strings.HasSuffix(r.Path, "logs/query/") {
			forwarded++
			largest = max(largest, len(r.Body))
		}
	}
	_ = in.Close()
	exitErr := waitExit(cmd, 10*time.Second)

	sec.check("peak resident memory (VmHWM) with a 50 MB line", mib(hwm), "far below the line (< 100 MB)", hwm < 100_000_000)
	sec.add("answer to the 50 MB line", truncateText(answer2, 200))
	sec.check("logs queries sent to PostHog for the 50 MB line", fmt.Sprintf("%d (largest body recorded: %d bytes)", forwarded, largest), "0", forwarded == 0)
	sec.check("a request after it is served", fmt.Sprintf("%v", err3 == nil && strings.Contains(answer3, `"tools"`)), "true", err3 == nil && strings.Contains(answer3, `"tools"`))
	sec.add("exit after stdin closes", exitStatus(exitErr))

	// 2. The client closes the server's stdout, keeps stdin open.
	cmd, in, out, _, err = start()
	if err != nil {
		return nil, err
	}
	lines = bufio.NewReaderSize(out, 1<<20)
	if _, err := in.Write(line(1, "initialize", bench.InitializeParams())); err != nil {
		return nil, err
	}
	if _, err := readAnswer(1); err != nil {
		return nil, err
	}
	_ = out.Close()
	for i := range 3 {
		_, _ = in.Write(line(10+i, "tools/list", nil))
	}
	exitErr = waitExit(cmd, 10*time.Second)
	_ = in.Close()
	sec.check("exit after the client closes stdout", exitStatus(exitErr), "exit status 0", exitErr == nil)
	return sec, nil
}

// waitExit waits for cmd; after timeout it kills it and says so.
func waitExit(cmd *exec.Cmd, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("still running after %s (killed)", timeout)
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func count(n int64) string {
	if n < 0 {
		return "n/a"
	}
	return strconv.FormatInt(n, 10)
}
