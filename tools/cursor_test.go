package tools

import (
	"reflect"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

func sampleCursor() cursorState {
	from := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC)
	return cursorState{
		Project: 1, From: from, To: from.Add(time.Hour),
		Sev: []string{"error"}, Services: []string{"checkout"}, Search: "declined",
		Props: []client.PropertyFilter{{Key: "http.route", Type: "log_attribute", Operator: "exact", Value: []string{"/a", "/b"}}},
		Order: "latest", AfterTS: "2026-11-25T13:59:57.537123Z", AfterID: "01a21301-8961-72bd-8eac-bb39d8822369", Limit: 50, MaxBody: 300,
	}
}

func TestCursorRoundTrip(t *testing.T) {
	st := sampleCursor()
	got, err := decodeCursor(encodeCursor(st))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, st)
	}
}

func TestCursorRejectsTampering(t *testing.T) {
	bad := []string{
		"", "c1.", "c2.abc", "c1.!!!", "c1." + "eyJ9",
		encodeCursor(func() cursorState { s := sampleCursor(); s.Order = "sideways"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Limit = 5000; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.From = s.To; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.AfterID = ""; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.AfterID = "../../x"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.AfterTS = "yesterday"; return s }()),
		encodeCursor(func() cursorState { s := sampleCursor(); s.Props[0].Operator = "drop table"; return s }()),
	}
	for _, c := range bad {
		if _, err := decodeCursor(c); err == nil {
			t.Errorf("decodeCursor(%.40q) accepted a bad cursor", c)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(sampleCursor()))
	f.Add("c1.e30")
	f.Add("c1.eyJwIjoxfQ")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := decodeCursor(s)
		if err != nil {
			return
		}
		// Whatever decodes must be a query we can run and re-encode.
		if !st.From.Before(st.To) || st.Limit < 1 || st.Limit > maxQueryLimit || st.after() == "" {
			t.Fatalf("accepted an unusable cursor: %+v", st)
		}
		if _, err := decodeCursor(encodeCursor(st)); err != nil {
			t.Fatalf("re-encoded cursor does not decode: %v", err)
		}
	})
}
