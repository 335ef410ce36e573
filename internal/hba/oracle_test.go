package hba

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// Files referenced with @ in the corpus, written next to pg_hba.conf.
var oracleNameFiles = map[string][]string{
	"dbs.txt":     {"filedb1", "filedb2"},
	"users.txt":   {"fileuser1", "fileuser2"},
	"my list.txt": {"spaced"},
}

func oracleCorpus() []Rule {
	var rs []Rule
	add := func(r Rule) { rs = append(rs, r) }
	L := func(s ...string) []Name {
		var out []Name
		for _, x := range s {
			out = append(out, Lit(x))
		}
		return out
	}
	all := []Name{Kw("all")}

	// Name variants (databases x users) on a simple host rule.
	dbVariants := [][]Name{
		all, {Kw("sameuser")}, {Kw("samerole")}, {Kw("samegroup")}, {Kw("replication")},
		L("app"), L("all"), L("replication"), L("sameuser"), L("my db"), L("a,b"), L(`q"uote`), L("#hash"),
		L("+plus"), L("@at"), L("/slash"), L("tab\there"), L("ünïcödé"), L(""+"x y", "z"),
		{FileRef("dbs.txt")}, {FileRef("my list.txt")}, {Kw("all"), Lit("app")}, {Kw("replication"), Lit("app2")},
		L("UPPER"), L("dollar$1"), L(`back\slash`), L(`trailing\`), L(" lead"), L("samehost"),
	}
	for i, d := range dbVariants {
		add(Rule{Type: Host, Databases: d, Users: all, Address: "10.1.0.0/16", Method: ScramSHA256, Comment: fmt.Sprintf("db variant %d", i)})
	}
	userVariants := [][]Name{
		all, {GroupOf("admins")}, {GroupOf("my group")}, {GroupOf(`g"q`)}, L("all"), L("+notgroup"), L("@notfile"),
		L("alice", "bob"), L("o'hara"), L("x,y"), L("with space"), {FileRef("users.txt")}, {GroupOf("g1"), Lit("carol")},
		L(`"`), L(`""`), L("a#b"), L("-dash"),
	}
	for i, u := range userVariants {
		add(Rule{Type: HostSSL, Databases: L("app"), Users: u, Address: "192.168.10.0/24", Method: ScramSHA256, Comment: fmt.Sprintf("user variant %d", i)})
	}
	// Address variants.
	addrs := []struct{ a, m string }{
		{"127.0.0.1/32", ""}, {"10.0.0.0/8", ""}, {"0.0.0.0/0", ""}, {"10.1.2.3/16", ""}, {"::1/128", ""},
		{"2001:db8::/32", ""}, {"::/0", ""}, {"fe80::/10", ""}, {"::ffff:10.0.0.0/104", ""},
		{"10.0.0.0", "255.0.0.0"}, {"192.168.1.1", "255.255.255.255"}, {"2001:db8::", "ffff:ffff::"}, {"172.16.0.0", "255.240.0.0"},
		{"all", ""}, {"samehost", ""}, {"samenet", ""}, {"db.example.com", ""}, {".example.com", ""}, {"localhost", ""},
		{"host-1.internal", ""}, {"a_b.example.org", ""}, {"xn--bcher-kva.example", ""}, {"2001:DB8:0:0:1::/80", ""},
	}
	for i, a := range addrs {
		add(Rule{Type: Host, Databases: all, Users: L("app"), Address: a.a, Netmask: a.m, Method: MD5, Comment: fmt.Sprintf("address variant %d", i)})
	}
	// Every type with simple methods.
	for _, ty := range []ConnType{Host, HostSSL, HostNoSSL, HostNoGSSEnc} {
		for _, m := range []Method{Trust, Reject, ScramSHA256, MD5, Password, Ident, PAM, GSS} {
			add(Rule{Type: ty, Databases: all, Users: all, Address: "10.9.0.0/16", Method: m})
		}
	}
	for _, m := range []Method{GSS, Trust, Reject} {
		add(Rule{Type: HostGSSEnc, Databases: all, Users: all, Address: "10.8.0.0/16", Method: m})
	}
	for _, m := range []Method{Trust, Reject, ScramSHA256, MD5, Password, Ident, Peer, PAM} {
		add(Rule{Type: Local, Databases: all, Users: all, Method: m})
	}
	for _, cc := range []string{"verify-ca", "verify-full"} {
		for _, m := range []Method{Trust, Reject, ScramSHA256, MD5, Password, Ident, PAM} {
			add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "2001:db8:1::/48", Method: m, ClientCert: cc})
		}
	}
	// Options.
	opt := func(kv ...string) []Option {
		var o []Option
		for i := 0; i+1 < len(kv); i += 2 {
			o = append(o, Option{Name: kv[i], Value: kv[i+1]})
		}
		return o
	}
	add(Rule{Type: Local, Databases: all, Users: all, Method: Peer, Map: "localmap"})
	add(Rule{Type: Local, Databases: all, Users: all, Method: Ident, Map: "localmap"})
	add(Rule{Type: Host, Databases: all, Users: all, Address: "10.2.0.0/16", Method: Ident, Map: "identmap"})
	add(Rule{Type: Host, Databases: all, Users: all, Address: "10.2.0.0/16", Method: GSS, Map: "gssmap", Options: opt("krb_realm", "EXAMPLE.COM", "include_realm", "0")})
	add(Rule{Type: Host, Databases: all, Users: all, Address: "10.2.0.0/16", Method: GSS, Options: opt("include_realm", "1")})
	add(Rule{Type: HostGSSEnc, Databases: all, Users: all, Address: "10.2.0.0/16", Method: GSS, Options: opt("krb_realm", "EXAMPLE.COM")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: Cert})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: Cert, ClientCert: "verify-full"})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: Cert, ClientName: "DN", Map: "certmap"})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: Cert, ClientName: "CN"})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: Cert, Map: "my map"})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: ScramSHA256, ClientCert: "verify-ca"})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: ScramSHA256, ClientCert: "verify-full", ClientName: "DN"})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: MD5, ClientCert: "verify-ca"})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.3.0.0/16", Method: Trust, ClientCert: "verify-full"})
	add(Rule{Type: Host, Databases: all, Users: all, Address: "10.4.0.0/16", Method: PAM, Options: opt("pamservice", "postgresql")})
	add(Rule{Type: Host, Databases: all, Users: all, Address: "10.4.0.0/16", Method: PAM, Options: opt("pamservice", "my service", "pam_use_hostname", "1")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.5.0.0/16", Method: LDAP, Options: opt("ldapserver", "ldap.example.com", "ldapprefix", "cn=", "ldapsuffix", ", dc=example, dc=net")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.5.0.0/16", Method: LDAP, Options: opt("ldapserver", "ldap.example.com", "ldapport", "636", "ldapscheme", "ldaps", "ldapprefix", "uid=")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.5.0.0/16", Method: LDAP, Options: opt("ldapserver", "ldap.example.com", "ldaptls", "1", "ldapsuffix", "@example.com")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.5.0.0/16", Method: LDAP, Options: opt("ldapserver", "ldap.example.com", "ldapbasedn", "dc=example,dc=net", "ldapsearchattribute", "uid")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.5.0.0/16", Method: LDAP, Options: opt("ldapserver", "ldap.example.com", "ldapbasedn", "dc=example,dc=net", "ldapbinddn", "cn=admin,dc=example,dc=net", "ldapbindpasswd", `s3cr"et pass`, "ldapsearchfilter", "(|(uid=$username)(mail=$username))")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.5.0.0/16", Method: LDAP, Options: opt("ldapbasedn", "dc=example,dc=net")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.5.0.0/16", Method: LDAP, Options: opt("ldapurl", "ldap://ldap.example.net/dc=example,dc=net?uid?sub")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.5.0.0/16", Method: LDAP, Options: opt("ldapurl", "ldaps://ldap.example.net:6360/dc=example,dc=net??one?(objectClass=person)")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.6.0.0/16", Method: RADIUS, Options: opt("radiusservers", "127.0.0.1", "radiussecrets", "sharedsecret")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.6.0.0/16", Method: RADIUS, Options: opt("radiusservers", "127.0.0.1,127.0.0.2", "radiussecrets", "one,two", "radiusports", "1812", "radiusidentifiers", "pg1,pg2")})
	add(Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.6.0.0/16", Method: RADIUS, Options: opt("radiusservers", "localhost, 127.0.0.3", "radiussecrets", "s", "radiusports", "1812,1813")})
	add(Rule{Type: Local, Databases: all, Users: all, Method: RADIUS, Options: opt("radiusservers", "127.0.0.1", "radiussecrets", "abc")})
	add(Rule{Type: Host, Databases: all, Users: all, Address: "10.7.0.0/16", Method: Reject, Comment: `comment with "quotes", commas, # hashes and a \ backslash`})
	add(Rule{Type: Host, Databases: all, Users: all, Address: "10.7.0.0/16", Method: Reject, Comment: " leading space and trailing space "})
	return rs
}

func oracleIdentMaps() []IdentMap {
	return []IdentMap{
		{Name: "localmap", Mappings: []IdentMapping{
			{SystemUser: "postgres", DatabaseUser: "postgres"},
			{SystemUser: "root", DatabaseUser: "admin", Comment: "root is admin"},
			{SystemUser: `/^(.*)$`, DatabaseUser: `\1`},
			{SystemUser: `/^app-(.*)$`, DatabaseUser: `app_\1`},
			{SystemUser: `john smith`, DatabaseUser: "john"},
			{SystemUser: `a,b`, DatabaseUser: `"x y"`},
			{SystemUser: "bob", DatabaseUser: `"all"`},
			{SystemUser: "carol", DatabaseUser: `"+notgroup"`},
			{SystemUser: `/^[a-z]+@EXAMPLE\.COM$`, DatabaseUser: "staff"},
			{SystemUser: `/literal\?`, DatabaseUser: "x"},
		}},
		{Name: "identmap", Mappings: []IdentMapping{
			{SystemUser: "dave", DatabaseUser: "dave"},
			{SystemUser: `q"uote`, DatabaseUser: `"q""uote"`},
			{SystemUser: `/^(?:svc)-(\w+)$`, DatabaseUser: `svc_\1`},
			{SystemUser: `#hash`, DatabaseUser: `"#hash"`},
		}},
		{Name: "gssmap", Mappings: []IdentMapping{
			{SystemUser: `/^(.*)@EXAMPLE\.COM$`, DatabaseUser: `\1`},
			{SystemUser: `/^([^@]+)@OTHER\.ORG$`, DatabaseUser: `ext_\1`},
			{SystemUser: "admin@EXAMPLE.COM", DatabaseUser: "postgres"},
			{SystemUser: `ümlaut`, DatabaseUser: "umlaut"},
		}},
		{Name: "certmap", Mappings: []IdentMapping{
			{SystemUser: `CN=alice,OU=dev,O=Example`, DatabaseUser: "alice"},
			{SystemUser: `CN=M\C3\BCller\, Anna,O=Acme\, Inc.,C=DE`, DatabaseUser: "anna"},
			{SystemUser: ` lead and trail `, DatabaseUser: "x"},
			{SystemUser: `/^CN=([^,]+),OU=ops`, DatabaseUser: `\1`},
			{SystemUser: "alice", DatabaseUser: "alice"},
			{SystemUser: "bob", DatabaseUser: "bob"},
			{SystemUser: "carol", DatabaseUser: "carol_admin"},
			{SystemUser: "dave", DatabaseUser: "dave"},
			{SystemUser: "erin", DatabaseUser: "erin"},
		}},
		{Name: "my map", Mappings: []IdentMapping{
			{SystemUser: "frank", DatabaseUser: "frank"},
			{SystemUser: "grace", DatabaseUser: "grace"},
			{SystemUser: "heidi", DatabaseUser: "heidi"},
			{SystemUser: "ivan", DatabaseUser: `"ivan the great"`},
			{SystemUser: "judy", DatabaseUser: "judy"},
			{SystemUser: "mallory", DatabaseUser: "mallory"},
			{SystemUser: "/x", DatabaseUser: "ex"},
		}},
	}
}

// Lines PostgreSQL rejects in every major (include directives: before 16;
// they are checked by oracleIncludes from 16).
var oracleInvalidLines = []string{
	`host all all 10.0.0.1 md5`,
	`host all all 10.0.0.0/33 md5`,
	`host all all db.example.com/24 md5`,
	`host all all 10.0.0.0 ffff:ffff:: md5`,
	`host all all 10.0.0.0/8`,
	`host all all`,
	`host all`,
	`local all all 127.0.0.1/32 trust`,
	`include other.conf`,
	`include_dir conf.d`,
	`hostssl all all all trust wrong`,
	`local all all gss`,
	`host all all all peer`,
	`host all all all cert`,
	`hostnossl all all all cert`,
	`hostssl all all all cert clientcert=verify-ca`,
	`hostssl all all all md5 clientcert=1`,
	`hostssl all all all md5 clientcert=0`,
	`hostssl all all all md5 clientcert=no-verify`,
	`hostssl all all all md5 clientcert=verify-all`,
	`host all all all md5 clientcert=verify-full`,
	`host all all all md5 clientname=CN`,
	`hostssl all all all cert clientname=XX`,
	`hostssl all all all md5 map=m`,
	`host all all all scram-sha-256 map=m`,
	`host all all all md5 pamservice=x`,
	`host all all all md5 krb_realm=X`,
	`host all all all gss compat_realm=1`,
	`host all all all gss upn_username=1`,
	`host all all all md5 ldapserver=x`,
	`host all all all md5 radiusservers=x`,
	`host all all all ldap ldapserver=x`,
	`host all all all ldap ldapprefix=cn= ldapbasedn=dc=x`,
	`host all all all ldap ldapsuffix=x ldapbinddn=y`,
	`host all all all ldap ldapbasedn=dc=x ldapsearchattribute=uid ldapsearchfilter=(uid=$username)`,
	`host all all all ldap ldapbasedn=dc=x ldapport=0`,
	`host all all all ldap ldapbasedn=dc=x ldapport=abc`,
	`host all all all ldap ldapurl=http://x/dc=x`,
	`host all all all radius`,
	`host all all all radius radiusservers=127.0.0.1`,
	`host all all all radius radiussecrets=x`,
	`host all all all radius radiusservers=127.0.0.1 radiussecrets=a,b`,
	`host all all all radius radiusservers="127.0.0.1,127.0.0.2,127.0.0.3" radiussecrets="a,b"`,
	`host all all all radius radiusservers=127.0.0.1 radiussecrets=s radiusports=0`,
	`host all all all radius radiusservers="127.0.0.1,127.0.0.2" radiussecrets=s radiusports="1,2,3"`,
	`host all all all radius radiusservers="127.0.0.1,127.0.0.2" radiussecrets=s radiusidentifiers="a,b,c"`,
	`host all all all radius radiusservers="127.0.0.1,,127.0.0.2" radiussecrets=s`,
	`local all all radius radiusservers=127.0.0.1 radiussecrets="a b c"`,
	`host all all all radius radiusservers="127.0.0.1 127.0.0.2" radiussecrets=x`,
	`host all all all md5 unknownoption=1`,
	`host all all all md5 notanoption`,
	`host all all all oauth issuer=https://x`,
	`host all all all sha256`,
	`hosts all all all md5`,
	`"local,host" all all trust`,
	`host,local all all all trust`,
	`host all all 10.0.0.0/8,10.1.0.0/16 md5`,
	`host all all all md5,trust`,
	`host all all 10.1 md5`,
	`local all all trust clientname=DN`,
	`hostssl all all all md5 clientcert=`,
	`hostssl all all all cert clientname=`,
}

type hbaRow struct {
	Line     int
	Type     *string
	Database []string
	User     []string
	Address  *string
	Netmask  *string
	Method   *string
	Options  []string
	Error    *string
}

func queryHBA(t *testing.T, p *testserver.Postgres) map[int]hbaRow {
	t.Helper()
	rows := p.QueryNullable(t, `SELECT line_number, type, to_json(database), to_json(user_name), address, netmask, auth_method, to_json(options), error FROM pg_hba_file_rules ORDER BY line_number`)
	out := map[int]hbaRow{}
	for _, r := range rows {
		var h hbaRow
		h.Line, _ = strconv.Atoi(*r[0])
		h.Type, h.Address, h.Netmask, h.Method, h.Error = r[1], r[4], r[5], r[6], r[8]
		for _, x := range []struct {
			s   *string
			dst *[]string
		}{{r[2], &h.Database}, {r[3], &h.User}, {r[7], &h.Options}} {
			if x.s != nil {
				if err := json.Unmarshal([]byte(*x.s), x.dst); err != nil {
					t.Fatalf("bad json %q: %v", *x.s, err)
				}
			}
		}
		out[h.Line] = h
	}
	return out
}

func expectNames(ns []Name) []string {
	var out []string
	for _, n := range ns {
		switch n.Kind {
		case File:
			out = append(out, oracleNameFiles[n.Value]...)
		case Group:
			out = append(out, "+"+n.Value)
		case Regex:
			out = append(out, "/"+n.Value)
		default:
			out = append(out, n.Value)
		}
	}
	return out
}

// effectiveStrings is Effective(v).Options in pg_hba_file_rules' form.
func effectiveStrings(r Rule, v int) []string {
	var out []string
	for _, o := range r.Effective(v).Options {
		out = append(out, o.Name+"="+o.Value)
	}
	return out
}

// expectAddress is the address and netmask pg_hba_file_rules shows; known
// is false where only the server knows (an @file address, a zone).
func expectAddress(r Rule) (addr, mask *string, known bool) {
	s := func(x string) *string { return &x }
	ai := r.address()
	switch ai.kind {
	case addrNone:
		return nil, nil, true
	case addrKeyword, addrHostname:
		return s(ai.value), nil, true
	case addrPrefix:
		return s(ai.ip.String()), s(ai.mask.String()), true
	case addrUnknown:
		if ai.ip.IsValid() && ai.ip.Zone() == "" {
			return s(ai.ip.String()), s(ai.mask.String()), true // non-contiguous netmask
		}
		if !ai.ip.IsValid() && !strings.Contains(ai.value, "%") {
			return s(ai.value), nil, true // a host name no DNS name looks like
		}
	}
	return nil, nil, false
}

func strp(p *string) string {
	if p == nil {
		return "<NULL>"
	}
	return *p
}

// versionRules are rules whose validity depends on the major: each is
// checked against every major in both directions.
func versionRules() []Rule {
	all := []Name{Kw("all")}
	h := func(m Method, cc, cn string, opts ...Option) Rule {
		return Rule{Type: HostSSL, Databases: all, Users: all, Address: "10.12.0.0/16", Method: m, ClientCert: cc, ClientName: cn, Options: opts}
	}
	return []Rule{
		{Type: Host, Databases: []Name{RegexName("^app_")}, Users: []Name{RegexName("^u[0-9]+$")}, Address: "10.10.0.0/16", Method: ScramSHA256},
		{Type: Host, Databases: []Name{RegexName("a,b")}, Users: all, Address: "10.10.0.0/16", Method: ScramSHA256},
		h(MD5, "1", ""), h(MD5, "0", ""), h(MD5, "no-verify", ""), h(Cert, "1", ""), h(Cert, "verify-ca", ""),
		h(Cert, "no-verify", ""), h(ScramSHA256, "verify-ca", "CN"), h(Cert, "", "DN"), h(Trust, "verify-full", "DN"),
		h(OAuth, "", "", Option{Name: "issuer", Value: "https://issuer.example.com"}),
		h(OAuth, "", "", Option{Name: "issuer", Value: "https://issuer.example.com"}, Option{Name: "scope", Value: "openid pg"}, Option{Name: "delegate_ident_mapping", Value: "1"}),
		h(OAuth, "verify-full", "", Option{Name: "issuer", Value: ""}, Option{Name: "scope", Value: ""}),
		h(OAuth, "", "", Option{Name: "issuer", Value: "https://issuer.example.com"}, Option{Name: "scope", Value: "openid"}, Option{Name: "validator", Value: "oracle_validator"}),
		{Type: HostSSL, Databases: all, Users: all, Address: "10.12.0.0/16", Method: OAuth, Map: "oauthmap", Options: []Option{{Name: "issuer", Value: "https://issuer.example.com"}, {Name: "scope", Value: "openid"}}},
		{Type: HostSSL, Databases: all, Users: all, Address: "10.12.0.0/16", Method: OAuth, Map: "oauthmap", Options: []Option{{Name: "issuer", Value: "https://issuer.example.com"}, {Name: "scope", Value: "openid"}, {Name: "delegate_ident_mapping", Value: "1"}}},
	}
}

// addressRules are the address forms real files hold that PostgreSQL loads
// although they are not what they seem (issue 7 §10): kept, with a finding.
func addressRules() []Rule {
	mk := func(a, m string) Rule {
		return Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Lit("app")}, Address: a, Netmask: m, Method: ScramSHA256}
	}
	return []Rule{
		mk("${network}", ""), mk("$network", ""), mk(`"all"`, ""), mk(`"samenet"`, ""), mk(`"foo bar"`, ""), mk(`""`, ""),
		mk("@addr.txt", ""), mk(`"@addr.txt"`, ""), mk("10.1/16", ""), mk("10.1.2", "255.255.0.0"), mk("0x0a.0.0.0/8", ""),
		mk("012.0.0.1/32", ""), mk(`"10.0.0.0/ 8"`, ""), mk("10.0.0.0/08", ""), mk("10.0.0.1", "255.0.255.0"),
		mk(`"10.20.0.0/16"`, ""), mk("host_name!.example", ""), mk("-leading.example", ""), mk("10.0.0.0.1", ""),
	}
}

