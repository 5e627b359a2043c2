package sandbox

import "net/http"

// handleCount serves POST logs/count/: {"count": N}, exact over
// [date_from, date_to) (the window's end is excluded, as in PostHog's
// count query); dateRange defaults to the last hour.
func (s *Sandbox) handleCount(rq *logsRequest) {
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
	n := 0
	filter.each(rq.rows, func(r *logRow) {
		if r.micros < filter.to {
			n++
		}
	})
	writeJSON(rq.w, http.StatusOK, map[string]int{"count": n})
}
