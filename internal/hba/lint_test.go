package hba

import (
	"strings"
	"testing"
)

func mk(typ ConnType, dbs, users []Name, addr string, m Method) Rule {
	return Rule{Type: typ, Databases: dbs, Users: users, Address: addr, Method: m}
}

var allN = []Name{Kw("all")}

func codes(fs []Finding) map[string][]Finding {
	out := map[string][]Finding{}
	for _, f := range fs {
		out[f.Code] = append(out[f.Code], f)
	}
	return out
}

func TestLintCleanFileHasNoFindings(t *testing.T) {
	rules := []Rule{
		mk(Local, allN, []Name{Lit("postgres")}, "", Peer),
		withOpts(mk(Local, allN, allN, "", Peer), "map", "local"),
		mk(HostNoSSL, allN, allN, "0.0.0.0/0", Reject),
		mk(HostNoSSL, allN, allN, "::/0", Reject),
		withOpts(mk(HostSSL, []Name{Lit("app")}, []Name{Lit("app")}, "10.20.0.0/16", Cert), "map", "certs"),
		mk(HostSSL, allN, []Name{GroupOf("humans")}, "10.0.0.0/8", ScramSHA256),
		mk(HostSSL, []Name{Kw("replication")}, []Name{Lit("replicator")}, "10.30.0.5/32", ScramSHA256),
		mk(Host, allN, allN, "127.0.0.1/32", Trust),
	}
	idents := []IdentMap{{Name: "local", Mappings: []IdentMapping{{SystemUser: "postgres", DatabaseUser: "postgres"}}}, {Name: "certs", Mappings: []IdentMapping{{SystemUser: "app.example.com", DatabaseUser: "app"}}}}
	for i, r := range rules {
		if ps := r.Validate(TargetPostgreSQL, 15); len(ps) > 0 {
			t.Fatalf("rule %d invalid: %v", i, ps)
		}
	}
	if fs := Lint(rules, idents, LintOptions{Version: 15}); len(fs) > 0 {
		t.Errorf("clean file has findings: %+v", fs)
	}
}