// oracleFiles are written next to pg_hba.conf: @ name lists and the @file
// address.
func writeOracleFiles(t *testing.T, p *testserver.Postgres) {
	for name, lines := range oracleNameFiles {
		p.WriteFile(t, "data/"+name, strings.Join(lines, "\n")+"\n")
	}
	p.WriteFile(t, "data/addr.txt", "10.30.0.0/16\n")
}

// deliberate says why pgtls refuses a rule PostgreSQL v loads ("" when it
// does not): rules that would mean something else than they say.
func deliberate(r Rule, v int) string {
	for _, list := range [][]Name{r.Databases, r.Users} {
		for _, n := range list {
			if n.Kind == Regex && v < 16 {
				return "a /regex name before PostgreSQL 16 is read as a literal name"
			}
			if n.Kind == Literal && strings.HasPrefix(n.Value, "/") && v >= 16 {
				return "a literal name starting with / is read as a regular expression from 16"
			}
		}
	}
	return ""
}

// oracleMajor compares every rule of the corpus with what PostgreSQL major v
// (0: the Debian PostgreSQL 15) loads: which rules it accepts, and for
// those the type, names, address, method and effective options.
func oracleMajor(t *testing.T, version int) {
	testserver.RequirePostgresVersion(t, version)
	v := version
	if v == 0 {
		v = 15
	}
	cfg := testserver.PostgresConfig{SSL: true, Version: version}
	if v >= 18 {
		// PostgreSQL 18 refuses oauth lines unless the server names its
		// validator; the library is loaded at login only.
		cfg.Settings = map[string]string{"oauth_validator_libraries": "'oracle_validator'"}
	}
	p := testserver.StartPostgres(t, cfg)
	writeOracleFiles(t, p)

	rules := append(append(oracleCorpus(), versionRules()...), addressRules()...)
	content, err := RenderFile(rules, "oracle corpus\nrendered by the hba package")
	if err != nil {
		t.Fatal(err)
	}
	p.WriteFile(t, "data/pg_hba.conf", content)
	got := queryHBA(t, p)
	pf, err := Parse(content, v)
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Rules) != len(rules) {
		t.Fatalf("own parser read %d rules of %d: %v", len(pf.Rules), len(rules), pf.Problems)
	}
	probs := map[int][]Problem{}
	for _, pr := range pf.Problems {
		probs[pr.Line] = append(probs[pr.Line], pr)
	}
	compared, refusedBoth, gaps := 0, 0, 0
	gapMsgs := map[string]int{}
	defer func() {
		for msg, n := range gapMsgs {
			t.Logf("BUILD GAP, %d rules not compared on %s: %s", n, p.Build, msg)
		}
	}()
	for i, pr := range pf.Rules {
		r := rules[i]
		ours := r.Validate(TargetPostgreSQL, v)
		if deliberate(r, v) == "" {
			if !rulesEqual(pr.Rule, canonicalRule(r)) {
				t.Errorf("rule %d: own parse round trip\n got %#v\nwant %#v", i, pr.Rule, r)
			}
			if len(ours) != len(probs[pr.Line]) {
				t.Errorf("rule %d: Validate gives %v, Parse %v", i, ours, probs[pr.Line])
			}
		}
		line, _ := r.Render()
		row, ok := got[pr.Line]
		if !ok {
			t.Errorf("rule %d (line %d) missing from pg_hba_file_rules: %s", i, pr.Line, line)
			continue
		}
		pgOK := row.Error == nil && row.Method != nil
		if !pgOK && strings.Contains(strp(row.Error), "not supported by this build") {
			gaps++
			gapMsgs[strp(row.Error)]++
			continue
		}
		switch {
		case pgOK && len(ours) > 0:
			if why := deliberate(r, v); why != "" {
				continue
			}
			t.Errorf("PostgreSQL %d accepts rule %d, Validate refuses it: %v\n%s", v, i, ours, line)
			continue
		case !pgOK && len(ours) == 0:
			t.Errorf("PostgreSQL %d refuses rule %d (error=%s), Validate accepts it\n%s", v, i, strp(row.Error), line)
			continue
		case !pgOK:
			refusedBoth++
			continue
		}
		compared++
		eff := r.Effective(v)
		wa, wm, known := expectAddress(r)
		if !known {
			wa, wm = row.Address, row.Netmask
		}
		wantOpts := effectiveStrings(r, v)
		if _, given := eff.Value("validator"); eff.Method == OAuth && !given {
			// filled in from the server's oauth_validator_libraries
			wantOpts = append(wantOpts[:len(wantOpts):len(wantOpts)], "validator=oracle_validator")
			if _, d := eff.Value("delegate_ident_mapping"); d {
				n := len(wantOpts)
				wantOpts[n-1], wantOpts[n-2] = wantOpts[n-2], wantOpts[n-1]
			}
		}
		if strp(row.Type) != string(r.Type) || *row.Method != string(eff.Method) ||
			!reflect.DeepEqual(row.Database, expectNames(r.Databases)) || !reflect.DeepEqual(row.User, expectNames(r.Users)) ||
			strp(row.Address) != strp(wa) || strp(row.Netmask) != strp(wm) || !reflect.DeepEqual(row.Options, wantOpts) {
			t.Errorf("rule %d mismatch for line\n%s\n got: type=%s db=%q user=%q addr=%s mask=%s method=%s options=%q\nwant: type=%s db=%q user=%q addr=%s mask=%s method=%s options=%q",
				i, line, strp(row.Type), row.Database, row.User, strp(row.Address), strp(row.Netmask), strp(row.Method), row.Options,
				r.Type, expectNames(r.Databases), expectNames(r.Users), strp(wa), strp(wm), eff.Method, wantOpts)
		}
	}
	if compared < 150 {
		t.Errorf("only %d rules compared field by field on PostgreSQL %d (%d refused by both, %d build gaps)", compared, v, refusedBoth, gaps)
	}
	t.Logf("PostgreSQL %d (%s): %d rules compared, %d refused by both, %d not supported by this build", v, p.Build, compared, refusedBoth, gaps)
	// Every address form of addressRules is kept and explained.
	findings := pf.Lint(nil, LintOptions{Version: v, IdentMapsUnknown: true})
	unusual := map[int]bool{}
	for _, f := range findings {
		if f.Code == CodeUnusualAddress {
			unusual[f.Line] = true
		}
	}
	for i := len(rules) - len(addressRules()); i < len(rules); i++ {
		r := rules[i]
		ai := r.address()
		if ai.unusual != "" && !unusual[pf.Rules[i].Line] {
			t.Errorf("address %q: no unusual_address finding", r.Address)
		}
	}

	oracleLines(t, p, v)
	if v >= 16 {
		oracleIncludes(t, p, v)
	}
	oracleIdent(t, p, v)
}

