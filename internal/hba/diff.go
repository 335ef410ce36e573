package hba

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// DiffAccess compares what two rule sets let in: not their text, but the
// decision PostgreSQL takes for every possible connection attempt. The
// attempts are divided into classes, exactly (no sampling): every attempt
// of a class is decided by the same line of each file. A class is
//
//   - a connection: local (Unix socket), plain (TCP without encryption), ssl
//     (TCP with TLS) or gss (TCP with GSSAPI encryption);
//   - a role: one the files name, or "any other role" (with PostgreSQL 16+
//     /regex roles: any other role matching some of the expressions and not
//     the others);
//   - a database: likewise, plus "the database named like the role" where
//     sameuser/samerole make that matter, and physical replication;
//   - a client network (TCP): a range of addresses no address boundary of
//     either file splits, reported as CIDRs;
//   - conditions the files depend on that no plan can know: role memberships
//     (+role, samerole), whether the client address is the server's own
//     (samehost) or on its networks (samenet) when the server's interfaces
//     are not given, and the client's host name.
//
// Each class is decided in both files with the simulation itself (Matcher),
// on a representative attempt, so the diff and the simulation cannot
// disagree; TestDiffAccessProperty checks on random files and attempts that
// every attempt falls into a class decided like the attempt itself.
//
// Work: classes are refined one dimension at a time using only the lines
// that can still match (lines are indexed by name, CIDRs form a tree), and a
// line that matches everything left ends the list; the work grows with the
// number of classes and the lines relevant to each, not with their product.
// A role is assumed to exist (a role that does not cannot log in).

// ChangeKind classifies a class's change.
type ChangeKind string

const (
	ChangeGranted      ChangeKind = "granted"      // refused before, admitted (with the method's credentials) now
	ChangeRevoked      ChangeKind = "revoked"      // admitted before, refused now
	ChangeWeakened     ChangeKind = "weakened"     // admitted both times, with a weaker (or an unrankable, different) authentication now
	ChangeStrengthened ChangeKind = "strengthened" // admitted both times, with a stronger authentication now
	ChangeUnchanged    ChangeKind = "unchanged"    // same outcome and authentication (possibly by another line)
)

// ChangeKinds lists the kinds, most severe first.
var ChangeKinds = []ChangeKind{ChangeWeakened, ChangeGranted, ChangeRevoked, ChangeStrengthened, ChangeUnchanged}

// AccessSide is how one file treats a class.
type AccessSide struct {
	Line           int // 0 when no line matches
	Refused        bool
	ImplicitReject bool
	Method         Method // effective method ("" for the implicit reject)
	ClientCert     string // effective clientcert
	ClientName     string
	Map            string
	Options        string // other options, rendered (secrets masked)
	Rule           string // the line, secrets masked
}

func (s AccessSide) String() string {
	switch {
	case s.ImplicitReject:
		return "no matching line"
	case s.Method == Reject:
		return fmt.Sprintf("line %d: reject", s.Line)
	}
	out := fmt.Sprintf("line %d: %s", s.Line, s.Method)
	if s.ClientCert != "" && s.Method != Cert {
		out += " clientcert=" + s.ClientCert
	}
	if s.Map != "" {
		out += " map=" + s.Map
	}
	return out
}

// AccessClass describes the attempts of one change.
type AccessClass struct {
	Connection  string         // local, plain, ssl, gss
	Replication bool           // physical replication connections
	Databases   []string       // database names; unnamed classes in parentheses ("(any other database)")
	Users       []string       // role names; unnamed classes in parentheses
	Networks    []netip.Prefix // TCP: the client addresses (CIDRs); nil for local
	Conditions  []string       // facts every attempt of the change has (memberships, samehost/samenet, host names)
	Classes     int            // exact classes merged into this change
}

// AccessChange is what changed for the attempts decided by one line (or
// none) before and one line (or none) after.
type AccessChange struct {
	AccessClass
	Change ChangeKind
	Before AccessSide
	After  AccessSide
	Reason string
	ID     string // stable short id (from the two lines' text) to acknowledge the change with
}

