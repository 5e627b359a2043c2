package sandbox

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	defaultLines = 60000
	dataSpan     = 24 * time.Hour
)

// incident is the story the data set tells: checkout ships a release, a
// promotion starts and trips a bug in it, errors spike, checkout rolls back.
type incident struct {
	deployAt    int64 // Now-2h10m
	spikeStart  int64 // Now-2h (the promotion starts)
	spikeEnd    int64 // Now-1h45m
	rollbackAt  int64 // = spikeEnd
	promoCode   string
	spikeErrors int
}

func (inc incident) inSpike(at int64) bool { return at >= inc.spikeStart && at < inc.spikeEnd }

// generator builds the data set. Everything random comes from rng, seeded,
// so the same seed and anchor always give the same rows.
type generator struct {
	rng       *rand.Rand
	seedMix   uint64
	start     int64 // Unix microseconds, inclusive
	end       int64 // Unix microseconds, exclusive
	rows      []logRow
	topo      *topology
	indexBase uint32 // added to the row index that uuids are made from
}

// generate returns the topology and the rows of the 24 hours before the
// anchor, sorted by (timestamp, uuid) ascending, with room for spare more.
func generate(anchor time.Time, seed int64, lines, spare int) (*topology, []logRow) {
	end := anchor.UnixMicro()
	g := &generator{
		rng:     rand.New(rand.NewPCG(uint64(seed), 0x5eed5a17b0c5)),
		seedMix: splitmix64(uint64(seed)),
		start:   end - dataSpan.Microseconds(),
		end:     end,
		rows:    make([]logRow, 0, lines+16+spare),
	}
	inc := incident{
		deployAt:    end - (2*time.Hour + 10*time.Minute).Microseconds(),
		spikeStart:  end - (2 * time.Hour).Microseconds(),
		spikeEnd:    end - (time.Hour + 45*time.Minute).Microseconds(),
		promoCode:   "BLACKFRIDAY25",
		spikeErrors: max(30, lines/100),
	}
	inc.rollbackAt = inc.spikeEnd
	g.topo = newTopology(g, inc)

	g.incidentLines()
	incidentRows := len(g.rows)
	for len(g.rows) < lines {
		g.scenario(g.sampleTime())
	}
	// The last scenario may overshoot; the incident's rows come first and stay.
	g.rows = g.rows[:max(lines, incidentRows)]
	slices.SortFunc(g.rows, compareRows)
	return g.topo, g.rows
}

func compareRows(a, b logRow) int {
	if a.micros != b.micros {
		if a.micros < b.micros {
			return -1
		}
		return 1
	}
	return strings.Compare(string(a.uuid[:]), string(b.uuid[:]))
}

// line is what a scenario emits; emit turns it into a stored row.
type line struct {
	at    int64
	svc   string // service name, or "" for the cron pod
	sev   severity
	body  string
	attrs []attr
	trace [16]byte
	span  [8]byte
}

func (g *generator) emit(l line) {
	if l.at < g.start || l.at >= g.end {
		return
	}
	res := g.topo.cron
	if l.svc != "" {
		res = g.topo.pod(g, l.svc, l.at, l.trace)
	}
	g.rows = append(g.rows, logRow{
		micros:        l.at,
		observedDelta: g.ingestDelay(),
		sev:           l.sev,
		uuid:          g.uuid(l.at, g.indexBase+uint32(len(g.rows))),
		traceID:       l.trace,
		spanID:        l.span,
		body:          l.body,
		bodyLower:     strings.ToLower(l.body),
		attrs:         l.attrs,
		res:           res,
	})
}

// maxIngestDelay bounds observed_timestamp - timestamp: a query for lines
// observed since T only needs the rows stamped from T-maxIngestDelay on.
const maxIngestDelay = 180 * time.Second

// ingestDelay is how long after its timestamp a line was observed: a few
// milliseconds, except for 0.4% of lines that a collector held back (a
// retry, a backlog) and that arrive 20 s to 3 min late, which is what
// live tail's checkpoint on observed_timestamp exists for. One draw either
// way, so the rest of the data set does not shift.
func (g *generator) ingestDelay() int32 {
	r := g.rng.IntN(40000)
	if r < 160 {
		return int32(20_000_000 + r*1_000_000)
	}
	return int32(200 + r)
}

// uuid builds a UUIDv7-shaped id: 48 bits of Unix milliseconds, version 7,
// the sub-millisecond microseconds as rand_a (so uuid order follows time
// order), and rand_b from the seed and the row's index. The low 32 bits are
// a bijection of the index, which makes every id of one data set unique.
func (g *generator) uuid(micros int64, index uint32) [16]byte {
	var u [16]byte
	ms := uint64(micros / 1000)
	sub := uint64(micros % 1000)
	u[0], u[1], u[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	u[3], u[4], u[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = 0x70 | byte(sub>>8)
	u[7] = byte(sub)
	hi := splitmix64(g.seedMix^uint64(index)) >> 34 // 30 bits
	u[8] = 0x80 | byte(hi>>24)&0x3f
	u[9], u[10], u[11] = byte(hi>>16), byte(hi>>8), byte(hi)
	binary.BigEndian.PutUint32(u[12:], mix32(index^uint32(g.seedMix)))
	return u
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// mix32 is a bijection on uint32 (xor-shifts and odd multipliers are invertible).
func mix32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

// sampleTime draws a time in the window, busier in the (UTC) afternoon.
func (g *generator) sampleTime() int64 {
	span := g.end - g.start
	for {
		at := g.start + g.rng.Int64N(span)
		if g.rng.Float64() < activity(at) {
			return at
		}
	}
}

// activity is the relative traffic at a time of day, between 0.3 and 1;
// its mean over a day is meanActivity.
func activity(at int64) float64 {
	hour := float64(at/1e6%86400) / 3600
	return meanActivity + 0.35*math.Sin(2*math.Pi*(hour-8)/24)
}

const meanActivity = 0.65

// Small random helpers used by the scenarios.

func (g *generator) intn(n int) int               { return g.rng.IntN(n) }
func (g *generator) chance(p float64) bool        { return g.rng.Float64() < p }
func (g *generator) pick(options []string) string { return options[g.rng.IntN(len(options))] }

// between returns a random integer in [lo, hi].
func (g *generator) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

// ms converts milliseconds to the microsecond offsets timestamps use.
func ms(n int) int64 { return int64(n) * 1000 }

func (g *generator) traceID() [16]byte {
	var t [16]byte
	binary.BigEndian.PutUint64(t[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(t[8:], g.rng.Uint64()|1)
	return t
}

func (g *generator) spanID() [8]byte {
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], g.rng.Uint64()|1)
	return s
}

func (g *generator) alnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *generator) lowerAlnum(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *generator) userID() string  { return "u_" + strconv.Itoa(10000+g.rng.IntN(90000)) }
func (g *generator) orderID() string { return "ord_" + g.lowerAlnum(10) }
func (g *generator) clientIP() string {
	return "10." + strconv.Itoa(40+g.rng.IntN(8)) + "." + strconv.Itoa(g.rng.IntN(256)) + "." + strconv.Itoa(1+g.rng.IntN(254))
}

func itoa(n int) string { return strconv.Itoa(n) }
