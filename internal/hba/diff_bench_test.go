package hba

import (
	"fmt"
	mrand "math/rand"
	"net/netip"
	"testing"
)

// realisticRules is a pg_hba.conf of n lines shaped like a large
// installation: per application a database, a role, a network and a TLS
// line; DBA and monitoring lines with groups; replication; local lines;
// rejects in between and a final reject.
func realisticRules(n int) []Rule {
	all := []Name{Kw("all")}
	rules := []Rule{
		{Type: Local, Databases: all, Users: []Name{Lit("postgres")}, Method: Peer},
		{Type: Local, Databases: all, Users: all, Method: ScramSHA256},
		{Type: HostSSL, Databases: []Name{Kw("replication")}, Users: []Name{Lit("replicator")}, Address: "10.250.0.0/24", Method: Cert},
		{Type: HostSSL, Databases: all, Users: []Name{GroupOf("dba")}, Address: "10.200.0.0/16", Method: Cert},
		{Type: HostSSL, Databases: all, Users: []Name{Lit("monitor")}, Address: "10.201.0.0/24", Method: ScramSHA256},
		{Type: HostNoSSL, Databases: all, Users: all, Address: "all", Method: Reject},
	}
	for i := 0; len(rules) < n-1; i++ {
		app := fmt.Sprintf("app%03d", i)
		net := fmt.Sprintf("10.%d.%d.0/24", i/250, i%250)
		rules = append(rules, Rule{Type: HostSSL, Databases: []Name{Lit(app)}, Users: []Name{Lit(app), Lit(app + "_ro")}, Address: net, Method: ScramSHA256})
		if i%10 == 0 {
			rules = append(rules, Rule{Type: HostSSL, Databases: []Name{Lit(app)}, Users: []Name{GroupOf(app + "_admins")}, Address: "10.200.0.0/16", Method: Cert})
		}
		if i%25 == 0 {
			rules = append(rules, Rule{Type: Host, Databases: []Name{Lit(app)}, Users: all, Address: net, Method: Reject})
		}
	}
	rules = append(rules[:n-1], Rule{Type: Host, Databases: all, Users: all, Address: "all", Method: Reject})
	return rules
}

// editedRules weakens, removes and adds a few lines of realisticRules.
func editedRules(rules []Rule) []Rule {
	out := append([]Rule(nil), rules...)
	out[3].Method = ScramSHA256         // dba: cert -> scram (weakened)
	out[10].Address = "10.0.0.0/16"     // a wider network (granted)
	out = append(out[:20], out[21:]...) // a line removed (revoked)
	out[30].Type = Host                 // hostssl -> host (granted on plaintext)
	out = append(out[:40], append([]Rule{{Type: HostSSL, Databases: []Name{Kw("all")}, Users: []Name{Lit("auditor")}, Address: "10.202.0.0/24", Method: Cert}}, out[40:]...)...)
	return out
}

func benchDiff(b *testing.B, n int) {
	before := matcherOf(b, realisticRules(n), 16, Environment{})
	after := matcherOf(b, editedRules(realisticRules(n)), 16, Environment{})
	b.ResetTimer()
	var d *AccessDiff
	for i := 0; i < b.N; i++ {
		var err error
		if d, err = DiffAccess(before, after, DiffOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.Classes), "classes")
	b.ReportMetric(float64(len(d.Changes)), "changes")
}

func BenchmarkAccessDiff100(b *testing.B)  { benchDiff(b, 100) }
func BenchmarkAccessDiff1000(b *testing.B) { benchDiff(b, 1000) }
func BenchmarkAccessDiff3000(b *testing.B) { benchDiff(b, 3000) }

// BenchmarkAccessDiffRandom60: 60 random lines over a small name and
// address pool (everything overlaps; a worst case for the classes).
func BenchmarkAccessDiffRandom60(b *testing.B) {
	r := mrand.New(mrand.NewSource(11))
	before := matcherOf(b, randRules(r, 16, 60), 16, Environment{})
	after := matcherOf(b, randRules(r, 16, 60), 16, Environment{})
	b.ResetTimer()
	var d *AccessDiff
	for i := 0; i < b.N; i++ {
		var err error
		if d, err = DiffAccess(before, after, DiffOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.Classes), "classes")
}

// BenchmarkMatch1000 is the hba simulation behind pgtls_hba_match and
// expect: building the matcher of a 1,000-line file once, then deciding
// 1,000 attempts (one per application, over TLS from its own network),
// reported per attempt.
func BenchmarkMatch1000(b *testing.B) {
	rules := realisticRules(1000)
	attempts := make([]Attempt, 0, 1000)
	for i := 0; len(attempts) < 1000; i++ {
		app := fmt.Sprintf("app%03d", i%900)
		attempts = append(attempts, Attempt{Address: netip.AddrFrom4([4]byte{10, byte(i % 900 / 250), byte(i % 900 % 250), 7}),
			Encryption: EncryptionSSL, Database: app, User: app + "_ro", MembershipKnown: true})
	}
	m := matcherOf(b, rules, 16, Environment{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, a := range attempts {
			if _, err := m.Match(a); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(attempts)), "ns/attempt")
}

// BenchmarkNewMatcher1000: parsing and indexing a 1,000-line file for
// simulation (paid once per data source read or function call).
func BenchmarkNewMatcher1000(b *testing.B) {
	content, err := RenderFile(realisticRules(1000), "")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := NewMatcherContent(content, 16, Environment{}); err != nil {
			b.Fatal(err)
		}
	}
}
