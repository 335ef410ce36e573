package hba

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func mustMatcher(t *testing.T, content string, v int, env Environment) *Matcher {
	t.Helper()
	m, err := NewMatcherContent(content, v, env)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tcp(addr, db, user string) Attempt {
	return Attempt{Address: netip.MustParseAddr(addr), Database: db, User: user, MembershipKnown: true}
}

func TestMatchLinesAndKeywords(t *testing.T) {
	content := `# header
host    replication all 10.0.0.0/8 reject
host    "replication" all 10.0.0.0/8 md5
host    all  "all"  10.0.0.0/8 reject
host    sameuser all 10.0.0.0/8 trust
host    all  +admins 10.0.0.0/8 scram-sha-256
hostssl all  all  ::ffff:10.0.0.0/104 reject
hostssl all  all  10.0.0.0/8 cert
host    all  all  10.1.0.0 255.255.0.0 password
local   all  all  ident
`
	m := mustMatcher(t, content, 15, Environment{})
	cases := []struct {
		name   string
		a      Attempt
		line   int
		method Method
		result Result
	}{
		{"physical replication matches only the keyword", func() Attempt { a := tcp("10.1.2.3", "", "app"); a.Replication = true; return a }(), 2, Reject, ResultReject},
		{"a database named replication is a quoted literal", tcp("10.1.2.3", "replication", "app"), 3, MD5, ResultAllow},
		{"quoted all is a role named all", tcp("10.1.2.3", "x", "all"), 4, Reject, ResultReject},
		{"sameuser", tcp("10.1.2.3", "bob", "bob"), 5, Trust, ResultAllow},
		{"membership", func() Attempt { a := tcp("10.1.2.3", "x", "carol"); a.MemberOf = []string{"admins"}; return a }(), 6, ScramSHA256, ResultAllow},
		{"a role is a member of itself", tcp("10.1.2.3", "x", "admins"), 6, ScramSHA256, ResultAllow},
		{"a missing role is a member of nothing", func() Attempt { a := tcp("10.1.2.3", "x", "admins"); a.RoleMissing = true; return a }(), 9, Password, ResultAllow},
		{"no TLS: hostssl skipped, netmask line", tcp("10.1.2.3", "x", "bob"), 9, Password, ResultAllow},
		{"TLS without certificate: cert requires one", func() Attempt { a := tcp("10.1.2.3", "x", "bob"); a.Encryption = EncryptionSSL; return a }(), 8, Cert, ResultReject},
		{"cert CN mismatch", func() Attempt {
			a := tcp("10.1.2.3", "x", "bob")
			a.Encryption = EncryptionSSL
			a.ClientCert = &ClientCertificate{CN: "alice"}
			return a
		}(), 8, Cert, ResultReject},
		{"cert CN match", func() Attempt {
			a := tcp("10.1.2.3", "x", "bob")
			a.Encryption = EncryptionSSL
			a.ClientCert = &ClientCertificate{CN: "bob"}
			return a
		}(), 8, Cert, ResultAllow},
		{"IPv4-mapped client address is IPv6", func() Attempt {
			a := tcp("::ffff:10.1.2.3", "x", "bob")
			a.Encryption = EncryptionSSL
			return a
		}(), 7, Reject, ResultReject},
		{"local ident is peer", Attempt{Local: true, Database: "x", User: "bob"}, 10, Peer, ResultAllow},
		{"peer with the system user", Attempt{Local: true, Database: "x", User: "bob", SystemUser: "root"}, 10, Peer, ResultReject},
	}
	for _, c := range cases {
		d, err := m.Match(c.a)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Line != c.line || d.Method != c.method || d.Result != c.result {
			t.Errorf("%s: got line %d %s %s (%s), want line %d %s %s", c.name, d.Line, d.Method, d.Result, d.Reason, c.line, c.method, c.result)
		}
	}
	d, err := m.Match(tcp("192.168.1.1", "x", "bob"))
	if err != nil || !d.ImplicitReject || d.Result != ResultReject || d.Index != -1 {
		t.Errorf("implicit reject: %+v %v", d, err)
	}
}

func TestMatchUndetermined(t *testing.T) {
	cases := []struct{ content, want string }{
		{"host all all samehost trust\n", "samehost needs the server's interface addresses"},
		{"host all all db.example.com trust\n", "reverse-DNS"},
		{"host all +admins all trust\n", "needs the roles"},
		{"host samerole all all trust\n", "needs the roles"},
		{"host @dbs.txt all all trust\n", "@dbs.txt needs the contents"},
	}
	for _, c := range cases {
		m := mustMatcher(t, c.content, 15, Environment{})
		a := tcp("10.1.2.3", "app", "bob")
		a.MembershipKnown = false
		_, err := m.Match(a)
		var u *UndeterminedError
		if !errors.As(err, &u) || !errors.Is(err, ErrUndetermined) || u.Line != 1 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an undetermined error on line 1 containing %q", c.content, err, c.want)
		}
	}
	// With the inputs given, the same lines decide.
	env := Environment{Interfaces: []Interface{netip.MustParsePrefix("10.1.0.1/16")}, Files: map[string]string{"dbs.txt": "other, app\n"}}
	for _, c := range []struct {
		content string
		line    int
	}{
		{"host all all samehost reject\nhost all all samenet trust\n", 2},
		{"host all all DB.example.com trust\n", 1},
		{"host all all .example.com trust\n", 1},
		{"host all +admins all trust\n", 1},
		{"host @dbs.txt all all trust\n", 1},
	} {
		m := mustMatcher(t, c.content, 15, env)
		a := tcp("10.1.2.3", "app", "bob")
		a.MemberOf = []string{"admins"}
		a.Hostname = &ReverseDNS{Name: "db.EXAMPLE.com", Confirmed: true}
		d, err := m.Match(a)
		if err != nil || d.Line != c.line {
			t.Errorf("%q: line %d, %v; want line %d", c.content, d.Line, err, c.line)
		}
	}
	// A reverse name that does not resolve back matches no host-name line.
	m := mustMatcher(t, "host all all db.example.com trust\n", 15, env)
	a := tcp("10.1.2.3", "app", "bob")
	a.Hostname = &ReverseDNS{Name: "db.example.com", Confirmed: false}
	if d, err := m.Match(a); err != nil || !d.ImplicitReject {
		t.Errorf("unconfirmed reverse name: %+v %v", d, err)
	}
}

