package tools

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// series is one line of a bucketed volume chart.
type series struct {
	name   string
	counts []int64 // one per bucket, zero-filled
	total  int64
}

// spike is a run of buckets well above the series' own baseline.
type spike struct {
	first, last int   // bucket indexes, inclusive
	total       int64 // logs in the run
	// baseline is the mean count of the series' buckets outside every
	// spike: what the series does when nothing is happening.
	baseline float64
}

// rate is the spike's mean count per bucket.
func (s spike) rate() float64 { return float64(s.total) / float64(s.last-s.first+1) }

// ratio is how many times the baseline rate the spike ran at; 0 when the
// baseline is zero (the series was silent before).
func (s spike) ratio() float64 {
	if s.baseline == 0 {
		return 0
	}
	return s.rate() / s.baseline
}

// versus describes the spike against its baseline, e.g. "vs a baseline
// of 0.4 per 10-minute bucket (×207)".
func (s spike) versus(width time.Duration) string {
	if s.baseline == 0 {
		return "where the series is otherwise silent"
	}
	return fmt.Sprintf("vs a baseline of %s per %s bucket (×%.0f)", formatRate(s.baseline), widthLabel(width), s.ratio())
}

// minSpikeCount keeps a handful of lines in a quiet series from being
// called a spike.
const minSpikeCount = 10

// findSpikes returns the runs of buckets whose count is far above the
// series' median bucket; the median is robust to the spike itself. At
// most three, biggest first.
func findSpikes(counts []int64) []spike {
	if len(counts) < 4 {
		return nil
	}
	sorted := slices.Clone(counts)
	slices.Sort(sorted)
	base := float64(sorted[len(sorted)/2])
	if len(sorted)%2 == 0 {
		base = float64(sorted[len(sorted)/2-1]+sorted[len(sorted)/2]) / 2
	}
	// Three times the median, and well outside the noise a count of that
	// size has anyway (about its square root), so small series stay quiet.
	threshold := max(3*base, base+4*math.Sqrt(base)+minSpikeCount)
	var out []spike
	for i := 0; i < len(counts); i++ {
		if float64(counts[i]) < threshold {
			continue
		}
		s := spike{first: i}
		for i < len(counts) && float64(counts[i]) >= threshold {
			s.total += counts[i]
			s.last = i
			i++
		}
		out = append(out, s)
	}
	var quiet, quietBuckets int64
	next := 0
	for i, c := range counts {
		if next < len(out) && i > out[next].last {
			next++
		}
		if next < len(out) && i >= out[next].first {
			continue
		}
		quiet += c
		quietBuckets++
	}
	for i := range out {
		if quietBuckets > 0 {
			out[i].baseline = float64(quiet) / float64(quietBuckets)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].total > out[b].total })
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// bucketsOf turns (time, series, count) points into zero-filled series on
// a shared time axis, and the bucket width.
func bucketsOf(points []point) (axis []time.Time, width time.Duration, all []*series) {
	index := map[time.Time]int{}
	for _, p := range points {
		if _, ok := index[p.t]; !ok {
			index[p.t] = 0
			axis = append(axis, p.t)
		}
	}
	slices.SortFunc(axis, func(a, b time.Time) int { return a.Compare(b) })
	for i, t := range axis {
		index[t] = i
	}
	width = time.Minute
	if len(axis) > 1 {
		width = axis[1].Sub(axis[0])
		for i := 2; i < len(axis); i++ {
			width = min(width, axis[i].Sub(axis[i-1]))
		}
	}
	byName := map[string]*series{}
	for _, p := range points {
		s := byName[p.series]
		if s == nil {
			s = &series{name: p.series, counts: make([]int64, len(axis))}
			byName[p.series] = s
			all = append(all, s)
		}
		s.counts[index[p.t]] += p.count
		s.total += p.count
	}
	return axis, width, all
}

// point is one (bucket, series, count) sample, from either endpoint.
type point struct {
	t      time.Time
	series string
	count  int64
}

// durationLabel names a bucket width as a duration: "1 minute", "2 hours".
func durationLabel(d time.Duration) string {
	n, unit := int(d/time.Second), "second"
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		n, unit = int(d/time.Hour), "hour"
	case d >= time.Minute && d%time.Minute == 0:
		n, unit = int(d/time.Minute), "minute"
	}
	return plural(n, unit)
}

// widthLabel names a bucket width the way people say it: "1-minute", "2-hour".
func widthLabel(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "-hour"
	case d >= time.Minute && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "-minute"
	}
	return strconv.Itoa(int(d/time.Second)) + "-second"
}

// trimToWindow drops buckets that start at or after the window's end:
// PostHog may return one, always empty, and a sparkline ending in a zero
// reads as "it stopped".
func trimToWindow(axis []time.Time, all []*series, to time.Time) []time.Time {
	n := len(axis)
	for n > 0 && !axis[n-1].Before(to) {
		n--
	}
	if n == len(axis) {
		return axis
	}
	for _, s := range all {
		for _, c := range s.counts[n:] {
			s.total -= c
		}
		s.counts = s.counts[:n]
	}
	return axis[:n]
}

// partialEdges says which edge buckets the window covers only in part,
// so a low first or last bar is not read as a drop.
func partialEdges(axis []time.Time, width time.Duration, from, to time.Time) string {
	if len(axis) == 0 {
		return ""
	}
	first := axis[0].Before(from)
	last := axis[len(axis)-1].Add(width).After(to)
	switch {
	case first && last:
		return "first and last buckets partial"
	case first:
		return "first bucket partial"
	case last:
		return "last bucket partial"
	}
	return ""
}