// oracleLineCorpus are lines PostgreSQL refuses in some or every major.
func oracleLineCorpus() []string {
	return append(append([]string{}, oracleInvalidLines...),
		`hostssl all all all md5 clientcert=1`, `hostssl all all all md5 clientcert=0`, `hostssl all all all md5 clientcert=no-verify`,
		`hostssl all all all cert clientcert=verify-ca`, `hostssl all all all cert clientcert=1`, `hostssl all all all cert clientcert=0`,
		`hostssl all all all cert clientname=DN`, `hostssl all all all oauth issuer=https://x.example`,
		`hostssl all all all oauth`, `hostssl all all all oauth issuer=https://x.example scope=x map=m delegate_ident_mapping=1`,
		`host all all "all" md5`, `host all all ${network} md5`, `host all all 10.1/16 md5`,
		// hba.c's buffers: a token of 10,239 bytes (refused by 13 to 15),
		// a line of 20,479 (refused by 13 only). Last, because 13
		// reads the rest of the long line as a further line.
		`host all "`+strings.Repeat("a", 10300)+`" 10.0.0.0/8 md5`,
		`host all all 10.0.0.0/8 md5 # `+strings.Repeat("x", 21000),
	)
}

// oracleLines: for every line, PostgreSQL v refuses it exactly when Parse
// reports a problem on it.
func oracleLines(t *testing.T, p *testserver.Postgres, v int) {
	lines := oracleLineCorpus()
	content := "local all all trust\n" + strings.Join(lines, "\n") + "\n"
	p.WriteFile(t, "data/pg_hba.conf", content)
	got := queryHBA(t, p)
	pf, _ := Parse(content, v)
	probLines := map[int]bool{}
	for _, pr := range pf.Problems {
		probLines[pr.Line] = true
	}
	dirLines := map[int]bool{}
	for _, d := range pf.Directives {
		dirLines[d.Line] = true
	}
	for i, l := range lines {
		ln := i + 2
		row, ok := got[ln]
		if dirLines[ln] {
			continue // include directives: oracleIncludes
		}
		pgRejects := !ok || row.Error != nil || row.Method == nil
		if pgRejects && strings.Contains(strp(row.Error), "not supported by this build") {
			continue // a build gap, summarised by oracleMajor
		}
		if pgRejects != probLines[ln] {
			short := l
			if len(short) > 120 {
				short = short[:120] + fmt.Sprintf("... (%d bytes)", len(l))
			}
			t.Errorf("PostgreSQL %d rejects=%v (error=%s), Parse(…, %d) problems=%v for %q", v, pgRejects, strp(row.Error), v, probLines[ln], short)
		}
	}
}