func TestMatchRegexByVersion(t *testing.T) {
	content := "host /^app all all trust\nhost \"/^sh\" all all reject\nhost all all all md5\n"
	for _, c := range []struct {
		v    int
		db   string
		line int
	}{
		{15, "app1", 3}, {15, "/^app", 1}, {16, "app1", 1}, {16, "shop", 2}, {18, "xapp", 3},
	} {
		pf, err := Parse(content, c.v)
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewMatcher(pf.Rules, c.v, Environment{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.Match(tcp("10.0.0.1", c.db, "bob"))
		if err != nil || d.Line != c.line {
			t.Errorf("PostgreSQL %d database %q: line %d %v, want %d", c.v, c.db, d.Line, err, c.line)
		}
	}
}

func TestMatchIdentMaps(t *testing.T) {
	maps := []IdentMap{{Name: "m", Mappings: []IdentMapping{
		{SystemUser: `/^(.*)@EXAMPLE\.COM$`, DatabaseUser: `\1`},
		{SystemUser: "ops", DatabaseUser: "+admins"},
		{SystemUser: "any", DatabaseUser: "all"},
	}}}
	content := "hostssl all all all cert map=m\n"
	for _, c := range []struct {
		v      int
		cn     string
		user   string
		member []string
		passes bool
	}{
		{16, "bob@EXAMPLE.COM", "bob", nil, true},
		{16, "bob@EXAMPLE.COM", "alice", nil, false},
		{16, "ops", "carol", []string{"admins"}, true},
		{15, "ops", "carol", []string{"admins"}, false},
		{15, "ops", "+admins", nil, true},
		{16, "any", "whoever", nil, true},
		{15, "any", "all", nil, true},
	} {
		pf, _ := Parse(content, c.v)
		m, err := NewMatcher(pf.Rules, c.v, Environment{IdentMaps: maps, IdentMapsKnown: true})
		if err != nil {
			t.Fatal(err)
		}
		a := tcp("10.0.0.1", "db", c.user)
		a.Encryption = EncryptionSSL
		a.MemberOf = c.member
		a.ClientCert = &ClientCertificate{CN: c.cn}
		d, err := m.Match(a)
		if err != nil || d.Cert == nil || !d.Cert.Known || d.Cert.Passes != c.passes {
			t.Errorf("PostgreSQL %d CN %q as %q: %+v %v, want passes=%v", c.v, c.cn, c.user, d.Cert, err, c.passes)
		}
	}
}

func TestMatcherCheck(t *testing.T) {
	m := mustMatcher(t, "hostssl all app 10.0.0.0/8 scram-sha-256\nhost all all 10.0.0.0/8 reject\n", 16, Environment{})
	a := tcp("10.1.2.3", "app", "app")
	for _, c := range []struct {
		tls    bool
		result string
		ok     bool
		msg    string
	}{
		{false, "reject", true, ""},
		{false, "allow", false, "expected allow, but PostgreSQL 16 would reject: line 2 (host"},
		{true, "scram-sha-256", true, ""},
		{true, "allow", true, ""},
		{true, "cert", false, "expected cert, but PostgreSQL 16 would allow with scram-sha-256: line 1 (hostssl"},
	} {
		at := a
		if c.tls {
			at.Encryption = EncryptionSSL
		}
		out, err := m.Check(Expectation{Attempt: at, Result: c.result})
		if err != nil || out.OK != c.ok || !strings.HasPrefix(out.Message, c.msg) {
			t.Errorf("tls=%v result=%s: %+v %v", c.tls, c.result, out, err)
		}
	}
	if _, err := m.Check(Expectation{Attempt: a, Result: "maybe"}); err == nil {
		t.Error("an invalid result is accepted")
	}
	// Names longer than 63 bytes are truncated, as the server does.
	long := strings.Repeat("a", 63)
	m2 := mustMatcher(t, "host all "+long+" all trust\n", 16, Environment{})
	if d, err := m2.Match(tcp("10.1.2.3", "db", long+"xyz")); err != nil || d.Line != 1 {
		t.Errorf("truncation: %+v %v", d, err)
	}
}

func TestNumericAddr(t *testing.T) {
	for in, want := range map[string]string{
		"10.1": "10.0.0.1", "10.1.2": "10.1.0.2", "167772161": "10.0.0.1", "0x0a000001": "10.0.0.1", "012.1": "10.0.0.1",
		"0x7f.2": "127.0.0.2", "1.2.3.4": "1.2.3.4", "::1": "::1", "10.0.256": "10.0.1.0",
	} {
		ip, _, ok := numericAddr(in)
		if !ok || ip.String() != want {
			t.Errorf("%s: %v %v, want %s", in, ip, ok, want)
		}
	}
	for _, bad := range []string{"10.256.1", "1.2.3.4.5", "08", "0x", "a.b", "1..2", "4294967296"} {
		if ip, _, ok := numericAddr(bad); ok && bad != "0x" {
			t.Errorf("%s: %v, want an error", bad, ip)
		}
	}
}

// An @file address is read from the file: resolved when Files holds it,
// undetermined (never guessed from a host name) when it does not, and a
// fact the access diff branches on instead of a failure.
func TestMatchAddressFile(t *testing.T) {
	content := "hostssl all all @trusted.txt scram-sha-256\n"
	// A client whose reverse-DNS name is literally the file name: it must
	// not be taken for a host-name match.
	a := Attempt{Database: "db", User: "app", Address: netip.MustParseAddr("10.1.2.3"), Encryption: EncryptionSSL,
		Hostname: &ReverseDNS{Name: "@trusted.txt", Confirmed: true}}
	m, err := NewMatcherContent(content, 16, Environment{})
	if err != nil {
		t.Fatalf("a file with an @file address must still be simulated: %v", err)
	}
	var und *UndeterminedError
	if _, err := m.Match(a); !errors.As(err, &und) || !strings.Contains(err.Error(), "trusted.txt") {
		t.Fatalf("without the file the decision must be undetermined, got %v", err)
	}
	for file, want := range map[string]Result{"10.0.0.0/8\n": ResultAllow, "192.168.0.0/16": ResultReject} {
		m, err := NewMatcherContent(content, 16, Environment{Files: map[string]string{"trusted.txt": file}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.Match(a)
		if err != nil || d.Result != want {
			t.Errorf("file %q: %v %v, want %s", file, d.Result, err, want)
		}
	}
	if _, err := NewMatcherContent(content, 16, Environment{Files: map[string]string{"trusted.txt": "10.0.0.0/8 10.1.0.0/16"}}); err == nil {
		t.Error("a file with two addresses must be refused, as PostgreSQL fails the line")
	}
	before, _ := NewMatcherContent("hostssl all all 10.0.0.0/8 scram-sha-256\n", 16, Environment{})
	if _, err := DiffAccess(before, m, DiffOptions{}); err != nil {
		t.Errorf("the access diff must branch on the address file, not fail: %v", err)
	}
}
