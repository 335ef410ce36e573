package x509util

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

func TestCNAsDNSID(t *testing.T) {
	for cn, want := range map[string]string{
		"db.example.com":         "db.example.com",
		"DB.Example.COM":         "DB.Example.COM",
		"127.0.0.1":              "127.0.0.1",
		"a_b.example":            "a_b.example",
		"a-b.c":                  "a-b.c",
		"db.example.com\x00\x00": "db.example.com",
		"localhost":              "",
		"":                       "",
		".example.com":           "",
		"example.com.":           "",
		"a..b":                   "",
		"a.-b":                   "",
		"a-.b":                   "",
		"-a.b":                   "",
		"a.b-":                   "",
		"*.example.com":          "",
		"db example.com":         "",
		"jürgen.example":         "",
		"a:b.c":                  "",
	} {
		got, err := CNAsDNSID(cn)
		if err != nil || got != want {
			t.Errorf("CNAsDNSID(%q) = %q, %v; want %q", cn, got, err, want)
		}
	}
	if _, err := CNAsDNSID("a\x00.example.com"); !errors.Is(err, ErrCNEmbeddedNUL) {
		t.Errorf("embedded NUL: %v", err)
	}
}

func TestMatchDNSConstraint(t *testing.T) {
	for _, c := range []struct {
		name, base string
		want       bool
	}{
		{"example.com", "example.com", true},
		{"db.example.com", "example.com", true},
		{"a.b.example.com", "example.com", true},
		{"DB.EXAMPLE.COM", "example.com", true},
		{"xexample.com", "example.com", false},
		{"example.com", ".example.com", false},
		{"db.example.com", ".example.com", true},
		{"com", "example.com", false},
		{"*.example.com", "example.com", true},
		{"a.b.example.com", ".example.com", true},
		{"example.org", "example.com", false},
		{"anything", "", true},
		{"k.example.com", "\u212a.example.com", false}, // Kelvin sign: ASCII folding only
	} {
		if got := MatchDNSConstraint(c.name, c.base); got != c.want {
			t.Errorf("MatchDNSConstraint(%q, %q) = %v, want %v", c.name, c.base, got, c.want)
		}
	}
}

// TestNameConstraintsMatchOpenSSL issues leaves under name-constrained CAs
// and predicts `openssl verify` with CNAsDNSID, HostLikeCommonNames and
// CheckDNSConstraints: for CN-only leaves (OpenSSL's
// NAME_CONSTRAINTS_check_CN) and for dNSName SANs.
func TestNameConstraintsMatchOpenSSL(t *testing.T) {
	dir := t.TempDir()
	root := testpki.NewCAFrom(t, &x509.Certificate{
		Subject:             pkix.Name{CommonName: "nc root"},
		PermittedDNSDomains: []string{"example.com", ".example.org"},
		ExcludedDNSDomains:  []string{"bad.example.com"},
	}, nil)
	caPath := writeFile(t, dir, "ca.pem", root.PEM)
	outcomes := map[bool]int{}
	verify := func(t *testing.T, l *testpki.Leaf) (bool, string) {
		p := writeFile(t, dir, "leaf.pem", l.CertPEM)
		out, err := openssl(t, dir, "", "verify", "-CAfile", caPath, p)
		outcomes[err == nil]++
		return err == nil, out
	}
	defer func() {
		if outcomes[true] < 5 || outcomes[false] < 5 {
			t.Errorf("openssl outcomes %v: the corpus must hold both accepted and refused names", outcomes)
		}
	}()
	predict := func(t *testing.T, c *x509.Certificate) bool {
		names, err := HostLikeCommonNames(c)
		if errors.Is(err, ErrCNEmbeddedNUL) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, c.DNSNames...)
		for _, n := range names {
			if CheckDNSConstraints(n, root.Cert) != nil {
				return false
			}
		}
		return true
	}
	cns := []string{"localhost", "db.example.com", "DB.EXAMPLE.COM", "db.other.com", "bad.example.com", "x.bad.example.com",
		"127.0.0.1", "a_b.other.com", "example.org", "db.example.org", "db..other.com", "-db.other.com", "db.other.com\x00",
		"db\x00.other.com", "jürgen.other.com", "db other.com"}
	for _, cn := range cns {
		t.Run("cn "+strings.ReplaceAll(cn, "\x00", `\0`), func(t *testing.T) {
			l := root.Server(t, cn)
			ok, out := verify(t, l)
			if want := predict(t, l.Cert); ok != want {
				t.Errorf("openssl verify ok=%v, predicted %v\n%s", ok, want, out)
			}
		})
	}
	// With a DNS SAN, the CN is not checked: only the SANs are.
	for _, san := range []string{"db.example.com", "db.other.com", "bad.example.com", "EXAMPLE.com", "example.org", "a.example.org", "xexample.com"} {
		t.Run("san "+san, func(t *testing.T) {
			l := root.Server(t, "db.other.com", san)
			ok, out := verify(t, l)
			if want := predict(t, l.Cert); ok != want {
				t.Errorf("openssl verify ok=%v, predicted %v\n%s", ok, want, out)
			}
		})
	}
	var nce *NameConstraintError
	if err := CheckDNSConstraints("db.other.com", root.Cert); !errors.As(err, &nce) || nce.Excluded ||
		err.Error() != `DNS name "db.other.com" is outside the permitted DNS domains [example.com, .example.org] of CA "CN=nc root"` {
		t.Errorf("permitted error: %v", err)
	}
	if err := CheckDNSConstraints("x.bad.example.com", root.Cert); !errors.As(err, &nce) || !nce.Excluded || nce.ExcludedBase != "bad.example.com" {
		t.Errorf("excluded error: %v", err)
	}
}
