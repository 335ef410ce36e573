package x509util

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

func mkName(t testing.TB, rdns ...rdnSET) []byte {
	t.Helper()
	if rdns == nil {
		rdns = []rdnSET{}
	}
	der, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func atv(oid asn1.ObjectIdentifier, tag int, b string) attribute {
	return attribute{Type: oid, Value: asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: []byte(b)}}
}

var (
	oidC     = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidO     = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU    = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidUID   = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidDC    = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidOther = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
)

func utf8CN(s string) rdnSET { return rdnSET{atv(oidCommonName, asn1.TagUTF8String, s)} }

// dnCorpus are names built byte by byte, including what pgtls never
// issues but foreign certificates carry. (OpenSSL 3.0 refuses to load a
// certificate whose name holds a VisibleString, an OCTET STRING value for a
// known attribute or invalid UTF-8, so those are not compared.)
func dnCorpus(t testing.TB) map[string][]byte {
	cn := func(s string) []byte { return mkName(t, utf8CN(s)) }
	return map[string][]byte{
		"plain":                 cn("alice"),
		"comma":                 cn("Doe, John"),
		"plus":                  cn("a+b"),
		"quotes":                cn(`say "hi"`),
		"leading space":         cn(" lead"),
		"trailing space":        cn("trail "),
		"both spaces":           cn("  both  "),
		"single space":          cn(" "),
		"inner spaces":          cn("a  b"),
		"hash first":            cn("#admin"),
		"hash inner":            cn("a#b"),
		"hash alone":            cn("#"),
		"backslash":             cn(`dom\user`),
		"semicolon angle":       cn("a;b<c>d"),
		"equals":                cn("a=b"),
		"slash":                 cn("a/b"),
		"latin1 utf8":           cn("Jürgen"),
		"cjk utf8":              cn("日本"),
		"emoji utf8":            cn("db🐘"),
		"control chars":         cn("a\nb\tc"),
		"del":                   cn("a\x7fb"),
		"empty value":           cn(""),
		"printable":             mkName(t, rdnSET{atv(oidCommonName, asn1.TagPrintableString, "x y")}),
		"t61 latin1":            mkName(t, rdnSET{atv(oidCommonName, asn1.TagT61String, "J\xfcrgen")}),
		"ia5":                   mkName(t, rdnSET{atv(oidEmail, asn1.TagIA5String, "dba@example.com")}),
		"numeric":               mkName(t, rdnSET{atv(oidCommonName, asn1.TagNumericString, "0123")}),
		"bmp latin1":            mkName(t, rdnSET{atv(oidCommonName, asn1.TagBMPString, "\x00J\x00\xfc\x00r")}),
		"bmp cjk":               mkName(t, rdnSET{atv(oidCommonName, asn1.TagBMPString, "\x65\xe5\x67\x2c")}),
		"universal":             mkName(t, rdnSET{atv(oidCommonName, 28, "\x00\x00\x00J\x00\x00\x00\xfc\x00\x01\xf4\x18")}),
		"unknown oid":           mkName(t, rdnSET{atv(oidOther, asn1.TagUTF8String, "v")}),
		"unknown oid printable": mkName(t, rdnSET{atv(oidOther, asn1.TagPrintableString, "p q")}),
		"multi-valued": mkName(t,
			rdnSET{atv(oidC, asn1.TagPrintableString, "DE")},
			rdnSET{atv(oidO, asn1.TagUTF8String, "o"), atv(oidOU, asn1.TagUTF8String, "u")},
			rdnSET{atv(oidCommonName, asn1.TagUTF8String, "app"), atv(oidUID, asn1.TagUTF8String, "42")}),
		"dc": mkName(t, rdnSET{atv(oidDC, asn1.TagIA5String, "com")}, rdnSET{atv(oidDC, asn1.TagIA5String, "example")}, utf8CN("x")),
		"issue 8 subject": mkName(t,
			rdnSET{atv(oidC, asn1.TagPrintableString, "DE")},
			rdnSET{atv(oidO, asn1.TagUTF8String, "Ex, Inc")},
			utf8CN("localhost"),
			rdnSET{atv(oidEmail, asn1.TagIA5String, "dba@example.com")}),
		"empty name": mkName(t),
	}
}

