package libpq

import (
	"strings"
	"testing"
)

func TestQuoteValue(t *testing.T) {
	for in, want := range map[string]string{
		"":           "''",
		"plain":      "plain",
		"a=b":        "a=b",
		"with space": "'with space'",
		"it's":       `'it\'s'`,
		`C:\dir`:     `'C:\\dir'`,
		"tab\there":  "'tab\there'",
	} {
		if got := QuoteValue(in); got != want {
			t.Errorf("QuoteValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzConninfoRoundTrip(f *testing.F) {
	f.Add("user", "a b'c\\d")
	f.Add("application_name", "")
	f.Fuzz(func(t *testing.T, k, v string) {
		if !IsKeyword(k) || strings.IndexByte(v, 0) >= 0 {
			return
		}
		s, err := Conninfo([]Param{{k, v}, {"dbname", v}})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := ParseConninfo(s)
		if err != nil || len(ps) != 2 || ps[0].Value != v || ps[1].Value != v {
			t.Fatalf("%q -> %q -> %v %v", v, s, ps, err)
		}
	})
}

func TestURI(t *testing.T) {
	for _, c := range []struct {
		ps   []Param
		want string
	}{
		{[]Param{{"host", "db.example.com"}, {"port", "5432"}, {"dbname", "app"}, {"user", "alice"}, {"sslmode", "verify-full"}},
			"postgresql://alice@db.example.com:5432/app?sslmode=verify-full"},
		{[]Param{{"host", "::1,10.0.0.1"}, {"port", "5432,5433"}, {"user", "a@b:c d"}},
			"postgresql://a%40b%3Ac%20d@[::1]:5432,10.0.0.1:5433"},
		{[]Param{{"host", "/var/run/postgresql"}, {"dbname", "my db"}, {"sslrootcert", "/etc/my certs/root.crt"}},
			"postgresql://%2Fvar%2Frun%2Fpostgresql/my%20db?sslrootcert=%2Fetc%2Fmy%20certs%2Froot.crt"},
		{[]Param{{"host", "h1,h2"}, {"port", "6432"}}, "postgresql://h1:6432,h2:6432"},
	} {
		got, err := URI(c.ps)
		if err != nil || got != c.want {
			t.Errorf("URI(%v) = %q, %v; want %q", c.ps, got, err, c.want)
		}
	}
	if _, err := URI([]Param{{"host", "a,b,c"}, {"port", "1,2"}}); err == nil {
		t.Error("port/host count mismatch accepted")
	}
}

func TestValidate(t *testing.T) {
	base := Bundle{Hosts: []string{"db.example.com"}, RootCertPEM: "x"}
	for _, c := range []struct {
		name string
		mod  func(*Bundle)
		want string // substring of an error; "" = no error
	}{
		{"ok", func(*Bundle) {}, ""},
		{"no hosts", func(b *Bundle) { b.Hosts = nil }, "at least one host"},
		{"bad host", func(b *Bundle) { b.Hosts = []string{"not a host"} }, "neither an IP"},
		{"ports mismatch", func(b *Bundle) { b.Hosts = []string{"a", "b", "c"}; b.Ports = []int{1, 2} }, "2 ports for 3 hosts"},
		{"port range", func(b *Bundle) { b.Ports = []int{70000} }, "outside 1..65535"},
		{"verify-full without root", func(b *Bundle) { b.RootCertPEM = "" }, "needs a root certificate"},
		{"cert without key", func(b *Bundle) { b.CertPEM = "x" }, "give both or neither"},
		{"relative dir", func(b *Bundle) { b.Dir = "certs" }, "must be absolute"},
		{"managed param", func(b *Bundle) { b.Params = []Param{{"sslmode", "require"}} }, "set by the bundle"},
		{"secret param", func(b *Bundle) { b.Params = []Param{{"password", "x"}} }, "holds a secret"},
		{"unknown param", func(b *Bundle) { b.Params = []Param{{"sslfoo", "x"}} }, "not a libpq connection keyword"},
		{"bad sslmode", func(b *Bundle) { b.SSLMode = "strict" }, "must be one of"},
		{"service name", func(b *Bundle) { b.Service = "a]b" }, "service name"},
	} {
		b := base
		c.mod(&b)
		var errs []string
		for _, p := range b.Validate() {
			if p.Severity == "error" {
				errs = append(errs, p.Message)
			}
		}
		got := strings.Join(errs, "; ")
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s: errors %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPropEscape(t *testing.T) {
	if got := propEscape("a b=c:d#!\\é😀", false); got != `a b\=c\:d\#\!\\\u00E9\uD83D\uDE00` {
		t.Errorf("propEscape = %q", got)
	}
	if got := propEscape(" lead", false); got != `\ lead` {
		t.Errorf("leading blank: %q", got)
	}
}
