package tools

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/posthog-logs-mcp/posthog-logs-mcp/client"
)

// A mined pattern's match_regex spells out every token of its template:
// for a stack trace that is thousands of characters, printed under every
// pattern. shortRegexes keeps a few literal tokens from both ends, in
// order, joined by [\s\S]*; such a regex matches every line the full one
// matches (a superset), and a count proves it matches no other line
// before it is printed.

const (
	shortenAbove   = 200 // regexes longer than this are worth shortening
	shortRegexGoal = 40  // the first short form keeps tokens until it is this long
	verifyParallel = 4   // counts run at once to prove short forms
	maxShortTries  = 4   // short forms tried per pattern, each 3× longer
	maxCounts      = 24  // counts one get_log_patterns call may spend on this
)

// regexTokens splits a regex at its top-level `\s+` separators (outside
// groups and classes). It returns nil when the regex has no such shape.
func regexTokens(re string) []string {
	var out []string
	depth, inClass, start := 0, false, 0
	for i := 0; i < len(re); i++ {
		switch c := re[i]; {
		case c == '\\':
			if !inClass && depth == 0 && strings.HasPrefix(re[i:], `\s+`) {
				out = append(out, re[start:i])
				start = i + 3
				i += 2
				continue
			}
			i++ // the escaped character
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if strings.HasPrefix(re[i+1:], "^]") {
				i += 2
			} else if strings.HasPrefix(re[i+1:], "]") {
				i++
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil
			}
		}
	}
	if depth != 0 || inClass {
		return nil
	}
	return append(out, re[start:])
}

// literalScore counts the letters and digits of a token outside classes
// and groups: what makes it tell one template from another.
func literalScore(tok string) int {
	n, depth, inClass := 0, 0, false
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && ('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9'):
			n++
		}
	}
	return n
}

// shortRegexes returns shorter regexes, shortest first, each matching a
// superset of re's lines: some of its literal tokens, from both ends, in
// order, joined by [\s\S]* (the anchors stay with the first and last
// tokens). None when re is short or has no such shape.
func shortRegexes(re string, others []string) []string {
	if len(re) <= shortenAbove {
		return nil
	}
	toks := regexTokens(re)
	if len(toks) < 3 {
		return nil
	}
	// The tokens to keep, in the order they are added: first the first
	// pair of neighbours that no other shown pattern has (templates that
	// share their start and end differ there), then literal tokens
	// alternately from each end.
	var lits []int
	seen := map[[2]string]bool{}
	for _, o := range others {
		if o == re {
			continue
		}
		ot := regexTokens(o)
		for i := 0; i+1 < len(ot); i++ {
			seen[[2]string{ot[i], ot[i+1]}] = true
		}
	}
	if len(seen) > 0 {
		for i := 0; i+1 < len(toks); i++ {
			if !seen[[2]string{toks[i], toks[i+1]}] {
				lits = append(lits, i, i+1)
				break
			}
		}
	}
	for lo, hi := 0, len(toks)-1; lo <= hi; {
		for lo <= hi && literalScore(toks[lo]) < 2 {
			lo++
		}
		if lo <= hi {
			if !slices.Contains(lits, lo) {
				lits = append(lits, lo)
			}
			lo++
		}
		for hi >= lo && literalScore(toks[hi]) < 2 {
			hi--
		}
		if hi >= lo {
			if !slices.Contains(lits, hi) {
				lits = append(lits, hi)
			}
			hi--
		}
	}
	build := func(keep []int) string {
		keep = slices.Clone(keep)
		slices.Sort(keep)
		var b strings.Builder
		for i, k := range keep {
			switch {
			case i == 0 && k > 0:
				b.WriteString(`[\s\S]*`)
			case i > 0 && k == keep[i-1]+1:
				b.WriteString(`\s+`)
			case i > 0:
				b.WriteString(`\s[\s\S]*`)
			}
			b.WriteString(toks[k])
		}
		if last := keep[len(keep)-1]; last < len(toks)-1 {
			b.WriteString(`[\s\S]*`)
		}
		return b.String()
	}
	var out []string
	goal := shortRegexGoal
	for n := 1; n <= len(lits); n++ {
		s := build(lits[:n])
		if len(s) < goal && n < len(lits) {
			continue
		}
		if len(s)+40 > len(re) {
			break // no longer worth it
		}
		out = append(out, s)
		if len(out) == maxShortTries {
			break
		}
		goal = len(s) * 3
	}
	return out
}

// shortenPivots replaces long regex pivots by short ones where counts
// prove the short one selects exactly the full one's lines: the short
// form matches a superset, so equal counts mean equal sets. The full
// count is the pattern's own unless PostHog sampled; then it is counted.
func (r *patternsReport) shortenPivots(ctx context.Context, auth client.Auth) {
	// Longest first: they gain the most from the budget of counts.
	order := make([]int, 0, len(r.rows))
	for i := range r.rows {
		if r.rows[i].regex != "" && r.rows[i].query != nil {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(r.rows[b].regex) - len(r.rows[a].regex) })
	budget := make(chan struct{}, maxCounts)
	for range maxCounts {
		budget <- struct{}{}
	}
	spend := func() bool {
		select {
		case <-budget:
			return true
		default:
			return false
		}
	}
	sem := make(chan struct{}, verifyParallel)
	var wg sync.WaitGroup
	var regexes []string
	for _, i := range order {
		regexes = append(regexes, r.rows[i].regex)
	}
	for _, i := range order {
		row := &r.rows[i]
		shorts := shortRegexes(row.regex, regexes)
		if len(shorts) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			count := func(a filterArgs) (int64, bool) {
				if !spend() {
					return 0, false
				}
				f, _, err := a.toClient(r.e.now())
				if err != nil {
					return 0, false
				}
				n, err := r.e.client.Count(ctx, auth, f)
				return n, err == nil
			}
			// The full pivot's count is the pattern's own when nothing was
			// sampled; otherwise it is counted too.
			want, ok := row.count, true
			if row.estimated {
				want, ok = count(row.pivotArgs)
			}
			for _, short := range shorts {
				if !ok {
					return
				}
				args := row.pivotArgs
				args.Filters = slices.Clone(args.Filters)
				args.Filters[len(args.Filters)-1].Value = short
				if n, ok2 := count(args); ok2 && n == want {
					row.pivotArgs = args
					row.query = pivotQuery(args)
					return
				}
			}
		}()
	}
	wg.Wait()
}
