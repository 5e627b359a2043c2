package sandbox

import (
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// The data set is a pure function of the seed and the anchor, and grows
// with the clock. New generates the 24 hours before the anchor in one go;
// the lines after it are made one minute at a time, when the clock first
// reaches that minute, by a generator seeded with the seed and the minute
// alone. So every process that shares the anchor (all those started in one
// UTC hour) sees the same lines and uuids, and a watcher sees new lines
// arrive while it waits.

const (
	minuteMicros = int64(time.Minute / time.Microsecond)
	// anchorPastHour places the unpinned anchor in its hour: the incident,
	// told two hours before the anchor, is then between 1.5 and 2.5 hours
	// old whenever in the hour a sandbox starts.
	anchorPastHour = 30 * time.Minute
	// liveSpill is how far past its minute a live minute's requests may
	// log (a slow search takes about 3 s).
	liveSpill = 10 * time.Second
	// maxLinesPerMinute keeps a live minute's row indexes within the 15
	// bits the uuid reserves for them.
	maxLinesPerMinute = 30000
	// ingestLag is how far live_logs_checkpoint trails the clock: ingestion
	// is known to be complete up to then (PostHog's trails by seconds too).
	ingestLag = 2 * time.Second
)

// hourAnchor is the anchor of a sandbox started at t: 30 minutes past the
// start of t's UTC hour.
func hourAnchor(t time.Time) time.Time {
	return t.UTC().Truncate(time.Hour).Add(anchorPastHour)
}

// dataset holds project 1's rows: the generated day before the anchor,
// then the live minutes published so far.
type dataset struct {
	seed   int64
	lines  int // per 24 hours
	anchor int64
	topo   *topology
	base   []logRow // the day before the anchor; a prefix of every published slice
	live   bool     // false when the clock is frozen: nothing after the anchor is ever needed

	through atomic.Int64             // every row stamped before it is published
	rows    atomic.Pointer[[]logRow] // published, sorted by (timestamp, uuid)

	mu      sync.Mutex // serialises extend
	next    int64      // next live minute to generate, in Unix minutes
	pending []logRow   // generated rows stamped at or after through (a minute's spill)
}

func newDataset(anchor time.Time, seed int64, lines int, live bool) *dataset {
	spare := 0
	if live {
		// Room for the live lines of the rest of the anchor's hour (at peak
		// traffic), so that publishing them does not copy the whole day.
		spare = int(float64(lines)/(24*60)*(60-anchorPastHour.Minutes())/meanActivity) + 64
	}
	topo, base := generate(anchor, seed, lines, spare)
	d := &dataset{seed: seed, lines: lines, anchor: anchor.UnixMicro(), topo: topo, base: base, live: live}
	d.rows.Store(&base)
	d.through.Store(d.anchor)
	d.next = floorDiv(d.anchor, minuteMicros)
	return d
}

// visible returns the rows stamped at or before now, generating the live
// minutes the clock has reached. Lines stamped before now but observed
// after it are in the slice too: logFilter.match hides them until then.
func (d *dataset) visible(now int64) []logRow {
	if d.live && now >= d.through.Load() {
		d.extend(now)
	}
	rows := *d.rows.Load()
	end := sort.Search(len(rows), func(i int) bool { return rows[i].micros > now })
	return rows[:end]
}

// extend generates every minute that starts at or before now and
// publishes the rows stamped before the end of the last one. Readers keep
// the slice they loaded: appending writes only past its length.
func (d *dataset) extend(now int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now < d.through.Load() {
		return
	}
	for d.next*minuteMicros <= now {
		d.pending = append(d.pending, d.minute(d.next)...)
		d.next++
	}
	through := d.next * minuteMicros
	slices.SortFunc(d.pending, compareRows)
	cut := sort.Search(len(d.pending), func(i int) bool { return d.pending[i].micros >= through })
	rows := append(*d.rows.Load(), d.pending[:cut]...)
	d.pending = append(d.pending[:0:0], d.pending[cut:]...)
	d.rows.Store(&rows)
	d.through.Store(through)
}

// minute generates the lines of requests that start in Unix minute m (and
// not before the anchor), at the data set's average rate for that time of
// day. It depends only on the seed, m and the topology, never on when it
// runs.
func (d *dataset) minute(m int64) []logRow {
	start := m * minuteMicros
	g := &generator{
		rng:       rand.New(rand.NewPCG(uint64(d.seed)^0x11fe7a11, uint64(m))),
		seedMix:   splitmix64(uint64(d.seed)),
		start:     max(start, d.anchor),
		end:       start + minuteMicros + liveSpill.Microseconds(),
		topo:      d.topo,
		indexBase: 1<<31 | uint32(m&0xffff)<<15,
	}
	expected := float64(d.lines) / (24 * 60) * activity(start+minuteMicros/2) / meanActivity
	target := min(int(expected+g.rng.Float64()), maxLinesPerMinute)
	g.rows = make([]logRow, 0, target+8)
	// Bounded: before the anchor (a minute it cuts) requests emit nothing.
	for tries := 0; len(g.rows) < target && tries < 4*target; tries++ {
		g.scenario(start + g.rng.Int64N(minuteMicros))
	}
	return g.rows
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