// TestRFC2253MatchesOpenSSL renders a corpus of names (built byte by byte
// and made by `openssl req` with every string_mask) and compares each with
// `openssl x509 -noout -subject -nameopt RFC2253`.
func TestRFC2253MatchesOpenSSL(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, "dn corpus CA")
	for name, der := range dnCorpus(t) {
		t.Run(name, func(t *testing.T) {
			certDER := ca.IssueDER(t, &x509.Certificate{RawSubject: der}, testpki.NewKey(t))
			c, err := ParseCertificateLax(certDER)
			if err != nil {
				t.Fatal(err)
			}
			got := RFC2253(c.RawSubject)
			want := opensslSubject(t, dir, testpki.CertPEM(certDER))
			if got != want {
				t.Errorf("RFC2253 = %q\nopenssl  = %q", got, want)
			}
		})
	}
	// Names as openssl itself encodes them.
	for _, tc := range []struct {
		name, mask, subj string
		multi            bool
	}{
		{"issue 8 subject", "utf8only", "/C=DE/O=Ex, Inc/CN=localhost/emailAddress=dba@example.com", false},
		{"default mask latin1 is T61", "default", "/CN=Jürgen", false},
		{"default mask cjk is BMP", "default", "/CN=日本/O=ü", false},
		{"default mask emoji is Universal", "default", "/CN=db🐘", false},
		{"nombstr", "nombstr", `/CN=Jürgen/O=a\+b`, false},
		{"pkix", "pkix", "/CN=日本 \"q\"/OU=#x", false},
		{"utf8only escapes", "utf8only", "/CN= lead, trail /O=x;y<z>", false},
		{"unknown oid", "utf8only", "/1.2.3.4=foo/CN=x", false},
		{"multi-valued", "utf8only", "/DC=org/O=a+OU=b+CN=c", true},
	} {
		t.Run("openssl req/"+tc.name, func(t *testing.T) {
			cnf := writeFile(t, dir, "req.cnf", fmt.Sprintf("[req]\ndistinguished_name=dn\nstring_mask=%s\n[dn]\n", tc.mask))
			args := []string{"req", "-x509", "-config", cnf, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
				"-keyout", filepath.Join(dir, "k.pem"), "-utf8", "-subj", tc.subj, "-days", "1"}
			if tc.multi {
				args = append(args, "-multivalue-rdn")
			}
			certPEM := mustOpenSSL(t, dir, "", args...)
			certs, err := ParseCertificatesPEM(certPEM)
			if err != nil {
				t.Fatal(err)
			}
			got := RFC2253(certs[0].RawSubject)
			if want := opensslSubject(t, dir, certPEM); got != want {
				t.Errorf("RFC2253 = %q\nopenssl  = %q", got, want)
			}
		})
	}
}

func opensslSubject(t testing.TB, dir, certPEM string) string {
	t.Helper()
	out := mustOpenSSL(t, dir, certPEM, "x509", "-noout", "-subject", "-nameopt", "RFC2253")
	s, ok := strings.CutPrefix(out, "subject=")
	if !ok {
		t.Fatalf("unexpected openssl output %q", out)
	}
	return strings.TrimSuffix(s, "\n")
}

func TestRFC2253Unparsable(t *testing.T) {
	for _, der := range [][]byte{nil, {0x30, 0x05, 0x01}, append(mkName(t, utf8CN("a")), 0)} {
		if got := RFC2253(der); got != "" {
			t.Errorf("RFC2253(%x) = %q, want empty", der, got)
		}
	}
}

func TestCommonNames(t *testing.T) {
	der := mkName(t,
		utf8CN("first.example"),
		rdnSET{atv(oidO, asn1.TagUTF8String, "o")},
		rdnSET{atv(oidCommonName, asn1.TagBMPString, "\x00J\x00\xfc")},
		rdnSET{atv(oidCommonName, asn1.TagOctetString, "\x01")},
		rdnSET{atv(oidCommonName, asn1.TagT61String, "l\xe4st")})
	got, ok := CommonNames(der)
	if want := []string{"first.example", "Jü", "läst"}; !ok || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CommonNames = %q, %v; want %q", got, ok, want)
	}
	if _, ok := CommonNames([]byte{1}); ok {
		t.Error("garbage parsed")
	}
}

func FuzzRFC2253(f *testing.F) {
	for _, der := range dnCorpus(f) {
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = RFC2253(b)
		_, _ = CommonNames(b)
	})
}
