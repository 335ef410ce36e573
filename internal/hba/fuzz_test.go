package hba

import (
	"reflect"
	"testing"
)

var fuzzOptionNames = []string{"", "ldapserver", "ldapprefix", "ldapbasedn", "ldapsearchfilter", "pamservice", "krb_realm", "radiusservers", "radiussecrets", "issuer", "unknown"}

// FuzzRenderParse: a rule built from arbitrary strings either is rejected by
// Validate/Render, or renders to a line that our parser (PostgreSQL
// tokenizer semantics) reads back as exactly the same rule, with no problem.
func FuzzRenderParse(f *testing.F) {
	seeds := []struct {
		typ, method, dbKind, userKind, opt                   uint8
		db, user, addr, mask, optVal, cmt, mapName, sys, dbu string
		v                                                    uint8
	}{
		{1, 2, 0, 0, 0, "app", "alice", "10.0.0.0/8", "", "", "", "", "bob", "bob", 15},
		{2, 11, 0, 1, 0, "all", "admins", "all", "", "", "note", "certmap", "/^(.*)$", `\1`, 15},
		{1, 9, 0, 0, 2, "my db", `a"b`, "db.example.com", "", "cn=", "# nested", "", `"john smith"`, `"all"`, 16},
		{1, 9, 3, 0, 3, "x,y", "+g", "10.0.0.1", "255.0.0.0", "dc=a,dc=b", `back\`, "m", "/a,b", "+g", 16},
		{0, 8, 4, 4, 0, "^a.*$", "^b", "", "", "", "", "m", `/(x)`, "y", 16},
		{1, 10, 0, 0, 7, "all", "all", "::1/128", "", "127.0.0.1,127.0.0.2", "", "", "a", "b", 15},
		{1, 2, 2, 2, 0, "dbs.txt", "users file", ".example.com", "", "", "c", "", "a", "b", 14},
		{3, 0, 0, 0, 0, "\n", "\x00", "10.0.0.0/8\n", "", "", "\r", "", "a", "b", 13},
	}
	for _, s := range seeds {
		f.Add(s.typ, s.method, s.dbKind, s.userKind, s.opt, s.db, s.user, s.addr, s.mask, s.optVal, s.cmt, s.mapName, s.sys, s.dbu, s.v)
	}
	f.Fuzz(func(t *testing.T, typ, method, dbKind, userKind, opt uint8, db, user, addr, mask, optVal, cmt, mapName, sys, dbu string, vb uint8) {
		v := MinVersion + int(vb)%(MaxVersion-MinVersion+1)
		r := Rule{
			Type:      ConnTypes[int(typ)%len(ConnTypes)],
			Databases: []Name{{Kind: NameKind(int(dbKind) % 5), Value: db}},
			Users:     []Name{{Kind: NameKind(int(userKind) % 5), Value: user}},
			Address:   addr,
			Netmask:   mask,
			Method:    Methods[int(method)%len(Methods)],
			Map:       mapName,
			Comment:   cmt,
		}
		// A second list element (same kind) exercises comma lists.
		if len(cmt) > 0 && cmt[0]&1 == 1 {
			r.Databases = append(r.Databases, Name{Kind: NameKind(int(userKind) % 5), Value: user})
			r.Users = append(r.Users, Name{Kind: NameKind(int(dbKind) % 5), Value: db})
		}
		if on := fuzzOptionNames[int(opt)%len(fuzzOptionNames)]; on != "" {
			r.Options = []Option{{Name: on, Value: optVal}}
		}
		checkRoundTrip(t, r, v)

		// Ident mappings.
		m := IdentMapping{SystemUser: sys, DatabaseUser: dbu, Comment: cmt}
		name := mapName
		if name == "" {
			name = "m"
		}
		if len(ValidateIdentMapping(name, m, "", v)) > 0 {
			return
		}
		line, err := m.Render(name)
		if err != nil {
			t.Fatalf("valid mapping does not render: %v", err)
		}
		pf, err := ParseIdent(line+"\n", v)
		if err != nil || len(pf.Problems) > 0 || len(pf.Maps) != 1 || len(pf.Maps[0].Mappings) != 1 {
			t.Fatalf("ident line %q: parse %v %v %#v", line, err, pf.Problems, pf.Maps)
		}
		got := pf.Maps[0].Mappings[0]
		gs, _ := parseSystemUser(got.SystemUser)
		ws, _ := parseSystemUser(m.SystemUser)
		gd, _ := ParseUser(got.DatabaseUser)
		wd, _ := ParseUser(m.DatabaseUser)
		if pf.Maps[0].Name != name || gs != ws || gd != wd || got.Comment != m.Comment {
			t.Fatalf("ident round trip of %q\n got %q %#v\nwant %q %#v", line, pf.Maps[0].Name, got, name, m)
		}
	})
}

func checkRoundTrip(t *testing.T, r Rule, v int) {
	t.Helper()
	if ps := r.Validate(TargetPostgreSQL, v); len(ps) > 0 {
		return
	}
	line, err := r.Render()
	if err != nil {
		return
	}
	pf, err := Parse(line+"\n", v)
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Problems) > 0 || len(pf.Rules) != 1 {
		t.Fatalf("line %q (v%d) of a valid rule: %d rules, problems %v", line, v, len(pf.Rules), pf.Problems)
	}
	got := pf.Rules[0].Rule
	if !rulesEqual(got, r) {
		t.Fatalf("round trip of %q (v%d)\n got %#v\nwant %#v", line, v, got, r)
	}
	// The HCL token form of every name reads back as the same name.
	for _, n := range append(append([]Name{}, r.Databases...), r.Users...) {
		var back Name
		var err error
		if n.Kind == Group || (n.Kind == Keyword && n.Value == "all") {
			back, err = ParseUser(n.String())
		} else {
			back, err = ParseDatabase(n.String())
		}
		if err != nil || !reflect.DeepEqual(back, n) {
			if n.Kind == Keyword && n.Value != "all" {
				continue
			}
			t.Fatalf("token form %q of %#v reads back as %#v, %v", n.String(), n, back, err)
		}
	}
}

// FuzzParse: Parse never panics on arbitrary content, and every rule it
// returns without problems renders to a line that parses back to the same
// rule (the renderer and the parser agree on every rule a file can hold).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"local all all peer\n",
		"host all,\"all\" +g,\"+g\" 10.0.0.0/8 md5 # c\n",
		"hostssl @dbs \"a\"\"b\" 10.0.0.1 255.0.0.0 cert clientname=DN map=\"m m\"\n",
		"host all all \\\n all \\\n ldap ldapserver=x ldapprefix=\"cn=\" ldapsuffix=\",dc=x\"\n",
		"include x\nhost /^a /\"b,c\" all reject\n",
		"host all all all radius radiusservers=\"127.0.0.1,127.0.0.2\" radiussecrets=s\r\n",
		"# only a comment \\\nhost all all all trust\n",
	} {
		f.Add(s, uint8(15))
		f.Add(s, uint8(16))
	}
	f.Fuzz(func(t *testing.T, content string, vb uint8) {
		v := MinVersion + int(vb)%(MaxVersion-MinVersion+1)
		pf, err := Parse(content, v)
		if err != nil {
			t.Fatal(err)
		}
		bad := map[int]bool{}
		for _, p := range pf.Problems {
			bad[p.Line] = true
		}
		for _, pr := range pf.Rules {
			if bad[pr.Line] {
				continue
			}
			checkRoundTrip(t, pr.Rule, v)
			if _, err := pr.Rule.Render(); err != nil {
				// A rule read from a file that passes Validate must be writable.
				t.Fatalf("valid parsed rule %#v does not render: %v", pr.Rule, err)
			}
		}
		// Lint and every target's Validate take any parsed rule without
		// panicking.
		var rules []Rule
		for _, pr := range pf.Rules {
			rules = append(rules, pr.Rule)
			pr.Rule.Validate(TargetPgBouncer, v)
			pr.Rule.Validate(TargetPgpool, v)
		}
		ipf, err := ParseIdent(content, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range Lint(rules, ipf.Maps, LintOptions{Version: v}) {
			if f.Message == "" || DefaultSeverity[f.Code] == "" {
				t.Fatalf("bad finding %+v", f)
			}
		}
		ibad := map[int]bool{}
		for _, p := range ipf.Problems {
			ibad[p.Line] = true
		}
		for _, m := range ipf.Maps {
			for k, mp := range m.Mappings {
				if ibad[ipf.Lines[m.Name][k]] {
					continue
				}
				if _, err := mp.Render(m.Name); err != nil {
					t.Fatalf("valid parsed mapping %q %#v does not render: %v", m.Name, mp, err)
				}
			}
		}
	})
}
