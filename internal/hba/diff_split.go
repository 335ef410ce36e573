package hba

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Dividing the attempts of one connection type into classes, by database
// and role (in the order that costs less for these files), then by client
// address and finally by the facts lines depend on.
//
// Values of a dimension are the names the relevant lines spell, grouped
// when exactly the same lines name them (found through an index by name,
// never by testing every name against every line), plus classes of unnamed
// names (by /regex signature, nameClasses). sameuser and samerole tie the
// two dimensions: then a database named like a role the files name (and
// the reverse) is a value too, names are not grouped, and an unnamed role
// has "the database named like the role" as a value of its own.

type dim int

const (
	dimDB dim = iota
	dimUser
)

func (d dim) other() dim { return 1 - d }

func (d dim) what() string {
	if d == dimDB {
		return "database"
	}
	return "role"
}

// dimValue is one class of a dimension.
type dimValue struct {
	name  string   // the representative: the first name of the group, or a witness
	names []string // every name of a named group
	other bool     // a class of unnamed names
	sig   string   // other: which expressions match
	desc  string   // other/same/repl: in words
	same  bool     // the value equal to the other dimension's (unnamed) value
	repl  bool     // physical replication (database dimension)
}

func (v dimValue) label() string {
	if v.other || v.same || v.repl {
		return "(" + v.desc + ")"
	}
	return strings.Join(v.names, ", ")
}

type kindSpec struct {
	name  string
	local bool
	enc   Encryption
}

var diffKinds = []kindSpec{{"local", true, ""}, {"plain", false, EncryptionNone}, {"ssl", false, EncryptionSSL}, {"gss", false, EncryptionGSS}}

type diffLeaf struct {
	kind   int
	repl   bool
	user   dimValue
	db     dimValue
	lo, hi netip.Addr // TCP address range (inclusive)
	conds  []string   // sorted atom=value
	ia, ib int        // index of the deciding line in each matcher's rules, -1: none
}

type diffCtx struct {
	a, b   *Matcher
	max    int
	leaves []diffLeaf
	tree   *dtTree
}

// Classification tree (used by classify).
type dtTree struct{ kinds [4]*dtDim }

type dtDim struct {
	d      dim
	lits   map[string]*dtNext
	others map[string]*dtNext
	res    []*areRegexp
	same   *dtNext
	repl   *dtNext
}

type dtNext struct {
	val  dimValue
	sub  *dtDim
	leaf *dtDB
}

type dtDB struct {
	local  *dtLeaf
	starts []netip.Addr // TCP: sorted starts of address ranges
	nodes  []*dtLeaf
}

type dtLeaf struct {
	atom string
	t, f *dtLeaf
	leaf int
}

func (c *diffCtx) kind(ki int, k kindSpec) error {
	probe := Attempt{Local: k.local, Encryption: k.enc}
	ra := filterRules(c.a.rules, func(r *matchRule) bool { return c.a.typeMatches(r, probe) })
	rb := filterRules(c.b.rules, func(r *matchRule) bool { return c.b.typeMatches(r, probe) })
	first := dimDB
	if splitCost(ra, rb, dimUser) < splitCost(ra, rb, dimDB) {
		first = dimUser
	}
	node, err := c.split(ki, k, first, nil, ra, rb)
	c.tree.kinds[ki] = node
	return err
}

// splitCost estimates the work of splitting by d first: names times the
// lines that apply to every name.
func splitCost(ra, rb []*matchRule, d dim) int {
	names := map[string]bool{}
	generic := 0
	for _, rs := range [][]*matchRule{ra, rb} {
		for _, r := range rs {
			g := false
			for _, t := range toks(r, d) {
				if t.isLit {
					names[t.literal] = true
				} else {
					g = true
				}
			}
			if g {
				generic++
			}
		}
	}
	return (len(names) + 1) * (generic + 1)
}

func toks(r *matchRule, d dim) []nameTest {
	if d == dimDB {
		return r.dbs
	}
	return r.users
}

