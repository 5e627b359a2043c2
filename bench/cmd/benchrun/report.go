package main

import (
	"fmt"
	"io"
	"strings"
)

// row is one measured number, with the target it is held to (if any).
type row struct {
	name   string
	value  string
	target string
	// verdict is "PASS", "FAIL" or "" for numbers without a target.
	verdict string
}

// section groups the rows of one measurement with notes on how it ran.
type section struct {
	title string
	rows  []row
	notes []string
}

func (s *section) add(name, value string) {
	s.rows = append(s.rows, row{name: name, value: value})
}

// check adds a row held to a target: ok says whether it was met.
func (s *section) check(name, value, target string, ok bool) {
	verdict := "FAIL"
	if ok {
		verdict = "PASS"
	}
	s.rows = append(s.rows, row{name: name, value: value, target: target, verdict: verdict})
}

func (s *section) note(format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf(format, args...))
}

// writeText prints a section as an aligned table for a terminal.
func (s *section) writeText(w io.Writer) {
	fmt.Fprintf(w, "\n== %s\n", s.title)
	nameW, valueW, targetW := 0, 0, 0
	for _, r := range s.rows {
		nameW, valueW, targetW = max(nameW, len(r.name)), max(valueW, len(r.value)), max(targetW, len(r.target))
	}
	for _, r := range s.rows {
		fmt.Fprintf(w, "  %-*s  %*s  %-*s  %s\n", nameW, r.name, valueW, r.value, targetW, r.target, r.verdict)
	}
	for _, n := range s.notes {
		fmt.Fprintf(w, "  - %s\n", n)
	}
}

// writeMarkdown writes a section as a markdown table.
func (s *section) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "## %s\n\n| Measurement | Value | Target | Verdict |\n|---|---|---|---|\n", s.title)
	for _, r := range s.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", mdEscape(r.name), mdEscape(r.value), mdEscape(r.target), r.verdict)
	}
	if len(s.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range s.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	fmt.Fprintln(w)
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
