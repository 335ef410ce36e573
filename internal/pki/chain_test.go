package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

func TestParseCertificatesPEMStrict(t *testing.T) {
	a := mustRoot(t, caReq("a", KeyEd25519))
	b := mustRoot(t, caReq("b", KeyEd25519))
	key := a.PrivateKeyPEM
	withHeader := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"X": "y"}, Bytes: a.Cert.Raw}))
	notCert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}))
	truncated := a.CertPEM[:len(a.CertPEM)-30]
	cases := []struct {
		name, in, wantErr string
		n                 int
	}{
		{"one", a.CertPEM, "", 1},
		{"two with blank lines", a.CertPEM + "\n\r\n" + b.CertPEM + "\n", "", 2},
		{"crlf", strings.ReplaceAll(a.CertPEM, "\n", "\r\n"), "", 1},
		{"empty", "  \n", "empty", 0},
		// Text around blocks is ignored as OpenSSL ignores it; PEM markers
		// outside a well-formed block are not (see internal/x509util).
		{"text before", "hello\n" + a.CertPEM, "", 1},
		{"text after", a.CertPEM + "trailing", "", 1},
		{"text between", a.CertPEM + "x\n" + b.CertPEM, "", 2},
		{"stray marker", a.CertPEM + "-----END CERTIFICATE-----\n", "holds a PEM marker", 0},
		{"key block", a.CertPEM + key, `PEM block 2 (line 10) is a "PRIVATE KEY"`, 0},
		{"headers", withHeader, "PEM block 1 (line 1) has PEM headers", 0},
		{"bad DER", b.CertPEM + notCert, "PEM block 2 (line 10) is not a valid X.509 certificate", 0},
		{"truncated", truncated, "PEM block 1 (line 1) is malformed", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			certs, err := ParseCertificatesPEM(tc.in)
			if tc.wantErr == "" {
				if err != nil || len(certs) != tc.n {
					t.Fatalf("got %d certs, err %v; want %d", len(certs), err, tc.n)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "MC4CAQAw") || strings.Contains(err.Error(), strings.Split(key, "\n")[1]) {
				t.Fatal("error leaks key material")
			}
		})
	}
	if got := EncodeCertificatesPEM(a.Cert, nil, b.Cert); got != a.CertPEM+b.CertPEM {
		t.Error("EncodeCertificatesPEM does not concatenate")
	}
}

func TestParseIssuerErrors(t *testing.T) {
	root := mustRoot(t, caReq("Root", KeyECDSAP256))
	other := mustRoot(t, caReq("Other", KeyECDSAP256))
	iss := issuerOf(t, root)
	inter, err := NewIntermediateCA(caReq("Inter", KeyECDSAP256), iss, t0, testRand(3))
	if err != nil {
		t.Fatal(err)
	}
	leaf := mustServer(t, iss, ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour})
	// A certificate with the root's name but another key: same subject,
	// does not verify.
	fakeRoot, err := NewRootCA(caReq("Root", KeyECDSAP256), t0, testRand(99))
	if err != nil {
		t.Fatal(err)
	}
	// A CA certificate whose keyUsage lacks keyCertSign.
	noSign := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "nosign"}, NotBefore: t0, NotAfter: t0.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature}, nil).PEM

	cases := []struct {
		name                   string
		cert, key, chain, want string
		chainErr               bool
	}{
		{"not a CA", leaf.CertPEM, leaf.PrivateKeyPEM, "", `certificate "CN=db" is not a CA`, false},
		{"no keyCertSign", noSign, "", "", "lacks keyCertSign", false},
		{"two certs", root.CertPEM + other.CertPEM, root.PrivateKeyPEM, "", "holds 2 certificates", false},
		{"malformed cert", "-----BEGIN CERTIFICATE-----\nno#pe\n-----END CERTIFICATE-----\n", root.PrivateKeyPEM, "", "issuer certificate: PEM block 1 (line 1) is malformed", false},
		{"stray marker", root.CertPEM + "x-----BEGIN", root.PrivateKeyPEM, "", "issuer certificate: line 12 holds a PEM marker", false},
		{"key mismatch", root.CertPEM, other.PrivateKeyPEM, "", "does not match the public key", false},
		{"key malformed", root.CertPEM, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "issuer private key: cannot parse", false},
		{"key empty", root.CertPEM, "", "", "issuer private key: private key PEM is empty", false},
		{"chain garbage", inter.CertPEM, inter.PrivateKeyPEM, root.CertPEM + "-----END junk", "issuer chain: line 12 holds a PEM marker", true},
		{"chain not linking", inter.CertPEM, inter.PrivateKeyPEM, other.CertPEM, `certificate 1 "CN=Other,O=pgtls tests" does not link to the issuer`, true},
		{"chain extra after root", inter.CertPEM, inter.PrivateKeyPEM, root.CertPEM + other.CertPEM, `certificate 2 "CN=Other,O=pgtls tests" does not link to the issuer: the path from the issuer already reaches the self-signed root`, true},
		{"chain same name wrong key", inter.CertPEM, inter.PrivateKeyPEM, fakeRoot.CertPEM, "has the name of the issuer of", true},
		{"same-name impostor before the real root", inter.CertPEM, inter.PrivateKeyPEM, fakeRoot.CertPEM + root.CertPEM, "certificate 1 \"CN=Root,O=pgtls tests\" does not link to the issuer: the path from the issuer already reaches the self-signed root", true},
		{"chain holds a leaf", inter.CertPEM, inter.PrivateKeyPEM, leaf.CertPEM, `certificate 1: certificate "CN=db" is not a CA`, true},
		{"root with chain", root.CertPEM, root.PrivateKeyPEM, other.CertPEM, "already reaches the self-signed root", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if key == "" && !strings.Contains(tc.want, "private key PEM is empty") {
				key = root.PrivateKeyPEM
			}
			_, err := ParseIssuer(tc.cert, key, tc.chain)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if IsChainError(err) != tc.chainErr {
				t.Errorf("IsChainError = %v, want %v", IsChainError(err), tc.chainErr)
			}
			for _, k := range []string{root.PrivateKeyPEM, other.PrivateKeyPEM, inter.PrivateKeyPEM} {
				if strings.Contains(err.Error(), strings.Split(k, "\n")[1]) {
					t.Fatal("error leaks key material")
				}
			}
		})
	}
	// The issuer's own certificate in its chain is ignored.
	if _, err := ParseIssuer(root.CertPEM, root.PrivateKeyPEM, root.CertPEM); err != nil {
		t.Errorf("root with itself as chain: %v", err)
	}
	// Hand-made Issuer with a wrong key is refused at issuance.
	bad := &Issuer{Cert: root.Cert, Key: iss.Key}
	bad.Key, _ = ParsePrivateKeyPEM(other.PrivateKeyPEM)
	if _, err := NewServerCert(ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour}, bad, t0, testRand(1)); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatched Issuer: %v", err)
	}
	if _, err := NewServerCert(ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour}, nil, t0, testRand(1)); err == nil {
		t.Error("nil issuer accepted")
	}
}

func bigOne() *big.Int { return big.NewInt(1) }
