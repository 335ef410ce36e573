package hba

import (
	"net/netip"
	"sort"
	"strings"
)

// maxLintWork bounds the rule-to-rule comparisons of one Lint call. Real
// files need about one comparison per rule with the index (a 10,000-rule
// file: ~20,000); only files built to defeat the index (rules that share
// every database, user and address bucket and still do not cover each
// other) come near it. Past it, lint_incomplete says so.
const maxLintWork = 5_000_000

// lintIndex finds covering and protecting rules without comparing every
// pair: rules are bucketed by database, user, address and type, and a
// question is answered from the dimension whose candidate buckets hold the
// fewest rules (every bucket of a dimension is a superset of the answers),
// comparing only those candidates, in index order.
type lintIndex struct {
	rules []lintRule
	work  int
	cover *coverIndex // rules [0, next) for the forward questions
	next  int
}

func newLintIndex(rules []lintRule) overlapFinder { return &lintIndex{rules: rules} }

// buckets maps a key to rule indices, in insertion order.
type buckets map[string][]int32

// addrBuckets maps an exact address (kind, keyword, masked prefix or
// lower-case host name) to rule indices.
type addrBuckets map[addr][]int32

// lengthsOf lists the prefix lengths present for a family.
type lengthSet struct{ v4, v6 [129]bool }

func (l *lengthSet) add(p netip.Prefix) {
	if p.Addr().Is4() {
		l.v4[p.Bits()] = true
	} else {
		l.v6[p.Bits()] = true
	}
}

// ancestors returns the prefixes of present lengths that contain p (p
// included), shortest first.
func (l *lengthSet) ancestors(p netip.Prefix) []netip.Prefix {
	ls := &l.v6
	if p.Addr().Is4() {
		ls = &l.v4
	}
	var out []netip.Prefix
	for b := 0; b <= p.Bits(); b++ {
		if ls[b] {
			if q, err := p.Addr().Prefix(b); err == nil {
				out = append(out, q)
			}
		}
	}
	return out
}

// hostSuffixes returns the keys of every dot-suffix of a host name (".b.c"
// and ".c" for "a.b.c"; the name itself when it starts with a dot).
func hostSuffixes(h string) []string {
	var out []string
	for i := 0; i < len(h); i++ {
		if h[i] == '.' {
			out = append(out, h[i:])
		}
	}
	return out
}

// Exact address keys.
var (
	keyNone     = addr{kind: addrNone}
	keyAddrAll  = addr{kind: addrKeyword, kw: "all"}
	keySamehost = addr{kind: addrKeyword, kw: "samehost"}
	keySamenet  = addr{kind: addrKeyword, kw: "samenet"}
)

func prefixAddr(p netip.Prefix) addr { return addr{kind: addrPrefix, pfx: p} }
func hostAddr(h string) addr         { return addr{kind: addrHostname, host: h} }

// indexable: addresses whose range is not known never cover or overlap
// anything.
func indexable(a addr) bool { return comparableAddr(a.kind) }

// coverIndex holds the rules before the current one (forward pass).
type coverIndex struct {
	db, user buckets
	addr     addrBuckets
	typ      map[ConnType][]int32
	lengths  lengthSet
}

func (x *lintIndex) coverIndexFor() *coverIndex {
	n := len(x.rules)
	return &coverIndex{db: make(buckets, n), user: make(buckets, n), addr: make(addrBuckets, n), typ: map[ConnType][]int32{}}
}

func appendUnique(b buckets, keys []string, i int32) {
	for n, k := range keys {
		dup := false
		for _, k2 := range keys[:n] {
			if k2 == k {
				dup = true
				break
			}
		}
		if !dup {
			b[k] = append(b[k], i)
		}
	}
}

func (c *coverIndex) add(i int, r *lintRule) {
	appendUnique(c.db, r.dbs, int32(i))
	appendUnique(c.user, r.users, int32(i))
	if indexable(r.addr) {
		c.addr[r.addr] = append(c.addr[r.addr], int32(i))
		if r.addr.kind == addrPrefix {
			c.lengths.add(r.addr.pfx)
		}
	}
	c.typ[r.r.Type] = append(c.typ[r.r.Type], int32(i))
}

// candidates are unions of index lists; size is their total length.
type candidates struct {
	lists [][]int32
	size  int
}

func (c *candidates) add(l []int32) {
	if len(l) > 0 {
		c.lists = append(c.lists, l)
		c.size += len(l)
	}
}