func TestLintShadowed(t *testing.T) {
	type tc struct {
		name    string
		earlier Rule
		later   Rule
		want    bool
	}
	g := func(s string) []Name { return []Name{GroupOf(s)} }
	l := func(s ...string) []Name {
		var o []Name
		for _, x := range s {
			o = append(o, Lit(x))
		}
		return o
	}
	cases := []tc{
		{"identical", mk(Host, allN, allN, "10.0.0.0/8", MD5), mk(Host, allN, allN, "10.0.0.0/8", ScramSHA256), true},
		{"host covers hostssl", mk(Host, allN, allN, "10.0.0.0/8", MD5), mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), true},
		{"hostssl does not cover host", mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), mk(Host, allN, allN, "10.0.0.0/8", MD5), false},
		{"hostnossl covers hostgssenc", mk(HostNoSSL, allN, allN, "all", Reject), mk(HostGSSEnc, allN, allN, "all", GSS), true},
		{"hostnogssenc covers hostssl", mk(HostNoGSSEnc, allN, allN, "all", Reject), mk(HostSSL, allN, allN, "all", Cert), true},
		{"local vs host", mk(Local, allN, allN, "", Trust), mk(Host, allN, allN, "all", MD5), false},
		{"all does not cover replication", mk(Host, allN, allN, "all", MD5), mk(Host, []Name{Kw("replication")}, allN, "all", MD5), false},
		{"all covers literal replication db", mk(Host, allN, allN, "all", MD5), mk(Host, l("replication"), allN, "all", MD5), true},
		{"all covers literal db", mk(Host, allN, allN, "all", MD5), mk(Host, l("app"), allN, "all", MD5), true},
		{"list covers sublist", mk(Host, l("a", "b", "c"), allN, "all", MD5), mk(Host, l("b", "a"), allN, "all", MD5), true},
		{"list does not cover superlist", mk(Host, l("a"), allN, "all", MD5), mk(Host, l("a", "b"), allN, "all", MD5), false},
		{"samegroup = samerole", mk(Host, []Name{Kw("samegroup")}, allN, "all", MD5), mk(Host, []Name{Kw("samerole")}, allN, "all", MD5), true},
		{"user all covers group", mk(Host, allN, allN, "all", MD5), mk(Host, allN, g("ops"), "all", MD5), true},
		{"group vs member unknown", mk(Host, allN, g("ops"), "all", MD5), mk(Host, allN, l("alice"), "all", MD5), false},
		{"same group", mk(Host, allN, g("ops"), "all", MD5), mk(Host, allN, g("ops"), "all", MD5), true},
		{"cidr contains", mk(Host, allN, allN, "10.0.0.0/8", MD5), mk(Host, allN, allN, "10.1.2.0/24", MD5), true},
		{"cidr host bits", mk(Host, allN, allN, "10.1.2.3/8", MD5), mk(Host, allN, allN, "10.9.0.0/16", MD5), true},
		{"cidr narrower does not cover", mk(Host, allN, allN, "10.1.2.0/24", MD5), mk(Host, allN, allN, "10.0.0.0/8", MD5), false},
		{"cidr disjoint", mk(Host, allN, allN, "10.0.0.0/8", MD5), mk(Host, allN, allN, "192.168.0.0/16", MD5), false},
		{"netmask form", withMask(mk(Host, allN, allN, "10.0.0.0", MD5), "255.0.0.0"), mk(Host, allN, allN, "10.3.0.0/16", MD5), true},
		{"v4 all vs v6", mk(Host, allN, allN, "0.0.0.0/0", MD5), mk(Host, allN, allN, "::1/128", MD5), false},
		{"all covers hostname", mk(Host, allN, allN, "all", MD5), mk(Host, allN, allN, "db.example.com", MD5), true},
		{"0/0 does not cover hostname", mk(Host, allN, allN, "0.0.0.0/0", MD5), mk(Host, allN, allN, "db.example.com", MD5), false},
		{"suffix covers host", mk(Host, allN, allN, ".example.com", MD5), mk(Host, allN, allN, "DB.example.com", MD5), true},
		{"suffix does not cover other", mk(Host, allN, allN, ".example.com", MD5), mk(Host, allN, allN, "db.example.org", MD5), false},
		{"hostname vs cidr", mk(Host, allN, allN, "db.example.com", MD5), mk(Host, allN, allN, "10.0.0.0/8", MD5), false},
		{"samenet covers samehost", mk(Host, allN, allN, "samenet", MD5), mk(Host, allN, allN, "samehost", MD5), true},
		{"samehost does not cover samenet", mk(Host, allN, allN, "samehost", MD5), mk(Host, allN, allN, "samenet", MD5), false},
		{"regex equal only", mk(Host, []Name{RegexName("^a")}, allN, "all", MD5), mk(Host, l("abc"), allN, "all", MD5), false},
	}
	for _, c := range cases {
		fs := codes(Lint([]Rule{c.earlier, c.later}, nil, LintOptions{IdentMapsUnknown: true}))[CodeShadowed]
		got := len(fs) == 1 && fs[0].RuleIndex == 1 && fs[0].OtherRuleIndex == 0
		if got != c.want || len(fs) > 1 {
			t.Errorf("%s: shadowed=%v (%+v), want %v", c.name, got, fs, c.want)
		}
	}
	// A shadowed reject is an error; other shadowed rules are warnings.
	fs := codes(Lint([]Rule{mk(Host, allN, allN, "all", MD5), mk(Host, allN, allN, "10.0.0.0/8", Reject), mk(Host, allN, allN, "10.0.0.0/8", ScramSHA256)}, nil, LintOptions{}))[CodeShadowed]
	if len(fs) != 2 || fs[0].Severity != SeverityError || fs[1].Severity != SeverityWarning || !strings.Contains(fs[0].Message, "rule 1") || !strings.Contains(fs[0].Message, "rule 0") {
		t.Errorf("severities: %+v", fs)
	}
}

