package pki

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

func TestDescribe(t *testing.T) {
	root := mustRoot(t, caReq("describe root", KeyECDSAP256))
	srv := mustServer(t, issuerOf(t, root), ServerRequest{CommonName: "primary", DNSNames: []string{"db.example.com"},
		IPAddresses: []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")}, KeyType: KeyRSA2048, Validity: 48 * time.Hour})
	info := Describe(srv.Cert)
	s256 := sha256.Sum256(srv.Cert.Raw)
	s1 := sha1.Sum(srv.Cert.Raw)
	want := CertInfo{
		Subject: "CN=primary", Issuer: "CN=describe root,O=pgtls tests", CommonName: "primary",
		DNSNames: []string{"db.example.com"}, IPAddresses: []string{"10.0.0.5", "fd00::5"}, EmailAddresses: []string{},
		Serial: srv.Cert.SerialNumber.String(), NotBefore: t0.Add(-5 * time.Minute), NotAfter: t0.Add(48 * time.Hour),
		FingerprintSHA256: hex.EncodeToString(s256[:]), FingerprintSHA1: hex.EncodeToString(s1[:]),
		IsCA: false, KeyType: "rsa-2048", SignatureAlgorithm: "ECDSA-SHA256",
		SubjectKeyID: hex.EncodeToString(srv.Cert.SubjectKeyId), AuthorityKeyID: hex.EncodeToString(root.Cert.SubjectKeyId),
		SelfSigned: boolPtr(false), PEM: srv.CertPEM,
	}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("Describe =\n%+v\nwant\n%+v", info, want)
	}
	if len(info.FingerprintSHA256) != 64 || len(info.SubjectKeyID) != 40 || len(info.AuthorityKeyID) != 40 {
		t.Error("hex lengths")
	}
	rinfo := Describe(root.Cert)
	if !rinfo.IsCA || rinfo.SelfSigned == nil || !*rinfo.SelfSigned || rinfo.AuthorityKeyID != "" || rinfo.Subject != rinfo.Issuer {
		t.Errorf("root info %+v", rinfo)
	}
	if !reflect.DeepEqual(Describe(nil), CertInfo{}) || FingerprintSHA256(nil) != "" || SubjectKeyIDHex(nil) != "" || SerialString(nil) != "" || RFC2253(nil) != "" {
		t.Error("nil certificate must give zero values")
	}
	if SubjectDNFor(Subject{Country: "germany"}) != "" {
		t.Error("SubjectDNFor of an invalid subject must be empty")
	}
}

func FuzzParseCertificatesPEM(f *testing.F) {
	root := mustRoot(f, caReq("fuzz", KeyEd25519))
	f.Add(root.CertPEM)
	f.Add(root.CertPEM + "x")
	f.Add("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
	f.Fuzz(func(t *testing.T, s string) {
		certs, err := ParseCertificatesPEM(s)
		if err == nil {
			for _, c := range certs {
				_ = Describe(c)
			}
			_, _ = ParseIssuerCert(s, s)
		}
	})
}

func FuzzParsePrivateKeyPEM(f *testing.F) {
	root := mustRoot(f, caReq("fuzz key", KeyEd25519))
	f.Add(root.PrivateKeyPEM)
	f.Add(root.CertPEM)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParsePrivateKeyPEM(s)
	})
}

func FuzzValidators(f *testing.F) {
	for _, s := range []string{"*.example.com", "a.*.b", "pg_x", "public", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = ValidateDNSName(s)
		_ = ValidateDNSConstraint(s)
		_ = ValidateRoleName(s)
		_ = (Subject{CommonName: s, EmailAddress: s, Country: s}).Validate()
		_, _ = ParseKeyType(s)
	})
}

func boolPtr(b bool) *bool { return &b }

// TestDescribeMatchesOpenSSL describes every certificate of the openssl
// corpus (RSA with every digest, RSA-PSS, NIST/brainpool/secp256k1/explicit
// EC, Ed25519, Ed448, DSA, negative and zero serials, foreign-signed) and
// compares each field with what openssl prints for it.
func TestDescribeMatchesOpenSSL(t *testing.T) {
	bin := requireOpenSSL(t)
	o := testpki.OpenSSL{Bin: bin, Dir: t.TempDir()}
	corpus := testpki.OpenSSLCorpus(t, bin)
	var all strings.Builder
	for _, cc := range corpus {
		all.WriteString(cc.Name + "\n" + cc.PEM)
	}
	infos, err := DescribeCertificatesPEM(all.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(corpus) {
		t.Fatalf("%d certificates described, %d in the corpus", len(infos), len(corpus))
	}
	for i, cc := range corpus {
		t.Run(cc.Name, func(t *testing.T) {
			f := o.ReadFacts(t, cc.PEM)
			got := infos[i]
			want := CertInfo{
				PEM: cc.PEM, Subject: f.Subject, Issuer: f.Issuer, CommonName: f.FirstCN,
				DNSNames: nonNil(f.DNSNames), IPAddresses: nonNil(f.IPs), EmailAddresses: nonNil(f.Emails),
				Serial: f.Serial.String(), NotBefore: f.NotBefore, NotAfter: f.NotAfter,
				FingerprintSHA256: f.SHA256, FingerprintSHA1: f.SHA1, IsCA: f.IsCA,
				KeyType: f.ExpectedKeyType(t), SignatureAlgorithm: f.ExpectedSignatureName(t),
				SubjectKeyID: f.SKI, AuthorityKeyID: f.AKI,
			}
			if cc.SelfSignatureCheckable {
				want.SelfSigned = boolPtr(f.Subject == f.Issuer && f.SelfSignatureVerifies)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Describe =\n%+v\nopenssl says\n%+v", got, want)
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
