package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// Response bodies are read into buffers whose bytes are charged to one budget shared by
// every call of a Client (Options.MaxBufferedBytes): without it, 64 concurrent 30 MB
// answers held 2 GB at once. A body first reserves what it is known to need (its
// Content-Length) or a small amount; a chunked body that outgrows that reserves the rest
// of the per-response cap in one step (see bodyBudget: waiting never deadlocks). When the
// budget is spent, a call waits within its attempt's deadline and then fails with
// KindBusy. The budget is given back once the body is decoded. The pool keeps buffers
// whose capacity is charged like any other, and drops those beyond maxPooledBuffer.

const (
	// DefaultMaxBufferedBytes bounds the response bytes held at once across all calls.
	DefaultMaxBufferedBytes = 256 << 20
	// maxPooledBuffer keeps exceptionally large bodies from pinning memory in the pool:
	// a buffer that grew beyond it is dropped, not pooled.
	maxPooledBuffer = 4 << 20
	// smallReservation is what a body of unknown length reserves before it starts reading.
	smallReservation = 256 << 10
	minGrowth        = 64 << 10
	// decodeFactor: a large body is charged this many times its bytes, once for the bytes
	// and once for what decoding makes of them while it runs (a logs page decodes to about
	// twice its JSON). Measured: 64 concurrent 30 MB answers peaked at 962 MiB of heap when
	// big bodies were charged once.
	decodeFactor = 2
)

// bodyBuffer holds one response body while it is decoded; held is what it has reserved
// from the Client's byte budget.
type bodyBuffer struct {
	b                  []byte
	heldSmall, heldBig int64
}

var bufferPool = sync.Pool{New: func() any { return new(bodyBuffer) }}

func getBuffer() *bodyBuffer { return bufferPool.Get().(*bodyBuffer) }

// putBuffer returns b to the pool unless it grew too large to keep; it reports whether it pooled it.
func putBuffer(b *bodyBuffer) bool {
	if cap(b.b) > maxPooledBuffer {
		return false
	}
	b.b, b.heldSmall, b.heldBig = b.b[:0], 0, 0
	bufferPool.Put(b)
	return true
}

// byteBudget is a weighted semaphore over bytes, first come first served (a large
// request is not starved by a stream of small ones).
type byteBudget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	peak    int64 // the most ever held at once (tests, benchmarks)
	waiters []*budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed when granted
}

func newByteBudget(size int64) *byteBudget { return &byteBudget{size: size} }

// acquire takes n bytes, waiting while others hold them, until ctx ends.
func (b *byteBudget) acquire(ctx context.Context, n int64) error {
	if n <= 0 {
		return nil
	}
	b.mu.Lock()
	if n > b.size {
		b.mu.Unlock()
		return fmt.Errorf("%d bytes exceed the whole budget of %d", n, b.size)
	}
	if len(b.waiters) == 0 && b.used+n <= b.size {
		b.take(n)
		b.mu.Unlock()
		return nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready: // granted just now: give it back
			b.mu.Unlock()
			b.release(n)
		default:
			for i, x := range b.waiters {
				if x == w {
					b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
					break
				}
			}
			b.grantLocked() // the head may have changed
			b.mu.Unlock()
		}
		return ctx.Err()
	}
}

// tryAcquire takes n bytes if they are free now, without waiting.
func (b *byteBudget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.size {
		return false
	}
	b.take(n)
	return true
}

