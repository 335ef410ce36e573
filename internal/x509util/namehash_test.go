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

// hashCorpus adds to the DN corpus the names whose canonical form differs
// from their encoding: case, white space runs, leading and trailing white
// space of every kind, and a NumericString (kept as is).
func hashCorpus(t testing.TB) map[string][]byte {
	out := dnCorpus(t)
	cn := func(tag int, s string) []byte { return mkName(t, rdnSET{atv(oidCommonName, tag, s)}) }
	out["upper"] = cn(asn1.TagUTF8String, "PGTLS Root CA")
	out["upper printable"] = cn(asn1.TagPrintableString, "PGTLS Root CA")
	out["upper ia5"] = mkName(t, rdnSET{atv(oidEmail, asn1.TagIA5String, "DBA@Example.COM")})
	out["white space runs"] = cn(asn1.TagUTF8String, "a \t\n b\r\f\vc")
	out["edge white space"] = cn(asn1.TagUTF8String, "\t\n a b \v\r")
	out["only white space"] = cn(asn1.TagUTF8String, " \t ")
	out["non-ascii upper"] = cn(asn1.TagUTF8String, "ÄÖÜ Straße")
	out["t61 upper latin1"] = cn(asn1.TagT61String, "J\xdcRGEN")
	out["numeric kept"] = cn(asn1.TagNumericString, " 01 ")
	out["multi-valued mixed case"] = mkName(t,
		rdnSET{atv(oidO, asn1.TagUTF8String, "ZZ"), atv(oidOU, asn1.TagPrintableString, "aa"), atv(oidCommonName, asn1.TagUTF8String, "Mm")})
	return out
}

// TestNameHashMatchesOpenSSL compares NameHashHex with `openssl x509
// -subject_hash` and `-issuer_hash` over the corpus and with `openssl crl
// -hash` for a CRL of each name.
func TestNameHashMatchesOpenSSL(t *testing.T) {
	dir := t.TempDir()
	root := testpki.NewCA(t, "hash corpus CA")
	for name, der := range hashCorpus(t) {
		t.Run(name, func(t *testing.T) {
			certDER := root.IssueDER(t, &x509.Certificate{RawSubject: der}, testpki.NewKey(t))
			got, err := NameHashHex(der)
			if err != nil {
				t.Fatalf("NameHashHex: %v", err)
			}
			want := strings.TrimSpace(mustOpenSSL(t, dir, testpki.CertPEM(certDER), "x509", "-noout", "-subject_hash"))
			if got != want {
				t.Errorf("NameHashHex = %s, openssl x509 -subject_hash = %s", got, want)
			}
		})
	}
	// A CRL's issuer hash is the CA's subject hash.
	ca := root.IntermediateFrom(t, &x509.Certificate{RawSubject: hashCorpus(t)["white space runs"]})
	crl := ca.CRL(t, root.Cert.NotBefore, root.Cert.NotAfter)
	got, err := NameHashHex(ca.Cert.RawSubject)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(mustOpenSSL(t, dir, crl, "crl", "-noout", "-hash")); got != want {
		t.Errorf("NameHashHex = %s, openssl crl -hash = %s", got, want)
	}
	// Names as openssl encodes them with each string_mask.
	for _, tc := range []struct{ mask, subj string }{
		{"utf8only", "/C=DE/O=Ex, Inc/CN=Local  Host/emailAddress=DBA@example.com"},
		{"default", "/CN=Jürgen Müller/O=ÜBER"},
		{"nombstr", "/CN=Some  CA/OU=Ops"},
		{"pkix", "/CN=日本 CA"},
	} {
		t.Run("openssl req/"+tc.mask, func(t *testing.T) {
			cnf := writeFile(t, dir, "req.cnf", fmt.Sprintf("[req]\ndistinguished_name=dn\nstring_mask=%s\n[dn]\n", tc.mask))
			certPEM := mustOpenSSL(t, dir, "", "req", "-x509", "-config", cnf, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
				"-nodes", "-keyout", filepath.Join(dir, "k.pem"), "-utf8", "-subj", tc.subj, "-days", "1")
			certs, err := ParseCertificatesPEM(certPEM)
			if err != nil {
				t.Fatal(err)
			}
			got, err := NameHashHex(certs[0].RawSubject)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSpace(mustOpenSSL(t, dir, certPEM, "x509", "-noout", "-subject_hash")); got != want {
				t.Errorf("NameHashHex = %s, openssl = %s", got, want)
			}
		})
	}
}

func TestNameHashRefusesBadNames(t *testing.T) {
	for name, der := range map[string][]byte{
		"garbage":     {0x30, 0x05, 0x01},
		"bad utf8":    mkName(t, rdnSET{atv(oidCommonName, asn1.TagUTF8String, "\xff")}),
		"odd bmp":     mkName(t, rdnSET{atv(oidCommonName, asn1.TagBMPString, "\x00")}),
		"trailing 00": append(mkName(t, utf8CN("a")), 0),
	} {
		if h, err := NameHashHex(der); err == nil {
			t.Errorf("%s: NameHashHex = %s, want an error", name, h)
		}
	}
}
