package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	rowTimestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	hex32        = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hex16        = regexp.MustCompile(`^[0-9a-f]{16}$`)
	uuidShape    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func TestQueryRowShape(t *testing.T) {
	srv := shared(t)
	resp := call(t, srv, "POST", KeyFull, logsPath("query"), q(map[string]any{
		"dateRange": dateRange(-time.Hour, 0), "limit": 200,
	}))
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	var raw struct {
		Results           []map[string]any `json:"results"`
		Columns           any              `json:"columns"`
		MaxExportableLogs int              `json:"maxExportableLogs"`
	}
	resp.decode(t, &raw)
	if len(raw.Results) != 200 || raw.MaxExportableLogs != 10000 || raw.Columns != nil {
		t.Fatalf("got %d rows, maxExportableLogs %d, columns %v", len(raw.Results), raw.MaxExportableLogs, raw.Columns)
	}
	wantKeys := []string{"attributes", "body", "event_name", "instrumentation_scope", "level", "live_logs_checkpoint",
		"observed_timestamp", "resource_attributes", "resource_fingerprint", "severity_number", "severity_text",
		"span_id", "timestamp", "trace_id", "uuid"}
	sawZeroTrace := false
	for _, row := range raw.Results {
		var keys []string
		for k := range row {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Fatalf("row keys %v, want %v", keys, wantKeys)
		}
		if !rowTimestamp.MatchString(row["timestamp"].(string)) || !rowTimestamp.MatchString(row["observed_timestamp"].(string)) {
			t.Fatalf("timestamps %v / %v", row["timestamp"], row["observed_timestamp"])
		}
		if !uuidShape.MatchString(row["uuid"].(string)) {
			t.Fatalf("uuid %v", row["uuid"])
		}
		if !hex32.MatchString(row["trace_id"].(string)) || !hex16.MatchString(row["span_id"].(string)) {
			t.Fatalf("trace %v span %v", row["trace_id"], row["span_id"])
		}
		sawZeroTrace = sawZeroTrace || row["trace_id"] == strings.Repeat("0", 32)
		for _, field := range []string{"attributes", "resource_attributes"} {
			for k, v := range row[field].(map[string]any) {
				if _, ok := v.(string); !ok {
					t.Fatalf("%s[%s] = %#v, want a string", field, k, v)
				}
			}
		}
		if row["level"] != row["severity_text"] {
			t.Fatalf("level %v != severity_text %v", row["level"], row["severity_text"])
		}
	}
	if !sawZeroTrace {
		t.Error("no row without a trace: unset trace ids must be all zeros")
	}
}

func TestQueryLimitsAndEcho(t *testing.T) {
	srv := shared(t)
	tests := []struct {
		name      string
		limit     any
		wantRows  int
		wantEcho  float64
		wantMore  bool
		windowLen time.Duration
	}{
		{"default 1000", nil, 1000, 1001, true, 2 * time.Hour},
		{"explicit 10", 10, 10, 11, true, time.Hour},
		{"capped at 2000", 5000, 2000, 2001, true, 3 * time.Hour},
		{"all fit", 2000, -1, 2001, false, 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := map[string]any{"dateRange": dateRange(-tt.windowLen, 0)}
			if tt.limit != nil {
				fields["limit"] = tt.limit
			}
			got := query(t, srv, fields)
			if tt.wantRows >= 0 && len(got.Results) != tt.wantRows {
				t.Errorf("rows %d, want %d", len(got.Results), tt.wantRows)
			}
			if got.Query["limit"] != tt.wantEcho {
				t.Errorf("echoed limit %v, want %v", got.Query["limit"], tt.wantEcho)
			}
			if got.HasMore != tt.wantMore || (got.NextCursor != nil) != tt.wantMore {
				t.Errorf("hasMore %v nextCursor %v, want more=%v", got.HasMore, got.NextCursor, tt.wantMore)
			}
			if _, ok := got.Query["dateRange"]; !ok {
				t.Errorf("query not echoed: %v", got.Query)
			}
		})
	}
}

// TestQueryPagingWalk pages through whole windows in both orders and
// checks every matching row comes exactly once, in order.
func TestQueryPagingWalk(t *testing.T) {
	srv := shared(t)
	cases := []struct {
		name   string
		fields map[string]any
	}{
		{"everything", map[string]any{}},
		{"errors and warnings", map[string]any{"severityLevels": []string{"warn", "error", "fatal"}}},
		{"checkout search", map[string]any{"serviceNames": []string{"checkout"}, "searchTerm": "order"}},
	}
	for _, c := range cases {
		for _, order := range []string{"latest", "earliest"} {
			t.Run(c.name+"/"+order, func(t *testing.T) {
				fields := map[string]any{"dateRange": dateRange(-3*time.Hour, -time.Hour), "orderBy": order, "limit": 97}
				for k, v := range c.fields {
					fields[k] = v
				}
				want := count(t, srv, fields)
				if want < 100 {
					t.Fatalf("window too small to page: %d rows", want)
				}
				seen := map[string]bool{}
				var prev *rowJSON
				pages := 0
				for {
					page := query(t, srv, fields)
					pages++
					if page.HasMore && len(page.Results) != 97 {
						t.Fatalf("page %d has %d rows but hasMore", pages, len(page.Results))
					}
					for i := range page.Results {
						row := page.Results[i]
						if seen[row.UUID] {
							t.Fatalf("row %s repeated", row.UUID)
						}
						seen[row.UUID] = true
						if prev != nil {
							ordered := prev.Timestamp < row.Timestamp || (prev.Timestamp == row.Timestamp && prev.UUID < row.UUID)
							if order == "latest" {
								ordered = prev.Timestamp > row.Timestamp || (prev.Timestamp == row.Timestamp && prev.UUID > row.UUID)
							}
							if !ordered {
								t.Fatalf("out of order: %s/%s then %s/%s", prev.Timestamp, prev.UUID, row.Timestamp, row.UUID)
							}
						}
						prev = &row
					}
					if !page.HasMore {
						break
					}
					last := page.Results[len(page.Results)-1]
					decoded, err := base64.StdEncoding.DecodeString(*page.NextCursor)
					if err != nil {
						t.Fatalf("cursor not std base64: %v", err)
					}
					var c cursor
					if err := json.Unmarshal(decoded, &c); err != nil || c.Timestamp != last.Timestamp || c.UUID != last.UUID {
						t.Fatalf("cursor %s does not name the last row %s/%s", decoded, last.Timestamp, last.UUID)
					}
					fields["after"] = *page.NextCursor
				}
				if len(seen) != want {
					t.Fatalf("walked %d rows in %d pages, count says %d", len(seen), pages, want)
				}
			})
		}
	}
}

