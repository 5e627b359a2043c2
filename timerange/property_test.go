package timerange

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Property tests use a fixed seed so failures reproduce; each runs a few thousand cases.
const propertyCases = 5000

func newRand() *rand.Rand { return rand.New(rand.NewPCG(20261125, 1402)) }

// randomInstant is uniform over the years Parse accepts, with nanoseconds.
func randomInstant(r *rand.Rand) time.Time {
	seconds := minTime.Unix() + r.Int64N(maxTime.Unix()-minTime.Unix())
	return time.Unix(seconds, r.Int64N(int64(time.Second))).UTC()
}

// randomOffset writes a relative expression of our grammar, in any of its spellings.
func randomOffset(r *rand.Rand) string {
	prefixes := []string{"-", "", "now-", "NOW - ", "Now-"}
	var b strings.Builder
	b.WriteString(prefixes[r.IntN(len(prefixes))])
	for n := 1 + r.IntN(3); n > 0; n-- {
		b.WriteString(strconv.Itoa(r.IntN(500)))
		unit := []string{"s", "S", "m", "h", "H", "d", "D", "w", "W"}[r.IntN(9)]
		b.WriteString(unit)
	}
	return b.String()
}

func TestPropertyFormatThenParse(t *testing.T) {
	r := newRand()
	for i := 0; i < propertyCases; i++ {
		want := randomInstant(r)
		got, err := Parse(FormatTime(want), testNow)
		if err != nil || !got.Equal(want.Truncate(time.Millisecond)) {
			t.Fatalf("Parse(FormatTime(%v)) = %v, %v", want, got, err)
		}
	}
}

func TestPropertyOffsetsNeverInTheFuture(t *testing.T) {
	r := newRand()
	for i := 0; i < propertyCases; i++ {
		expr := randomOffset(r)
		got, err := Parse(expr, testNow)
		if err != nil {
			t.Fatalf("Parse(%q): %v", expr, err)
		}
		if got.After(testNow) {
			t.Fatalf("Parse(%q) = %v, after now %v", expr, got, testNow)
		}
	}
}

func TestPropertyPostHogRoundTrip(t *testing.T) {
	r := newRand()
	for i := 0; i < propertyCases; i++ {
		var expr string
		switch r.IntN(4) {
		case 0:
			expr = FormatTime(randomInstant(r))
		case 1:
			expr = randomInstant(r).Format("2006-01-02")
		case 2:
			// Unix seconds need 9 digits or more (after 1973-03-03); shorter numbers want a unit.
			expr = strconv.FormatInt(max(randomInstant(r).Unix(), 1e8), 10)
		default:
			expr = randomOffset(r)
		}
		want, err := Parse(expr, testNow)
		if err != nil {
			t.Fatalf("Parse(%q): %v", expr, err)
		}
		stored, err := ToPostHog(expr)
		if err != nil {
			t.Fatalf("ToPostHog(%q): %v", expr, err)
		}
		back := FromPostHog(stored)
		got, err := Parse(back, testNow)
		if err != nil || !got.Equal(want) {
			t.Fatalf("%q → PostHog %q → %q parses to %v, %v; want %v", expr, stored, back, got, err, want)
		}
	}
}

func TestPropertyResolveOrdersWindow(t *testing.T) {
	r := newRand()
	pick := func() string {
		switch r.IntN(6) {
		case 0:
			return ""
		case 1:
			return "now"
		case 2:
			return FormatTime(testNow.Add(time.Duration(r.Int64N(int64(96*time.Hour))) - 48*time.Hour))
		case 3:
			return []string{"-5x", "-15M", "garbage", "2026-13-01"}[r.IntN(4)]
		default:
			return randomOffset(r)
		}
	}
	accepted := 0
	for i := 0; i < propertyCases; i++ {
		from, to := pick(), pick()
		w, err := Resolve(from, to, "-1h", testNow)
		if err != nil {
			continue
		}
		accepted++
		if !w.From.Before(w.To) {
			t.Fatalf("Resolve(%q, %q) = %v without error, From not before To", from, to, w)
		}
		if w.From.After(testNow.Add(futureSkew)) {
			t.Fatalf("Resolve(%q, %q) = %v without error, From in the future", from, to, w)
		}
	}
	if accepted < propertyCases/4 {
		t.Fatalf("only %d of %d random windows accepted: the generator is not exercising success", accepted, propertyCases)
	}
}
