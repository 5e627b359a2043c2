package sandbox

import "net/http"

// handleCount serves POST logs/count/: {"count": N}.
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
	filter.each(rq.rows, func(*logRow) { n++ })
	writeJSON(rq.w, http.StatusOK, map[string]int{"count": n})
}
