package hba

import (
	"fmt"
	"regexp"
	"regexp/syntax"
)

// pg_ident.conf substitutes \1 with the first capture group, and which text
// that group holds follows ARE's rules, not RE2's leftmost-first ones
// (PostgreSQL: "(a|ab)(c|bcd)(d*)" on "abcd" gives "ab", RE2 gives "a").
// ARE (documented in "Regular Expression Matching Rules"): the match starts
// leftmost; its length is the longest, or the shortest when the whole
// expression is non-greedy; then, subexpressions earlier in the expression
// first, each part takes the longest text (shortest if non-greedy) that
// still lets the rest match. Greediness: a quantifier *, +, ?, {m,n} is
// greedy, its ? form non-greedy; a fixed {m} and a plain atom have none;
// a concatenation has the greediness of its first part that has one; an
// alternation is greedy.
//
// groupDissector applies these rules when the first capture group is a
// top-level part of the expression and anchors (^ $) appear only at its
// ends; for other shapes the simulation refuses to guess.
type groupDissector struct {
	parts   []*syntax.Regexp
	capIdx  int              // index in parts of capture group 1
	suffix  []*regexp.Regexp // suffix[i]: parts[i:] matching a whole string
	single  []*regexp.Regexp // single[i]: parts[i] matching a whole string
	greedy  []bool           // per part: longest (true) or shortest
	whole   *regexp.Regexp
	wholeGr bool
	anchorB bool // starts with ^ (\A)
	anchorE bool // ends with $ (\z)
}

func newGroupDissector(goRE string) (*groupDissector, error) {
	tree, err := syntax.Parse(goRE, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if tree.MaxCap() == 0 {
		return nil, nil
	}
	flags := syntax.Flags(0)
	parts := []*syntax.Regexp{tree}
	if tree.Op == syntax.OpConcat {
		parts = tree.Sub
	}
	d := &groupDissector{capIdx: -1}
	for i, p := range parts {
		switch p.Op {
		case syntax.OpBeginText, syntax.OpBeginLine:
			if i != 0 {
				return nil, fmt.Errorf("a ^ anchor inside the expression is not supported with \\1")
			}
			d.anchorB = true
			continue
		case syntax.OpEndText, syntax.OpEndLine:
			if i != len(parts)-1 {
				return nil, fmt.Errorf("a $ anchor inside the expression is not supported with \\1")
			}
			d.anchorE = true
			continue
		}
		if hasAssertion(p) {
			return nil, fmt.Errorf("anchors or word boundaries inside a part are not supported with \\1")
		}
		if p.Op == syntax.OpCapture && p.Cap == 1 {
			d.capIdx = len(d.parts)
		}
		d.parts = append(d.parts, p)
		flags = p.Flags
	}
	_ = flags
	if d.capIdx < 0 {
		return nil, fmt.Errorf("the first capture group is inside a repetition or alternation; \\1 is not computed")
	}
	for i := range d.parts {
		d.suffix = append(d.suffix, regexp.MustCompile(`\A(?:`+concatString(d.parts[i:])+`)\z`))
		d.single = append(d.single, regexp.MustCompile(`\A(?:`+d.parts[i].String()+`)\z`))
		d.greedy = append(d.greedy, greediness(d.parts[i]) >= 0)
	}
	d.whole = regexp.MustCompile(`\A(?:` + concatString(d.parts) + `)\z`)
	d.wholeGr = greediness(tree) >= 0
	return d, nil
}

func concatString(parts []*syntax.Regexp) string {
	s := ""
	for _, p := range parts {
		s += "(?:" + p.String() + ")"
	}
	return s
}

func hasAssertion(r *syntax.Regexp) bool {
	switch r.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, s := range r.Sub {
		if hasAssertion(s) {
			return true
		}
	}
	return false
}

// greediness is +1 (greedy), -1 (non-greedy) or 0 (none).
func greediness(r *syntax.Regexp) int {
	switch r.Op {
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		if r.Flags&syntax.NonGreedy != 0 {
			return -1
		}
		return 1
	case syntax.OpRepeat:
		if r.Min == r.Max {
			return greediness(r.Sub[0])
		}
		if r.Flags&syntax.NonGreedy != 0 {
			return -1
		}
		return 1
	case syntax.OpCapture:
		return greediness(r.Sub[0])
	case syntax.OpConcat:
		for _, s := range r.Sub {
			if g := greediness(s); g != 0 {
				return g
			}
		}
		return 0
	case syntax.OpAlternate:
		return 1
	}
	return 0
}

// maxDissect bounds the subject length first examines (the search is
// quadratic in it; role names are at most 63 bytes, certificate DNs and
// Kerberos principals a few hundred).
const maxDissect = 1024

// first returns capture group 1 of s.
func (d *groupDissector) first(s string) (string, bool) {
	if len(s) > maxDissect {
		return "", false
	}
	// The overall match: leftmost start, then longest (or shortest) end.
	starts := []int{0}
	if !d.anchorB {
		starts = starts[:0]
		for i := 0; i <= len(s); i++ {
			starts = append(starts, i)
		}
	}
	for _, st := range starts {
		ends := []int{}
		if d.anchorE {
			ends = append(ends, len(s))
		} else {
			for e := st; e <= len(s); e++ {
				ends = append(ends, e)
			}
		}
		best := -1
		for _, e := range ends {
			if d.whole.MatchString(s[st:e]) {
				if best < 0 || d.wholeGr {
					best = e
				}
				if !d.wholeGr {
					break
				}
			}
		}
		if best < 0 {
			continue
		}
		// Dissect left to right.
		p := st
		for i := range d.parts {
			q := -1
			for e := p; e <= best; e++ {
				if d.single[i].MatchString(s[p:e]) && (i+1 == len(d.parts) && e == best || i+1 < len(d.parts) && d.suffix[i+1].MatchString(s[e:best])) {
					q = e
					if !d.greedy[i] {
						break
					}
				}
			}
			if q < 0 {
				return "", false
			}
			if i == d.capIdx {
				return s[p:q], true
			}
			p = q
		}
		return "", false
	}
	return "", false
}
