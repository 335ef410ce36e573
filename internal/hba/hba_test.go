package hba

import (
	"reflect"
	"strings"
	"testing"
)

func TestTokenizerMatchesPostgreSQL(t *testing.T) {
	cases := []struct {
		line string
		want [][]string // token strings per field; quoted tokens prefixed with Q:
		cmt  string
	}{
		{`host all all 10.0.0.0/8 md5`, [][]string{{"host"}, {"all"}, {"all"}, {"10.0.0.0/8"}, {"md5"}}, ""},
		{`host a,b "c d",e  x`, [][]string{{"host"}, {"a", "b"}, {"Q:c d", "e"}, {"x"}}, ""},
		{`host a, b x`, [][]string{{"host"}, {"a", "b"}, {"x"}}, ""},
		{`host a ,b x`, [][]string{{"host"}, {"a"}, {"b"}, {"x"}}, ""},
		{`"a""b" "" +"g h" x#c`, [][]string{{`Q:a"b`}, {"Q:"}, {"+g h"}, {"x"}}, "c"},
		{`a "#not" # real comment`, [][]string{{"a"}, {"Q:#not"}}, " real comment"},
		{`ldap ldapprefix="cn=" x=1,y=2`, [][]string{{"ldap"}, {"ldapprefix=cn="}, {"x=1", "y=2"}}, ""},
		{"a\tb\rc", [][]string{{"a"}, {"b"}, {"c"}}, ""},
		{`a,#c`, [][]string{{"a"}}, "c"},
	}
	for _, c := range cases {
		fields, cmt, _ := tokenizeLine(c.line)
		var got [][]string
		for _, f := range fields {
			var g []string
			for _, tk := range f {
				s := tk.s
				if tk.quoted {
					s = "Q:" + s
				}
				g = append(g, s)
			}
			got = append(got, g)
		}
		if !reflect.DeepEqual(got, c.want) || cmt != c.cmt {
			t.Errorf("%q: got %q comment %q, want %q comment %q", c.line, got, cmt, c.want, c.cmt)
		}
	}
}