func TestQueryOptions(t *testing.T) {
	srv := shared(t)
	t.Run("excludeAttributes", func(t *testing.T) {
		got := query(t, srv, map[string]any{"dateRange": dateRange(-time.Hour, 0), "limit": 50, "excludeAttributes": true})
		for _, r := range got.Results {
			if len(r.Attributes) != 0 || len(r.ResourceAttributes) == 0 {
				t.Fatalf("attributes %v resource %v", r.Attributes, r.ResourceAttributes)
			}
		}
	})
	t.Run("unknown orderBy is latest", func(t *testing.T) {
		a := query(t, srv, map[string]any{"dateRange": dateRange(-time.Hour, 0), "limit": 5, "orderBy": "sideways"})
		b := query(t, srv, map[string]any{"dateRange": dateRange(-time.Hour, 0), "limit": 5})
		if a.Results[0].UUID != b.Results[0].UUID {
			t.Fatal("orderBy sideways differs from latest")
		}
	})
	t.Run("window bounds", func(t *testing.T) {
		from, to := -95*time.Minute, -80*time.Minute
		got := query(t, srv, map[string]any{"dateRange": dateRange(from, to), "limit": 2000})
		if got.HasMore || len(got.Results) == 0 {
			t.Fatalf("rows %d hasMore %v", len(got.Results), got.HasMore)
		}
		for _, r := range got.Results {
			ts := parseRowTime(t, r.Timestamp)
			if ts.Before(testNow.Add(from)) || ts.After(testNow.Add(to)) {
				t.Fatalf("row at %s outside the window", r.Timestamp)
			}
		}
	})
	t.Run("live logs checkpoint", func(t *testing.T) {
		first := query(t, srv, map[string]any{"dateRange": map[string]any{"date_from": iso(-time.Hour)}, "limit": 10})
		want := testNow.Add(-ingestLag).Format("2006-01-02T15:04:05.000000")
		for _, r := range first.Results {
			if r.LiveLogsCheckpoint == nil || *r.LiveLogsCheckpoint != want {
				t.Fatalf("row checkpoint %v, want %s on every row", r.LiveLogsCheckpoint, want)
			}
		}
		checkpoint := first.Results[5].ObservedTimestamp
		got := query(t, srv, map[string]any{"dateRange": map[string]any{"date_from": iso(-time.Hour)}, "liveLogsCheckpoint": checkpoint})
		if len(got.Results) < 6 {
			t.Fatalf("%d rows since the checkpoint", len(got.Results))
		}
		for _, r := range got.Results {
			if r.ObservedTimestamp < checkpoint {
				t.Fatalf("row observed %s before checkpoint %s", r.ObservedTimestamp, checkpoint)
			}
		}
	})
	t.Run("relative dates in PostHog grammar", func(t *testing.T) {
		minutes := count(t, srv, map[string]any{"dateRange": map[string]any{"date_from": "-30M"}})
		months := count(t, srv, map[string]any{"dateRange": map[string]any{"date_from": "-30m"}})
		iso30 := count(t, srv, map[string]any{"dateRange": dateRange(-30*time.Minute, 0)})
		// Every row ingested by Now: lines observed later are not there yet.
		ingested := 0
		for i := range srv.rows {
			if srv.rows[i].observed() <= testNow.UnixMicro() {
				ingested++
			}
		}
		if minutes != iso30 || months != ingested {
			t.Fatalf("-30M=%d (iso %d), -30m=%d (all ingested %d)", minutes, iso30, months, ingested)
		}
	})
}

// TestDeterminism: the same seed and Now give the same data, byte for byte.
func TestDeterminism(t *testing.T) {
	body := `{"query":{"dateRange":{"date_from":"2026-11-25T12:00:00Z","date_to":"2026-11-25T13:00:00Z"},"limit":50}}`
	firstPage := func(cfg Config) string {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/api/projects/1/logs/query/", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+KeyFull)
		New(cfg).ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	a := firstPage(Config{Now: testNow, Seed: 7, Lines: 20000})
	b := firstPage(Config{Now: testNow, Seed: 7, Lines: 20000})
	c := firstPage(Config{Now: testNow, Seed: 8, Lines: 20000})
	if a != b {
		t.Fatal("same seed and Now gave different pages")
	}
	if a == c {
		t.Fatal("different seeds gave the same page")
	}
}
