package client

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseErrorBody: any body yields a bounded, tag-free *Error and never panics.
func FuzzParseErrorBody(f *testing.F) {
	f.Add(401, "application/json", []byte(`{"type":"authentication_error","code":"authentication_failed","detail":"Personal API key found in request Authorization header is invalid.","attr":null}`))
	f.Add(400, "application/json", []byte(`{"uuid":["This field is required."]}`))
	f.Add(400, "application/json", []byte(`"key is required"`))
	f.Add(404, "application/json", []byte(`{"error":"Log not found"}`))
	f.Add(502, "text/html", []byte(`<html><body><h1>502 Bad Gateway</h1></body></html>`))
	f.Add(500, "", []byte(`{"detail":"<<a>b>x<scr<script>ipt>"}`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		e := ParseErrorBody(status, contentType, body)
		if e == nil {
			t.Fatal("nil *Error")
		}
		if e.Kind == "" || e.Status != status {
			t.Fatalf("kind %q status %d", e.Kind, e.Status)
		}
		if e.Detail == "" {
			t.Fatal("empty detail")
		}
		for name, s := range map[string]string{"detail": e.Detail, "code": e.Code, "attr": e.Attr} {
			if containsTag(s) {
				t.Fatalf("%s echoes an HTML tag: %q", name, s)
			}
		}
		if len(e.Detail) > maxDetailBytes+len("…") || len(e.Code) > 100 || len(e.Attr) > 100 {
			t.Fatalf("unbounded: detail %d, code %d, attr %d bytes", len(e.Detail), len(e.Code), len(e.Attr))
		}
		_ = e.Error()
	})
}

// FuzzEncodeFilterGroup: encoding gives the nested form or an error, and decoding the
// output gives filters that encode to the same bytes.
func FuzzEncodeFilterGroup(f *testing.F) {
	f.Add("http.route", "log_attribute", "exact", `"/api/pay"`)
	f.Add("service.name", "log_resource_attribute", "exact", `["checkout","payments"]`)
	f.Add("user.id", "log_attribute", "is_set", ``)
	f.Add("duration_ms", "log_attribute", "gt", `250.5`)
	f.Add("severity_level", "log", "is_not", `["WARNING","error"]`)
	f.Add("message", "log", "regex", `"^pay(ment)?"`)
	f.Add("k", "log_attribute", "exact", `{"a":1}`)
	f.Add("pattern", "log", "exact", `["User <*> not found","b"]`)
	f.Add("pattern_version", "log", "exact", `7`)
	f.Add("pattern_version", "log", "exact", `"7"`)
	f.Add("trace_id", "log", "exact", `"4bf92f3577b34da6a3ce929d0e0e4736"`)
	f.Fuzz(func(t *testing.T, key, typ, op, valueJSON string) {
		var value any
		if valueJSON != "" {
			dec := json.NewDecoder(bytes.NewReader([]byte(valueJSON)))
			dec.UseNumber()
			if dec.Decode(&value) != nil {
				value = valueJSON // not JSON: use the text as a string value
			}
		}
		props := []PropertyFilter{{Key: key, Type: typ, Operator: op, Value: value}, {Key: "x", Type: "log_attribute", Operator: "is_not_set"}}
		encoded, err := EncodeFilterGroup(props)
		if err != nil {
			return
		}
		var shape struct {
			Type   string `json:"type"`
			Values []struct {
				Type   string            `json:"type"`
				Values []json.RawMessage `json:"values"`
			} `json:"values"`
		}
		if err := json.Unmarshal(encoded, &shape); err != nil {
			t.Fatalf("invalid JSON %s: %v", encoded, err)
		}
		if shape.Type != "AND" || len(shape.Values) != 1 || shape.Values[0].Type != "AND" || len(shape.Values[0].Values) != len(props) {
			t.Fatalf("not the nested form: %s", encoded)
		}
		decoded, err := DecodeFilterGroup(encoded)
		if err != nil {
			t.Fatalf("decode of %s: %v", encoded, err)
		}
		again, err := EncodeFilterGroup(decoded)
		if err != nil {
			t.Fatalf("re-encode of %#v: %v", decoded, err)
		}
		if !bytes.Equal(encoded, again) {
			t.Fatalf("round trip differs\n first %s\nsecond %s", encoded, again)
		}
	})
}

// FuzzFastLogsPage: whenever the fast decoder accepts an input, encoding/json accepts it too
// and produces exactly the same page.
func FuzzFastLogsPage(f *testing.F) {
	f.Add(realisticPage(3))
	f.Add([]byte(`{"results":[` + sampleRow + `],"hasMore":true,"nextCursor":null,"maxExportableLogs":10000,"query":{"a":[1,2.5e3,-0.1,true,false,null,"x\n"]}}`))
	f.Add([]byte(`{"results":[],"hasMore":false}`))
	f.Add([]byte(`{"results":null,"nextCursor":"a\u00e9\"\\\/\b\f\n\r\t"}`))
	f.Add([]byte(`{"Results":[]}`))
	f.Add([]byte(`{"results":[{"uuid":"\ud83d\ude00","attributes":{"a":"b","a":"c"}}]}`))
	f.Add([]byte(`{"results":[{"severity_number":17.0}]}`))
	f.Add([]byte("{\"results\":[{\"body\":\"\xff\"}]}"))
	// Live tail: the checkpoint and observed timestamp as strings, null, or odd types.
	f.Add([]byte(`{"results":[{"uuid":"a","observed_timestamp":"2026-11-25T14:02:03.2+00:00","live_logs_checkpoint":"2026-11-25T14:02:04"}],"hasMore":false}`))
	f.Add([]byte(`{"results":[{"observed_timestamp":null,"live_logs_checkpoint":null},{"live_logs_checkpoint":"2026-11-25 14:02:04.123456"}]}`))
	f.Add([]byte(`{"results":[{"live_logs_checkpoint":1764079324}]}`))
	f.Add([]byte(`{"results":[{"Live_Logs_Checkpoint":"x","observed_timestamp":"\u0032026"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast LogsPage
		if fastDecodeLogsPage(body, &fast) != nil {
			if !reflect.DeepEqual(fast, LogsPage{}) {
				t.Fatalf("declined but left %+v", fast)
			}
			return
		}
		var std LogsPage
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatalf("fast path accepted what encoding/json rejects (%v): %q", err, body)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("pages differ for %q\n fast %#v\n  std %#v", body, fast, std)
		}
	})
}

// FuzzNewEndpointAnswers: the lenient decoders of patterns, patterns_diff and group-by
// never panic, whatever the body.
func FuzzNewEndpointAnswers(f *testing.F) {
	f.Add([]byte(`{"patterns":[` + specPattern + `],"scanned_count":3,"total_count":3,"sparkline_buckets":[{"start":"2026-11-25T14:00:00","end":null}]}`))
	f.Add([]byte(`{"entries":[{"classification":"new","pattern":"x","rate_ratio":"2.5"}],"current":{"date_from":5}}`))
	f.Add([]byte(`{"groups":[{"value":null,"values":[1,"a",{"b":2}],"log_count":1e300,"last_seen":"bad"}],"total_groups":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var p wirePatterns
		if decodeObject(body, &p) == nil {
			_ = p.result()
		}
		var d wirePatternsDiff
		if decodeObject(body, &d) == nil {
			for i := range d.Entries {
				_ = d.Entries[i].Pattern.pattern()
			}
			_, _ = d.Current.window(), d.Baseline.window()
		}
		var g wireGroups
		_ = decodeObject(body, &g)
	})
}
