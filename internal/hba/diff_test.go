package hba

import (
	"fmt"
	mrand "math/rand"
	"net/netip"
	"strings"
	"testing"
)

// diffFactsT gives every fact of a test attempt.
type diffFactsT struct {
	a      Attempt
	m      *Matcher
	member map[string]bool
	sh, sn bool
	host   string
}

func (f diffFactsT) memberOf(role string) (bool, bool) {
	if role == f.a.User {
		return true, true
	}
	return f.member[role], true
}
func (f diffFactsT) sameHost() (bool, bool) {
	if f.m.env.Interfaces != nil {
		return attemptFacts{m: f.m, a: f.a}.sameHost()
	}
	return f.sh, true
}
func (f diffFactsT) sameNet() (bool, bool) {
	if f.m.env.Interfaces != nil {
		return attemptFacts{m: f.m, a: f.a}.sameNet()
	}
	return f.sn, true
}
func (f diffFactsT) hostname(p string) (bool, bool) {
	return f.host != "" && hostnameMatch(p, f.host), true
}

type diffFactsAdapter struct{ diffFactsT }

func (f diffFactsAdapter) member(role string) (bool, bool) { return f.memberOf(role) }

var (
	propDBs    = []string{"app", "shop", "alice", "admins", "replication", "all", "+x", "/^s"}
	propUsers  = []string{"app", "alice", "bob", "admins", "ops", "all", "+admins"}
	propGroups = []string{"admins", "ops", "alice"}
	propAddrs  = []string{"all", "samehost", "samenet", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.0.0.0/255.255.0.0",
		"192.168.0.0/16", "0.0.0.0/0", "::/0", "::1/128", "fd00::/8", "fd00:1::/32", "::ffff:10.0.0.0/104", "db.example.com",
		".example.com", ".com", "LOCALHOST", "127.0.0.0/8"}
	propHosts = []string{"", "db.example.com", "x.example.com", "example.com", "a.b.com", "localhost", "other.org"}
	propIPs   = []string{"10.1.2.3", "10.1.2.4", "10.1.3.1", "10.2.0.1", "10.0.0.0", "9.255.255.255", "11.0.0.0", "192.168.1.1", "127.0.0.1",
		"::1", "fd00::1", "fd00:1::5", "fd01::1", "::ffff:10.1.2.3", "2001:db8::1", "255.255.255.255", "0.0.0.0"}
)

func randRules(r *mrand.Rand, v, n int) []Rule {
	var rules []Rule
	pickNames := func(pool []string, users bool) []Name {
		k := 1 + r.Intn(2)
		var out []Name
		for i := 0; i < k; i++ {
			s := pool[r.Intn(len(pool))]
			var nm Name
			switch {
			case r.Intn(5) == 0:
				nm = Kw("all")
			case !users && r.Intn(6) == 0:
				nm = Kw([]string{"sameuser", "samerole", "replication"}[r.Intn(3)])
			case users && r.Intn(4) == 0:
				nm = GroupOf(propGroups[r.Intn(len(propGroups))])
			case v >= 16 && r.Intn(6) == 0:
				nm = RegexName([]string{"^a", "p$", "^(app|shop)$", "o", "^[a-c]"}[r.Intn(5)])
			default:
				nm = Lit(s)
			}
			out = append(out, nm)
		}
		return out
	}
	for len(rules) < n {
		ty := []ConnType{Local, Host, HostSSL, HostNoSSL, HostGSSEnc, HostNoGSSEnc}[r.Intn(6)]
		ru := Rule{Type: ty, Databases: pickNames(propDBs, false), Users: pickNames(propUsers, true)}
		if ty != Local {
			a := propAddrs[r.Intn(len(propAddrs))]
			if ip, mask, ok := strings.Cut(a, "/"); ok && strings.Contains(mask, ".") {
				ru.Address, ru.Netmask = ip, mask
			} else {
				ru.Address = a
			}
		}
		ru.Method = []Method{Trust, Reject, ScramSHA256, MD5, Password}[r.Intn(5)]
		if ty == HostSSL && r.Intn(3) == 0 {
			ru.Method = Cert
		}
		if ty == HostSSL && ru.Method != Cert && r.Intn(3) == 0 {
			ru.ClientCert = "verify-full"
		}
		rules = append(rules, ru)
	}
	return rules
}

