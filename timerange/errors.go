package timerange

import "fmt"

// acceptedExamples ends every parse error so an agent always sees a form that works.
const acceptedExamples = `"-15m", "2026-11-25T14:00:00Z" or "now"`

// useUnits is the advice given with every unit problem.
const useUnits = "use s, m (minutes), h, d or w"

// maxQuotedLen keeps error messages short when the input is garbage.
const maxQuotedLen = 64

// invalid builds the error for an expression that cannot be parsed. reason says what is wrong
// (and usually what to write instead); the accepted examples are always appended.
func invalid(expr, reason string) error {
	if len(expr) > maxQuotedLen {
		expr = expr[:maxQuotedLen] + "..."
	}
	return fmt.Errorf("invalid time %q: %s, e.g. %s", expr, reason, acceptedExamples)
}