func (b *byteBudget) take(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

// release gives back n bytes and wakes the waiters that now fit, in order.
func (b *byteBudget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	if b.used < 0 {
		panic("client: byte budget released more than acquired")
	}
	b.grantLocked()
	b.mu.Unlock()
}

func (b *byteBudget) grantLocked() {
	for len(b.waiters) > 0 && b.used+b.waiters[0].n <= b.size {
		w := b.waiters[0]
		b.waiters = b.waiters[1:]
		b.take(w.n)
		close(w.ready)
	}
}

func (b *byteBudget) stats() (used, peak int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.peak
}

// errBusy marks a read refused because the byte budget stayed spent until the deadline.
var errBusy = errors.New("byte budget exhausted")

// bodyBudget splits MaxBufferedBytes in two so that waiting for memory can never deadlock:
// a body starts with a charge to small (its Content-Length, or smallReservation) and grows
// within small only while the bytes are free at once (up to maxPooledBuffer); beyond, it
// takes the whole per-response cap (decodeFactor times) from big in one step and never
// waits again. (A body
// whose Content-Length exceeds maxPooledBuffer is charged to big from the start.) Holders
// of big never wait, so big always drains; waiters for big hold at most a small charge,
// and waiters for small hold nothing.
type bodyBudget struct {
	small, big *byteBudget
}

func newBodyBudget(total, maxResponse int64) bodyBudget {
	small := max(total/4, maxPooledBuffer)
	big := max(total-small, decodeFactor*(maxResponse+1))
	return bodyBudget{small: newByteBudget(small), big: newByteBudget(big)}
}

func (b bodyBudget) size() int64 { return b.small.size + b.big.size }

// stats sums both parts; peak is the sum of the parts' peaks (an upper bound).
func (b bodyBudget) stats() (used, peak int64) {
	su, sp := b.small.stats()
	bu, bp := b.big.stats()
	return su + bu, sp + bp
}

// charge reserves n more bytes for buf: from big when asked (decodeFactor times n), else
// from small.
func (c *Client) charge(ctx context.Context, buf *bodyBuffer, n int64, big bool) error {
	part, held, cost := c.budget.small, &buf.heldSmall, n
	if big {
		part, held, cost = c.budget.big, &buf.heldBig, decodeFactor*n
	}
	if err := part.acquire(ctx, cost); err != nil {
		return errBusy
	}
	*held += n
	return nil
}

// releaseBuffer gives buf's bytes back to the budget and the buffer to the pool.
func (c *Client) releaseBuffer(buf *bodyBuffer) {
	c.budget.small.release(buf.heldSmall)
	c.budget.big.release(decodeFactor * buf.heldBig)
	putBuffer(buf)
}

// readLimited reads a body under MaxResponseBytes (never downloading the rest of a larger
// one) into a buffer charged to the byte budget; the caller releases it with releaseBuffer.
// A read error comes back as an Error with no Kind and the cause; a budget that stays
// spent until ctx ends as KindBusy.
func (c *Client) readLimited(ctx context.Context, raw *http.Response) (*bodyBuffer, *Error) {
	limit := c.maxResponseBytes
	if raw.ContentLength > limit {
		return nil, c.tooLarge(raw.StatusCode)
	}
	buf := getBuffer()
	fail := func(e *Error) (*bodyBuffer, *Error) {
		c.releaseBuffer(buf)
		return nil, e
	}
	want := int64(smallReservation)
	if raw.ContentLength >= 0 {
		want = raw.ContentLength + 1 // +1: room to see the end without growing
	}
	want = min(want, limit+1)
	if int64(cap(buf.b)) < want {
		buf.b = make([]byte, 0, want)
	} else {
		buf.b = buf.b[:0:want] // use (and charge) only what this body is expected to need
	}
	if err := c.charge(ctx, buf, int64(cap(buf.b)), cap(buf.b) > maxPooledBuffer); err != nil {
		return fail(c.busy(raw.StatusCode))
	}
	for {
		if len(buf.b) == cap(buf.b) {
			if int64(len(buf.b)) > limit {
				return fail(c.tooLarge(raw.StatusCode))
			}
			newCap := min(max(2*int64(cap(buf.b)), minGrowth), limit+1)
			if held := buf.heldSmall + buf.heldBig; newCap > held {
				switch {
				case buf.heldBig == 0 && newCap <= maxPooledBuffer && c.budget.small.tryAcquire(newCap-held):
					// Still small, and the bytes were free: no waiting while holding some.
					buf.heldSmall += newCap - held
				default:
					// Take what the largest answer needs from big, in one step: only a
					// small charge is held while waiting, and a big one never grows.
					n := limit + 1
					if buf.heldBig > 0 { // more than its Content-Length: the transport prevents it
						n = newCap - held
					}
					if err := c.charge(ctx, buf, n, true); err != nil {
						return fail(c.busy(raw.StatusCode))
					}
				}
			}
			grown := make([]byte, len(buf.b), newCap)
			copy(grown, buf.b)
			buf.b = grown
		}
		n, err := raw.Body.Read(buf.b[len(buf.b):cap(buf.b)])
		buf.b = buf.b[:len(buf.b)+n]
		if int64(len(buf.b)) > limit {
			return fail(c.tooLarge(raw.StatusCode))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(&Error{cause: err})
		}
	}
	// Keep charging only what the buffer really holds.
	if spare := min(buf.heldBig, buf.heldSmall+buf.heldBig-int64(cap(buf.b))); spare > 0 {
		c.budget.big.release(decodeFactor * spare)
		buf.heldBig -= spare
	}
	return buf, nil
}

func (c *Client) busy(status int) *Error {
	return &Error{Kind: KindBusy, Status: status, Detail: fmt.Sprintf(
		"server busy: the answers of other calls already hold the %d MiB this server keeps for PostHog responses; retry in a moment, or ask for less (narrower time range, lower limit, exclude attributes)",
		c.budget.size()>>20)}
}