func matcherOf(t testing.TB, rules []Rule, v int, env Environment) *Matcher {
	t.Helper()
	content, err := RenderFile(rules, "")
	if err != nil {
		t.Fatal(err)
	}
	pf, err := Parse(content, v)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(pf.Rules, v, env)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randAttempt(r *mrand.Rand) (Attempt, map[string]bool, bool, bool, string) {
	a := Attempt{User: propUsers[r.Intn(len(propUsers))], Database: propDBs[r.Intn(len(propDBs))], MembershipKnown: true}
	if r.Intn(4) == 0 {
		a.User = []string{"zed", "aaa", "pgtls_unnamed", "opp", "shop", "all_"}[r.Intn(6)]
	}
	if r.Intn(4) == 0 {
		a.Database = []string{"zdb", "app_x", "appx", "shop2", "s", "pgtls_unnamed"}[r.Intn(6)]
	}
	if r.Intn(5) == 0 {
		a.Database = a.User
	}
	if r.Intn(10) == 0 {
		a.Replication, a.Database = true, ""
	}
	switch r.Intn(5) {
	case 0:
		a.Local = true
	default:
		a.Address = netip.MustParseAddr(propIPs[r.Intn(len(propIPs))])
		a.Encryption = []Encryption{EncryptionNone, EncryptionSSL, EncryptionGSS}[r.Intn(3)]
	}
	member := map[string]bool{}
	for _, g := range append(append([]string{}, propGroups...), propDBs...) {
		member[g] = r.Intn(2) == 0
	}
	sn := r.Intn(2) == 0
	sh := sn && r.Intn(2) == 0
	return a, member, sh, sn, propHosts[r.Intn(len(propHosts))]
}

// TestDiffAccessProperty: for random pairs of files and random attempts,
// the class the diff puts an attempt in was decided (in both files) like
// the attempt itself: the diff is exact.
var diffPropIters = 300

func TestDiffAccessProperty(t *testing.T) {
	r := mrand.New(mrand.NewSource(7))
	checked, classes := 0, 0
	for iter := 0; iter < diffPropIters; iter++ {
		v := []int{15, 16, 18}[iter%3]
		env := Environment{}
		if iter%4 == 1 {
			env.Interfaces = []Interface{netip.MustParsePrefix("10.1.2.3/16"), netip.MustParsePrefix("127.0.0.1/8"), netip.MustParsePrefix("fd00::2/64")}
		}
		a := matcherOf(t, randRules(r, v, 1+r.Intn(12)), v, env)
		b := matcherOf(t, randRules(r, v, 1+r.Intn(12)), v, env)
		if iter%5 == 0 { // a small edit of a
			b = a
			rs := make([]ParsedRule, len(a.rules))
			for i, mr := range a.rules {
				rs[i] = ParsedRule{Line: mr.line, Rule: mr.rule}
			}
			if len(rs) > 1 {
				rs[0], rs[1] = rs[1], rs[0]
			}
			var err error
			if b, err = NewMatcher(rs, v, env); err != nil {
				t.Fatal(err)
			}
		}
		d, err := DiffAccess(a, b, DiffOptions{IncludeUnchanged: true})
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		classes += d.Classes
		for k := 0; k < 200; k++ {
			at, member, sh, sn, host := randAttempt(r)
			fa := diffFactsAdapter{diffFactsT{a: at, m: a, member: member, sh: sh, sn: sn, host: host}}
			fb := diffFactsAdapter{diffFactsT{a: at, m: b, member: member, sh: sh, sn: sn, host: host}}
			da, err1 := a.matchIn(a.rules, at, fa)
			db, err2 := b.matchIn(b.rules, at, fb)
			if err1 != nil || err2 != nil {
				t.Fatalf("match: %v %v", err1, err2)
			}
			leaf, err := d.classify(at, fa)
			if err != nil {
				t.Fatalf("iteration %d: attempt %+v: %v\nA:\n%s\nB:\n%s", iter, at, err, dumpRules(a), dumpRules(b))
			}
			la, lb := sideOf(a, leaf.ia).Line, sideOf(b, leaf.ib).Line
			if la != da.Line || lb != db.Line {
				t.Fatalf("iteration %d (v%d): attempt %+v member=%v sh=%v sn=%v host=%q\n class (user %s, db %s, %s-%s, %v): before line %d, after line %d\n attempt: before line %d, after line %d\nA:\n%sB:\n%s",
					iter, v, at, member, sh, sn, host, leaf.user.name, leaf.db.name, leaf.lo, leaf.hi, leaf.conds, la, lb, da.Line, db.Line, dumpRules(a), dumpRules(b))
			}
			checked++
		}
	}
	t.Logf("%d attempts classified exactly into %d classes", checked, classes)
}

func dumpRules(m *Matcher) string {
	var b strings.Builder
	for _, r := range m.rules {
		fmt.Fprintf(&b, "%3d  %s\n", r.line, r.rule.String())
	}
	return b.String()
}

func TestRangePrefixes(t *testing.T) {
	for _, c := range []struct {
		lo, hi string
		want   string
	}{
		{"0.0.0.0", "255.255.255.255", "[0.0.0.0/0]"},
		{"10.0.0.0", "10.0.0.255", "[10.0.0.0/24]"},
		{"10.0.0.1", "10.0.0.6", "[10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32]"},
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "[::/0]"},
		{"::1", "::1", "[::1/128]"},
	} {
		got := fmt.Sprint(rangePrefixes(netip.MustParseAddr(c.lo), netip.MustParseAddr(c.hi)))
		if got != c.want {
			t.Errorf("%s-%s: %s, want %s", c.lo, c.hi, got, c.want)
		}
	}
	// Random ranges: the prefixes are contiguous and cover exactly [lo, hi].
	r := mrand.New(mrand.NewSource(3))
	for i := 0; i < 2000; i++ {
		var a, b [16]byte
		r.Read(a[:])
		r.Read(b[:])
		lo, hi := netip.AddrFrom16(a), netip.AddrFrom16(b)
		if i%2 == 0 {
			lo, hi = netip.AddrFrom4([4]byte{a[0], a[1], a[2], a[3]}), netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]})
		}
		if hi.Less(lo) {
			lo, hi = hi, lo
		}
		ps := rangePrefixes(lo, hi)
		next := lo
		for _, p := range ps {
			if p.Addr() != next || p.Masked() != p {
				t.Fatalf("%s-%s: prefix %s does not start at %s or is not aligned", lo, hi, p, next)
			}
			next = lastAddr(p).Next()
		}
		if lastAddr(ps[len(ps)-1]) != hi {
			t.Fatalf("%s-%s: ends at %s", lo, hi, lastAddr(ps[len(ps)-1]))
		}
	}
}