// oracleIncludes (16+): include directives are followed by PostgreSQL and
// reported, not followed, by Parse.
func oracleIncludes(t *testing.T, p *testserver.Postgres, v int) {
	p.WriteFile(t, "data/inc1.conf", "host all all 10.41.0.0/16 md5\n")
	p.WriteFile(t, "data/incdir/a.conf", "host all all 10.42.0.0/16 md5\n")
	content := "local all all trust\ninclude inc1.conf\ninclude_if_exists missing.conf\ninclude_dir incdir\nhost all all 10.43.0.0/16 md5\n"
	p.WriteFile(t, "data/pg_hba.conf", content)
	rows := p.QueryNullable(t, `SELECT file_name, address, error FROM pg_hba_file_rules ORDER BY rule_number NULLS LAST, line_number`)
	var addrs []string
	for _, r := range rows {
		if r[2] != nil {
			t.Errorf("PostgreSQL %d include error: %s", v, *r[2])
		}
		addrs = append(addrs, strp(r[1]))
	}
	if want := []string{"<NULL>", "10.41.0.0", "10.42.0.0", "10.43.0.0"}; !reflect.DeepEqual(addrs, want) {
		t.Errorf("PostgreSQL %d include order: %v, want %v", v, addrs, want)
	}
	pf, _ := Parse(content, v)
	inc := 0
	for _, f := range pf.Findings {
		if f.Code == CodeIncludeNotFollowed {
			inc++
		}
	}
	if len(pf.Problems) > 0 || len(pf.Directives) != 3 || inc != 3 || len(pf.Rules) != 2 {
		t.Errorf("Parse(…, %d) of includes: %d rules, %v directives, %d findings, problems %v", v, len(pf.Rules), pf.Directives, inc, pf.Problems)
	}
	if p13, _ := Parse(content, 15); len(p13.Problems) != 3 {
		t.Errorf("Parse(…, 15) of includes: %v", p13.Problems)
	}
}