// smallest returns the candidate set with the fewest entries.
func smallest(cs ...candidates) candidates {
	best := cs[0]
	for _, c := range cs[1:] {
		if c.size < best.size {
			best = c
		}
	}
	return best
}

// coverCandidates: rules that can cover r must cover each of its database
// and user elements (so any one element's buckets are a superset: the
// element with the smallest ones is used), its address (all, or an
// address containing it), and its kinds (types whose kinds include them).
func (c *coverIndex) candidates(r *lintRule, kinds int) (candidates, bool) {
	var dims []candidates
	if len(r.dbs) == 0 || len(r.users) == 0 || kinds == 0 {
		return candidates{}, false
	}
	best := candidates{size: -1}
	for _, y := range r.dbs {
		var cs candidates
		cs.add(c.db[y])
		if y != keyReplication && y != keyAll {
			cs.add(c.db[keyAll])
		}
		if best.size < 0 || cs.size < best.size {
			best = cs
		}
	}
	dims = append(dims, best)
	best = candidates{size: -1}
	for _, y := range r.users {
		var cs candidates
		cs.add(c.user[y])
		if y != keyAll {
			cs.add(c.user[keyAll])
		}
		if best.size < 0 || cs.size < best.size {
			best = cs
		}
	}
	dims = append(dims, best)
	var ac candidates
	a := r.addr
	if !comparableAddr(a.kind) {
		return candidates{}, false
	}
	switch a.kind {
	case addrNone:
		ac.add(c.addr[keyNone])
	default:
		ac.add(c.addr[keyAddrAll])
		switch a.kind {
		case addrKeyword:
			if a.kw != "all" {
				ac.add(c.addr[a])
			}
			if a.kw == "samehost" {
				ac.add(c.addr[keySamenet])
			}
		case addrPrefix:
			for _, q := range c.lengths.ancestors(a.pfx) {
				ac.add(c.addr[prefixAddr(q)])
			}
		case addrHostname:
			ac.add(c.addr[a])
			for _, s := range hostSuffixes(a.host) {
				if s != a.host {
					ac.add(c.addr[hostAddr(s)])
				}
			}
		}
	}
	dims = append(dims, ac)
	var tc candidates
	for _, t := range ConnTypes {
		if typeKinds[t]&kinds == kinds {
			tc.add(c.typ[t])
		}
	}
	dims = append(dims, tc)
	return smallest(dims...), true
}

// firstMatch returns the smallest candidate i with lo < i < hi that
// satisfies ok, or -1; lists are ascending. It returns false when the work
// budget ran out.
func (x *lintIndex) firstMatch(cs candidates, lo, hi int, ok func(int) bool) (int, bool) {
	best := hi
	for _, l := range cs.lists {
		start := sort.Search(len(l), func(m int) bool { return int(l[m]) > lo })
		for _, i := range l[start:] {
			if int(i) >= best {
				break
			}
			x.work++
			if x.work > maxLintWork {
				return -1, false
			}
			if ok(int(i)) {
				best = int(i)
				break
			}
		}
	}
	if best == hi {
		return -1, true
	}
	return best, true
}

// coveredBy answers in rule order: the index holds the rules before j.
func (x *lintIndex) coveredBy(j, kinds int) (int, bool) {
	if x.cover == nil {
		x.cover = x.coverIndexFor()
	}
	for ; x.next < j; x.next++ {
		x.cover.add(x.next, &x.rules[x.next])
	}
	r := &x.rules[j]
	cs, possible := x.cover.candidates(r, kinds)
	if !possible {
		return -1, true
	}
	return x.firstMatch(cs, -1, j, func(i int) bool { return x.rules[i].covers(r, kinds) })
}

// protectIndex holds every hostssl, non-reject rule, with address buckets
// for both directions of overlap.
type protectIndex struct {
	db, user   buckets
	dbNonRepl  []int32                  // rules with a database element other than the replication keyword
	all        []int32                  // every rule (for users = all)
	exact      addrBuckets              // exact address -> rules
	under      map[netip.Prefix][]int32 // prefix of each queried length -> rules whose prefix lies within it
	hostSuffix buckets                  // dot-suffix -> host-name rules ending with it
	nonNone    []int32                  // rules with an address (for address all)
	lengths    lengthSet
	queryLens  lengthSet // prefix lengths of the rules asked about
}

