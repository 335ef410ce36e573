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
