package pki

import (
	"crypto/x509"
	"encoding/base64"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// opensslVerify runs openssl verify with root as the only trust anchor and
// chainPEM as untrusted intermediates.
func opensslVerify(t *testing.T, dir, rootPEM, chainPEM, leafPEM, purpose string, extra ...string) (string, error) {
	t.Helper()
	args := []string{"verify", "-x509_strict", "-attime", strconv.FormatInt(t0.Unix(), 10), "-CAfile", writeFile(t, dir, "root.pem", rootPEM), "-purpose", purpose}
	if chainPEM != "" {
		args = append(args, "-untrusted", writeFile(t, dir, "chain.pem", chainPEM))
	}
	args = append(args, extra...)
	args = append(args, writeFile(t, dir, "leaf.pem", leafPEM))
	return openssl(t, "", args...)
}

func TestOpenSSLVerifyEveryKeyType(t *testing.T) {
	requireOpenSSL(t)
	for _, kt := range fastKeyTypes {
		t.Run(string(kt), func(t *testing.T) {
			dir := t.TempDir()
			root := mustRoot(t, caReq("oracle root "+string(kt), kt))
			iss := issuerOf(t, root)
			srv := mustServer(t, iss, ServerRequest{DNSNames: []string{"db.example.com", "*.pg.example.com"}, IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, KeyType: kt, Validity: 24 * time.Hour})
			cli := mustClient(t, iss, ClientRequest{User: "alice", KeyType: kt, Validity: 24 * time.Hour})
			if out, err := opensslVerify(t, dir, root.CABundlePEM, "", srv.FullchainPEM, "sslserver", "-verify_hostname", "x.pg.example.com"); err != nil || !strings.Contains(out, ": OK") {
				t.Errorf("server: %v\n%s", err, out)
			}
			if out, err := opensslVerify(t, dir, root.CABundlePEM, "", srv.CertPEM, "sslserver", "-verify_ip", "127.0.0.1"); err != nil {
				t.Errorf("server by IP: %v\n%s", err, out)
			}
			if out, err := opensslVerify(t, dir, root.CABundlePEM, "", cli.CertPEM, "sslclient"); err != nil || !strings.Contains(out, ": OK") {
				t.Errorf("client: %v\n%s", err, out)
			}
			// The oracle can say no: EKU is enforced, host names are checked.
			if out, err := opensslVerify(t, dir, root.CABundlePEM, "", cli.CertPEM, "sslserver"); err == nil {
				t.Errorf("openssl accepted a client certificate as a server:\n%s", out)
			}
			if out, err := opensslVerify(t, dir, root.CABundlePEM, "", srv.CertPEM, "sslclient"); err == nil {
				t.Errorf("openssl accepted a server certificate as a client:\n%s", out)
			}
			if out, err := opensslVerify(t, dir, root.CABundlePEM, "", srv.CertPEM, "sslserver", "-verify_hostname", "a.b.pg.example.com"); err == nil {
				t.Errorf("wildcard matched two labels:\n%s", out)
			}
			// openssl reads the keys; the public key matches.
			keyFile := writeFile(t, dir, "key.pem", srv.PrivateKeyPEM)
			out, err := openssl(t, "", "pkey", "-in", keyFile, "-pubout")
			if err != nil || out != srv.PublicKeyPEM {
				t.Errorf("openssl pkey: %v\n%s\nwant\n%s", err, out, srv.PublicKeyPEM)
			}
			// The .pk8 for pgJDBC is the same key in DER.
			key, err := ParsePrivateKeyPEM(cli.PrivateKeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			b64, err := PKCS8DERBase64(key)
			if err != nil {
				t.Fatal(err)
			}
			der, _ := base64.StdEncoding.DecodeString(b64)
			pk8 := dir + "/client.pk8"
			if err := os.WriteFile(pk8, der, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err = openssl(t, "", "pkcs8", "-inform", "DER", "-nocrypt", "-in", pk8)
			if err != nil || out != cli.PrivateKeyPEM {
				t.Errorf("openssl pkcs8 -inform DER: %v\n%s", err, out)
			}
		})
	}
}

func TestOpenSSLVerifyTwoIntermediates(t *testing.T) {
	requireOpenSSL(t)
	for _, kt := range []KeyType{KeyECDSAP256, KeyRSA2048, KeyEd25519} {
		t.Run(string(kt), func(t *testing.T) {
			dir := t.TempDir()
			rr := caReq("chain root "+string(kt), kt)
			rr.MaxPathLen = 2
			root := mustRoot(t, rr)
			r1 := caReq("inter one", kt)
			r1.MaxPathLen = 1
			inter1, err := NewIntermediateCA(r1, issuerOf(t, root), t0, testRand(31))
			if err != nil {
				t.Fatal(err)
			}
			r2 := caReq("inter two", kt)
			r2.MaxPathLen = 0
			inter2, err := NewIntermediateCA(r2, issuerOf(t, inter1), t0, testRand(32))
			if err != nil {
				t.Fatal(err)
			}
			iss := issuerOf(t, inter2)
			srv := mustServer(t, iss, ServerRequest{DNSNames: []string{"db.example.com"}, KeyType: kt, Validity: time.Hour})
			cli := mustClient(t, iss, ClientRequest{User: "bob", KeyType: kt, Validity: time.Hour})
			// fullchain = leaf + inter2 + inter1: what ssl_cert_file holds.
			chain := strings.TrimPrefix(srv.FullchainPEM, srv.CertPEM)
			if chain != inter2.CertPEM+inter1.CertPEM {
				t.Fatal("fullchain order")
			}
			if out, err := opensslVerify(t, dir, srv.CABundlePEM, chain, srv.CertPEM, "sslserver", "-verify_hostname", "db.example.com"); err != nil || !strings.Contains(out, ": OK") {
				t.Errorf("server through 2 intermediates: %v\n%s", err, out)
			}
			if out, err := opensslVerify(t, dir, cli.CABundlePEM, strings.TrimPrefix(cli.FullchainPEM, cli.CertPEM), cli.CertPEM, "sslclient"); err != nil {
				t.Errorf("client through 2 intermediates: %v\n%s", err, out)
			}
			// Without the intermediates the chain cannot be built.
			if out, err := opensslVerify(t, dir, srv.CABundlePEM, "", srv.CertPEM, "sslserver"); err == nil {
				t.Errorf("openssl verified without intermediates:\n%s", out)
			}
		})
	}
}

func TestOpenSSLText(t *testing.T) {
	requireOpenSSL(t)
	r := caReq("text root", KeyECDSAP384)
	r.MaxPathLen = 0
	r.PermittedDNSDomains = []string{"example.com"}
	r.ExcludedIPRanges = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	root := mustRoot(t, r)
	srv := mustServer(t, issuerOf(t, root), ServerRequest{DNSNames: []string{"db.example.com"}, IPAddresses: []netip.Addr{netip.MustParseAddr("192.0.2.1")}, KeyType: KeyRSA2048, Validity: time.Hour})
	text := func(pemText string) string {
		out, err := openssl(t, pemText, "x509", "-noout", "-text")
		if err != nil {
			t.Fatalf("openssl x509 -text: %v\n%s", err, out)
		}
		return out
	}
	rootText := text(root.CertPEM)
	for _, want := range []string{
		"Signature Algorithm: ecdsa-with-SHA384",
		"X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0",
		"X509v3 Key Usage: critical\n                Digital Signature, Certificate Sign, CRL Sign",
		"X509v3 Subject Key Identifier:",
		"X509v3 Name Constraints: critical",
		"Permitted:\n                  DNS:example.com",
		"Excluded:\n                  IP:10.0.0.0/255.0.0.0",
		"Issuer: O = pgtls tests, CN = text root",
		"Subject: O = pgtls tests, CN = text root",
		"Public-Key: (384 bit)",
	} {
		if !strings.Contains(rootText, want) {
			t.Errorf("root text lacks %q:\n%s", want, rootText)
		}
	}
	if strings.Contains(rootText, "Authority Key Identifier") {
		t.Error("root has an AKI")
	}
	srvText := text(srv.CertPEM)
	for _, want := range []string{
		"Signature Algorithm: ecdsa-with-SHA384",
		"X509v3 Basic Constraints: critical\n                CA:FALSE",
		"X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment",
		"X509v3 Extended Key Usage: \n                TLS Web Server Authentication",
		"X509v3 Subject Alternative Name: \n                DNS:db.example.com, IP Address:192.0.2.1",
		"X509v3 Authority Key Identifier:",
		"X509v3 Subject Key Identifier:",
		"Public-Key: (2048 bit)",
		"Subject: CN = db.example.com",
	} {
		if !strings.Contains(srvText, want) {
			t.Errorf("server text lacks %q:\n%s", want, srvText)
		}
	}
	// Serial and fingerprint agree with openssl.
	out, _ := openssl(t, srv.CertPEM, "x509", "-noout", "-fingerprint", "-sha256")
	fp := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(strings.SplitN(out, "=", 2)[1]), ":", ""))
	if fp != FingerprintSHA256(srv.Cert) {
		t.Errorf("fingerprint %s, openssl %s", FingerprintSHA256(srv.Cert), fp)
	}
	out, _ = openssl(t, srv.CertPEM, "x509", "-noout", "-serial")
	if hexSerial := strings.TrimSpace(strings.TrimPrefix(out, "serial=")); !strings.EqualFold(hexSerial, srv.Cert.SerialNumber.Text(16)) && !strings.EqualFold(hexSerial, "0"+srv.Cert.SerialNumber.Text(16)) {
		t.Errorf("serial %s, openssl %s", srv.Cert.SerialNumber.Text(16), hexSerial)
	}
}

// TestOpenSSLRejectsWhatIssuerRefuses forces certificates past the
// issuer-side checks and shows openssl rejects them too.
func TestOpenSSLRejectsWhatIssuerRefuses(t *testing.T) {
	requireOpenSSL(t)
	dir := t.TempDir()
	r := caReq("nc root", KeyECDSAP256)
	r.MaxPathLen = 0
	r.PermittedDNSDomains = []string{"example.com"}
	root := mustRoot(t, r)
	iss := issuerOf(t, root)
	key, _ := GenerateKey(KeyECDSAP256, testRand(41))
	cases := []struct {
		name, want string
		req        ServerRequest
	}{
		{"dns outside", "permitted subtree violation", ServerRequest{DNSNames: []string{"db.other.org"}, Validity: time.Hour}},
		{"host-like CN", "permitted subtree violation", ServerRequest{IPAddresses: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Validity: time.Hour}},
	}
	for _, tc := range cases {
		if _, err := NewServerCert(tc.req, iss, t0, testRand(1)); err == nil {
			t.Fatalf("%s: issuer side accepted", tc.name)
		}
		forced, err := newServerCertWithKey(tc.req, iss, key, t0, testRand(1))
		if err != nil {
			t.Fatal(err)
		}
		out, err := opensslVerify(t, dir, root.CertPEM, "", forced.CertPEM, "sslserver")
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%s: openssl err %v, output:\n%s", tc.name, err, out)
		}
	}
	// An intermediate below pathlen:0, forced past the check.
	tmpl, err := caTemplate(caReq("forced inter", KeyECDSAP256), bigOne(), t0.Add(-time.Minute), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	inter, err := sign(tmpl, iss, key, testRand(1))
	if err != nil {
		t.Fatal(err)
	}
	leafIss := &Issuer{Cert: inter.Cert, Key: key, Root: root.Cert}
	leaf, err := newServerCertWithKey(ServerRequest{DNSNames: []string{"db.example.com"}, Validity: time.Hour}, leafIss, key, t0, testRand(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewServerCert(ServerRequest{DNSNames: []string{"db.example.com"}, Validity: time.Hour}, leafIss, t0, testRand(2)); err == nil || !strings.Contains(err.Error(), "pathlen:0") {
		t.Errorf("issuer side accepted a leaf below a pathlen violation: %v", err)
	}
	out, err := opensslVerify(t, dir, root.CertPEM, inter.CertPEM, leaf.CertPEM, "sslserver")
	if err == nil || !strings.Contains(out, "path length constraint exceeded") {
		t.Errorf("pathlen: openssl err %v, output:\n%s", err, out)
	}
}

// TestOpenSSLChecksHostLikeClientCN shows why a dotted role name is refused
// under DNS name constraints: OpenSSL checks a host-like CN of a client
// certificate too.
func TestOpenSSLChecksHostLikeClientCN(t *testing.T) {
	requireOpenSSL(t)
	dir := t.TempDir()
	r := caReq("client nc root", KeyECDSAP256)
	r.PermittedDNSDomains = []string{"example.com"}
	root := mustRoot(t, r)
	iss := issuerOf(t, root)
	key, _ := GenerateKey(KeyECDSAP256, testRand(71))
	for _, tc := range []struct {
		user string
		ok   bool
	}{{"john.doe", false}, {"john_doe", true}, {"db.example.com", true}} {
		_, ierr := NewClientCert(ClientRequest{User: tc.user, Validity: time.Hour}, iss, t0, testRand(1))
		if (ierr == nil) != tc.ok {
			t.Errorf("%s: issuer side err = %v, want ok=%v", tc.user, ierr, tc.ok)
		}
		tmpl, err := leafTemplate(Subject{CommonName: tc.user}, KeyECDSAP256, x509.ExtKeyUsageClientAuth, bigOne(), t0.Add(-time.Minute), t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		forced, err := sign(tmpl, iss, key, testRand(1))
		if err != nil {
			t.Fatal(err)
		}
		out, verr := opensslVerify(t, dir, root.CertPEM, "", forced.CertPEM, "sslclient")
		if (verr == nil) != tc.ok {
			t.Errorf("%s: openssl verify err = %v, want ok=%v\n%s", tc.user, verr, tc.ok, out)
		}
	}
}
