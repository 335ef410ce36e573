package hba

import (
	"fmt"
	"strings"
	"testing"
)

const sentinel = "SeNtInEl7x"

// secretValues are secret values shaped to reach every message path: valid,
// with characters that need quoting, that cannot be written, that break
// list parsing, and that look like other options.
var secretValues = []string{
	sentinel,
	sentinel + " with blank",
	sentinel + `"quote`,
	sentinel + "\nnewline",
	sentinel + "\rcr",
	sentinel + "\x00nul",
	sentinel + ",,",
	"a," + sentinel + ",b",
	sentinel + "#hash",
	sentinel + `\`,
	"",
	"0",
	sentinel + ",x",
}

// secretRules returns rules carrying value v in the option name (as a
// registered secret, or marked Secret) across methods that accept and
// refuse it.
func secretRules(name, v string, marked bool) []Rule {
	o := Option{Name: name, Value: v, Secret: marked}
	base := []Rule{
		{Type: HostSSL, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: LDAP,
			Options: []Option{{Name: "ldapbasedn", Value: "dc=x"}, {Name: "ldapserver", Value: "ldap.example"}}},
		{Type: HostSSL, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: LDAP,
			Options: []Option{{Name: "ldapprefix", Value: "cn="}}},
		{Type: HostSSL, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: RADIUS,
			Options: []Option{{Name: "radiusservers", Value: "a.example,b.example,c.example"}}},
		{Type: HostSSL, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: RADIUS,
			Options: []Option{{Name: "radiussecrets", Value: "s"}}},
		{Type: Host, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: MD5},
		{Type: Local, Databases: allN, Users: allN, Method: Peer},
	}
	var out []Rule
	for _, r := range base {
		var opts []Option
		for _, x := range r.Options {
			if x.Name != name {
				opts = append(opts, x)
			}
		}
		r.Options = append(opts, o)
		out = append(out, r)
		// Also duplicated, which is its own message.
		d := r
		d.Options = append(append([]Option{}, r.Options...), o)
		out = append(out, d)
	}
	return out
}

func assertNoSentinel(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, sentinel) {
		t.Errorf("%s shows the secret: %q", where, s)
	}
}

// TestSecretsNeverShown closes the class of issue 7 §1 in the domain: for
// every registered secret option (and any option marked Secret, which is
// what secret_options gives), no problem, finding, redacted rendering,
// String or render error of any target and version contains the value;
// only the exact Render does.
func TestSecretsNeverShown(t *testing.T) {
	names := append(SensitiveOptions(), "ldapserver", "radiusservers", "ldapbasedn", "pamservice", "issuer")
	if len(SensitiveOptions()) < 2 {
		t.Fatalf("registry lost entries: %v", SensitiveOptions())
	}
	n := 0
	for _, name := range names {
		marked := !IsSensitiveOption(name)
		for _, v := range secretValues {
			for i, r := range secretRules(name, v, marked) {
				where := fmt.Sprintf("%s=%q rule %d", name, v, i)
				assertNoSentinel(t, where+" String", r.String())
				red, err := r.RenderRedacted()
				assertNoSentinel(t, where+" RenderRedacted", red)
				if err != nil {
					assertNoSentinel(t, where+" RenderRedacted error", err.Error())
				}
				exact, err := r.Render()
				if err != nil {
					assertNoSentinel(t, where+" Render error", err.Error())
				} else if v == sentinel && !strings.Contains(exact, sentinel) {
					t.Errorf("%s: exact line lacks the secret: %q", where, exact)
				}
				for _, tg := range []Target{TargetPostgreSQL, TargetPgBouncer, TargetPgpool} {
					for v := MinVersion; v <= MaxVersion; v++ {
						for _, p := range r.Validate(tg, v) {
							n++
							assertNoSentinel(t, fmt.Sprintf("%s Validate(%s, %d)", where, tg, v), p.String())
							if p.Field == "options."+name && marked {
								t.Errorf("%s: problem on %s for an option given as a secret", where, p.Field)
							}
						}
					}
				}
				rules := []Rule{r, r, {Type: Host, Databases: allN, Users: allN, Address: "all", Method: Trust}}
				for _, f := range Lint(rules, nil, LintOptions{}) {
					assertNoSentinel(t, where+" Lint", f.Message)
				}
				if out, err := RenderFileRedacted(rules, "h"); err == nil {
					assertNoSentinel(t, where+" RenderFileRedacted", out)
				} else {
					assertNoSentinel(t, where+" RenderFileRedacted error", err.Error())
				}
				if _, err := RenderFile(rules, "h"); err != nil {
					assertNoSentinel(t, where+" RenderFile error", err.Error())
				}
			}
			// The configuration path: both maps.
			_, ps := OptionsFromMaps(map[string]string{name: v}, map[string]string{name: v})
			_, ps2 := OptionsFromMaps(map[string]string{name: v}, nil)
			for _, p := range append(ps, ps2...) {
				assertNoSentinel(t, name+" OptionsFromMaps", p.String())
			}
		}
	}
	// Without a secret, the review copy is the exact file.
	for i, r := range oracleCorpus() {
		var plain []Option
		for _, o := range r.Options {
			if !o.IsSecret() {
				plain = append(plain, o)
			}
		}
		r.Options = plain
		exact, err1 := r.Render()
		red, err2 := r.RenderRedacted()
		if err1 != nil || err2 != nil || exact != red {
			t.Errorf("corpus rule %d: review copy %q differs from exact %q (%v %v)", i, red, exact, err1, err2)
		}
	}
	if n < 1000 {
		t.Fatalf("only %d problems examined: the cases do not reach the message paths", n)
	}
	// A parsed file: secrets come from option names (the registry).
	for _, name := range SensitiveOptions() {
		for _, v := range []string{sentinel, `"` + sentinel + ` x"`, sentinel + ",,", `"` + sentinel + `,,"`} {
			for _, line := range []string{
				"hostssl all all 10.0.0.0/8 ldap ldapbasedn=dc=x " + name + "=" + v,
				"hostssl all all 10.0.0.0/8 radius radiusservers=\"a,b,c\" " + name + "=" + v,
				"host all all 10.0.0.0/8 md5 " + name + "=" + v,
				"host all all 10.0.0.0/8 ldap ldapbasedn=dc=x " + name + "=" + v + " " + name + "=" + v,
			} {
				for ver := MinVersion; ver <= MaxVersion; ver++ {
					pf, err := Parse(line+"\n", ver)
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range pf.Problems {
						assertNoSentinel(t, fmt.Sprintf("Parse(%q, %d)", line, ver), p.String())
					}
					var rs []Rule
					for _, pr := range pf.Rules {
						rs = append(rs, pr.Rule)
						for _, o := range pr.Rule.Options {
							if o.Name == name && !o.IsSecret() {
								t.Errorf("parsed %s is not marked secret", name)
							}
						}
					}
					for _, f := range Lint(rs, nil, LintOptions{Version: ver}) {
						assertNoSentinel(t, "Lint of parsed "+line, f.Message)
					}
				}
			}
		}
	}
}

func TestOptionsFromMaps(t *testing.T) {
	opts, ps := OptionsFromMaps(
		map[string]string{"ldapserver": "ldap.example", "ldapbasedn": "dc=x", "ldapbindpasswd": "pw"},
		map[string]string{"radiussecrets": "s", "ldapbinddn": "cn=admin"})
	if len(ps) != 1 || ps[0].Field != "options.ldapbindpasswd" || !strings.Contains(ps[0].Message, "secret_options") || strings.Contains(ps[0].String(), "pw") {
		t.Errorf("secret in options: %v", ps)
	}
	var got []string
	for _, o := range opts {
		got = append(got, fmt.Sprintf("%s=%s/%v", o.Name, o.Value, o.IsSecret()))
	}
	want := "ldapbasedn=dc=x/false ldapbinddn=cn=admin/true ldapserver=ldap.example/false radiussecrets=s/true"
	if strings.Join(got, " ") != want {
		t.Errorf("options: %s\nwant %s", strings.Join(got, " "), want)
	}
	_, ps = OptionsFromMaps(map[string]string{"ldapserver": "a"}, map[string]string{"ldapserver": "b"})
	if len(ps) != 1 || ps[0].Field != "options.ldapserver" {
		t.Errorf("duplicate: %v", ps)
	}
	// Masked review copy of a secret-marked non-registry option.
	r := Rule{Type: HostSSL, Databases: allN, Users: allN, Address: "10.0.0.0/8", Method: LDAP, Options: opts[:3]}
	red, err := r.RenderRedacted()
	if err != nil || !strings.Contains(red, `ldapbinddn="(sensitive)"`) || strings.Contains(red, "cn=admin") {
		t.Errorf("redacted: %q %v", red, err)
	}
}
