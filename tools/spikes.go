package tools

import (
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
	baseline    float64
}

// ratio is how many times the baseline rate the spike ran at.
func (s spike) ratio() float64 {
	per := float64(s.total) / float64(s.last-s.first+1)
	return per / max(s.baseline, 1)
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
		s := spike{first: i, baseline: base}
		for i < len(counts) && float64(counts[i]) >= threshold {
			s.total += counts[i]
			s.last = i
			i++
		}
		out = append(out, s)
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
