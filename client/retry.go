package client

import (
	"math"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxServerWait bounds a wait the server asks for, against absurd values.
const maxServerWait = time.Hour

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date. 0 when absent or invalid.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return 0
		}
		return secondsToWait(secs)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d, maxServerWait)
		}
	}
	return 0
}

// throttleDetail matches PostHog's "Request was throttled. Expected available in 17 seconds."
var throttleDetail = regexp.MustCompile(`(?i)available in (\d+(?:\.\d+)?) second`)

// waitFromDetail reads the seconds from a throttling detail. 0 when absent.
func waitFromDetail(detail string) time.Duration {
	m := throttleDetail.FindStringSubmatch(detail)
	if m == nil {
		return 0
	}
	secs, err := strconv.ParseFloat(m[1], 64)
	if err != nil || secs <= 0 {
		return 0
	}
	return secondsToWait(secs)
}

// secondsToWait converts a positive number of seconds, capped at maxServerWait. The cap is
// applied before converting: a huge value would overflow time.Duration into a negative wait.
func secondsToWait(secs float64) time.Duration {
	if secs >= maxServerWait.Seconds() {
		return maxServerWait
	}
	return time.Duration(secs * float64(time.Second))
}

func randInt63n(n int64) int64 { return rand.Int64N(n) }
