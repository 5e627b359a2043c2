package mcpserver

import (
	"context"
	"errors"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Tool calls in flight, shutdown and memory.
//
// Every tool call passes through a callGate. It bounds the calls running at
// once: each may hold a PostHog answer of up to the client's size cap while
// it is decoded and rendered, so unbounded concurrency is unbounded memory.
// A call beyond the bound waits briefly for a slot and then gets
// RATE_LIMITED, which agents retry. When the last call of a burst ends, the
// gate hands the burst's memory back to the operating system. On shutdown
// it lets running calls finish until the grace period ends, then cancels
// them, and they answer CANCELLED instead of losing their connection.

const (
	// DefaultMaxConcurrentCalls bounds the tool calls in flight. Each may
	// hold a PostHog answer of up to 32 MiB (twice that while it is read),
	// so 16 keep a burst of huge answers under 1 GB; calls mostly wait on
	// PostHog, and one is served in under a millisecond of CPU, so 16 do
	// not limit throughput on a few cores (--max-concurrent-calls raises it).
	DefaultMaxConcurrentCalls = 16
	// DefaultCallQueueWait is how long a call beyond the bound waits for a
	// slot before it is answered RATE_LIMITED.
	DefaultCallQueueWait = 2 * time.Second

	// releaseDelay is how long the gate waits after the last call of a
	// burst before returning memory: calls arriving back to back must not
	// pay for a collection each.
	releaseDelay = 250 * time.Millisecond
	// releaseInterval bounds how often memory is returned (a forced
	// collection costs a few milliseconds of CPU per 10 MB of live heap).
	releaseInterval = 5 * time.Second
	// releaseThreshold is the memory the heap must hold beyond its live
	// objects before returning it is worth a forced collection.
	releaseThreshold = 32 << 20
)

// Results of calls the gate refuses or interrupts.
const (
	busyMessage      = "RATE_LIMITED: server busy, retry in a few seconds"
	cancelledMessage = "CANCELLED: server shutting down, retry"
)

var errShuttingDown = errors.New("server shutting down")

// callGate is described above. The zero value is not usable: newCallGate.
type callGate struct {
	slots chan struct{}
	wait  time.Duration

	// stop is cancelled when the grace period ends: running calls are
	// cancelled with errShuttingDown as the cause.
	stop     context.Context
	stopNow  context.CancelCauseFunc
	draining chan struct{} // closed when shutdown begins: no new calls

	mu          sync.Mutex
	active      int
	idle        chan struct{} // closed when active drops to zero
	lastRelease time.Time
	releasing   *time.Timer
	// What releaseAfterBurst does and when (tests shorten them).
	release        func() // debug.FreeOSMemory
	reclaimable    func() uint64
	releaseDelay   time.Duration
	releaseEvery   time.Duration
	releaseAtLeast uint64
}

func newCallGate(limit int, wait time.Duration) *callGate {
	if limit <= 0 {
		limit = DefaultMaxConcurrentCalls
	}
	if wait <= 0 {
		wait = DefaultCallQueueWait
	}
	stop, stopNow := context.WithCancelCause(context.Background())
	idle := make(chan struct{})
	close(idle)
	return &callGate{
		slots: make(chan struct{}, limit), wait: wait,
		stop: stop, stopNow: stopNow, draining: make(chan struct{}),
		idle: idle, release: releaseMemory, reclaimable: reclaimable,
		releaseDelay: releaseDelay, releaseEvery: releaseInterval, releaseAtLeast: releaseThreshold,
	}
}

// middleware runs a tool call under the gate.
func (g *callGate) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if g.isDraining() {
			return mcp.NewToolResultError(cancelledMessage), nil
		}
		if !g.acquire(ctx) {
			if g.isDraining() {
				return mcp.NewToolResultError(cancelledMessage), nil
			}
			return mcp.NewToolResultError(busyMessage), nil
		}
		defer g.leave()

		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(g.stop, func() { cancel(errShuttingDown) })
		defer stop()
		res, err := next(ctx, req)
		if errors.Is(context.Cause(ctx), errShuttingDown) && (err != nil || res == nil || res.IsError) {
			// Whatever the tool made of its cancelled context, the caller
			// must learn that the server gave up, and that a retry (on a
			// replica, or after the restart) is the remedy.
			return mcp.NewToolResultError(cancelledMessage), nil
		}
		return res, err
	}
}

// acquire takes a slot, waiting up to g.wait; false when none came (or the
// caller went away, or shutdown began).
func (g *callGate) acquire(ctx context.Context) bool {
	select {
	case g.slots <- struct{}{}:
		g.enter()
		return true
	default:
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		g.enter()
		return true
	case <-timer.C:
	case <-ctx.Done():
	case <-g.draining:
	}
	return false
}

func (g *callGate) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.active == 0 {
		g.idle = make(chan struct{})
	}
	g.active++
}

func (g *callGate) leave() {
	<-g.slots
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	if g.active > 0 {
		return
	}
	close(g.idle)
	if g.releasing == nil {
		g.releasing = time.AfterFunc(g.releaseDelay, g.releaseAfterBurst)
	}
}

// releaseAfterBurst returns memory to the OS if no call is running, the
// heap holds enough to be worth it, and the last release is not too
// recent (else it tries again when it will not be).
func (g *callGate) releaseAfterBurst() {
	g.mu.Lock()
	g.releasing = nil
	if g.active > 0 {
		g.mu.Unlock()
		return // the burst goes on; its end schedules another try
	}
	if wait := g.releaseEvery - time.Since(g.lastRelease); wait > 0 {
		g.releasing = time.AfterFunc(wait, g.releaseAfterBurst)
		g.mu.Unlock()
		return
	}
	if g.reclaimable() < g.releaseAtLeast {
		g.mu.Unlock()
		return
	}
	g.lastRelease = time.Now()
	g.mu.Unlock()
	g.release()
}

// stopTimers cancels a pending release (tests and shutdown).
func (g *callGate) stopTimers() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.releasing != nil {
		g.releasing.Stop()
		g.releasing = nil
	}
}

func (g *callGate) isDraining() bool {
	select {
	case <-g.draining:
		return true
	default:
		return false
	}
}

func (g *callGate) idleChan() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.idle
}

// running returns the calls in flight.
func (g *callGate) running() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.active
}

// drain refuses new calls, waits for running ones until grace ends, then
// cancels those left and waits (up to settle) for them to answer. It
// reports how many were cancelled.
func (g *callGate) drain(grace, settle time.Duration) (cancelled int) {
	g.mu.Lock()
	select {
	case <-g.draining:
	default:
		close(g.draining)
	}
	g.mu.Unlock()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-g.idleChan():
		return 0
	case <-timer.C:
	}
	cancelled = g.running()
	g.stopNow(errShuttingDown)
	settleTimer := time.NewTimer(settle)
	defer settleTimer.Stop()
	select {
	case <-g.idleChan():
	case <-settleTimer.C:
	}
	return cancelled
}

// reclaimable estimates the heap memory a forced collection and scavenge
// would hand back: free spans not yet returned to the OS, plus objects
// allocated since the last collection beyond what it found live (after a
// burst, the burst's dead answers).
func reclaimable() uint64 {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(samples)
	value := func(i int) uint64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return samples[i].Value.Uint64()
		}
		return 0
	}
	free, objects, live := value(0), value(1), value(2)
	if objects > live {
		free += objects - live
	}
	return free
}

func releaseMemory() { debug.FreeOSMemory() }
