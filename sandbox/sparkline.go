package sandbox

import (
	"cmp"
	"net/http"
	"slices"
	"time"
)

// bucketWidths are PostHog's sparkline interval choices.
var bucketWidths = []time.Duration{
	time.Second, 5 * time.Second, 10 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

const targetBuckets = 50

// bucketing splits a window into buckets aligned to their width.
type bucketing struct {
	width int64 // microseconds
	first int64 // start of the first bucket
	count int
}

// sparklineHorizon bounds how far from now a sparkline's buckets reach,
// so that an absurd window ("-1000y") cannot allocate millions of zeros.
// The data set only covers the day before Now anyway.
const sparklineHorizon = 400 * 24 * time.Hour

// clampForBuckets narrows a window to now ± sparklineHorizon.
func clampForBuckets(w window, now time.Time) window {
	w.from = max(w.from, now.Add(-sparklineHorizon).UnixMicro())
	w.to = min(w.to, now.Add(sparklineHorizon).UnixMicro())
	w.to = max(w.to, w.from)
	return w
}

// newBucketing picks the width whose bucket count is closest to 50
// (the larger width on a tie).
func newBucketing(w window) bucketing {
	span := max(w.to-w.from, 1)
	best := bucketWidths[0].Microseconds()
	bestDistance := int64(-1)
	for _, d := range bucketWidths {
		width := d.Microseconds()
		distance := span/width - targetBuckets
		if distance < 0 {
			distance = -distance
		}
		if bestDistance < 0 || distance <= bestDistance {
			best, bestDistance = width, distance
		}
	}
	first := floorTo(w.from, best)
	last := floorTo(w.to, best)
	return bucketing{width: best, first: first, count: int((last-first)/best) + 1}
}

func floorTo(micros, width int64) int64 {
	q := micros / width
	if micros < 0 && micros%width != 0 {
		q--
	}
	return q * width
}

func (b bucketing) index(micros int64) int { return int((micros - b.first) / b.width) }

func (b bucketing) label(i int) string {
	return time.UnixMicro(b.first + int64(i)*b.width).UTC().Format(time.RFC3339)
}

// series accumulates counts per bucket for one breakdown value.
type series struct {
	name   string
	rank   int // sort order among series
	total  int
	counts []int
	bytes  []int
}

const (
	maxSparklineSeries = 10
	noValue            = "(no value)"
	otherSeries        = "other"
)

// handleSparkline serves POST logs/sparkline/: a bare JSON array.
func (s *Sandbox) handleSparkline(rq *logsRequest) {
	in, _, err := readQuery(rq)
	if err != nil {
		rq.fail(err)
		return
	}
	filter, err := buildFilter(in, rq.now, false, true)
	if err != nil {
		rq.fail(err)
		return
	}
	byService := false
	if in.SparklineBreakdownBy != nil {
		switch *in.SparklineBreakdownBy {
		case "severity":
		case "service":
			byService = true
		default:
			rq.fail(errServer())
			return
		}
	}

	filter.window = clampForBuckets(filter.window, rq.now)
	buckets := newBucketing(filter.window)
	found := map[string]*series{}
	filter.each(rq.rows, func(r *logRow) {
		name, rank := severityNames[r.sev], int(r.sev)
		if byService {
			name, rank = r.res.service, 0
			if name == "" {
				name = noValue
			}
		}
		ser := found[name]
		if ser == nil {
			ser = &series{name: name, rank: rank, counts: make([]int, buckets.count), bytes: make([]int, buckets.count)}
			found[name] = ser
		}
		i := buckets.index(r.micros)
		ser.counts[i]++
		ser.bytes[i] += len(r.body)
		ser.total++
	})

	all := make([]*series, 0, len(found))
	for _, ser := range found {
		all = append(all, ser)
	}
	if byService {
		slices.SortFunc(all, func(a, b *series) int {
			return cmp.Or(cmp.Compare(b.total, a.total), cmp.Compare(a.name, b.name))
		})
		all = foldOther(all, buckets.count)
	} else {
		slices.SortFunc(all, func(a, b *series) int { return cmp.Compare(a.rank, b.rank) })
	}

	points := make([]sparkPoint, 0, buckets.count*len(all))
	for i := range buckets.count {
		label := buckets.label(i)
		for _, ser := range all {
			p := sparkPoint{Time: label, Count: ser.counts[i], Bytes: ser.bytes[i]}
			if byService {
				p.Service = ser.name
			} else {
				p.Severity = ser.name
			}
			points = append(points, p)
		}
	}
	writeJSON(rq.w, http.StatusOK, points)
}

// sparkPoint is one bucket of one series; exactly one of Severity and
// Service is set, depending on the breakdown.
type sparkPoint struct {
	Time     string `json:"time"`
	Severity string `json:"severity,omitempty"`
	Service  string `json:"service,omitempty"`
	Count    int    `json:"count"`
	Bytes    int    `json:"bytes_uncompressed"`
}

// foldOther keeps the top series and merges the rest into "other", as
// newer PostHog versions do.
func foldOther(all []*series, buckets int) []*series {
	if len(all) <= maxSparklineSeries {
		return all
	}
	other := &series{name: otherSeries, counts: make([]int, buckets), bytes: make([]int, buckets)}
	for _, ser := range all[maxSparklineSeries:] {
		for i := range buckets {
			other.counts[i] += ser.counts[i]
			other.bytes[i] += ser.bytes[i]
		}
		other.total += ser.total
	}
	return append(all[:maxSparklineSeries:maxSparklineSeries], other)
}
