package client

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNormalizeSeverity(t *testing.T) {
	tests := map[string]string{
		"trace": "trace", "DEBUG": "debug", " Info ": "info", "warn": "warn", "Warning": "warn",
		"ERROR": "error", "fatal": "fatal", "CRITICAL": "fatal",
	}
	for in, want := range tests {
		got, err := NormalizeSeverity(in)
		if err != nil || got != want {
			t.Errorf("NormalizeSeverity(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "err", "verbose", "warnings"} {
		_, err := NormalizeSeverity(in)
		if err == nil || !strings.Contains(err.Error(), "trace, debug, info, warn, error, fatal") {
			t.Errorf("NormalizeSeverity(%q) error %v should list valid values", in, err)
		}
	}
}

func TestPropertyValidation(t *testing.T) {
	tests := []struct {
		name string
		in   PropertyFilter
		want any    // the normalised value when valid
		err  string // substring of the error when invalid
	}{
		{name: "string exact", in: PropertyFilter{Key: "http.route", Type: "log_attribute", Operator: "exact", Value: "/pay"}, want: "/pay"},
		{name: "number gt", in: PropertyFilter{Key: "duration_ms", Type: "log_attribute", Operator: "gt", Value: 250}, want: 250},
		{name: "float lt", in: PropertyFilter{Key: "duration_ms", Type: "log_attribute", Operator: "lt", Value: 2.5}, want: 2.5},
		{name: "json number", in: PropertyFilter{Key: "n", Type: "log_attribute", Operator: "exact", Value: json.Number("12")}, want: json.Number("12")},
		{name: "list any-of", in: PropertyFilter{Key: "service.name", Type: "log_resource_attribute", Operator: "exact", Value: []string{"a", "b"}}, want: []string{"a", "b"}},
		{name: "[]any list", in: PropertyFilter{Key: "code", Type: "log_attribute", Operator: "is_not", Value: []any{"500", 502.0}}, want: []string{"500", "502"}},
		{name: "is_set without value", in: PropertyFilter{Key: "user.id", Type: "log_attribute", Operator: "is_set"}, want: nil},
		{name: "severity_level normalised", in: PropertyFilter{Key: "severity_level", Type: "log", Operator: "exact", Value: "WARNING"}, want: "warn"},
		{name: "severity list normalised", in: PropertyFilter{Key: "severity_level", Type: "log", Operator: "is_not", Value: []string{"Error", "critical"}}, want: []string{"error", "fatal"}},
		{name: "message icontains", in: PropertyFilter{Key: "message", Type: "log", Operator: "icontains", Value: "timeout"}, want: "timeout"},
		{name: "regex ok", in: PropertyFilter{Key: "message", Type: "log", Operator: "regex", Value: `^pay.*(declined|expired)$`}, want: `^pay.*(declined|expired)$`},

		{name: "empty key", in: PropertyFilter{Type: "log_attribute", Operator: "exact", Value: "x"}, err: "key is empty"},
		{name: "unknown type", in: PropertyFilter{Key: "k", Type: "event", Operator: "exact", Value: "x"}, err: "unknown type"},
		{name: "unknown log field", in: PropertyFilter{Key: "service", Type: "log", Operator: "exact", Value: "x"}, err: "built-in fields"},
		{name: "unknown operator", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "contains", Value: "x"}, err: "unknown operator"},
		{name: "is_set with value", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "is_set", Value: "x"}, err: "takes no value"},
		{name: "is_not_set with value", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "is_not_set", Value: ""}, err: "takes no value"},
		{name: "missing value", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "exact"}, err: "needs a value"},
		{name: "bool value", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "exact", Value: true}, err: "unsupported value"},
		{name: "map value", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "exact", Value: map[string]any{}}, err: "unsupported value"},
		{name: "list with icontains", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "icontains", Value: []string{"a"}}, err: "only with exact"},
		{name: "empty list", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "exact", Value: []string{}}, err: "empty"},
		{name: "nested list", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "exact", Value: []any{[]any{"a"}}}, err: "list items"},
		{name: "bad severity", in: PropertyFilter{Key: "severity_level", Type: "log", Operator: "exact", Value: "loud"}, err: "unknown severity"},
		{name: "severity with icontains", in: PropertyFilter{Key: "severity_level", Type: "log", Operator: "icontains", Value: "err"}, err: "only exact and is_not"},
		{name: "bad regex", in: PropertyFilter{Key: "message", Type: "log", Operator: "regex", Value: "(unclosed"}, err: "invalid regular expression"},
		{name: "NaN", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "gt", Value: nan()}, err: "finite"},
		{name: "bad json number", in: PropertyFilter{Key: "k", Type: "log_attribute", Operator: "gt", Value: json.Number("1e")}, err: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeProperty(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Value, tt.want) {
				t.Errorf("value %#v, want %#v", got.Value, tt.want)
			}
		})
	}
}

func nan() float64 { var zero float64; return zero / zero }