func TestLintCodes(t *testing.T) {
	type tc struct {
		name  string
		rules []Rule
		ids   []IdentMap
		opts  LintOptions
		code  string
		want  int // number of findings of code
		sev   Severity
		rule  int
	}
	app := []Name{Lit("app")}
	cases := []tc{
		{"non_tls_path true", []Rule{mk(Host, app, allN, "10.0.0.0/8", MD5), mk(HostSSL, app, allN, "10.0.0.0/8", ScramSHA256)}, nil, LintOptions{}, CodeNonTLSPath, 1, SeverityWarning, 0},
		{"non_tls_path hostnossl trust", []Rule{mk(HostNoSSL, allN, allN, "10.1.0.0/16", Trust), mk(HostSSL, app, allN, "10.0.0.0/8", Cert)}, nil, LintOptions{}, CodeNonTLSPath, 1, SeverityWarning, 0},
		{"non_tls_path hostssl first", []Rule{mk(HostSSL, app, allN, "10.0.0.0/8", ScramSHA256), mk(Host, app, allN, "10.0.0.0/8", MD5)}, nil, LintOptions{}, CodeNonTLSPath, 0, "", 0},
		{"non_tls_path reject", []Rule{mk(HostNoSSL, app, allN, "10.0.0.0/8", Reject), mk(HostSSL, app, allN, "10.0.0.0/8", MD5)}, nil, LintOptions{}, CodeNonTLSPath, 0, "", 0},
		{"non_tls_path disjoint db", []Rule{mk(Host, []Name{Lit("other")}, allN, "10.0.0.0/8", MD5), mk(HostSSL, app, allN, "10.0.0.0/8", MD5)}, nil, LintOptions{}, CodeNonTLSPath, 0, "", 0},
		{"non_tls_path disjoint address", []Rule{mk(Host, app, allN, "192.168.0.0/16", MD5), mk(HostSSL, app, allN, "10.0.0.0/8", MD5)}, nil, LintOptions{}, CodeNonTLSPath, 0, "", 0},
		{"non_tls_path blocked by earlier hostnossl reject", []Rule{mk(HostNoSSL, allN, allN, "0.0.0.0/0", Reject), mk(Host, app, allN, "10.0.0.0/8", MD5), mk(HostSSL, app, allN, "10.0.0.0/8", ScramSHA256)}, nil, LintOptions{}, CodeNonTLSPath, 0, "", 0},
		{"password_cleartext blocked by earlier hostnossl reject", []Rule{mk(HostNoSSL, allN, allN, "0.0.0.0/0", Reject), mk(Host, app, allN, "10.0.0.0/8", Password)}, nil, LintOptions{}, CodePasswordCleartext, 0, "", 0},
		{"shadowed rule gets no other finding", []Rule{mk(Host, allN, allN, "0.0.0.0/0", Reject), mk(Host, allN, allN, "10.0.0.0/8", Trust)}, nil, LintOptions{}, CodeTrustNetwork, 0, "", 0},
		{"non_tls_path gss", []Rule{mk(Host, app, allN, "10.0.0.0/8", GSS), mk(HostSSL, app, allN, "10.0.0.0/8", MD5)}, nil, LintOptions{}, CodeNonTLSPath, 0, "", 0},
		{"trust_network true", []Rule{mk(Host, allN, allN, "10.0.0.0/8", Trust)}, nil, LintOptions{}, CodeTrustNetwork, 1, SeverityError, 0},
		{"trust_network hostname", []Rule{mk(HostSSL, allN, allN, "db.example.com", Trust)}, nil, LintOptions{}, CodeTrustNetwork, 1, SeverityError, 0},
		{"trust loopback", []Rule{mk(Host, allN, allN, "127.0.0.1/32", Trust), mk(Host, allN, allN, "::1/128", Trust), mk(Host, allN, allN, "samehost", Trust), mk(Host, allN, allN, "localhost", Trust)}, nil, LintOptions{}, CodeTrustNetwork, 0, "", 0},
		{"trust local", []Rule{mk(Local, allN, allN, "", Trust)}, nil, LintOptions{}, CodeTrustNetwork, 0, "", 0},
		{"password_cleartext", []Rule{mk(Host, allN, allN, "10.0.0.0/8", Password)}, nil, LintOptions{}, CodePasswordCleartext, 1, SeverityWarning, 0},
		{"password_cleartext ldap nossl", []Rule{withOpts(mk(HostNoSSL, allN, allN, "10.0.0.0/8", LDAP), "ldapbasedn", "dc=x")}, nil, LintOptions{}, CodePasswordCleartext, 1, SeverityWarning, 0},
		{"password over hostssl ok", []Rule{mk(HostSSL, allN, allN, "10.0.0.0/8", Password)}, nil, LintOptions{}, CodePasswordCleartext, 0, "", 0},
		{"password local ok", []Rule{mk(Local, allN, allN, "", Password)}, nil, LintOptions{}, CodePasswordCleartext, 0, "", 0},
		{"md5 15 info", []Rule{mk(HostSSL, allN, allN, "10.0.0.0/8", MD5)}, nil, LintOptions{Version: 15}, CodeMD5Deprecated, 1, SeverityInfo, 0},
		{"md5 18 warning", []Rule{mk(HostSSL, allN, allN, "10.0.0.0/8", MD5)}, nil, LintOptions{Version: 18}, CodeMD5Deprecated, 1, SeverityWarning, 0},
		{"scram no md5", []Rule{mk(HostSSL, allN, allN, "10.0.0.0/8", ScramSHA256)}, nil, LintOptions{}, CodeMD5Deprecated, 0, "", 0},
		{"wide /4", []Rule{mk(HostSSL, app, app, "0.0.0.0/4", ScramSHA256)}, nil, LintOptions{}, CodeWideAddress, 1, SeverityWarning, 0},
		{"wide all", []Rule{mk(HostSSL, app, app, "all", ScramSHA256)}, nil, LintOptions{}, CodeWideAddress, 1, SeverityWarning, 0},
		{"wide v6", []Rule{mk(HostSSL, app, app, "2000::/3", ScramSHA256)}, nil, LintOptions{}, CodeWideAddress, 1, SeverityWarning, 0},
		{"not wide /8", []Rule{mk(HostSSL, app, app, "10.0.0.0/8", ScramSHA256)}, nil, LintOptions{}, CodeWideAddress, 0, "", 0},
		{"wide cert ok", []Rule{mk(HostSSL, app, app, "0.0.0.0/0", Cert)}, nil, LintOptions{}, CodeWideAddress, 0, "", 0},
		{"wide reject ok", []Rule{mk(Host, app, app, "0.0.0.0/0", Reject)}, nil, LintOptions{}, CodeWideAddress, 0, "", 0},
		{"all_all_network", []Rule{mk(HostSSL, allN, allN, "0.0.0.0/0", ScramSHA256)}, nil, LintOptions{}, CodeAllAllNetwork, 1, SeverityWarning, 0},
		{"all_all_network keyword", []Rule{mk(Host, allN, allN, "all", ScramSHA256)}, nil, LintOptions{}, CodeAllAllNetwork, 1, SeverityWarning, 0},
		{"all_all_network not for one user", []Rule{mk(HostSSL, allN, app, "0.0.0.0/0", ScramSHA256)}, nil, LintOptions{}, CodeAllAllNetwork, 0, "", 0},
		{"all_all_network not for /8", []Rule{mk(HostSSL, allN, allN, "10.0.0.0/8", ScramSHA256)}, nil, LintOptions{}, CodeAllAllNetwork, 0, "", 0},
		{"missing_ident_map", []Rule{withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), "map", "nomap")}, []IdentMap{{Name: "other"}}, LintOptions{}, CodeMissingIdentMap, 1, SeverityError, 0},
		{"ident map present", []Rule{withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), "map", "m")}, []IdentMap{{Name: "m"}}, LintOptions{}, CodeMissingIdentMap, 0, "", 0},
		{"ident maps unknown", []Rule{withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), "map", "nomap")}, nil, LintOptions{IdentMapsUnknown: true}, CodeMissingIdentMap, 0, "", 0},
		{"unused ident map", []Rule{mk(HostSSL, allN, allN, "10.0.0.0/8", Cert)}, []IdentMap{{Name: "m"}}, LintOptions{}, CodeUnusedIdentMap, 1, SeverityInfo, -1},
		{"cert_clientcert_redundant", []Rule{withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", Cert), "clientcert", "verify-full")}, nil, LintOptions{}, CodeCertClientcertRedundant, 1, SeverityInfo, 0},
		{"clientcert with scram not redundant", []Rule{withOpts(mk(HostSSL, allN, allN, "10.0.0.0/8", ScramSHA256), "clientcert", "verify-full")}, nil, LintOptions{}, CodeCertClientcertRedundant, 0, "", 0},
		{"ident_on_local", []Rule{mk(Local, allN, allN, "", Ident)}, nil, LintOptions{}, CodeIdentOnLocal, 1, SeverityInfo, 0},
		{"platform sspi", []Rule{mk(Host, allN, allN, "10.0.0.0/8", SSPI)}, nil, LintOptions{}, CodePlatformMethod, 1, SeverityWarning, 0},
		{"ignore", []Rule{mk(Host, allN, allN, "10.0.0.0/8", Trust)}, nil, LintOptions{Ignore: []string{CodeTrustNetwork}}, CodeTrustNetwork, 0, "", 0},
		{"severity override", []Rule{mk(Host, allN, allN, "10.0.0.0/8", Trust)}, nil, LintOptions{Severity: map[string]Severity{CodeTrustNetwork: SeverityInfo}}, CodeTrustNetwork, 1, SeverityInfo, 0},
	}
	for _, c := range cases {
		fs := codes(Lint(c.rules, c.ids, c.opts))[c.code]
		if len(fs) != c.want {
			t.Errorf("%s: %d %s findings, want %d: %+v", c.name, len(fs), c.code, c.want, fs)
			continue
		}
		for _, f := range fs {
			if f.Severity != c.sev || f.RuleIndex != c.rule || f.Message == "" {
				t.Errorf("%s: %+v (want severity %s rule %d)", c.name, f, c.sev, c.rule)
			}
		}
	}
}

