package localfiles

import (
	"io/fs"
	"strings"
	"testing"
)

const testKeyPEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n"

func rootIs(root bool) func(string) (bool, error) {
	return func(string) (bool, error) { return root, nil }
}

func TestValidateNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string // substring of the problem, "" = valid
	}{
		{"server.key", ""},
		{"tls/root.crt", ""},
		{".pgpoolkey", ""},
		{"", "must not be empty"},
		{"../etc/passwd", `contains ".."`},
		{"a/../../b", `contains ".."`},
		{"..", `contains ".."`},
		{"/etc/passwd", "absolute path"},
		{"./a", "clean form"},
		{"a//b", "clean form"},
		{"a/.", "clean form"},
		{"a/", "ends with a slash"},
		{"a\x00b", "NUL"},
		{"." + "x" + tempMarker + "1", "reserves"},
		{strings.Repeat("a", 256), "longer than 255"},
	} {
		err := ValidateName(tc.name)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidateName(%q) = %v, want valid", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ValidateName(%q) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]fs.FileMode{"600": 0o600, "0640": 0o640, "0000": 0, "777": 0o777} {
		got, err := ParseMode(in)
		if err != nil || got != want {
			t.Errorf("ParseMode(%q) = %o, %v; want %o", in, got, err, want)
		}
	}
	for _, in := range []string{"", "60", "0o600", "0800", "4755", "1777", "12345", "rw-r--r--", "-600"} {
		if _, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q) accepted", in)
		}
	}
	if FormatMode(0o640) != "0640" {
		t.Errorf("FormatMode(0640) = %q", FormatMode(0o640))
	}
}

// TestModeRules encodes be-secure-common.c / fe-secure-openssl.c: a key
// owned by its reader must be u=rw (0600) or less; a root-owned key may be
// u=rw,g=r (0640) or less; nothing may be world-writable.
func TestModeRules(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		mode fs.FileMode
		root bool
		ok   bool
	}{
		{PrivateKey, 0o600, false, true},
		{PrivateKey, 0o400, false, true},
		{PrivateKey, 0o640, false, false},
		{PrivateKey, 0o604, false, false},
		{PrivateKey, 0o640, true, true},
		{PrivateKey, 0o440, true, true},
		{PrivateKey, 0o600, true, true},
		{PrivateKey, 0o660, true, false}, // g+w
		{PrivateKey, 0o650, true, false}, // g+x
		{PrivateKey, 0o644, true, false},
		{PrivateKey, 0o700, false, true}, // owner bits are the owner's business, as in PostgreSQL
		{OwnerOnly, 0o600, true, true},
		{OwnerOnly, 0o640, true, false},
		{Secret, 0o640, false, true},
		{Secret, 0o604, false, false},
		{Plain, 0o644, false, true},
		{Plain, 0o664, false, true},
		{Plain, 0o666, false, false},
		{Plain, 0o1644, false, false},
	} {
		msg := ModeProblem(tc.kind, tc.mode, tc.root)
		if (msg == "") != tc.ok {
			t.Errorf("ModeProblem(%v, %04o, root=%v) = %q, want ok=%v", tc.kind, tc.mode, tc.root, msg, tc.ok)
		}
	}
}

func TestValidateSpec(t *testing.T) {
	s := Spec{Dir: "/srv", Files: []File{
		{Name: "server.crt", Content: []byte("x"), Mode: 0o644},
		{Name: "server.crt", Content: []byte("y"), Mode: 0o644},
		{Name: "leak.pem", Content: []byte("cert\n" + testKeyPEM), Mode: 0o644},
		{Name: "k.pem", Content: []byte(testKeyPEM), Mode: 0o640, Kind: Secret}, // upgraded to PrivateKey
		{Name: "a", Content: nil, Mode: 0o644},
		{Name: "a/b", Content: nil, Mode: 0o644},
		{Name: "o", Mode: 0o644, Owner: "bad:name"},
	}}
	probs := s.Validate(rootIs(false))
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
		if strings.Contains(p.String(), "BEGIN") || strings.Contains(p.String(), "MC4CAQ") {
			t.Errorf("problem echoes key material: %s", p)
		}
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`file "server.crt": name: appears more than once`,
		`file "leak.pem": content: holds a private key`,
		`file "k.pem": mode "0640": has group or world access`,
		`file "a/b": name: lies under "a"`,
		`file "o": owner "bad:name"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing problem %q in:\n%s", want, all)
		}
	}
	if len(probs) != 5 {
		t.Errorf("got %d problems, want 5:\n%s", len(probs), all)
	}
	// The same key owned by root at 0640 is what PostgreSQL accepts.
	ok := Spec{Dir: "/srv", Files: []File{{Name: "k.pem", Content: []byte(testKeyPEM), Mode: 0o640, Kind: Secret, Owner: "root"}}}
	if p := ok.Validate(rootIs(true)); len(p) != 0 {
		t.Errorf("root-owned 0640 key refused: %v", p)
	}
}

func TestLayouts(t *testing.T) {
	l, err := LookupLayout("postgresql_data_dir")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"server.crt", "server.key", "root.crt", "root.crl"} {
		if _, ok := l.Files[n]; !ok {
			t.Errorf("postgresql_data_dir does not know %s", n)
		}
	}
	if k, m := l.Resolve("server.key", true); k != PrivateKey || m != 0o600 {
		t.Errorf("server.key resolves to %v %04o", k, m)
	}
	if r := l.ReservedReason("postgresql.auto.conf"); r == "" {
		t.Error("postgresql.auto.conf is not reserved")
	}
	if r := l.ReservedReason("pg_wal/000000010000000000000001"); r == "" {
		t.Error("pg_wal/... is not reserved")
	}
	if r := l.ReservedReason("pg_hba.conf"); r != "" {
		t.Errorf("pg_hba.conf reserved: %s", r)
	}
	if _, err := LookupLayout("nope"); err == nil || !strings.Contains(err.Error(), "libpq_home") {
		t.Errorf("unknown layout error %v does not list the layouts", err)
	}
	if k, m := (Layout{}).Resolve("x", true); k != Secret || m != 0o600 {
		t.Errorf("unknown sensitive file resolves to %v %04o", k, m)
	}
}