func TestEncodeFilterGroup(t *testing.T) {
	got, err := EncodeFilterGroup([]PropertyFilter{
		{Key: "service.name", Type: "log_resource_attribute", Operator: "exact", Value: []string{"checkout"}},
		{Key: "user.id", Type: "log_attribute", Operator: "is_set"},
		{Key: "duration_ms", Type: "log_attribute", Operator: "gt", Value: 250},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"AND","values":[{"type":"AND","values":[` +
		`{"key":"service.name","type":"log_resource_attribute","operator":"exact","value":["checkout"]},` +
		`{"key":"user.id","type":"log_attribute","operator":"is_set"},` +
		`{"key":"duration_ms","type":"log_attribute","operator":"gt","value":250}]}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	empty, err := EncodeFilterGroup(nil)
	if err != nil || string(empty) != `{"type":"AND","values":[{"type":"AND","values":[]}]}` {
		t.Errorf("empty: %s %v", empty, err)
	}
	if _, err := EncodeFilterGroup([]PropertyFilter{{Key: "k", Type: "x", Operator: "exact", Value: "v"}}); err == nil {
		t.Error("invalid filter encoded")
	}
}

func TestDecodeFilterGroup(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want []PropertyFilter
		err  string
	}{
		{name: "null", raw: `null`},
		{name: "empty", raw: ``},
		{name: "empty nested", raw: `{"type":"AND","values":[{"type":"AND","values":[]}]}`},
		{
			name: "nested", raw: `{"type":"AND","values":[{"type":"AND","values":[{"key":"k8s.pod.name","type":"log_resource_attribute","operator":"icontains","value":"api"},{"key":"n","type":"log_attribute","operator":"gt","value":5}]}]}`,
			want: []PropertyFilter{
				{Key: "k8s.pod.name", Type: "log_resource_attribute", Operator: "icontains", Value: "api"},
				{Key: "n", Type: "log_attribute", Operator: "gt", Value: json.Number("5")},
			},
		},
		{
			name: "flat list", raw: `[{"key":"user.id","type":"log_attribute","operator":"is_not_set"},{"key":"code","type":"log_attribute","operator":"exact","value":["500",502]}]`,
			want: []PropertyFilter{
				{Key: "user.id", Type: "log_attribute", Operator: "is_not_set"},
				{Key: "code", Type: "log_attribute", Operator: "exact", Value: []string{"500", "502"}},
			},
		},
		{
			name: "single-item OR is fine", raw: `{"type":"OR","values":[{"type":"AND","values":[{"key":"a","type":"log_attribute","operator":"exact","value":"1"}]}]}`,
			want: []PropertyFilter{{Key: "a", Type: "log_attribute", Operator: "exact", Value: "1"}},
		},
		{name: "real OR refused", raw: `{"type":"OR","values":[{"type":"AND","values":[]},{"type":"AND","values":[]}]}`, err: "OR"},
		{name: "not JSON", raw: `{"type":`, err: "not valid JSON"},
		{name: "trailing", raw: `[] []`, err: "trailing"},
		{name: "values not a list", raw: `{"type":"AND","values":3}`, err: "must be a list"},
		{name: "filter without key", raw: `[{"type":"log_attribute"}]`, err: "no string key"},
		{name: "scalar", raw: `"x"`, err: "unexpected"},
		{name: "too deep", raw: strings.Repeat(`{"type":"AND","values":[`, 40) + strings.Repeat(`]}`, 40), err: "too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFilterGroup(json.RawMessage(tt.raw))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestDateRange(t *testing.T) {
	from := time.Date(2026, 11, 25, 14, 2, 3, 123456789, time.FixedZone("CET", 3600))
	to := from.Add(time.Hour)
	dr, err := dateRangeFor(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if dr.DateFrom != "2026-11-25T13:02:03.123456Z" || dr.DateTo != "2026-11-25T14:02:03.123456Z" {
		t.Errorf("got %+v", dr)
	}
	dr, _ = dateRangeFor(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	if dr.DateFrom != "2026-01-01T00:00:00Z" || dr.DateTo != "" {
		t.Errorf("open end: %+v", dr)
	}
	dr, _ = dateRangeFor(time.Time{}, to)
	if dr.DateFrom != "2026-11-25T13:02:03.123456Z" {
		t.Errorf("zero From should be an hour before To: %+v", dr)
	}
	if _, err := dateRangeFor(to, from); err == nil {
		t.Error("reversed range accepted")
	}
	encoded, _ := json.Marshal(dr)
	if strings.Contains(string(encoded), "explicitDate") {
		t.Error("unexpected key in dateRange")
	}
}

func TestBuildQueryNormalises(t *testing.T) {
	q, err := buildQuery(Filters{
		Severities: []string{"ERROR", "error", "Warning"},
		Services:   []string{"checkout", "checkout", "payments"},
		Search:     "declined",
		Properties: []PropertyFilter{{Key: "http.route", Type: "log_attribute", Operator: "exact", Value: "/pay"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.SeverityLevels, []string{"error", "warn"}) || !reflect.DeepEqual(q.ServiceNames, []string{"checkout", "payments"}) {
		t.Errorf("got %+v", q)
	}
	if q.FilterGroup == nil || q.DateRange == nil || q.DateRange.DateFrom == "" {
		t.Errorf("got %+v", q)
	}
	if _, err := buildQuery(Filters{Services: []string{" "}}); err == nil {
		t.Error("empty service accepted")
	}
}

func TestAfterCursor(t *testing.T) {
	got := AfterCursor("2026-11-25T14:02:03.123456Z", "0199abcd")
	// Python: base64.b64encode(json.dumps({"timestamp": ..., "uuid": ...}).encode())
	want := "eyJ0aW1lc3RhbXAiOiAiMjAyNi0xMS0yNVQxNDowMjowMy4xMjM0NTZaIiwgInV1aWQiOiAiMDE5OWFiY2QifQ=="
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
