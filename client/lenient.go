package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The newer endpoints (patterns, patterns_diff, group-by) are decoded leniently (contract,
// section 17): unknown fields are ignored, fields that older deployments lack are optional,
// numbers may arrive as integers or floats, and timestamps in any of the forms PostHog's
// Python and ClickHouse layers produce.

// timeLayouts are tried in order. When parsing, Go accepts a fractional second of any
// length after the seconds even if the layout does not show one.
var timeLayouts = []string{
	time.RFC3339,                // 2026-11-25T14:50:00Z, +00:00, any fraction
	"2006-01-02T15:04:05Z0700",  // +0000
	"2006-01-02T15:04:05",       // naive: UTC
	"2006-01-02 15:04:05Z07:00", // ClickHouse style with a space
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ParseTime reads a timestamp as PostHog sends it: RFC 3339 with "Z" or an offset such as
// "+00:00", any number of fractional digits, or no zone at all (which means UTC). The
// result is in UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp %q", truncateForMessage(s))
}

// flexTime decodes a timestamp string; null, "" and unparsable text leave it zero (an odd
// timestamp on one example must not fail a whole summary).
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s string
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a timestamp is a JSON %s, not a string", jsonKind(b))
	}
	t.Time, _ = ParseTime(s)
	return nil
}

// flexInt decodes a count: an integer, or a float (rounded), or null (zero).
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	f, ok, err := flexNumber(b)
	if err != nil || !ok {
		return err
	}
	switch {
	case f >= math.MaxInt64:
		*n = math.MaxInt64
	case f <= math.MinInt64:
		*n = math.MinInt64
	default:
		*n = flexInt(math.Round(f))
	}
	return nil
}

// flexFloat decodes a number or null (zero).
type flexFloat float64

func (x *flexFloat) UnmarshalJSON(b []byte) error {
	f, ok, err := flexNumber(b)
	if err == nil && ok {
		*x = flexFloat(f)
	}
	return err
}

// flexNumber reads a JSON number; ok is false for null. A numeric string is accepted too.
func flexNumber(b []byte) (f float64, ok bool, err error) {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return 0, false, nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) == nil {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f, true, nil
			}
		}
		return 0, false, errors.New("a number is a JSON string that is not numeric")
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return 0, false, fmt.Errorf("a number is a JSON %s", jsonKind(b))
	}
	return f, true, nil
}

// intPtr returns a copy of *n as *int64, or nil.
func intPtr(n *flexInt) *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}

func floatPtr(x *flexFloat) *float64 {
	if x == nil {
		return nil
	}
	v := float64(*x)
	return &v
}

// jsonKind names the JSON type of b, for messages.
func jsonKind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}