// Summary is one line describing the change.
func (c AccessChange) Summary() string {
	return fmt.Sprintf("%s: %s; before %s, after %s", c.Change, c.Who(), c.Before, c.After)
}

// Who describes the attempts in words.
func (c AccessClass) Who() string {
	conn := map[string]string{"local": "Unix socket", "plain": "TCP without encryption", "ssl": "TCP with TLS", "gss": "TCP with GSS encryption"}[c.Connection]
	db := "databases " + shortList(c.Databases)
	if c.Replication {
		db = "physical replication"
	}
	out := fmt.Sprintf("roles %s, %s, %s", shortList(c.Users), db, conn)
	if c.Connection != "local" {
		out += " from " + formatNetworks(c.Networks)
	}
	if len(c.Conditions) > 0 {
		out += " (" + strings.Join(c.Conditions, ", ") + ")"
	}
	return out
}

func shortList(s []string) string {
	if len(s) > 5 {
		return strings.Join(s[:5], ", ") + fmt.Sprintf(" and %d more", len(s)-5)
	}
	return strings.Join(s, ", ")
}

func formatNetworks(ps []netip.Prefix) string {
	if len(ps) == 2 && ps[0] == netip.MustParsePrefix("0.0.0.0/0") && ps[1] == netip.MustParsePrefix("::/0") {
		return "any address"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	if len(parts) > 6 {
		return strings.Join(parts[:6], ", ") + fmt.Sprintf(" and %d more ranges", len(parts)-6)
	}
	return strings.Join(parts, ", ")
}

// AccessDiff is the result of DiffAccess.
type AccessDiff struct {
	// Changes holds every class whose access changed, most severe first;
	// unchanged classes are only counted unless IncludeUnchanged was set.
	Changes   []AccessChange
	Classes   int // classes examined
	Unchanged int // of those, unchanged
	tree      *dtTree
	leaves    []diffLeaf
}

// Count returns the number of changes of kind k.
func (d *AccessDiff) Count(k ChangeKind) int {
	n := 0
	for _, c := range d.Changes {
		if c.Change == k {
			n++
		}
	}
	return n
}

// DefaultMaxClasses is the default DiffOptions.MaxClasses.
const DefaultMaxClasses = 250000

// DiffOptions tunes DiffAccess.
type DiffOptions struct {
	IncludeUnchanged bool
	// MaxClasses bounds the work (default 250,000 classes: about a second;
	// files of thousands of lines that each name their own database, role
	// and network stay far below it).
	MaxClasses int
}

// DiffAccess compares before and after (matchers of the same environment).
func DiffAccess(before, after *Matcher, opts DiffOptions) (*AccessDiff, error) {
	if opts.MaxClasses <= 0 {
		opts.MaxClasses = DefaultMaxClasses
	}
	c := &diffCtx{a: before, b: after, max: opts.MaxClasses, tree: &dtTree{}}
	for ki, k := range diffKinds {
		if err := c.kind(ki, k); err != nil {
			return nil, err
		}
	}
	d := &AccessDiff{Classes: len(c.leaves), tree: c.tree, leaves: c.leaves}
	d.Changes, d.Unchanged = aggregate(c.leaves, before, after, opts.IncludeUnchanged)
	return d, nil
}

// --- Outcome and aggregation ---

func sideOf(m *Matcher, idx int) AccessSide {
	if idx < 0 {
		return AccessSide{Refused: true, ImplicitReject: true}
	}
	r := m.rules[idx]
	s := AccessSide{Line: r.line, Refused: r.method == Reject, Method: r.method, ClientCert: r.clientCert,
		ClientName: r.clientName, Map: r.rule.Map, Rule: compactLine(r.rule.String())}
	var opts []string
	for _, o := range r.rule.Options {
		v := o.Value
		if IsSensitiveOption(o.Name) {
			v = "(sensitive)"
		}
		opts = append(opts, o.Name+"="+v)
	}
	sort.Strings(opts)
	s.Options = strings.Join(opts, " ")
	if s.ClientCert == "verify-ca" {
		s.ClientName = ""
	}
	return s
}

// methodRank orders methods by what an attacker needs: trust nothing;
// ident the client host's word; password-type methods a password sent in
// clear to the server (or an external one); md5 a password hash exchange;
// scram-sha-256 a salted challenge; peer the OS identity on the host;
// Kerberos/SSPI/OAuth an external identity provider; cert a private key.
var methodRank = map[Method]int{
	Trust: 0, Ident: 1, Password: 2, PAM: 2, BSD: 2, LDAP: 2, RADIUS: 2, MD5: 3, ScramSHA256: 4,
	Peer: 5, GSS: 5, SSPI: 5, OAuth: 5, Cert: 6,
}

var certRank = map[string]int{"": 0, "verify-ca": 1, "verify-full": 2}

// classifyChange returns the change between two sides and why.
func classifyChange(before, after AccessSide) (ChangeKind, string) {
	switch {
	case before.Refused && after.Refused:
		return ChangeUnchanged, "refused before and after"
	case before.Refused:
		return ChangeGranted, fmt.Sprintf("refused before (%s), now %s authentication", before, after.Method)
	case after.Refused:
		return ChangeRevoked, fmt.Sprintf("%s authentication before, now refused (%s)", before.Method, after)
	}
	if before.Method == after.Method && before.ClientCert == after.ClientCert && before.ClientName == after.ClientName &&
		before.Map == after.Map && before.Options == after.Options {
		return ChangeUnchanged, "same authentication"
	}
	mb, ma := methodRank[before.Method], methodRank[after.Method]
	cb, ca := certRank[before.ClientCert], certRank[after.ClientCert]
	switch {
	case ma < mb || ca < cb:
		var why []string
		if ma < mb {
			why = append(why, fmt.Sprintf("%s -> %s", before.Method, after.Method))
		}
		if ca < cb {
			why = append(why, fmt.Sprintf("client certificate %s -> %s", orNone(before.ClientCert), orNone(after.ClientCert)))
		}
		return ChangeWeakened, "weaker authentication: " + strings.Join(why, ", ")
	case ma > mb || ca > cb:
		var why []string
		if ma > mb {
			why = append(why, fmt.Sprintf("%s -> %s", before.Method, after.Method))
		}
		if ca > cb {
			why = append(why, fmt.Sprintf("client certificate %s -> %s", orNone(before.ClientCert), orNone(after.ClientCert)))
		}
		return ChangeStrengthened, "stronger authentication: " + strings.Join(why, ", ")
	}
	return ChangeWeakened, fmt.Sprintf("authentication changed without becoming stronger (%s -> %s); reviewed as a weakening", before, after)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func condLabel(c string) string {
	k, v, _ := strings.Cut(c, "=")
	yes := v == "true"
	switch {
	case strings.HasPrefix(k, "member:"):
		if yes {
			return "member of " + k[len("member:"):]
		}
		return "not a member of " + k[len("member:"):]
	case k == "samehost":
		if yes {
			return "client address is the server's own (samehost)"
		}
		return "client address is not the server's own (samehost)"
	case k == "samenet":
		if yes {
			return "client on a network of the server (samenet)"
		}
		return "client not on a network of the server (samenet)"
	case strings.HasPrefix(k, "host:@"):
		if yes {
			return "client address is the one in file " + k[len("host:@"):]
		}
		return "client address is not the one in file " + k[len("host:@"):]
	case strings.HasPrefix(k, "host:"):
		if yes {
			return "client host name matches " + k[len("host:"):]
		}
		return "client host name does not match " + k[len("host:"):]
	}
	return c
}

func aggregate(leaves []diffLeaf, before, after *Matcher, includeUnchanged bool) ([]AccessChange, int) {
	type key struct {
		kind         int
		repl         bool
		lineA, lineB int
	}
	type acc struct {
		ch      *AccessChange
		users   map[string]bool
		dbs     map[string]bool
		conds   map[string]bool
		ranges  [][2]netip.Addr
		started bool
	}
	groups := map[key]*acc{}
	var order []key
	unchanged := 0
	sides := map[[2]int]AccessSide{} // by matcher (0 before, 1 after) and rule index
	side := func(m int, idx int) AccessSide {
		k := [2]int{m, idx}
		s, ok := sides[k]
		if !ok {
			s = sideOf([]*Matcher{before, after}[m], idx)
			sides[k] = s
		}
		return s
	}
	type verdict struct {
		kind ChangeKind
		why  string
	}
	verdicts := map[[2]int]verdict{}
	for _, l := range leaves {
		sa, sb := side(0, l.ia), side(1, l.ib)
		vk := [2]int{l.ia, l.ib}
		v, ok := verdicts[vk]
		if !ok {
			v.kind, v.why = classifyChange(sa, sb)
			verdicts[vk] = v
		}
		kind, why := v.kind, v.why
		if kind == ChangeUnchanged {
			unchanged++
			if !includeUnchanged {
				continue
			}
		}
		k := key{kind: l.kind, repl: l.repl, lineA: sa.Line, lineB: sb.Line}
		g, ok := groups[k]
		if !ok {
			g = &acc{ch: &AccessChange{Change: kind, Before: sa, After: sb, Reason: why}, users: map[string]bool{}, dbs: map[string]bool{}}
			g.ch.Connection = diffKinds[l.kind].name
			g.ch.Replication = l.repl
			groups[k] = g
			order = append(order, k)
		}
		g.ch.Classes++
		g.users[l.user.label()] = true
		if !l.repl {
			g.dbs[l.db.label()] = true
		}
		conds := map[string]bool{}
		for _, c := range l.conds {
			if (l.db.other || l.db.same) && strings.HasPrefix(c, "member:"+l.db.name+"=") {
				c = strings.Replace(c, "member:"+l.db.name, "member:the role named like the database", 1)
			}
			conds[condLabel(c)] = true
		}
		if !g.started {
			g.conds, g.started = conds, true
		} else {
			for c := range g.conds {
				if !conds[c] {
					delete(g.conds, c)
				}
			}
		}
		if l.lo.IsValid() {
			g.ranges = append(g.ranges, [2]netip.Addr{l.lo, l.hi})
		}
	}
	rank := map[ChangeKind]int{}
	for i, k := range ChangeKinds {
		rank[k] = i
	}
	out := make([]AccessChange, 0, len(order))
	for _, k := range order {
		g := groups[k]
		g.ch.Users = sortedKeySet(g.users)
		g.ch.Databases = sortedKeySet(g.dbs)
		g.ch.Conditions = sortedKeySet(g.conds)
		g.ch.Networks = mergeRanges(g.ranges)
		g.ch.ID = changeID(*g.ch)
		out = append(out, *g.ch)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].Change] != rank[out[j].Change] {
			return rank[out[i].Change] < rank[out[j].Change]
		}
		if out[i].Before.Line != out[j].Before.Line {
			return out[i].Before.Line < out[j].Before.Line
		}
		if out[i].After.Line != out[j].After.Line {
			return out[i].After.Line < out[j].After.Line
		}
		return out[i].Connection < out[j].Connection
	})
	return out, unchanged
}

// mergeRanges returns the union of address ranges as CIDRs.
func mergeRanges(rs [][2]netip.Addr) []netip.Prefix {
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i][0].Less(rs[j][0]) })
	var out []netip.Prefix
	lo, hi := rs[0][0], rs[0][1]
	for _, r := range rs[1:] {
		if r[0].Is4() == hi.Is4() && (!hi.Less(r[0]) || hi.Next() == r[0]) {
			if hi.Less(r[1]) {
				hi = r[1]
			}
			continue
		}
		out = append(out, rangePrefixes(lo, hi)...)
		lo, hi = r[0], r[1]
	}
	return append(out, rangePrefixes(lo, hi)...)
}

func changeID(c AccessChange) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%v|%s|%s", c.Change, c.Connection, c.Replication, c.Before.Rule, c.After.Rule)
	return "ac-" + hex.EncodeToString(h.Sum(nil))[:10]
}
