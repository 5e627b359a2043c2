package tools

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// TestSpikeFollowUpsRunVerbatim runs every query_logs call that
// get_sparkline and list_services print for a spike, exactly as printed,
// and checks its window exactly: it starts at the spike's first bucket,
// ends at the end of its last one (never at its start), and holds the
// spike's lines.
func TestSpikeFollowUpsRunVerbatim(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, func(c *Config) { c.MaxOutputChars = 1 << 30 })
	windows := []map[string]any{
		{"date_from": "-6h"},
		{"date_from": "2026-11-25T10:00:00Z", "date_to": "2026-11-25T13:00:00Z", "services": []string{"checkout"}},
	}
	type spikeOut struct {
		From  string         `json:"from"`
		To    string         `json:"to"`
		Logs  int64          `json:"logs"`
		Query map[string]any `json:"query_logs"`
	}
	checked := 0
	for _, w := range windows {
		for _, variant := range []struct {
			tool string
			args map[string]any
		}{
			{NameGetSparkline, map[string]any{"breakdown": "severity"}},
			{NameGetSparkline, map[string]any{"breakdown": "service"}},
			{NameListServices, map[string]any{}},
		} {
			args := map[string]any{"format": "json"}
			for k, v := range w {
				args[k] = v
			}
			for k, v := range variant.args {
				args[k] = v
			}
			var chart struct {
				Window    windowJSON `json:"window"`
				BucketSec int64      `json:"bucket_seconds"`
				Buckets   []string   `json:"buckets"`
				Series    []struct {
					Name   string     `json:"name"`
					Counts []int64    `json:"counts"`
					Spikes []spikeOut `json:"spikes"`
				} `json:"series"`
			}
			var services struct {
				Services []struct {
					Trend  []int64    `json:"trend"`
					Spikes []spikeOut `json:"spikes"`
				} `json:"services"`
			}
			out := h.ok(variant.tool, args)
			if err := json.Unmarshal([]byte(out), &chart); err != nil {
				t.Fatal(err)
			}
			if variant.tool == NameListServices {
				if err := json.Unmarshal([]byte(out), &services); err != nil {
					t.Fatal(err)
				}
			}
			width := time.Duration(chart.BucketSec) * time.Second
			type found struct {
				counts []int64
				spike  spikeOut
			}
			var spikes []found
			for _, s := range chart.Series {
				for _, sp := range s.Spikes {
					spikes = append(spikes, found{s.Counts, sp})
				}
			}
			for _, s := range services.Services {
				for _, sp := range s.Spikes {
					spikes = append(spikes, found{s.Trend, sp})
				}
			}
			var jsonCalls []string
			for _, f := range spikes {
				sp := f.spike
				name := fmt.Sprintf("%s %v spike %s → %s", variant.tool, args, sp.From, sp.To)
				from, err1 := time.Parse(time.RFC3339, sp.From)
				to, err2 := time.Parse(time.RFC3339, sp.To)
				if err1 != nil || err2 != nil || !from.Before(to) {
					t.Errorf("%s: not a window", name)
					continue
				}
				if sp.Query["date_from"] != sp.From || sp.Query["date_to"] != sp.To {
					t.Errorf("%s: the call's window %v → %v is not the spike's", name, sp.Query["date_from"], sp.Query["date_to"])
				}
				// The window covers whole buckets whose counts add up to
				// the spike's lines.
				first := slices.Index(chart.Buckets, sp.From)
				n := int(to.Sub(from) / width)
				if width == 0 || first < 0 || to.Sub(from)%width != 0 || first+n > len(f.counts) {
					t.Errorf("%s: not whole buckets of %s from %v", name, width, chart.Buckets)
					continue
				}
				var sum int64
				for _, c := range f.counts[first : first+n] {
					sum += c
				}
				if sum != sp.Logs {
					t.Errorf("%s: its %d buckets hold %d lines, the spike says %d", name, n, sum, sp.Logs)
				}
				// Run it verbatim: the same window, the spike's lines.
				b, _ := json.Marshal(sp.Query)
				jsonCalls = append(jsonCalls, string(b))
				var q map[string]any
				_ = json.Unmarshal(b, &q)
				q["format"] = "json"
				var page logsJSON
				if err := json.Unmarshal([]byte(h.ok(NameQueryLogs, q)), &page); err != nil {
					t.Fatal(err)
				}
				if page.Window.From != sp.From || page.Window.To != sp.To {
					t.Errorf("%s: query_logs ran over %s → %s", name, page.Window.From, page.Window.To)
				}
				if want := min(sp.Logs, defaultQueryLimit); int64(page.Shown) != want || page.HasMore != (sp.Logs > defaultQueryLimit) {
					t.Errorf("%s: query_logs shows %d lines, the spike has %d", name, page.Shown, sp.Logs)
				}
				checked++
			}
			// The text prints the same calls, and each runs as printed.
			delete(args, "format")
			text := h.ok(variant.tool, args)
			var textCalls []string
			for _, q := range printedCalls(t, text, NameQueryLogs) {
				b, _ := json.Marshal(q)
				textCalls = append(textCalls, string(b))
				logs := h.ok(NameQueryLogs, q)
				if got, want := windowOf(t, logs), q["date_from"].(string)+" → "+q["date_to"].(string); got != want {
					t.Errorf("%s %v: printed call ran over %s, want %s", variant.tool, args, got, want)
				}
			}
			slices.Sort(textCalls)
			slices.Sort(jsonCalls)
			if !slices.Equal(textCalls, jsonCalls) {
				t.Errorf("%s %v: text prints %d calls, JSON %d:\n%v\n%v", variant.tool, args, len(textCalls), len(jsonCalls), textCalls, jsonCalls)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d spikes checked; the incident should show more", checked)
	}
	t.Logf("%d spike calls run verbatim", checked)
}
