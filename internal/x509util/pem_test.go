package x509util

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// TestCertificatePEMTextRule compares the PEM rule with OpenSSL: every
// bundle pgtls accepts loads in `openssl verify -CAfile` (as libpq loads
// sslrootcert) and verifies a leaf; every bundle with a broken block that
// pgtls refuses fails to load there too. The only inputs pgtls refuses
// although OpenSSL loads them hold a PEM marker outside a block.
func TestCertificatePEMTextRule(t *testing.T) {
	dir := t.TempDir()
	root := testpki.NewCA(t, "pem rule root")
	inter := root.Intermediate(t, "pem rule intermediate")
	leaf := inter.Server(t, "db.example.com", "db.example.com")
	leafPath := writeFile(t, dir, "leaf.pem", leaf.CertPEM)
	textOut := mustOpenSSL(t, dir, root.PEM, "x509", "-text")
	if !strings.HasPrefix(textOut, "Certificate:") {
		t.Fatalf("openssl x509 -text should put text before the block:\n%.200s", textOut)
	}
	broken := "-----BEGIN CERTIFICATE-----\nMIIB!!notbase64\n-----END CERTIFICATE-----\n"
	b := root.PEM + inter.PEM
	cases := []struct {
		name       string
		bundle     string
		certs      int    // pgtls: number of certificates, 0 = refused
		errWant    string // pgtls error substring
		opensslOK  bool   // openssl verify -CAfile bundle -untrusted? leaf.pem succeeds
		opensslMsg string
	}{
		{name: "plain", bundle: b, certs: 2, opensslOK: true},
		{name: "blank lines", bundle: "\n\n" + root.PEM + "\n\n" + inter.PEM + "\n\n", certs: 2, opensslOK: true},
		{name: "crlf", bundle: strings.ReplaceAll(b, "\n", "\r\n"), certs: 2, opensslOK: true},
		{name: "comment before", bundle: "# pgtls CA bundle\nSubject: CN=pem rule root\n" + b, certs: 2, opensslOK: true},
		{name: "names between", bundle: "pem rule root\n=============\n" + root.PEM + "\npem rule intermediate\n=====\n" + inter.PEM, certs: 2, opensslOK: true},
		{name: "text after", bundle: b + "end of bundle\n", certs: 2, opensslOK: true},
		{name: "openssl x509 -text output", bundle: textOut + inter.PEM, certs: 2, opensslOK: true},
		{name: "broken block first", bundle: broken + b, errWant: "PEM block 1 (line 1) is malformed", opensslMsg: "bad base64 decode"},
		{name: "broken block last", bundle: b + broken, errWant: "PEM block 3 (line", opensslMsg: "bad base64 decode"},
		{name: "begin without end", bundle: b + "-----BEGIN CERTIFICATE-----\nMIIB\n", errWant: "PEM block 3", opensslMsg: "bad end line"},
		{name: "end type mismatch", bundle: strings.Replace(b, "-----END CERTIFICATE-----", "-----END X509 CRL-----", 1), errWant: "PEM block 1 (line 1) is malformed"},
		{name: "truncated", bundle: b[:len(b)-40], errWant: "malformed"},
		// OpenSSL loads these two (it ignores the markers) but they are
		// damaged pastes: refused so nothing is dropped silently.
		{name: "stray end marker", bundle: b + "-----END CERTIFICATE-----\n", errWant: fmt.Sprintf("line %d holds a PEM marker", strings.Count(b, "\n")+1), opensslOK: true},
		{name: "begin not at line start", bundle: root.PEM + "x" + inter.PEM, errWant: "holds a PEM marker"},
		{name: "only text", bundle: "no certificate here\n", errWant: "no certificate found"},
		{name: "empty", bundle: " \n\t", errWant: "certificate PEM is empty"},
		{name: "private key", bundle: root.KeyPEM, errWant: `is a "PRIVATE KEY", not a "CERTIFICATE": a private key does not belong here`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			certs, err := ParseCertificatesPEM(tc.bundle)
			switch {
			case tc.certs > 0 && err != nil:
				t.Errorf("refused: %v", err)
			case tc.certs > 0 && len(certs) != tc.certs:
				t.Errorf("got %d certificates, want %d", len(certs), tc.certs)
			case tc.certs == 0 && err == nil:
				t.Errorf("accepted %d certificates, want an error with %q", len(certs), tc.errWant)
			case tc.certs == 0 && !strings.Contains(err.Error(), tc.errWant):
				t.Errorf("error %q does not contain %q", err, tc.errWant)
			}
			if err != nil && strings.Contains(err.Error(), "MII") {
				t.Errorf("error echoes PEM content: %v", err)
			}
			if tc.name == "empty" || tc.name == "only text" || tc.name == "private key" {
				return
			}
			// The bundle holds the intermediate too, so it must verify the
			// leaf (OpenSSL takes the intermediate from the CA file).
			bundlePath := writeFile(t, dir, "bundle-"+strings.ReplaceAll(tc.name, " ", "_")+".pem", tc.bundle)
			out, oerr := openssl(t, dir, "", "verify", "-CAfile", bundlePath, leafPath)
			if tc.opensslOK != (oerr == nil) {
				t.Errorf("openssl verify: ok=%v, want ok=%v\n%s", oerr == nil, tc.opensslOK, out)
			}
			if tc.opensslMsg != "" && !strings.Contains(out, tc.opensslMsg) {
				t.Errorf("openssl output lacks %q:\n%s", tc.opensslMsg, out)
			}
		})
	}
}

