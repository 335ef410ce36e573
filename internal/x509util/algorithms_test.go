package x509util

import (
	"crypto/x509"
	"errors"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestAlgorithmsMatchOpenSSL reads every certificate of the openssl corpus
// with ParseCertificateLax and compares the serial, the signature
// algorithm, the public key description and SelfSigned with what openssl
// prints and verifies.
func TestAlgorithmsMatchOpenSSL(t *testing.T) {
	corpus := testpki.OpenSSLCorpus(t, testserver.RequireOpenSSL(t))
	o := testpki.OpenSSL{Bin: testserver.RequireOpenSSL(t), Dir: t.TempDir()}
	for _, cc := range corpus {
		t.Run(cc.Name, func(t *testing.T) {
			f := o.ReadFacts(t, cc.PEM)
			certs, err := ParseCertificatesPEMLax(cc.PEM)
			if err != nil {
				t.Fatal(err)
			}
			c := certs[0]
			_, goErr := x509.ParseCertificate(c.Raw)
			if c.SerialNumber.Cmp(f.Serial) != 0 {
				t.Errorf("serial %s, openssl %s", c.SerialNumber, f.Serial)
			}
			if got, want := SignatureAlgorithmName(c), f.ExpectedSignatureName(t); got != want {
				t.Errorf("SignatureAlgorithmName = %q, want %q (openssl: %s %s %s salt %d)", got, want, f.SignatureAlgorithm, f.PSSHash, f.PSSMGF, f.PSSSalt)
			}
			info, err := ParsePublicKeyInfo(c.RawSubjectPublicKeyInfo)
			if err != nil {
				t.Fatal(err)
			}
			wantName := map[string]string{"rsaEncryption": "rsa", "rsassaPss": "rsa-pss", "id-ecPublicKey": "ecdsa", "dsaEncryption": "dsa",
				"ED25519": "ed25519", "ED448": "ed448", "X25519": "x25519"}[f.KeyAlgorithm]
			if info.Name != wantName {
				t.Errorf("key algorithm %q, openssl %q", info.Name, f.KeyAlgorithm)
			}
			if (info.Name == "rsa" || info.Name == "rsa-pss" || info.Name == "dsa") && info.Bits != f.KeyBits {
				t.Errorf("key bits %d, openssl %d", info.Bits, f.KeyBits)
			}
			if info.Name == "ecdsa" {
				want := f.NISTCurve
				if want == "" {
					want = f.Curve
				}
				if f.ExplicitCurve {
					want = "explicit"
				}
				if info.Curve != want {
					t.Errorf("curve %q, openssl %q/%q", info.Curve, f.Curve, f.NISTCurve)
				}
			}
			ss, known := SelfSigned(c)
			if known != cc.SelfSignatureCheckable {
				t.Errorf("SelfSigned known = %v, want %v", known, cc.SelfSignatureCheckable)
			}
			if want := f.Subject == f.Issuer && f.SelfSignatureVerifies; known && ss != want {
				t.Errorf("SelfSigned = %v; openssl: subject %q, issuer %q, own-key pkeyutl verify %v\n%s", ss, f.Subject, f.Issuer, f.SelfSignatureVerifies, f.VerifyOutput)
			}
			if !known && !f.SelfSignatureVerifies {
				t.Errorf("openssl does not verify the self-signature either (%s); the corpus expects one pgtls cannot check", f.VerifyOutput)
			}
			if _, err := x509.ParsePKIXPublicKey(c.RawSubjectPublicKeyInfo); err == nil && goErr == nil && c.PublicKey == nil && info.Name != "x25519" {
				t.Errorf("Go parses the key but the certificate has none")
			}
			t.Logf("go: %v; serial %s; sig %q; key %+v; self-signed %v/%v", goErr, c.SerialNumber, SignatureAlgorithmName(c), info.Name+" "+info.Curve, ss, known)
		})
	}
}

func TestSignatureTampered(t *testing.T) {
	ca := testpki.NewCA(t, "tamper")
	if ok, known := SelfSigned(ca.Cert); !ok || !known {
		t.Fatalf("SelfSigned = %v, %v", ok, known)
	}
	bad := *ca.Cert
	bad.Signature = append([]byte(nil), ca.Cert.Signature...)
	bad.Signature[len(bad.Signature)-3] ^= 1
	if ok, known := SelfSigned(&bad); ok || !known {
		t.Errorf("tampered: SelfSigned = %v, %v", ok, known)
	}
	leaf := ca.Client(t, "leaf")
	if err := CheckSignatureFrom(leaf.Cert, ca.Cert); err != nil {
		t.Errorf("leaf from CA: %v", err)
	}
	other := testpki.NewCA(t, "other")
	if err := CheckSignatureFrom(leaf.Cert, other.Cert); err == nil || errors.Is(err, ErrUnsupportedSignature) {
		t.Errorf("leaf from another CA: %v", err)
	}
	if ok, known := SelfSigned(leaf.Cert); ok || !known {
		t.Errorf("leaf: SelfSigned = %v, %v", ok, known)
	}
}