// A finding message names the secret-free rendered rule.
func TestLintMessagesNoSecrets(t *testing.T) {
	r := withOpts(mk(Host, allN, allN, "10.0.0.0/8", LDAP), "ldapbasedn", "dc=x", "ldapbindpasswd", "HUNTER2")
	for _, f := range Lint([]Rule{r}, nil, LintOptions{}) {
		if strings.Contains(f.Message, "HUNTER2") {
			t.Errorf("secret in finding: %s", f.Message)
		}
	}
}

// A realistic migration policy (cert for services, scram for humans, a
// legacy md5 rule left behind) parsed from text: exactly the true findings.
func TestLintMigrationPolicy(t *testing.T) {
	content := `
local     all          postgres                    peer
hostnossl all          all         0.0.0.0/0       reject
hostnossl all          all         ::/0            reject
hostssl   all          +services   10.0.0.0/8      cert map=certs
hostssl   all          all         10.0.0.0/8      scram-sha-256
hostssl   all          legacy      10.20.0.0/16    md5          # left over from the migration
host      replication  replicator  10.1.0.5/32     scram-sha-256
hostssl   reporting    analyst     192.168.0.0/16  md5
host      all          all         0.0.0.0/0       reject
`
	pf, err := Parse(content, 15)
	if err != nil || len(pf.Problems) > 0 {
		t.Fatalf("%v %v", err, pf.Problems)
	}
	var rules []Rule
	for _, pr := range pf.Rules {
		rules = append(rules, pr.Rule)
	}
	fs := Lint(rules, []IdentMap{{Name: "certs", Mappings: []IdentMapping{{SystemUser: "svc1", DatabaseUser: "svc1"}}}}, LintOptions{Version: 15})
	var got []string
	for _, f := range fs {
		got = append(got, f.Code+"@"+string(rune('0'+f.RuleIndex)))
	}
	want := []string{"shadowed@5", "md5_deprecated@7"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("findings %v, want %v\n%+v", got, want, fs)
	}
	if fs[0].OtherRuleIndex != 4 || fs[0].Severity != SeverityWarning || !strings.Contains(fs[0].Message, "legacy") {
		t.Errorf("shadowed finding: %+v", fs[0])
	}
}

func TestFailing(t *testing.T) {
	fs := Lint([]Rule{mk(Host, allN, allN, "10.0.0.0/8", Trust), mk(HostSSL, allN, allN, "10.0.0.0/8", MD5)}, nil, LintOptions{Version: 15})
	// trust_network (error) and non_tls_path (warning) on 0, shadowed (warning) on 1.
	if e := Failing(fs, SeverityError); len(e) != 1 || e[0].Code != CodeTrustNetwork {
		t.Errorf("errors: %+v", e)
	}
	if ew := Failing(fs, SeverityError, SeverityWarning); len(ew) != 3 {
		t.Errorf("errors+warnings: %+v (all: %+v)", ew, fs)
	}
	if n := Failing(fs); len(n) != 0 {
		t.Errorf("nothing: %+v", n)
	}
}
