package hba

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The access diff treats the names a file never spells out ("any other
// database") as classes. Without regular expressions that is one class.
// With /regex names (PostgreSQL 16+) the other names split by which of the
// expressions match them; nameClasses finds exactly the combinations some
// name reaches, with a shortest witness name for each, by a breadth-first
// search over the product of the expressions' automata (RE2 programs of the
// translated AREs, unanchored search) and a trie of the names to leave out.
// PostgreSQL truncates database and role names to 63 bytes, so witnesses
// are at most that long.

const (
	maxNameBytes     = 63
	maxNameBFSStates = 200000
)

// nameClass is one class of unnamed names: which expressions match, and a
// name that is in the class.
type nameClass struct {
	match   []bool
	witness string
}

func (c nameClass) key() string {
	var b strings.Builder
	for _, m := range c.match {
		if m {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

type reNFA struct {
	prog *syntax.Prog
}

func newReNFA(r *areRegexp) (*reNFA, error) {
	re, err := syntax.Parse(r.goSrc, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	return &reNFA{prog: prog}, nil
}

// closure adds the threads reachable from pcs without consuming input under
// empty-width context ctx; it returns the consuming pcs and whether a match
// state was reached.
func (n *reNFA) closure(pcs []uint32, ctx syntax.EmptyOp) ([]uint32, bool) {
	seen := map[uint32]bool{}
	var out []uint32
	matched := false
	var visit func(pc uint32)
	visit = func(pc uint32) {
		if seen[pc] {
			return
		}
		seen[pc] = true
		in := &n.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			visit(in.Out)
			visit(in.Arg)
		case syntax.InstCapture, syntax.InstNop:
			visit(in.Out)
		case syntax.InstEmptyWidth:
			if syntax.EmptyOp(in.Arg)&^ctx == 0 {
				visit(in.Out)
			}
		case syntax.InstMatch:
			matched = true
		case syntax.InstFail:
		default:
			out = append(out, pc)
		}
	}
	for _, pc := range pcs {
		visit(pc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, matched
}

func (n *reNFA) step(consumers []uint32, r rune) []uint32 {
	var next []uint32
	for _, pc := range consumers {
		if n.prog.Inst[pc].MatchRune(r) {
			next = append(next, n.prog.Inst[pc].Out)
		}
	}
	return next
}

// runeBoundaries adds the rune ranges a program distinguishes.
func (n *reNFA) runeBoundaries(add func(lo, hi rune)) {
	for _, in := range n.prog.Inst {
		switch in.Op {
		case syntax.InstRune:
			for i := 0; i+1 < len(in.Rune); i += 2 {
				add(in.Rune[i], in.Rune[i+1])
			}
			if len(in.Rune) == 1 {
				add(in.Rune[0], in.Rune[0])
			}
		case syntax.InstRune1:
			add(in.Rune[0], in.Rune[0])
		}
	}
}

// contextRune stands for r in empty-width contexts: all that matters is
// whether it is a newline or an ASCII word character.
func contextRune(r rune) rune {
	switch {
	case r == '\n':
		return '\n'
	case syntax.IsWordChar(r):
		return 'a'
	}
	return '!'
}

type nameTrie struct {
	kids     []map[rune]int
	terminal []bool
}

func newNameTrie(names []string) *nameTrie {
	t := &nameTrie{kids: []map[rune]int{{}}, terminal: []bool{false}}
	for _, n := range names {
		node := 0
		for _, r := range n {
			nx, ok := t.kids[node][r]
			if !ok {
				nx = len(t.kids)
				t.kids = append(t.kids, map[rune]int{})
				t.terminal = append(t.terminal, false)
				t.kids[node][r] = nx
			}
			node = nx
		}
		t.terminal[node] = true
	}
	return t
}

// nameClasses returns the classes of names not in excluded, by which of
// res match them (an unanchored search each), with a witness per class.
// seed orders the fallback witness when there are no expressions.
func nameClasses(res []*areRegexp, excluded []string) ([]nameClass, error) {
	ex := map[string]bool{}
	for _, e := range excluded {
		ex[e] = true
	}
	if len(res) == 0 {
		for i := 0; ; i++ {
			w := "pgtls_unnamed"
			if i > 0 {
				w += strconv.Itoa(i)
			}
			if !ex[w] {
				return []nameClass{{witness: w}}, nil
			}
		}
	}
	nfas := make([]*reNFA, len(res))
	for i, r := range res {
		n, err := newReNFA(r)
		if err != nil {
			return nil, err
		}
		nfas[i] = n
	}
	trie := newNameTrie(excluded)
	// The alphabet: rune classes no program, no word boundary and no
	// excluded name can tell apart; each is represented by one rune.
	var points []rune
	add := func(lo, hi rune) { points = append(points, lo, hi+1) }
	for _, n := range nfas {
		n.runeBoundaries(add)
	}
	points = append(points, '0', '9', 'A', 'Z', '_', '_', 'a', 'z', '\n', '\n')
	for _, e := range excluded {
		for _, r := range e {
			add(r, r)
		}
	}
	points = append(points, 1, utf8.MaxRune+1)
	sort.Slice(points, func(i, j int) bool { return points[i] < points[j] })
	type class struct {
		rep    rune
		single bool
	}
	var alphabet []class
	for i := 0; i+1 < len(points); i++ {
		lo, hi := points[i], points[i+1]-1
		if lo < 1 || lo > hi {
			continue
		}
		rep := lo
		if rep >= 0xD800 && rep <= 0xDFFF {
			if hi < 0xE000 {
				continue
			}
			rep = 0xE000
		}
		alphabet = append(alphabet, class{rep: rep, single: lo == hi})
	}

	type state struct {
		pending [][]uint32
		matched []bool
		node    int  // trie node, -1 off the trie
		prev    rune // -1 at the start
		name    string
	}
	keyOf := func(s state) string {
		var b strings.Builder
		for i := range s.pending {
			for _, pc := range s.pending[i] {
				b.WriteString(strconv.Itoa(int(pc)))
				b.WriteByte(',')
			}
			if s.matched[i] {
				b.WriteByte('m')
			}
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "%d|%d", s.node, s.prev)
		return b.String()
	}
	start := state{pending: make([][]uint32, len(nfas)), matched: make([]bool, len(nfas)), node: 0, prev: -1}
	seen := map[string]bool{keyOf(start): true}
	queue := []state{start}
	found := map[string]nameClass{}
	var order []string
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		// Does the name so far end here, and in which class?
		if s.name != "" && (s.node < 0 || !trie.terminal[s.node]) {
			c := nameClass{match: make([]bool, len(nfas)), witness: s.name}
			ctx := syntax.EmptyOpContext(s.prev, -1)
			for i, n := range nfas {
				_, m := n.closure(append(append([]uint32(nil), s.pending[i]...), uint32(n.prog.Start)), ctx)
				c.match[i] = s.matched[i] || m
			}
			if _, ok := found[c.key()]; !ok {
				found[c.key()] = c
				order = append(order, c.key())
			}
		}
		for _, a := range alphabet {
			if len(s.name)+utf8.RuneLen(a.rep) > maxNameBytes {
				continue
			}
			ctx := syntax.EmptyOpContext(s.prev, a.rep)
			ns := state{pending: make([][]uint32, len(nfas)), matched: make([]bool, len(nfas)), node: -1, prev: contextRune(a.rep), name: s.name + string(a.rep)}
			for i, n := range nfas {
				cons, m := n.closure(append(append([]uint32(nil), s.pending[i]...), uint32(n.prog.Start)), ctx)
				ns.matched[i] = s.matched[i] || m
				if !ns.matched[i] {
					ns.pending[i] = n.step(cons, a.rep)
				}
			}
			if s.node >= 0 && a.single {
				if nx, ok := trie.kids[s.node][a.rep]; ok {
					ns.node = nx
				}
			}
			k := keyOf(ns)
			if seen[k] {
				continue
			}
			if len(seen) >= maxNameBFSStates {
				return nil, fmt.Errorf("the regular expressions are too complex to divide names into classes exactly (more than %d automaton states)", maxNameBFSStates)
			}
			seen[k] = true
			queue = append(queue, ns)
		}
	}
	out := make([]nameClass, 0, len(order))
	for _, k := range order {
		out = append(out, found[k])
	}
	return out, nil
}