func (p *protectIndex) add(i int, r *lintRule) {
	ii := int32(i)
	appendUnique(p.db, r.dbs, ii)
	appendUnique(p.user, r.users, ii)
	for _, k := range r.dbs {
		if k != keyReplication {
			p.dbNonRepl = append(p.dbNonRepl, ii)
			break
		}
	}
	p.all = append(p.all, ii)
	if !indexable(r.addr) {
		return
	}
	p.exact[r.addr] = append(p.exact[r.addr], ii)
	switch r.addr.kind {
	case addrNone:
		return
	case addrPrefix:
		p.lengths.add(r.addr.pfx)
		ls := &p.queryLens.v6
		if r.addr.pfx.Addr().Is4() {
			ls = &p.queryLens.v4
		}
		for b := 0; b <= r.addr.pfx.Bits(); b++ {
			if ls[b] {
				if q, err := r.addr.pfx.Addr().Prefix(b); err == nil {
					p.under[q] = append(p.under[q], ii)
				}
			}
		}
	case addrHostname:
		for _, s := range hostSuffixes(r.addr.host) {
			p.hostSuffix[s] = append(p.hostSuffix[s], ii)
		}
	}
	p.nonNone = append(p.nonNone, ii)
}

// candidates: protecting rules overlap r on databases, users and address
// (existential: the union over r's elements).
func (p *protectIndex) candidates(r *lintRule) (candidates, bool) {
	var dc, uc, ac candidates
	if r.dbAll {
		dc.add(p.dbNonRepl) // all overlaps every database but the replication keyword
	}
	for _, x := range r.dbs {
		switch x {
		case keyAll:
		case keyReplication:
			dc.add(p.db[x])
		default:
			dc.add(p.db[x])
			if !r.dbAll {
				dc.add(p.db[keyAll])
			}
		}
	}
	if r.usrAll {
		uc.add(p.all)
	} else {
		for _, x := range r.users {
			uc.add(p.user[x])
		}
		uc.add(p.user[keyAll])
	}
	a := r.addr
	if !comparableAddr(a.kind) {
		return candidates{}, false
	}
	switch a.kind {
	case addrNone:
		ac.add(p.exact[keyNone])
	case addrKeyword:
		if a.kw == "all" {
			ac.add(p.nonNone)
			break
		}
		ac.add(p.exact[keyAddrAll])
		ac.add(p.exact[keySamehost])
		ac.add(p.exact[keySamenet])
	case addrPrefix:
		ac.add(p.exact[keyAddrAll])
		for _, q := range p.lengths.ancestors(a.pfx) {
			if q.Bits() < a.pfx.Bits() {
				ac.add(p.exact[prefixAddr(q)])
			}
		}
		ac.add(p.under[a.pfx]) // within it, itself included
	case addrHostname:
		ac.add(p.exact[keyAddrAll])
		for _, s := range hostSuffixes(a.host) {
			if s != a.host {
				ac.add(p.exact[hostAddr(s)])
			}
		}
		if strings.HasPrefix(a.host, ".") {
			ac.add(p.hostSuffix[a.host]) // names ending with it, itself included
		} else {
			ac.add(p.exact[a])
		}
	}
	if len(r.dbs) == 0 || len(r.users) == 0 {
		return candidates{}, false
	}
	return smallest(dc, uc, ac), true
}

// nonTLS indexes every hostssl, non-reject rule, then answers in rule
// order, looking only at rules after j.
func (x *lintIndex) nonTLS(query []bool) ([]int, bool, int) {
	x.work = 0 // each pass has its own budget
	n := len(x.rules)
	out := make([]int, n)
	for i := range out {
		out[i] = -1
	}
	p := &protectIndex{db: make(buckets, n/2), user: make(buckets, n/2), exact: make(addrBuckets, n/2),
		under: make(map[netip.Prefix][]int32, n/2), hostSuffix: buckets{}}
	for j := 0; j < n; j++ {
		if query[j] && x.rules[j].addr.kind == addrPrefix {
			p.queryLens.add(x.rules[j].addr.pfx)
		}
	}
	for k := 0; k < n; k++ {
		if r := &x.rules[k]; r.r.Type == HostSSL && r.r.Method != Reject {
			p.add(k, r)
		}
	}
	for j := 0; j < n; j++ {
		if !query[j] {
			continue
		}
		r := &x.rules[j]
		cs, possible := p.candidates(r)
		if !possible {
			continue
		}
		k, ok := x.firstMatch(cs, j, n, func(k int) bool { return x.rules[k].protects(r) })
		if !ok {
			return out, false, j
		}
		out[j] = k
	}
	return out, true, -1
}
