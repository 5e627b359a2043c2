package sandbox

import (
	"bytes"
	"encoding/hex"
	"time"
)

// severity is an index into severityNames; the order is the OpenTelemetry one.
type severity uint8

const (
	sevTrace severity = iota
	sevDebug
	sevInfo
	sevWarn
	sevError
	sevFatal
	severityCount
)

var severityNames = [severityCount]string{"trace", "debug", "info", "warn", "error", "fatal"}

// severityNumbers are the OpenTelemetry severity numbers of each level.
var severityNumbers = [severityCount]int{1, 5, 9, 13, 17, 21}

func parseSeverity(name string) (severity, bool) {
	for i, n := range severityNames {
		if n == name {
			return severity(i), true
		}
	}
	return 0, false
}

// attr is one attribute; values are always strings on the wire.
type attr struct {
	key, value string
}

// resource is the set of resource attributes of one pod, shared by every
// line that pod wrote.
type resource struct {
	service     string // "" when the pod sets no service.name
	scope       string // instrumentation scope of the lines it writes
	attrs       []attr
	json        []byte // the attributes as a JSON object, encoded once
	fingerprint string
}

func (r *resource) lookup(key string) (string, bool) {
	for _, a := range r.attrs {
		if a.key == key {
			return a.value, true
		}
	}
	return "", false
}

// logRow is one stored log line. Rows are immutable once generated.
type logRow struct {
	micros        int64 // timestamp, Unix microseconds
	observedDelta int32 // observed_timestamp - timestamp, microseconds
	sev           severity
	uuid          [16]byte
	traceID       [16]byte // all zero when unset
	spanID        [8]byte  // all zero when unset
	body          string
	bodyLower     string // for case-insensitive search
	attrs         []attr
	res           *resource
}

func (r *logRow) attr(key string) (string, bool) {
	for _, a := range r.attrs {
		if a.key == key {
			return a.value, true
		}
	}
	return "", false
}

// observed is the row's observed_timestamp: when it was ingested.
func (r *logRow) observed() int64 { return r.micros + int64(r.observedDelta) }

func (r *logRow) hasTrace() bool { return r.traceID != [16]byte{} }
func (r *logRow) hasSpan() bool  { return r.spanID != [8]byte{} }

// before reports whether r sorts before (micros, uuid) in ascending order.
func (r *logRow) before(micros int64, uuid [16]byte) bool {
	if r.micros != micros {
		return r.micros < micros
	}
	return bytes.Compare(r.uuid[:], uuid[:]) < 0
}

// timestampLayout is PostHog's row timestamp format: always microseconds, always UTC.
const timestampLayout = "2006-01-02T15:04:05.000000Z"

// appendTimestamp writes micros in timestampLayout. It is hand-rolled
// because every row carries three timestamps and time.AppendFormat was a
// fifth of the cost of a query page.
func appendTimestamp(dst []byte, micros int64) []byte {
	t := time.UnixMicro(micros).UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, second, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1000, 6)
	return append(dst, 'Z')
}

// appendDigits writes n zero-padded to width digits (n >= 0).
func appendDigits(dst []byte, n, width int) []byte {
	var buf [8]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, buf[:width]...)
}

// appendNaiveTimestamp writes micros like PostHog writes
// live_logs_checkpoint: ISO 8601 with microseconds and no zone (UTC).
func appendNaiveTimestamp(dst []byte, micros int64) []byte {
	dst = appendTimestamp(dst, micros)
	return dst[:len(dst)-1]
}

func formatTimestamp(micros int64) string {
	return string(appendTimestamp(nil, micros))
}

func appendUUID(dst []byte, u [16]byte) []byte {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:36], u[10:16])
	return append(dst, buf[:]...)
}

func formatUUID(u [16]byte) string { return string(appendUUID(nil, u)) }

// parseUUID accepts the canonical 8-4-4-4-12 form (either case).
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	compact := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(compact)); err != nil {
		return u, false
	}
	return u, true
}

// appendRowJSON writes one row as PostHog's endpoints return it, with a
// null live_logs_checkpoint.
func appendRowJSON(dst []byte, r *logRow, excludeAttributes bool) []byte {
	return appendQueryRowJSON(dst, r, excludeAttributes, nil)
}

// appendQueryRowJSON writes one row exactly as PostHog's logs/query
// returns it. checkpoint is the response's live_logs_checkpoint, already
// formatted (the same on every row); nil writes null.
func appendQueryRowJSON(dst []byte, r *logRow, excludeAttributes bool, checkpoint []byte) []byte {
	dst = append(dst, `{"uuid":"`...)
	dst = appendUUID(dst, r.uuid)
	dst = append(dst, `","timestamp":"`...)
	dst = appendTimestamp(dst, r.micros)
	dst = append(dst, `","observed_timestamp":"`...)
	dst = appendTimestamp(dst, r.observed())
	dst = append(dst, `","body":`...)
	dst = appendJSONString(dst, r.body)
	name := severityNames[r.sev]
	dst = append(dst, `,"severity_text":"`...)
	dst = append(dst, name...)
	dst = append(dst, `","severity_number":`...)
	dst = appendInt(dst, severityNumbers[r.sev])
	dst = append(dst, `,"level":"`...)
	dst = append(dst, name...)
	dst = append(dst, `","trace_id":"`...)
	dst = hex.AppendEncode(dst, r.traceID[:])
	dst = append(dst, `","span_id":"`...)
	dst = hex.AppendEncode(dst, r.spanID[:])
	dst = append(dst, `","attributes":`...)
	if excludeAttributes {
		dst = append(dst, "{}"...)
	} else {
		dst = appendAttrsJSON(dst, r.attrs)
	}
	dst = append(dst, `,"resource_attributes":`...)
	dst = append(dst, r.res.json...)
	dst = append(dst, `,"resource_fingerprint":"`...)
	dst = append(dst, r.res.fingerprint...)
	dst = append(dst, `","instrumentation_scope":`...)
	dst = appendJSONString(dst, r.res.scope)
	dst = append(dst, `,"event_name":"","live_logs_checkpoint":`...)
	if checkpoint == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '"')
		dst = append(dst, checkpoint...)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

func appendAttrsJSON(dst []byte, attrs []attr) []byte {
	dst = append(dst, '{')
	for i, a := range attrs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, a.key)
		dst = append(dst, ':')
		dst = appendJSONString(dst, a.value)
	}
	return append(dst, '}')
}