// versionIdentMappings: valid from 16 only (PostgreSQL 13-15 read them as
// literal role names, which pgtls refuses).
var versionIdentMappings = []IdentMapping{
	{SystemUser: "bob", DatabaseUser: "all"}, {SystemUser: "bob", DatabaseUser: "+admins"}, {SystemUser: "bob", DatabaseUser: "/^a"},
}

func oracleIdent(t *testing.T, p *testserver.Postgres, v int) {
	if v < 15 {
		// pg_ident_file_mappings exists from 15; the maps are checked by
		// logging in with them elsewhere.
		t.Logf("PostgreSQL %d has no pg_ident_file_mappings: ident corpus compared from 15 on", v)
		return
	}
	maps := oracleIdentMaps()
	ext := IdentMap{Name: "v16", Mappings: versionIdentMappings}
	if len(ext.Validate(v)) == 0 != (v >= 16) {
		t.Errorf("16+ ident syntax: Validate(%d) = %v", v, ext.Validate(v))
	}
	if v >= 16 {
		maps = append(maps, ext)
	}
	n := 0
	for _, m := range maps {
		if ps := m.Validate(v); len(ps) > 0 {
			t.Fatalf("ident map %q rejected: %v", m.Name, ps)
		}
		n += len(m.Mappings)
	}
	if n < 30 {
		t.Fatalf("ident corpus has %d mappings, want >= 30", n)
	}
	ident, err := RenderIdentFile(maps, "ident oracle")
	if err != nil {
		t.Fatal(err)
	}
	p.WriteFile(t, "data/pg_ident.conf", ident)
	irows := p.QueryNullable(t, `SELECT line_number, map_name, sys_name, pg_username, error FROM pg_ident_file_mappings ORDER BY line_number`)
	ipf, _ := ParseIdent(ident, v)
	if len(ipf.Problems) > 0 {
		t.Fatalf("own ident parse problems: %v", ipf.Problems)
	}
	if !reflect.DeepEqual(ipf.Maps, maps) {
		t.Errorf("ident round trip:\n got %#v\nwant %#v", ipf.Maps, maps)
	}
	k := 0
	for _, m := range maps {
		for _, mp := range m.Mappings {
			if k >= len(irows) {
				t.Fatalf("pg_ident_file_mappings has only %d rows", len(irows))
			}
			row := irows[k]
			k++
			sys, _ := parseSystemUser(mp.SystemUser)
			wantSys := sys.value
			if sys.regex {
				wantSys = "/" + sys.value
			}
			dbu, _ := ParseUser(mp.DatabaseUser)
			wantDB := dbu.Value
			switch dbu.Kind {
			case Group:
				wantDB = "+" + dbu.Value
			case Regex:
				wantDB = "/" + dbu.Value
			}
			if row[4] != nil || strp(row[1]) != m.Name || strp(row[2]) != wantSys || strp(row[3]) != wantDB {
				l, _ := mp.Render(m.Name)
				t.Errorf("PostgreSQL %d ident line %s %q: got map=%s sys=%s pg=%s error=%s; want %s %s %s", v, strp(row[0]), l, strp(row[1]), strp(row[2]), strp(row[3]), strp(row[4]), m.Name, wantSys, wantDB)
			}
		}
	}
	if k != len(irows) {
		t.Errorf("pg_ident_file_mappings has %d rows, want %d", len(irows), k)
	}
	badIdent := []string{`m /( x`, `m onlytwo`, `m a,b x`, `m /[abc x`}
	p.WriteFile(t, "data/pg_ident.conf", strings.Join(badIdent, "\n")+"\n")
	irows = p.QueryNullable(t, `SELECT line_number, error FROM pg_ident_file_mappings ORDER BY line_number`)
	errLines := map[string]bool{}
	for _, r := range irows {
		if r[1] != nil {
			errLines[*r[0]] = true
		}
	}
	bip, _ := ParseIdent(strings.Join(badIdent, "\n")+"\n", v)
	ours := map[int]bool{}
	for _, pr := range bip.Problems {
		ours[pr.Line] = true
	}
	for i, l := range badIdent {
		if !errLines[strconv.Itoa(i+1)] {
			t.Errorf("oracle: PostgreSQL %d accepts ident line %q", v, l)
		}
		if !ours[i+1] {
			t.Errorf("our ParseIdent accepts %q", l)
		}
	}
}

// TestOracleHBA runs the hba/ident oracle against every PostgreSQL major
// 13 to 18 (npm builds) and the Debian PostgreSQL 15 (Version 0).
func TestOracleHBA(t *testing.T) {
	for _, v := range append([]int{0}, testserver.Majors()...) {
		name := fmt.Sprintf("pg%d", v)
		if v == 0 {
			name = "pg15-debian"
		}
		t.Run(name, func(t *testing.T) { oracleMajor(t, v) })
	}
}

// canonicalRule is r with its address in the token form Parse stores.
func canonicalRule(r Rule) Rule {
	if tok, err := parseSingleToken(r.Address); err == nil && r.Address != "" {
		r.Address = canonicalAddress(tok)
	}
	return r
}

// rulesEqual compares rules treating nil and empty option lists alike.
func rulesEqual(a, b Rule) bool {
	if len(a.Options) == 0 && len(b.Options) == 0 {
		a.Options, b.Options = nil, nil
	}
	return reflect.DeepEqual(a, b)
}