func filterRules(rs []*matchRule, keep func(*matchRule) bool) []*matchRule {
	var out []*matchRule
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func hasSame(rs ...[]*matchRule) bool {
	for _, l := range rs {
		for _, r := range l {
			for _, t := range r.dbs {
				if t.keyword == "sameuser" || t.keyword == "samerole" {
					return true
				}
			}
		}
	}
	return false
}

// split divides ra/rb along d. fixed is the value of the other dimension
// when d is the second one.
func (c *diffCtx) split(ki int, k kindSpec, d dim, fixed *dimValue, ra, rb []*matchRule) (*dtDim, error) {
	all := append(append([]*matchRule(nil), ra...), rb...)
	same := hasSame(all)
	node := &dtDim{d: d, lits: map[string]*dtNext{}, others: map[string]*dtNext{}}
	byLit := map[string][]int{}
	var generic []int
	values := map[string]bool{}
	for i, r := range all {
		g := false
		for _, t := range toks(r, d) {
			switch {
			case t.file != "":
				return nil, fmt.Errorf("line %d: @%s needs the contents of that file", r.line, t.file)
			case t.err != nil:
				return nil, fmt.Errorf("line %d: %w", r.line, t.err)
			case t.isLit:
				byLit[t.literal] = append(byLit[t.literal], i)
				values[t.literal] = true
			case t.member != "":
				byLit[t.member] = append(byLit[t.member], i) // a role is a member of itself
				values[t.member] = true
				g = true
			default:
				g = true
				if t.regex != nil {
					node.res = appendRegex(node.res, t.regex)
				}
			}
		}
		if g {
			generic = append(generic, i)
		}
		if same && fixed == nil {
			// A name of the other dimension may equal a name of this one.
			for _, t := range toks(r, d.other()) {
				switch {
				case t.isLit:
					values[t.literal] = true
				case t.member != "":
					values[t.member] = true
				case t.regex != nil:
					node.res = appendRegex(node.res, t.regex)
				}
			}
		}
	}
	if same && fixed != nil && !fixed.other && !fixed.repl {
		values[fixed.name] = true
	}
	// Group the named values by the lines naming them (and the
	// expressions matching them); with sameuser/samerole each is alone.
	groups := map[string]*dimValue{}
	var order []string
	for _, n := range sortedKeySet(values) {
		key := fmt.Sprint(byLit[n]) + "|" + signatureOf(node.res, n)
		if same {
			key += "|" + n
		}
		g, ok := groups[key]
		if !ok {
			g = &dimValue{name: n}
			groups[key] = g
			order = append(order, key)
		}
		g.names = append(g.names, n)
	}
	var vals []dimValue
	for _, key := range order {
		vals = append(vals, *groups[key])
	}
	if same && fixed != nil && fixed.other {
		vals = append(vals, dimValue{name: fixed.name, same: true, desc: "the " + d.what() + " named like the " + d.other().what()})
	}
	excluded := sortedKeySet(values)
	if same && fixed != nil && fixed.other {
		excluded = append(excluded, fixed.name)
	}
	classes, err := nameClasses(node.res, excluded)
	if err != nil {
		return nil, err
	}
	for _, cl := range classes {
		vals = append(vals, dimValue{name: cl.witness, other: true, sig: cl.key(), desc: otherDesc(d.what(), node.res, cl)})
	}
	if d == dimDB {
		vals = append(vals, dimValue{name: "replication", repl: true, desc: "physical replication"})
	}
	for _, v := range vals {
		// The lines that may match v: those naming it, and the generic ones.
		cand := generic
		if !v.other && !v.same && !v.repl {
			cand = mergeSorted(byLit[v.name], generic)
		}
		var la, lb []*matchRule
		for _, i := range cand {
			r := all[i]
			if !possible(r, d, v, fixed) {
				continue
			}
			if i < len(ra) {
				la = append(la, r)
			} else {
				lb = append(lb, r)
			}
		}
		next := &dtNext{val: v}
		switch {
		case v.repl:
			node.repl = next
		case v.same:
			node.same = next
		case v.other:
			node.others[v.sig] = next
		default:
			for _, n := range v.names {
				node.lits[n] = next
			}
		}
		if fixed == nil {
			if next.sub, err = c.split(ki, k, d.other(), &v, la, lb); err != nil {
				return nil, err
			}
			continue
		}
		user, db := v, *fixed
		if d == dimDB {
			user, db = *fixed, v
		}
		if next.leaf, err = c.leafNode(ki, k, user, db, la, lb); err != nil {
			return nil, err
		}
	}
	return node, nil
}

// possible reports whether r may match value v of dimension d (fixed: the
// other dimension's value, when known). A membership counts as possible.
func possible(r *matchRule, d dim, v dimValue, fixed *dimValue) bool {
	if d == dimUser {
		return userPossible(r, v.name)
	}
	user := ""
	known := fixed != nil
	if known {
		user = fixed.name
	}
	return dbPossible(r, v.name, user, known, v.repl)
}

// userPossible reports whether role user can match r's users column.
func userPossible(r *matchRule, user string) bool {
	for _, t := range r.users {
		switch {
		case t.keyword == "all", t.member != "":
			return true
		case t.regex != nil:
			if t.regex.match(user) {
				return true
			}
		case t.literal == user:
			return true
		}
	}
	return false
}

// dbPossible: can database db (repl: a physical replication connection)
// of role user (userKnown false: any role) match r's databases column.
func dbPossible(r *matchRule, db, user string, userKnown, repl bool) bool {
	for _, t := range r.dbs {
		if repl {
			if t.keyword == "replication" {
				return true
			}
			continue
		}
		switch t.keyword {
		case "all", "samerole":
			return true
		case "sameuser":
			if !userKnown || db == user {
				return true
			}
			continue
		case "replication":
			continue
		}
		if t.regex != nil {
			if t.regex.match(db) {
				return true
			}
		} else if t.literal == db {
			return true
		}
	}
	return false
}

func mergeSorted(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func appendRegex(res []*areRegexp, r *areRegexp) []*areRegexp {
	for _, x := range res {
		if x.src == r.src {
			return res
		}
	}
	return append(res, r)
}

func sortedKeySet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func otherDesc(what string, res []*areRegexp, cl nameClass) string {
	s := "any other " + what
	var yes, no []string
	for i, r := range res {
		if cl.match[i] {
			yes = append(yes, "/"+r.src)
		} else {
			no = append(no, "/"+r.src)
		}
	}
	if len(yes) > 0 {
		s += " matching " + strings.Join(yes, " and ")
	}
	if len(no) > 0 {
		if len(yes) > 0 {
			s += " but not"
		} else {
			s += " not matching"
		}
		s += " " + strings.Join(no, " or ")
	}
	return s
}

func signatureOf(res []*areRegexp, name string) string {
	var b strings.Builder
	for _, r := range res {
		if r.match(name) {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// truncateSure ends a list after its first line that matches every
// attempt left in the class (address all or local, no fact needed).
func truncateSure(rs []*matchRule, user, db string, repl bool) []*matchRule {
	for i, r := range rs {
		if r.rule.Type != Local && r.addr.kind != addrAll {
			continue
		}
		if sureUser(r, user) && sureDB(r, db, user, repl) {
			return rs[:i+1]
		}
	}
	return rs
}

func sureUser(r *matchRule, user string) bool {
	for _, t := range r.users {
		switch {
		case t.keyword == "all", t.member != "" && t.member == user:
			return true
		case t.regex != nil:
			if t.regex.match(user) {
				return true
			}
		case t.isLit && t.literal == user:
			return true
		}
	}
	return false
}

func sureDB(r *matchRule, db, user string, repl bool) bool {
	for _, t := range r.dbs {
		if repl {
			if t.keyword == "replication" {
				return true
			}
			continue
		}
		switch {
		case t.keyword == "all":
			return true
		case (t.keyword == "sameuser" || t.keyword == "samerole") && db == user:
			return true
		case t.keyword != "":
		case t.regex != nil:
			if t.regex.match(db) {
				return true
			}
		case t.literal == db:
			return true
		}
	}
	return false
}

// leafNode divides one (role, database) class by address and facts.
func (c *diffCtx) leafNode(ki int, k kindSpec, user, db dimValue, ra, rb []*matchRule) (*dtDB, error) {
	ra = truncateSure(ra, user.name, db.name, db.repl)
	rb = truncateSure(rb, user.name, db.name, db.repl)
	rep := Attempt{Local: k.local, Encryption: k.enc, User: user.name, Database: db.name, Replication: db.repl}
	if db.repl {
		rep.Database = ""
	}
	base := diffLeaf{kind: ki, repl: db.repl, user: user, db: db}
	dn := &dtDB{}
	if k.local {
		t, err := c.decide(base, ra, rb, rep, nil)
		dn.local = t
		return dn, err
	}
	ranges, err := addressRanges(c, ra, rb)
	if err != nil {
		return nil, err
	}
	for _, rg := range ranges {
		rep.Address = rg.lo
		leaf := base
		leaf.lo, leaf.hi = rg.lo, rg.hi
		t, err := c.decide(leaf, rg.a, rg.b, rep, nil)
		if err != nil {
			return nil, err
		}
		dn.starts = append(dn.starts, rg.lo)
		dn.nodes = append(dn.nodes, t)
	}
	return dn, nil
}

// decide runs both matchers on the class representative; a fact a line
// needs (membership, samehost, samenet, host name) splits the class.
func (c *diffCtx) decide(leaf diffLeaf, ra, rb []*matchRule, rep Attempt, assign map[string]bool) (*dtLeaf, error) {
	var self []string
	f := diffFacts{assign: assign, a: rep, self: &self}
	ia, err := c.a.firstMatch(ra, rep, f.forMatcher(c.a))
	if err == nil {
		var ib int
		ib, err = c.b.firstMatch(rb, rep, f.forMatcher(c.b))
		if err == nil {
			if len(c.leaves) >= c.max {
				return nil, fmt.Errorf("the access diff needs more than %d classes; simplify the files or raise the limit", c.max)
			}
			leaf.ia, leaf.ib = -1, -1
			if ia >= 0 {
				leaf.ia = ra[ia].index
			}
			if ib >= 0 {
				leaf.ib = rb[ib].index
			}
			keys := make([]string, 0, len(assign)+len(self))
			vals := map[string]bool{}
			for k, v := range assign {
				keys = append(keys, k)
				vals[k] = v
			}
			for _, k := range self {
				if _, ok := vals[k]; !ok {
					keys = append(keys, k)
					vals[k] = true
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				leaf.conds = append(leaf.conds, k+"="+strconv.FormatBool(vals[k]))
			}
			c.leaves = append(c.leaves, leaf)
			return &dtLeaf{leaf: len(c.leaves) - 1}, nil
		}
	}
	var u *UndeterminedError
	if !errors.As(err, &u) || u.atom == "" {
		return nil, err
	}
	node := &dtLeaf{atom: u.atom, leaf: -1}
	for _, v := range []bool{true, false} {
		next := make(map[string]bool, len(assign)+1)
		for k, x := range assign {
			next[k] = x
		}
		next[u.atom] = v
		if !consistentFacts(next) {
			continue
		}
		t, err := c.decide(leaf, ra, rb, rep, next)
		if err != nil {
			return nil, err
		}
		if v {
			node.t = t
		} else {
			node.f = t
		}
	}
	return node, nil
}

// classify finds the class of a (f answers memberships, samehost, samenet
// and host names) and returns its leaf: what the diff decided for every
// attempt of that class.
func (d *AccessDiff) classify(a Attempt, f facts) (*diffLeaf, error) {
	ki := 0
	if !a.Local {
		switch a.Encryption {
		case EncryptionSSL:
			ki = 2
		case EncryptionGSS:
			ki = 3
		default:
			ki = 1
		}
	}
	valueOf := func(dd dim) string {
		if dd == dimDB {
			return a.Database
		}
		return a.User
	}
	lookup := func(n *dtDim, firstLevel bool) (*dtNext, error) {
		v := valueOf(n.d)
		switch {
		case n.d == dimDB && a.Replication:
			return n.repl, nil
		case !firstLevel && n.same != nil && v == valueOf(n.d.other()):
			return n.same, nil
		case n.lits[v] != nil:
			return n.lits[v], nil
		}
		sig := signatureOf(n.res, v)
		if x := n.others[sig]; x != nil {
			return x, nil
		}
		return nil, fmt.Errorf("no class for %s %q (signature %s)", n.d.what(), v, sig)
	}
	n1, err := lookup(d.tree.kinds[ki], true)
	if err != nil {
		return nil, err
	}
	n2, err := lookup(n1.sub, false)
	if err != nil {
		return nil, err
	}
	dbVal := n1.val
	if n1.sub.d == dimDB {
		dbVal = n2.val
	}
	dn := n2.leaf
	var t *dtLeaf
	if a.Local {
		t = dn.local
	} else {
		i := sort.Search(len(dn.starts), func(i int) bool { return a.Address.Less(dn.starts[i]) }) - 1
		if i < 0 {
			return nil, fmt.Errorf("no address range for %s", a.Address)
		}
		t = dn.nodes[i]
	}
	for t.leaf < 0 {
		var v, known bool
		switch {
		case strings.HasPrefix(t.atom, "member:"):
			role := t.atom[len("member:"):]
			if (dbVal.other || dbVal.same) && role == dbVal.name {
				role = a.Database // samerole: the role named like this database
			}
			v, known = f.member(role)
		case t.atom == "samehost":
			v, known = f.sameHost()
		case t.atom == "samenet":
			v, known = f.sameNet()
		case strings.HasPrefix(t.atom, "host:"):
			v, known = f.hostname(t.atom[len("host:"):])
		}
		if !known {
			return nil, fmt.Errorf("fact %s unknown", t.atom)
		}
		if v {
			t = t.t
		} else {
			t = t.f
		}
		if t == nil {
			return nil, fmt.Errorf("the facts are inconsistent with every class")
		}
	}
	return &d.leaves[t.leaf], nil
}
