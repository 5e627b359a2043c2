package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

const (
	defaultQueryLimit = 1000
	maxQueryLimit     = 2000
	maxExportableLogs = 10000
)

// cursor is the decoded nextCursor: the (timestamp, uuid) of the last row
// returned. Paging continues strictly beyond it.
type cursor struct {
	Timestamp string `json:"timestamp"`
	UUID      string `json:"uuid"`
}

func encodeCursor(r *logRow) string {
	b, _ := json.Marshal(cursor{Timestamp: formatTimestamp(r.micros), UUID: formatUUID(r.uuid)})
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(s string) (micros int64, uuid [16]byte, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if raw, err = base64.URLEncoding.DecodeString(s); err != nil {
			return 0, uuid, false
		}
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil {
		return 0, uuid, false
	}
	t, err := time.Parse(time.RFC3339Nano, c.Timestamp)
	if err != nil {
		return 0, uuid, false
	}
	uuid, ok = parseUUID(c.UUID)
	return t.UnixMicro(), uuid, ok
}

// handleQuery serves POST logs/query/.
func (s *Sandbox) handleQuery(rq *logsRequest) {
	in, echo, err := readQuery(rq)
	if err != nil {
		rq.fail(err)
		return
	}
	filter, err := buildFilter(in, rq.now, true, true)
	if err != nil {
		rq.fail(err)
		return
	}
	limit := defaultQueryLimit
	if in.Limit != nil {
		limit = *in.Limit
	}
	if limit < 1 {
		rq.fail(errServer())
		return
	}
	limit = min(limit, maxQueryLimit)
	latest := in.OrderBy == nil || *in.OrderBy != "earliest"
	if in.LiveLogsCheckpoint != nil && *in.LiveLogsCheckpoint != "" {
		checkpoint, ok := parseCheckpoint(*in.LiveLogsCheckpoint)
		if !ok {
			rq.fail(errServer()) // ClickHouse cannot parse it: PostHog answers an opaque 500
			return
		}
		filter.observeSince(checkpoint)
	}

	span := filter.span(rq.rows)
	if in.After != nil && *in.After != "" {
		micros, uuid, ok := decodeCursor(*in.After)
		if !ok {
			rq.fail(errPlain(http.StatusBadRequest, "Invalid cursor format"))
			return
		}
		span = beyondCursor(span, micros, uuid, latest)
	}

	page := make([]*logRow, 0, min(limit+1, 256))
	if latest {
		for i := len(span) - 1; i >= 0 && len(page) <= limit; i-- {
			if filter.match(&span[i]) {
				page = append(page, &span[i])
			}
		}
	} else {
		for i := 0; i < len(span) && len(page) <= limit; i++ {
			if filter.match(&span[i]) {
				page = append(page, &span[i])
			}
		}
	}
	hasMore := len(page) > limit
	if hasMore {
		page = page[:limit]
	}

	echo["limit"] = json.RawMessage(strconv.Itoa(limit + 1))
	echoJSON, _ := marshalJSON(echo)
	excludeAttributes := in.ExcludeAttributes != nil && *in.ExcludeAttributes

	size := 256 + len(echoJSON)
	for _, r := range page {
		size += estimateRowJSON(r)
	}
	buf := outputBuffers.Get().(*[]byte)
	defer outputBuffers.Put(buf)
	out := slices.Grow((*buf)[:0], size)
	out = append(out, `{"query":`...)
	out = append(out, echoJSON...)
	out = append(out, `,"results":[`...)
	var checkpointBuf [32]byte
	checkpoint := appendNaiveTimestamp(checkpointBuf[:0], rq.now.Add(-ingestLag).UnixMicro())
	for i, r := range page {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendQueryRowJSON(out, r, excludeAttributes, checkpoint)
	}
	out = append(out, `],"hasMore":`...)
	out = strconv.AppendBool(out, hasMore)
	out = append(out, `,"nextCursor":`...)
	if hasMore {
		out = appendJSONString(out, encodeCursor(page[len(page)-1]))
	} else {
		out = append(out, "null"...)
	}
	out = append(out, `,"maxExportableLogs":`...)
	out = appendInt(out, maxExportableLogs)
	out = append(out, `,"columns":null}`...)
	writeRaw(rq.w, http.StatusOK, out)
	if cap(out) <= maxPooledBuffer {
		*buf = out
	}
}

// parseCheckpoint reads liveLogsCheckpoint: ISO 8601 with or without a
// zone (none means UTC), as PostHog hands it out and its UI sends it back.
func parseCheckpoint(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// outputBuffers recycles response buffers: a page is encoded into one,
// written, and the buffer reused, which keeps the garbage collector out of
// the hot path.
var outputBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// maxPooledBuffer keeps the occasional 2000-row page from pinning its
// buffer in the pool.
const maxPooledBuffer = 1 << 20

// estimateRowJSON is an upper bound of the common case, so that the
// output buffer rarely grows while rows are appended.
func estimateRowJSON(r *logRow) int {
	n := 420 + len(r.body) + len(r.body)/8 + len(r.res.json) + len(r.res.scope)
	for _, a := range r.attrs {
		n += len(a.key) + len(a.value) + 8
	}
	return n
}

// beyondCursor keeps the rows strictly after the cursor in the order's
// direction: older ones for latest-first, newer ones for earliest-first.
func beyondCursor(span []logRow, micros int64, uuid [16]byte, latest bool) []logRow {
	if latest {
		end := sort.Search(len(span), func(i int) bool { return !span[i].before(micros, uuid) })
		return span[:end]
	}
	start := sort.Search(len(span), func(i int) bool {
		r := &span[i]
		return r.micros > micros || (r.micros == micros && r.uuid != uuid && !r.before(micros, uuid))
	})
	return span[start:]
}
