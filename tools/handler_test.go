package tools

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

type wrapperArgs struct {
	projectArgs
	filterArgs
	N *int `json:"n"`
	formatArg

	n int
}

func (a *wrapperArgs) check() error {
	if a.N != nil && *a.N < 0 {
		return errors.New("n must be 0 or more")
	}
	if a.N != nil {
		a.n = *a.N
	}
	return nil
}

type windowOnlyArgs struct {
	projectArgs
	windowArgs
}

func TestHandlerResolvesWhatArgsEmbed(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	e := newEnv(Config{Now: func() time.Time { return now }})
	pinned := Caller{Key: "k", Project: 7}
	cases := []struct {
		name, raw string
		caller    Caller
		want      string // error text, or "" for success
	}{
		{"defaults", `{}`, pinned, ""},
		{"json, filters", `{"format":"json","severity":["ERROR"],"date_from":"-2h","n":3}`, pinned, ""},
		{"own check first", `{"n":-1,"format":"xml"}`, pinned, "INVALID_ARGUMENT: n must be 0 or more"},
		{"format", `{"format":"xml"}`, pinned, "INVALID_ARGUMENT: format must be"},
		{"project", `{}`, Caller{Key: "k"}, "INVALID_ARGUMENT: project_id is required"},
		{"filters", `{"severity":["nope"]}`, pinned, "INVALID_ARGUMENT: severity:"},
		{"strict decode", `{"nn":1}`, pinned, `INVALID_ARGUMENT: unknown argument "nn"; did you mean "n"?`},
		{"format type names the argument", `{"format":1}`, pinned, "INVALID_ARGUMENT: argument format: expected a string"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *request[wrapperArgs]
			h := handler(func(_ context.Context, _ *env, r *request[wrapperArgs]) *mcp.CallToolResult {
				got = r
				return textResult("ok")
			})
			c, _ := newCall([]byte(tc.raw), tc.caller, Access{Read: true})
			res := h(context.Background(), e, c)
			text := res.Content[0].(mcp.TextContent).Text
			if tc.want != "" {
				if !res.IsError || !strings.HasPrefix(text, tc.want) {
					t.Fatalf("got %q, want prefix %q", text, tc.want)
				}
				return
			}
			if res.IsError {
				t.Fatal(text)
			}
			if got.auth.ProjectID != 7 || got.auth.Key != "k" {
				t.Errorf("auth %+v", got.auth)
			}
			if got.win.To != now || got.filters.To != now || got.filters.From != got.win.From {
				t.Errorf("window %v filters %v–%v", got.win, got.filters.From, got.filters.To)
			}
			if tc.name == "json, filters" && (!got.json || got.args.n != 3 || got.filters.Severities[0] != "error" || got.win.Duration() != 2*time.Hour) {
				t.Errorf("resolved %+v", got)
			}
		})
	}
	var w *request[windowOnlyArgs]
	h := handler(func(_ context.Context, _ *env, r *request[windowOnlyArgs]) *mcp.CallToolResult {
		w = r
		return textResult("")
	})
	c, _ := newCall([]byte(`{"date_from":"-30m"}`), pinned, Access{})
	h(context.Background(), e, c)
	if w == nil || w.win.Duration() != 30*time.Minute || w.auth.ProjectID != 7 {
		t.Errorf("window-only args: %+v", w)
	}
}