func TestNameTokenForm(t *testing.T) {
	cases := []struct {
		in   string
		user bool
		want Name
	}{
		{"all", false, Kw("all")},
		{`"all"`, false, Lit("all")},
		{"replication", false, Kw("replication")},
		{`"replication"`, false, Lit("replication")},
		{"samegroup", false, Kw("samegroup")},
		{"sameuser", true, Lit("sameuser")},
		{"+admins", true, GroupOf("admins")},
		{`+"my group"`, true, GroupOf("my group")},
		{`"+admins"`, true, Lit("+admins")},
		{"+x", false, Lit("+x")},
		{"@file.txt", false, FileRef("file.txt")},
		{`"@file"`, false, Lit("@file")},
		{"/^app_.*$", true, RegexName("^app_.*$")},
		{`/"a,b"`, true, RegexName("a,b")},
		{`"/x"`, true, Lit("/x")},
		{`"my db"`, false, Lit("my db")},
		{`"a""b"`, false, Lit(`a"b`)},
		{"ALL", false, Lit("ALL")},
	}
	for _, c := range cases {
		f := ParseDatabase
		if c.user {
			f = ParseUser
		}
		got, err := f(c.in)
		if err != nil || got != c.want {
			t.Errorf("%q: got %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "my db", "a,b", `a"b`, "x#y", `"a"b`, `"unterminated`, "a\nb", "\x00", `+"a"b`} {
		if n, err := ParseDatabase(bad); err == nil {
			t.Errorf("ParseDatabase(%q) = %#v, want an error", bad, n)
		}
	}
	names, probs := ParseUsers("users", []string{"all", "bad name", "+g"})
	if len(names) != 2 || len(probs) != 1 || probs[0].Field != "users[1]" {
		t.Errorf("ParseUsers: %v %v", names, probs)
	}
}

func TestRenderQuoting(t *testing.T) {
	r := Rule{Type: HostSSL, Databases: []Name{Kw("all"), Lit("all"), Lit("my db"), FileRef("a b")}, Users: []Name{GroupOf("ops team"), Lit("+x"), Lit(`q"q`)},
		Address: "10.0.0.0/8", Method: LDAP, Options: []Option{{Name: "ldapbasedn", Value: "dc=a, dc=b"}, {Name: "ldapserver", Value: "ldap.example.com"}}, Comment: "hi # there"}
	got, err := r.Render()
	if err != nil {
		t.Fatal(err)
	}
	want := `hostssl      all,"all","my db",@"a b" +"ops team","+x","q""q" 10.0.0.0/8              ldap ldapbasedn="dc=a, dc=b" ldapserver=ldap.example.com  # hi # there`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	bad := []Rule{
		{Type: Host, Databases: []Name{Lit("a\nhost all all all trust")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject},
		{Type: Host, Databases: []Name{Lit("x\x00")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject},
		{Type: Host, Databases: []Name{Lit("x\ry")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject},
		{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all trust", Method: Reject},
		{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject, Comment: `ends in \`},
		{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject, Comment: "two\nlines"},
		{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: "md5 trust"},
		{Type: "host all", Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject},
		{Type: Host, Databases: []Name{Kw("notakeyword")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject},
		{Type: Host, Databases: []Name{Lit("")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject},
		{Type: Host, Databases: nil, Users: []Name{Kw("all")}, Address: "all", Method: Reject},
		{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: LDAP, Options: []Option{{Name: "ldap server", Value: "x"}}},
		{Type: Local, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: Peer},
	}
	for i, b := range bad {
		if l, err := b.Render(); err == nil {
			t.Errorf("bad[%d] rendered: %q", i, l)
		}
	}
	// A secret never appears in a render error.
	sec := Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: LDAP, Options: []Option{{Name: "ldapbindpasswd", Value: "TOPSECRET\n"}}}
	if _, err := sec.Render(); err == nil || strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("secret render error: %v", err)
	}
	for _, p := range sec.Validate(TargetPostgreSQL, 15) {
		if strings.Contains(p.String(), "TOPSECRET") {
			t.Errorf("secret in problem: %v", p)
		}
	}
	rs := Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: RADIUS, Options: []Option{{Name: "radiusservers", Value: "127.0.0.1,127.0.0.2,127.0.0.3"}, {Name: "radiussecrets", Value: "SECRET1,SECRET2"}}}
	ps := rs.Validate(TargetPostgreSQL, 15)
	if len(ps) == 0 {
		t.Fatal("radius secrets count not checked")
	}
	for _, p := range ps {
		if strings.Contains(p.String(), "SECRET") {
			t.Errorf("secret in problem: %v", p)
		}
	}
}

func TestRenderFileKeepsOrderAndHeader(t *testing.T) {
	a := Rule{Type: Local, Databases: []Name{Kw("all")}, Users: []Name{Lit("postgres")}, Method: Peer}
	b := Rule{Type: HostSSL, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "10.0.0.0/8", Method: ScramSHA256}
	c := Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "all", Method: Reject}
	out, err := RenderFile([]Rule{c, a, b}, "managed by terraform\n\nline 3")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "# managed by terraform" || lines[1] != "#" || lines[2] != "# line 3" || !strings.HasPrefix(lines[3], "host ") || !strings.HasPrefix(lines[4], "local ") || !strings.HasPrefix(lines[5], "hostssl ") {
		t.Errorf("unexpected file:\n%s", out)
	}
	if _, err := RenderFile([]Rule{a}, `header \`); err == nil {
		t.Error("header ending in backslash accepted (it would swallow the first rule on 14+)")
	}
	if _, err := RenderFile([]Rule{a, {Type: "bogus"}}, ""); err == nil {
		t.Error("bad rule rendered")
	}
}

func TestParseFile(t *testing.T) {
	content := "# comment\n\nlocal all postgres peer\n" +
		"host all all \\\n   10.0.0.0/8 \\\n   md5   # continued\n" +
		"hostssl \"all\",+ops \"my user\" 2001:db8::/32 cert clientname=DN map=m\n" +
		"host all all 10.0.0.1 255.255.255.255 trust\r\n" +
		"host all all 10.0.0.1 md5\n" +
		"include other.conf\n" +
		"host /^a all all reject\n"
	pf, err := Parse(content, 15)
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Rules) != 5 {
		t.Fatalf("rules: %#v\nproblems: %v", pf.Rules, pf.Problems)
	}
	if pf.Rules[1].Line != 4 || pf.Rules[1].Rule.Address != "10.0.0.0/8" || pf.Rules[1].Rule.Method != MD5 || pf.Rules[1].Rule.Comment != "continued" {
		t.Errorf("continuation: %#v", pf.Rules[1])
	}
	r := pf.Rules[2].Rule
	if !reflect.DeepEqual(r.Databases, []Name{Lit("all"), Lit("+ops")}) || !reflect.DeepEqual(r.Users, []Name{Lit("my user")}) || r.ClientName != "DN" || r.Map != "m" {
		t.Errorf("quoted: %#v", r)
	}
	if pf.Rules[3].Rule.Netmask != "255.255.255.255" || pf.Rules[3].Line != 8 {
		t.Errorf("netmask: %#v", pf.Rules[3])
	}
	// /^a is a literal database name on 15.
	if !reflect.DeepEqual(pf.Rules[4].Rule.Databases, []Name{Lit("/^a")}) {
		t.Errorf("15 regex: %#v", pf.Rules[4].Rule.Databases)
	}
	lines := map[int]string{}
	for _, p := range pf.Problems {
		lines[p.Line] = p.Message
	}
	// line 5 = continuation 4..6; line 7 = hostssl (cert on hostssl: valid),
	if !strings.Contains(lines[9], `invalid IP mask "md5"`) || !strings.Contains(lines[10], `invalid connection type "include"`) {
		t.Errorf("problems: %v", pf.Problems)
	}
	// 16: include is a directive and /^a is a regex.
	pf16, _ := Parse(content, 16)
	if len(pf16.Directives) != 1 || pf16.Directives[0].Path != "other.conf" || pf16.Directives[0].Line != 10 {
		t.Errorf("directives: %#v", pf16.Directives)
	}
	last := pf16.Rules[len(pf16.Rules)-1].Rule
	if !reflect.DeepEqual(last.Databases, []Name{RegexName("^a")}) {
		t.Errorf("16 regex: %#v", last.Databases)
	}
	// 16: even a quoted /name is a regular expression.
	pq, _ := Parse("host \"/x\" all all reject\n", 16)
	if len(pq.Rules) != 1 || pq.Rules[0].Rule.Databases[0].Kind != Regex {
		t.Errorf("quoted regex on 16: %#v", pq.Rules)
	}
	// 13: no continuation.
	p13, _ := Parse("host all all \\\n10.0.0.0/8 md5\n", 13)
	if len(p13.Rules) != 0 || len(p13.Problems) == 0 {
		t.Errorf("13 continuation: %#v", p13)
	}
	// A comment ending in a backslash swallows the next line (14+).
	pc, _ := Parse("# note \\\nhost all all all trust\nlocal all all peer\n", 15)
	if len(pc.Rules) != 1 || pc.Rules[0].Rule.Type != Local {
		t.Errorf("comment continuation: %#v", pc.Rules)
	}
	if _, err := Parse("", 12); err == nil {
		t.Error("version 12 accepted")
	}
}

func rule(typ ConnType, m Method, addr string) Rule {
	return Rule{Type: typ, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: addr, Method: m}
}

func withOpts(r Rule, kv ...string) Rule {
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case "clientcert":
			r.ClientCert = kv[i+1]
		case "clientname":
			r.ClientName = kv[i+1]
		case "map":
			r.Map = kv[i+1]
		default:
			r.Options = append(r.Options, Option{Name: kv[i], Value: kv[i+1]})
		}
	}
	return r
}

func TestValidate(t *testing.T) {
	type tc struct {
		name  string
		r     Rule
		tgt   Target
		v     int
		field string // "" = valid
		msg   string
	}
	pg := TargetPostgreSQL
	cases := []tc{
		{"valid scram", rule(HostSSL, ScramSHA256, "10.0.0.0/8"), pg, 15, "", ""},
		{"cert needs hostssl", rule(Host, Cert, "all"), pg, 15, "method", "cert authentication is only supported on hostssl connections"},
		{"peer needs local", rule(Host, Peer, "all"), pg, 15, "method", "peer authentication is only supported on local sockets"},
		{"ident on local is peer", withOpts(rule(Local, Ident, ""), "map", "m"), pg, 15, "", ""},
		{"gss not local", rule(Local, GSS, ""), pg, 15, "method", "gssapi authentication is not supported on local sockets"},
		{"clientcert hostssl only", withOpts(rule(Host, MD5, "all"), "clientcert", "verify-ca"), pg, 15, "clientcert", `clientcert can only be configured for "hostssl" rows`},
		{"clientname hostssl only", withOpts(rule(Host, MD5, "all"), "clientname", "CN"), pg, 15, "clientname", `clientname can only be configured for "hostssl" rows`},
		{"cert verify-ca", withOpts(rule(HostSSL, Cert, "all"), "clientcert", "verify-ca"), pg, 15, "clientcert", `clientcert only accepts "verify-full" when using "cert" authentication`},
		{"cert verify-ca on 13", withOpts(rule(HostSSL, Cert, "all"), "clientcert", "verify-ca"), pg, 13, "", ""},
		{"clientcert=1 gone in 14", withOpts(rule(HostSSL, MD5, "all"), "clientcert", "1"), pg, 14, "clientcert", "removed in PostgreSQL 14"},
		{"clientcert=1 on 13", withOpts(rule(HostSSL, MD5, "all"), "clientcert", "1"), pg, 13, "", ""},
		{"clientcert=no-verify cert 13", withOpts(rule(HostSSL, Cert, "all"), "clientcert", "no-verify"), pg, 13, "clientcert", `clientcert can not be set to "no-verify"`},
		{"clientname on 13", withOpts(rule(HostSSL, Cert, "all"), "clientname", "DN"), pg, 13, "clientname", "unrecognized authentication option name"},
		{"clientname value", withOpts(rule(HostSSL, Cert, "all"), "clientname", "cn"), pg, 15, "clientname", "invalid value for clientname"},
		{"map on md5", withOpts(rule(Host, MD5, "all"), "map", "m"), pg, 15, "map", `authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, and cert`},
		{"map on oauth 18", withOpts(rule(HostSSL, OAuth, "all"), "map", "m", "issuer", "https://idp"), pg, 18, "", ""},
		{"oauth on 17", withOpts(rule(HostSSL, OAuth, "all"), "issuer", "https://idp"), pg, 17, "method", "oauth needs PostgreSQL 18"},
		{"oauth needs issuer", rule(HostSSL, OAuth, "all"), pg, 18, "options.issuer", `requires argument "issuer"`},
		{"oauth delegate+map", withOpts(rule(HostSSL, OAuth, "all"), "map", "m", "issuer", "x", "delegate_ident_mapping", "1"), pg, 18, "map", "delegate_ident_mapping cannot be used in combination with map"},
		{"issuer on 17 ldap", withOpts(rule(Host, LDAP, "all"), "ldapbasedn", "dc=x", "issuer", "x"), pg, 17, "options.issuer", "unrecognized authentication option name"},
		{"pamservice on md5", withOpts(rule(Host, MD5, "all"), "pamservice", "x"), pg, 15, "options.pamservice", `authentication option "pamservice" is only valid for authentication methods pam`},
		{"krb_realm on ldap", withOpts(rule(Host, LDAP, "all"), "ldapbasedn", "x", "krb_realm", "X"), pg, 15, "options.krb_realm", "gssapi and sspi"},
		{"include_realm true", withOpts(rule(Host, GSS, "all"), "include_realm", "true"), pg, 15, "options.include_realm", "must be 1 or 0"},
		{"unknown option", withOpts(rule(Host, MD5, "all"), "frobnicate", "1"), pg, 15, "options.frobnicate", `unrecognized authentication option name: "frobnicate"`},
		{"typed option in map", withOpts(rule(HostSSL, MD5, "all"), "x", "1"), pg, 15, "options.x", "unrecognized"},
		{"ldap needs base", withOpts(rule(Host, LDAP, "all"), "ldapserver", "x"), pg, 15, "options", `requires argument "ldapbasedn", "ldapprefix", or "ldapsuffix"`},
		{"ldap mix", withOpts(rule(Host, LDAP, "all"), "ldapprefix", "cn=", "ldapbasedn", "dc=x"), pg, 15, "options", "together with ldapprefix"},
		{"ldap url+prefix", withOpts(rule(Host, LDAP, "all"), "ldapprefix", "cn=", "ldapurl", "ldap://x/dc=y"), pg, 15, "options", "together with ldapprefix"},
		{"ldap attr+filter", withOpts(rule(Host, LDAP, "all"), "ldapbasedn", "dc=x", "ldapsearchattribute", "uid", "ldapsearchfilter", "(uid=$username)"), pg, 15, "options", "cannot use ldapsearchattribute together with ldapsearchfilter"},
		{"ldap port", withOpts(rule(Host, LDAP, "all"), "ldapbasedn", "dc=x", "ldapport", "0"), pg, 15, "options.ldapport", "invalid LDAP port number"},
		{"ldap url scheme", withOpts(rule(Host, LDAP, "all"), "ldapurl", "http://x/dc=y"), pg, 15, "options.ldapurl", "unsupported LDAP URL scheme: http"},
		{"ldapscheme", withOpts(rule(Host, LDAP, "all"), "ldapbasedn", "dc=x", "ldapscheme", "http"), pg, 15, "options.ldapscheme", "invalid ldapscheme value"},
		{"radius needs servers", withOpts(rule(Host, RADIUS, "all"), "radiussecrets", "x"), pg, 15, "options.radiusservers", `requires argument "radiusservers"`},
		{"radius needs secrets", withOpts(rule(Host, RADIUS, "all"), "radiusservers", "127.0.0.1"), pg, 15, "secret_options.radiussecrets", `requires argument "radiussecrets"`},
		{"radius counts", withOpts(rule(Host, RADIUS, "all"), "radiusservers", "a.example,b.example,c.example", "radiussecrets", "x,y"), pg, 15, "secret_options.radiussecrets", "the number of RADIUS secrets (2) must be 1 or the same as the number of RADIUS servers (3)"},
		{"radius ports count", withOpts(rule(Host, RADIUS, "all"), "radiusservers", "a.example,b.example", "radiussecrets", "x", "radiusports", "1,2,3"), pg, 15, "options.radiusports", "the number of RADIUS ports (3)"},
		{"radius port 0", withOpts(rule(Host, RADIUS, "all"), "radiusservers", "a.example", "radiussecrets", "x", "radiusports", "0"), pg, 15, "options.radiusports", "invalid RADIUS port number"},
		{"radius ok multi", withOpts(rule(Host, RADIUS, "all"), "radiusservers", "a.example, b.example", "radiussecrets", "x,y", "radiusports", "1812"), pg, 15, "", ""},
		{"duplicate option", withOpts(rule(Host, LDAP, "all"), "ldapbasedn", "dc=x", "ldapbasedn", "dc=y"), pg, 15, "options.ldapbasedn", "more than once"},
		{"address required", rule(Host, MD5, ""), pg, 15, "address", "end-of-line before IP address specification"},
		{"address on local", rule(Local, Peer, "10.0.0.0/8"), pg, 15, "address", "local rows take no address"},
		{"bare ip", rule(Host, MD5, "10.0.0.1"), pg, 15, "netmask", "netmask is required"},
		{"ip mask family", withMask(rule(Host, MD5, "10.0.0.1"), "ffff::"), pg, 15, "netmask", "IP address and mask do not match"},
		{"ip mask contiguous", withMask(rule(Host, MD5, "10.0.0.1"), "255.0.255.0"), pg, 15, "netmask", "not contiguous"},
		{"cidr 33", rule(Host, MD5, "10.0.0.0/33"), pg, 15, "address", "invalid CIDR mask"},
		{"host and cidr", rule(Host, MD5, "db.example.com/24"), pg, 15, "address", "specifying both host name and CIDR mask is invalid"},
		{"short ipv4", rule(Host, MD5, "10.1"), pg, 15, "address", "abbreviated"},
		{"zone", rule(Host, MD5, "fe80::1%eth0/128"), pg, 15, "address", "zone"},
		{"hostname ok", rule(Host, MD5, ".example.com"), pg, 15, "", ""},
		{"cidr + netmask", withMask(rule(Host, MD5, "10.0.0.0/8"), "255.0.0.0"), pg, 15, "netmask", "cannot follow a CIDR"},
		{"regex on 15", Rule{Type: Host, Databases: []Name{RegexName("^a")}, Users: []Name{Kw("all")}, Address: "all", Method: MD5}, pg, 15, "databases[0]", "need PostgreSQL 16"},
		{"regex on 16", Rule{Type: Host, Databases: []Name{RegexName("^a")}, Users: []Name{Kw("all")}, Address: "all", Method: MD5}, pg, 16, "", ""},
		{"bad regex on 16", Rule{Type: Host, Databases: []Name{RegexName("^(a")}, Users: []Name{Kw("all")}, Address: "all", Method: MD5}, pg, 16, "databases[0]", "invalid regular expression"},
		{"slash literal on 16", Rule{Type: Host, Databases: []Name{Lit("/x")}, Users: []Name{Kw("all")}, Address: "all", Method: MD5}, pg, 16, "databases[0]", "even when quoted"},
		{"slash literal on 15", Rule{Type: Host, Databases: []Name{Lit("/x")}, Users: []Name{Kw("all")}, Address: "all", Method: MD5}, pg, 15, "", ""},
		{"group in databases", Rule{Type: Host, Databases: []Name{GroupOf("g")}, Users: []Name{Kw("all")}, Address: "all", Method: MD5}, pg, 15, "databases[0]", "only meaningful in the users column"},
		{"db keyword in users", Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("replication")}, Address: "all", Method: MD5}, pg, 15, "users[0]", "not a keyword in the users column"},
		{"pg13 token limit", Rule{Type: Host, Databases: []Name{Lit(strings.Repeat("d", 10300))}, Users: []Name{Kw("all")}, Address: "all", Method: MD5}, pg, 13, "line", "token too long"},
		{"pg14 no token limit", Rule{Type: Host, Databases: []Name{Lit(strings.Repeat("d", 10300))}, Users: []Name{Kw("all")}, Address: "all", Method: MD5}, pg, 14, "", ""},
		{"version 12", rule(Host, MD5, "all"), pg, 12, "postgres_version", "between 13 and 18"},
		{"bad target", rule(Host, MD5, "all"), "mysql", 15, "target", "postgresql, pgbouncer or pgpool"},
		// PgBouncer 1.18
		{"bouncer ok", rule(HostSSL, ScramSHA256, "10.0.0.0/8"), TargetPgBouncer, 0, "", ""},
		{"bouncer reject ok", rule(Host, Reject, "0.0.0.0/0"), TargetPgBouncer, 0, "", ""},
		{"bouncer all address", rule(Host, Reject, "all"), TargetPgBouncer, 0, "address", "only IP addresses"},
		{"bouncer hostname", rule(Host, MD5, "db.example.com"), TargetPgBouncer, 0, "address", "only IP addresses"},
		{"bouncer gssenc", rule(HostGSSEnc, Reject, "10.0.0.0/8"), TargetPgBouncer, 0, "type", "only local, host, hostssl and hostnossl"},
		{"bouncer ldap", withOpts(rule(Host, LDAP, "10.0.0.0/8"), "ldapbasedn", "x"), TargetPgBouncer, 0, "method", "unsupported method"},
		{"bouncer options", withOpts(rule(HostSSL, Cert, "10.0.0.0/8"), "clientcert", "verify-full"), TargetPgBouncer, 0, "options.clientcert", "unsupported parameters"},
		{"bouncer group", Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{GroupOf("g")}, Address: "10.0.0.0/8", Method: Reject}, TargetPgBouncer, 0, "users[0]", "does not support +group"},
		{"bouncer replication", Rule{Type: Host, Databases: []Name{Kw("replication")}, Users: []Name{Kw("all")}, Address: "10.0.0.0/8", Method: Reject}, TargetPgBouncer, 0, "databases[0]", "does not support"},
		{"bouncer samerole", Rule{Type: Host, Databases: []Name{Kw("samerole")}, Users: []Name{Kw("all")}, Address: "10.0.0.0/8", Method: Reject}, TargetPgBouncer, 0, "databases[0]", "does not support"},
		{"bouncer quoted file", Rule{Type: Host, Databases: []Name{FileRef("a b")}, Users: []Name{Kw("all")}, Address: "10.0.0.0/8", Method: Reject}, TargetPgBouncer, 0, "databases[0]", "quoted @file"},
		{"bouncer quoted literal ok", Rule{Type: Host, Databases: []Name{Lit("my db")}, Users: []Name{Lit("all")}, Address: "10.0.0.0/8", Method: Reject}, TargetPgBouncer, 0, "", ""},
		// Pgpool-II 4.3.5
		{"pgpool ok", rule(HostSSL, ScramSHA256, "10.0.0.0/8"), TargetPgpool, 0, "", ""},
		{"pgpool cert any type", rule(Host, Cert, "10.0.0.0/8"), TargetPgpool, 0, "", ""},
		{"pgpool group", Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{GroupOf("g")}, Address: "10.0.0.0/8", Method: MD5}, TargetPgpool, 0, "users[0]", "+group"},
		{"pgpool samerole", Rule{Type: Host, Databases: []Name{Kw("samerole")}, Users: []Name{Kw("all")}, Address: "10.0.0.0/8", Method: MD5}, TargetPgpool, 0, "databases[0]", "samerole"},
		{"pgpool gssenc", rule(HostNoGSSEnc, MD5, "10.0.0.0/8"), TargetPgpool, 0, "type", "only local, host"},
		{"pgpool gss", rule(Host, GSS, "10.0.0.0/8"), TargetPgpool, 0, "method", "supports only"},
		{"pgpool pamservice", withOpts(rule(Host, PAM, "10.0.0.0/8"), "pamservice", "pgpool"), TargetPgpool, 0, "", ""},
	}
	for _, c := range cases {
		ps := c.r.Validate(c.tgt, c.v)
		if c.field == "" {
			if len(ps) != 0 {
				t.Errorf("%s: unexpected problems %v", c.name, ps)
			}
			continue
		}
		found := false
		for _, p := range ps {
			if p.Field == c.field && strings.Contains(p.Message, c.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: want %s: %q, got %v", c.name, c.field, c.msg, ps)
		}
	}
}

func withMask(r Rule, m string) Rule { r.Netmask = m; return r }

func TestValidateIdent(t *testing.T) {
	cases := []struct {
		m     IdentMapping
		v     int
		field string
		msg   string
	}{
		{IdentMapping{SystemUser: "/^(.*)$", DatabaseUser: `\1`}, 15, "", ""},
		{IdentMapping{SystemUser: "/^.*$", DatabaseUser: `\1`}, 15, "mappings[0].database_user", "has no subexpressions"},
		{IdentMapping{SystemUser: "/^(?:a)$", DatabaseUser: `\1`}, 15, "mappings[0].database_user", "has no subexpressions"},
		{IdentMapping{SystemUser: `/^[(]x$`, DatabaseUser: `\1`}, 15, "mappings[0].database_user", "has no subexpressions"},
		{IdentMapping{SystemUser: "bob", DatabaseUser: `\1`}, 15, "mappings[0].database_user", "only replaced when system_user is a regular expression"},
		{IdentMapping{SystemUser: "/(", DatabaseUser: "x"}, 15, "mappings[0].system_user", "invalid regular expression"},
		{IdentMapping{SystemUser: "bob", DatabaseUser: "all"}, 15, "mappings[0].database_user", "needs PostgreSQL 16"},
		{IdentMapping{SystemUser: "bob", DatabaseUser: "all"}, 16, "", ""},
		{IdentMapping{SystemUser: "bob", DatabaseUser: `"all"`}, 15, "", ""},
		{IdentMapping{SystemUser: "bob", DatabaseUser: "+admins"}, 15, "mappings[0].database_user", "needs PostgreSQL 16"},
		{IdentMapping{SystemUser: "bob", DatabaseUser: "+admins"}, 16, "", ""},
		{IdentMapping{SystemUser: "bob", DatabaseUser: "/^a"}, 15, "mappings[0].database_user", "needs PostgreSQL 16"},
		{IdentMapping{SystemUser: "/^(.*)$", DatabaseUser: `/^\1`}, 16, "mappings[0].database_user", "not substituted"},
		{IdentMapping{SystemUser: "john smith", DatabaseUser: "john"}, 15, "mappings[0].system_user", "quote it"},
		{IdentMapping{SystemUser: "bob", DatabaseUser: "x", Comment: "bad\\"}, 15, "mappings[0].comment", "backslash"},
		{IdentMapping{SystemUser: "", DatabaseUser: "x"}, 15, "mappings[0].system_user", "empty"},
	}
	for i, c := range cases {
		ps := IdentMap{Name: "m", Mappings: []IdentMapping{c.m}}.Validate(c.v)
		if c.field == "" {
			if len(ps) > 0 {
				t.Errorf("case %d: unexpected %v", i, ps)
			}
			continue
		}
		found := false
		for _, p := range ps {
			if p.Field == c.field && strings.Contains(p.Message, c.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("case %d: want %s %q, got %v", i, c.field, c.msg, ps)
		}
	}
	if ps := (IdentMap{Name: "a\nb", Mappings: []IdentMapping{{SystemUser: "x", DatabaseUser: "y"}}}).Validate(15); len(ps) == 0 {
		t.Error("newline in map name accepted")
	}
	out, err := RenderIdentFile([]IdentMap{{Name: "my map", Mappings: []IdentMapping{{SystemUser: "/^(.*)@EX\\.COM$", DatabaseUser: `\1`, Comment: "realm"}, {SystemUser: `"a b"`, DatabaseUser: `"all"`}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := "\"my map\"        /\"^(.*)@EX\\.COM$\"       \"\\1\"  # realm\n\"my map\"        \"a b\"                   \"all\"\n"
	if out != want {
		t.Errorf("got  %q\nwant %q", out, want)
	}
}
