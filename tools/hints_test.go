package tools

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
)

// TestHintsForAnUnknownService: every tool taking services names the
// closest known service for a misspelt one, and never suggests a
// "wider" window that is not wider.
func TestHintsForAnUnknownService(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	for _, tool := range []string{NameQueryLogs, NameListServices, NameGetSparkline, NameCountLogs, NameGetLogPatterns} {
		for _, window := range []string{"-1h", "-7d"} {
			for _, format := range []string{"text", "json"} {
				out := h.ok(tool, map[string]any{"services": []string{"chekout"}, "date_from": window, "format": format})
				if !strings.Contains(out, `service \"chekout\" has no logs`) && !strings.Contains(out, `service "chekout" has no logs`) ||
					!strings.Contains(out, `closest: `) || !strings.Contains(out, `checkout`) {
					t.Errorf("%s %s %s: no closest service named:\n%s", tool, window, format, out)
				}
				if strings.Contains(out, "wider window") {
					t.Errorf("%s %s %s: a misspelt service is the reason, not the window:\n%s", tool, window, format, out)
				}
			}
		}
	}
	// Without a service to blame, only a wider window is suggested.
	for _, tool := range []string{NameQueryLogs, NameGetSparkline, NameListServices, NameGetLogPatterns} {
		noMatch := map[string]any{"filters": []map[string]any{{"key": "no.such.key", "value": "x"}}}
		for window, want := range map[string]string{"-1h": `date_from "-24h"`, "-24h": `date_from "-7d"`, "-7d": ""} {
			noMatch["date_from"] = window
			out := h.ok(tool, noMatch)
			if want != "" && !strings.Contains(out, want) {
				t.Errorf("%s %s: want %s suggested:\n%s", tool, window, want, out)
			}
			if want == "" && strings.Contains(out, "wider window") {
				t.Errorf("%s %s: a narrower window is suggested as wider:\n%s", tool, window, out)
			}
		}
	}
}

func TestSparklineHeaderRepeatsServices(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameGetSparkline, map[string]any{"services": []string{"checkout", "payments"}})
	if !strings.HasPrefix(out, "log volume by severity · services checkout, payments · ") {
		t.Errorf("header:\n%s", out)
	}
	js := h.ok(NameGetSparkline, map[string]any{"services": []string{"checkout", "payments"}, "format": "json"})
	var chart chartJSON
	if err := json.Unmarshal([]byte(js), &chart); err != nil || strings.Join(chart.Services, ",") != "checkout,payments" {
		t.Errorf("json services %v (%v)", chart.Services, err)
	}
}

// TestListServicesJSONIsRounded: ratios are numbers a reader compares,
// not float noise.
func TestListServicesJSONIsRounded(t *testing.T) {
	h := newHarness(t, sandbox.KeyFull, nil)
	out := h.ok(NameListServices, map[string]any{"format": "json", "date_from": "-6h"})
	var res struct {
		Services []struct {
			ErrorRate json.Number `json:"error_rate"`
			Share     json.Number `json:"volume_share_pct"`
			Spikes    []struct {
				Baseline json.Number `json:"baseline_per_bucket"`
				Ratio    json.Number `json:"ratio"`
			} `json:"spikes"`
		} `json:"services"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatal(err)
	}
	decimals := func(n json.Number) int {
		_, frac, ok := strings.Cut(n.String(), ".")
		if !ok {
			return 0
		}
		return len(frac)
	}
	spikes := 0
	for _, s := range res.Services {
		if decimals(s.ErrorRate) > 4 || decimals(s.Share) > 2 {
			t.Errorf("unrounded ratios: error_rate %s, volume_share_pct %s", s.ErrorRate, s.Share)
		}
		for _, sp := range s.Spikes {
			spikes++
			if decimals(sp.Baseline) > 2 || decimals(sp.Ratio) > 1 {
				t.Errorf("unrounded spike: baseline %s, ratio %s", sp.Baseline, sp.Ratio)
			}
		}
	}
	if len(res.Services) == 0 || spikes == 0 {
		t.Fatalf("nothing to check:\n%s", out)
	}
}