func TestCertificatePEMHeadersAndLax(t *testing.T) {
	root := testpki.NewCA(t, "headers")
	withHeader := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Comment": "x"}, Bytes: root.Cert.Raw}))
	if _, err := ParseCertificatesPEM(withHeader); err == nil || !strings.Contains(err.Error(), "PEM block 1 (line 1) has PEM headers") {
		t.Errorf("headers: %v", err)
	}
	garbage := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}))
	for _, parse := range []func(string) ([]*x509.Certificate, error){ParseCertificatesPEM, ParseCertificatesPEMLax} {
		if _, err := parse(garbage); err == nil || !strings.Contains(err.Error(), "PEM block 1 (line 1) is not a valid X.509 certificate") {
			t.Errorf("garbage DER: %v", err)
		}
	}
	certs, err := ParseCertificatesPEMLax(root.PEM)
	if err != nil || len(certs) != 1 || !bytes.Equal(certs[0].Raw, root.Cert.Raw) {
		t.Fatalf("lax parse of a plain certificate: %v", err)
	}
	if got := EncodeCertificatesPEM(nil, root.Cert, nil); got != root.PEM {
		t.Errorf("EncodeCertificatesPEM = %q", got)
	}
}

// TestPrivateKeyPEMFromOpenSSL parses the key files openssl writes and
// compares the public key with what openssl derives from the same file.
func TestPrivateKeyPEMFromOpenSSL(t *testing.T) {
	dir := t.TempDir()
	type keyCase struct {
		name    string
		make    [][]string // openssl commands writing key.pem (run in order)
		header  string     // first line expected in the file
		errWant string     // "" = accepted
	}
	cases := []keyCase{
		{name: "pkcs8 ec", make: [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem"}}, header: "-----BEGIN PRIVATE KEY-----"},
		{name: "pkcs8 rsa", make: [][]string{{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem"}}, header: "-----BEGIN PRIVATE KEY-----"},
		{name: "pkcs8 ed25519", make: [][]string{{"genpkey", "-algorithm", "ED25519", "-out", "key.pem"}}, header: "-----BEGIN PRIVATE KEY-----"},
		{name: "pkcs1 rsa", make: [][]string{{"genrsa", "-traditional", "-out", "key.pem", "2048"}}, header: "-----BEGIN RSA PRIVATE KEY-----"},
		{name: "sec1 ec", make: [][]string{{"ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "key.pem"}}, header: "-----BEGIN EC PRIVATE KEY-----"},
		{name: "ecparam with parameters block", make: [][]string{{"ecparam", "-name", "prime256v1", "-genkey", "-out", "key.pem"}}, header: "-----BEGIN EC PARAMETERS-----"},
		{name: "encrypted pkcs8", make: [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:not-a-secret", "-out", "key.pem"}},
			header: "-----BEGIN ENCRYPTED PRIVATE KEY-----", errWant: "PEM block 1 (line 1) is an encrypted private key"},
		{name: "encrypted pkcs1", make: [][]string{{"genrsa", "-traditional", "-aes256", "-passout", "pass:not-a-secret", "-out", "key.pem", "2048"}},
			header: "-----BEGIN RSA PRIVATE KEY-----", errWant: "is encrypted (DEK-Info header)"},
		{name: "ed448 (Go has no Ed448 keys)", make: [][]string{{"genpkey", "-algorithm", "ED448", "-out", "key.pem"}},
			header: "-----BEGIN PRIVATE KEY-----", errWant: `cannot parse the "PRIVATE KEY" block`},
		{name: "x25519 cannot sign", make: [][]string{{"genpkey", "-algorithm", "X25519", "-out", "key.pem"}},
			header: "-----BEGIN PRIVATE KEY-----", errWant: "which cannot sign"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sub := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range tc.make {
				mustOpenSSL(t, sub, "", cmd...)
			}
			keyPEM := readFile(t, filepath.Join(sub, "key.pem"))
			if !strings.HasPrefix(keyPEM, tc.header) {
				t.Fatalf("openssl wrote %q, expected %q", strings.SplitN(keyPEM, "\n", 2)[0], tc.header)
			}
			key, err := ParsePrivateKeyPEM(keyPEM)
			if tc.errWant != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errWant) {
					t.Fatalf("error %v, want %q", err, tc.errWant)
				}
				if strings.Contains(err.Error(), "MII") {
					t.Errorf("error echoes key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := x509.MarshalPKIXPublicKey(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			mustOpenSSL(t, sub, "", "pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "pub.der")
			if der := readFile(t, filepath.Join(sub, "pub.der")); der != string(got) {
				t.Error("public key differs from openssl pkey -pubout")
			}
			// Text around the block is accepted like for certificates.
			if _, err := ParsePrivateKeyPEM("my key\n" + keyPEM + "\n(end)\n"); err != nil {
				t.Errorf("text around the key: %v", err)
			}
		})
	}
	ca := testpki.NewCA(t, "k")
	for name, tc := range map[string]struct{ in, want string }{
		"two keys":        {ca.KeyPEM + ca.KeyPEM, "PEM block 2 (line 6) is a second private key"},
		"certificate":     {ca.PEM, `PEM block 1 (line 1) is a "CERTIFICATE", not a private key`},
		"cert+key":        {ca.PEM + ca.KeyPEM, `is a "CERTIFICATE", not a private key`},
		"empty":           {"", "private key PEM is empty"},
		"no block":        {"hello", "no private key found"},
		"broken":          {strings.Replace(ca.KeyPEM, "\n", "\n!", 2), "PEM block 1 (line 1) is malformed"},
		"parameters only": {string(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}})), "no private key found"},
	} {
		if _, err := ParsePrivateKeyPEM(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

// TestCRLPEMFromOpenSSL parses a CRL made by `openssl ca -gencrl` after a
// revocation and compares issuer, dates and revoked serials with
// `openssl crl -text`.
func TestCRLPEMFromOpenSSL(t *testing.T) {
	dir := t.TempDir()
	cnf := testpki.OpenSSLCADir(t, dir)
	mustOpenSSL(t, dir, "", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "ca.key", "-subj", "/O=Ex, Inc/CN=crl CA", "-days", "2", "-out", "ca.pem")
	mustOpenSSL(t, dir, "", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "leaf.key", "-subj", "/CN=revoked leaf", "-out", "leaf.csr")
	mustOpenSSL(t, dir, "", "ca", "-batch", "-config", cnf, "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "leaf.csr", "-out", "leaf.pem", "-notext")
	mustOpenSSL(t, dir, "", "ca", "-config", cnf, "-cert", "ca.pem", "-keyfile", "ca.key", "-revoke", "leaf.pem")
	mustOpenSSL(t, dir, "", "ca", "-config", cnf, "-cert", "ca.pem", "-keyfile", "ca.key", "-gencrl", "-out", "crl.pem")
	crlPEM := readFile(t, filepath.Join(dir, "crl.pem"))
	text := mustOpenSSL(t, dir, "", "crl", "-in", "crl.pem", "-noout", "-text", "-nameopt", "RFC2253")

	crls, err := ParseCRLsPEM("CRL of the crl CA\n" + crlPEM + crlPEM)
	if err != nil {
		t.Fatal(err)
	}
	if len(crls) != 2 {
		t.Fatalf("%d CRLs, want 2", len(crls))
	}
	l := crls[0]
	if want := "Issuer: " + RFC2253(l.RawIssuer); !strings.Contains(text, want) {
		t.Errorf("openssl crl -text lacks %q:\n%s", want, text)
	}
	if len(l.RevokedCertificateEntries) != 1 {
		t.Fatalf("%d revoked entries, want 1", len(l.RevokedCertificateEntries))
	}
	serial := strings.ToUpper(l.RevokedCertificateEntries[0].SerialNumber.Text(16))
	if !strings.Contains(text, "Serial Number: "+serial) {
		t.Errorf("revoked serial %s not in openssl's output:\n%s", serial, text)
	}
	for _, f := range []struct{ label, value string }{
		{"Last Update: ", l.ThisUpdate.UTC().Format("Jan _2 15:04:05 2006 GMT")},
		{"Next Update: ", l.NextUpdate.UTC().Format("Jan _2 15:04:05 2006 GMT")},
	} {
		if !strings.Contains(text, f.label+f.value) {
			t.Errorf("openssl crl -text lacks %q", f.label+f.value)
		}
	}
	ca := testpki.NewCA(t, "x")
	for name, tc := range map[string]struct{ in, want string }{
		"certificate": {ca.PEM, `PEM block 1 (line 1) is a "CERTIFICATE", not a "X509 CRL"`},
		"empty":       {"\n", "CRL PEM is empty"},
		"no block":    {"none", "no CRL found"},
		"broken":      {crlPEM[:len(crlPEM)-30], "PEM block 1 (line 1) is malformed"},
		"garbage DER": {string(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte{0x30, 0}})), "PEM block 1 (line 1) is not a valid CRL"},
	} {
		if _, err := ParseCRLsPEM(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

func FuzzParsePEM(f *testing.F) {
	ca := testpki.NewCA(f, "fuzz")
	for _, s := range []string{ca.PEM, ca.KeyPEM, "x\n" + ca.PEM + "y\n", ca.PEM[:40], "-----BEGIN X-----\n-----END X-----\n", string(ca.Cert.Raw)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if certs, err := ParseCertificatesPEMLax(s); err == nil {
			for _, c := range certs {
				_ = SignatureAlgorithmName(c)
				_, _ = SelfSigned(c)
				_, _ = ParsePublicKeyInfo(c.RawSubjectPublicKeyInfo)
				_ = UnhandledCriticalExtensions(c)
			}
		}
		_, _ = ParsePrivateKeyPEM(s)
		_, _ = ParseCRLsPEM(s)
		_, _ = ParseCertificateLax([]byte(s))
	})
}