func TestDiffAccessKinds(t *testing.T) {
	diff := func(before, after string) *AccessDiff {
		t.Helper()
		a, err := NewMatcherContent(before, 16, Environment{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewMatcherContent(after, 16, Environment{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := DiffAccess(a, b, DiffOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name, before, after string
		want                map[ChangeKind]int
		check               func(t *testing.T, d *AccessDiff)
	}{
		{"cert to scram is weakened", "hostssl all app 10.0.0.0/8 cert\n", "hostssl all app 10.0.0.0/8 scram-sha-256\n",
			map[ChangeKind]int{ChangeWeakened: 1}, func(t *testing.T, d *AccessDiff) {
				c := d.Changes[0]
				if c.Connection != "ssl" || fmt.Sprint(c.Networks) != "[10.0.0.0/8]" || fmt.Sprint(c.Users) != "[app]" || c.Before.Method != Cert || c.After.Method != ScramSHA256 {
					t.Errorf("%+v", c)
				}
			}},
		{"scram to cert is strengthened", "hostssl all app 10.0.0.0/8 scram-sha-256\n", "hostssl all app 10.0.0.0/8 cert\n", map[ChangeKind]int{ChangeStrengthened: 1}, nil},
		{"md5 to trust is weakened", "host all all 10.0.0.0/8 md5\n", "host all all 10.0.0.0/8 trust\n", map[ChangeKind]int{ChangeWeakened: 3}, nil},
		{"a wider network is granted", "host all all 10.1.0.0/16 scram-sha-256\n", "host all all 10.0.0.0/8 scram-sha-256\n", map[ChangeKind]int{ChangeGranted: 3},
			func(t *testing.T, d *AccessDiff) {
				for _, c := range d.Changes {
					if fmt.Sprint(c.Networks) != "[10.0.0.0/16 10.2.0.0/15 10.4.0.0/14 10.8.0.0/13 10.16.0.0/12 10.32.0.0/11 10.64.0.0/10 10.128.0.0/9]" {
						t.Errorf("%s: networks %v", c.Connection, c.Networks)
					}
				}
			}},
		{"hostssl to host grants plaintext", "hostssl all all all scram-sha-256\n", "host all all all scram-sha-256\n", map[ChangeKind]int{ChangeGranted: 2}, nil},
		{"a removed line is revoked", "host all all all md5\nlocal all all peer\n", "local all all peer\n", map[ChangeKind]int{ChangeRevoked: 3}, nil},
		{"reordering without effect is unchanged", "host app all all md5\nhost shop all all md5\n", "host shop all all md5\nhost app all all md5\n", map[ChangeKind]int{}, nil},
		{"clientcert dropped is weakened", "hostssl all all all scram-sha-256 clientcert=verify-full\n", "hostssl all all all scram-sha-256\n", map[ChangeKind]int{ChangeWeakened: 1}, nil},
		{"group membership is a condition", "hostssl all +dba all cert\n", "hostssl all +dba all scram-sha-256\n", map[ChangeKind]int{ChangeWeakened: 1},
			func(t *testing.T, d *AccessDiff) {
				if c := d.Changes[0]; fmt.Sprint(c.Conditions) != "[member of dba]" {
					t.Errorf("conditions %v", c.Conditions)
				}
			}},
	}
	for _, c := range cases {
		d := diff(c.before, c.after)
		got := map[ChangeKind]int{}
		for _, ch := range d.Changes {
			got[ch.Change]++
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			var lines []string
			for _, ch := range d.Changes {
				lines = append(lines, ch.Summary())
			}
			t.Errorf("%s: changes %v, want %v\n%s", c.name, got, c.want, strings.Join(lines, "\n"))
			continue
		}
		if c.check != nil {
			c.check(t, d)
		}
	}
}
