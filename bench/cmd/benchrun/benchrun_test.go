package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	cases := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 50, 7 * time.Millisecond},
		{"median odd, unsorted", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"median even takes the lower", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p90 of ten", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"p100 is the max", ms(3, 9, 1), 100, 9 * time.Millisecond},
		{"p0 is the min", ms(3, 9, 1), 0, time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.ds, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.ds, tc.p, got, tc.want)
			}
		})
	}
}

func TestReadResponse(t *testing.T) {
	cases := []struct {
		name    string
		input   string
		id      int
		want    string
		wantErr string
	}{
		{"skips other ids and notifications", "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n{\"id\":1,\"result\":{}}\n{\"id\":2,\"result\":{\"tools\":[]}}\n", 2, `{"id":2,"result":{"tools":[]}}`, ""},
		{"skips noise", "not json\n{\"id\":1,\"result\":{}}\n", 1, `{"id":1,"result":{}}`, ""},
		{"JSON-RPC error", "{\"id\":1,\"error\":{\"code\":-32601}}\n", 1, "", "JSON-RPC error"},
		{"stream ends first", "{\"id\":1,\"result\":{}}\n", 2, "", "read stdout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readResponse(bufio.NewReader(strings.NewReader(tc.input)), tc.id)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || strings.TrimSpace(string(got)) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestProcReaders(t *testing.T) {
	pid := os.Getpid()
	if _, err := processCPU(pid); err != nil {
		t.Fatalf("processCPU(self): %v", err)
	}
	rss, peak, err := processMemory(pid)
	if err != nil {
		t.Fatalf("processMemory(self): %v", err)
	}
	if rss <= 0 || peak < rss {
		t.Errorf("rss %d, peak %d: want 0 < rss <= peak", rss, peak)
	}
	if _, _, err := processMemory(-1); err == nil {
		t.Error("processMemory(-1) succeeded")
	}
}

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(*options) bool
	}{
		{"defaults run everything but the abuse measurements", nil, false, func(o *options) bool {
			return o.only["stdio"] && o.only["cold"] && o.only["http"] && o.calls == 300 && o.clients == 32 && !o.only["burst"] && !o.only["soak"]
		}},
		{"abuse measurements by name", []string{"-only", "burst,flood,soak,stdiolimits", "-burst-calls", "8"}, false, func(o *options) bool {
			return o.only["burst"] && o.only["flood"] && o.only["soak"] && o.only["stdiolimits"] && !o.only["http"] &&
				o.soak.burstCalls == 8 && o.soak.burstSize == 30<<20 && o.soak.floodKeys == 2000
		}},
		{"only one", []string{"-only", "cold"}, false, func(o *options) bool { return o.only["cold"] && !o.only["http"] }},
		{"unknown measurement", []string{"-only", "disk"}, true, nil},
		{"non-positive calls", []string{"-calls", "0"}, true, nil},
		{"bad server env", []string{"-server-env", "GOGC"}, true, nil},
		{"stray argument", []string{"extra"}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			extraServerEnv = nil
			o, err := parseFlags(tc.args)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.check != nil && !tc.check(o) {
				t.Errorf("unexpected options %+v", o)
			}
		})
	}
}
