package pki

import (
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// opensslCA makes a CA with the openssl binary and returns its cert and key
// PEM.
func opensslCA(t *testing.T, keyArgs []string, keyConvert []string, exts ...string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	cert := filepath.Join(dir, "cert.pem")
	if out, err := openssl(t, "", append(keyArgs, "-out", key)...); err != nil {
		t.Fatalf("openssl key: %v\n%s", err, out)
	}
	if keyConvert != nil {
		if out, err := openssl(t, "", append(keyConvert, "-in", key, "-out", key+".conv")...); err != nil {
			t.Fatalf("openssl convert: %v\n%s", err, out)
		}
		key += ".conv"
	}
	args := []string{"req", "-x509", "-new", "-key", key, "-out", cert, "-subj", "/O=Foreign/CN=foreign CA", "-days", "30", "-sha256"}
	for _, e := range exts {
		args = append(args, "-addext", e)
	}
	if out, err := openssl(t, "", args...); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	c, _ := os.ReadFile(cert)
	k, _ := os.ReadFile(key)
	return string(c), string(k)
}

// TestForeignOpenSSLCAs imports CAs made by openssl: an EC CA without SKI
// whose key is SEC1, and an RSA CA with pathlen:0 whose key is PKCS#1.
func TestForeignOpenSSLCAs(t *testing.T) {
	requireOpenSSL(t)
	now := time.Now()
	t.Run("ec without SKI, SEC1 key", func(t *testing.T) {
		certPEM, keyPEM := opensslCA(t, []string{"ecparam", "-name", "prime256v1", "-genkey", "-noout"}, nil,
			"basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign", "subjectKeyIdentifier=none", "authorityKeyIdentifier=none")
		if !strings.HasPrefix(keyPEM, "-----BEGIN EC PRIVATE KEY-----") {
			t.Fatalf("expected a SEC1 key, got %q", strings.SplitN(keyPEM, "\n", 2)[0])
		}
		iss, err := ParseIssuer(certPEM, keyPEM, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(iss.Cert.SubjectKeyId) != 0 || iss.Root != iss.Cert {
			t.Fatal("fixture: CA has an SKI or is not its own root")
		}
		srv, err := NewServerCert(ServerRequest{DNSNames: []string{"db.example.com"}, Validity: time.Hour}, iss, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		var spki struct {
			Alg asn1.RawValue
			Key asn1.BitString
		}
		if _, err := asn1.Unmarshal(iss.Cert.RawSubjectPublicKeyInfo, &spki); err != nil {
			t.Fatal(err)
		}
		sum := sha1.Sum(spki.Key.Bytes)
		if string(srv.Cert.AuthorityKeyId) != string(sum[:]) {
			t.Errorf("AKI %x, want the issuer key id %x", srv.Cert.AuthorityKeyId, sum)
		}
		if RFC2253(srv.Cert) != "CN=db.example.com" || Describe(srv.Cert).Issuer != "CN=foreign CA,O=Foreign" {
			t.Errorf("issuer DN %q", Describe(srv.Cert).Issuer)
		}
		dir := t.TempDir()
		out, err := openssl(t, "", "verify", "-CAfile", writeFile(t, dir, "ca.pem", certPEM), "-purpose", "sslserver", writeFile(t, dir, "leaf.pem", srv.CertPEM))
		if err != nil {
			t.Errorf("openssl verify: %v\n%s", err, out)
		}
	})
	t.Run("rsa pathlen 0, PKCS#1 key", func(t *testing.T) {
		certPEM, keyPEM := opensslCA(t, []string{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, []string{"rsa", "-traditional"},
			"basicConstraints=critical,CA:TRUE,pathlen:0", "keyUsage=critical,keyCertSign,cRLSign")
		if !strings.HasPrefix(keyPEM, "-----BEGIN RSA PRIVATE KEY-----") {
			t.Fatalf("expected a PKCS#1 key, got %q", strings.SplitN(keyPEM, "\n", 2)[0])
		}
		iss, err := ParseIssuer(certPEM, keyPEM, "")
		if err != nil {
			t.Fatal(err)
		}
		ireq := caReq("below pathlen 0", KeyECDSAP256)
		ireq.Validity = time.Hour
		if _, err := NewIntermediateCA(ireq, iss, now, nil); err == nil || !strings.Contains(err.Error(), "pathlen:0") {
			t.Errorf("intermediate under pathlen:0: %v", err)
		}
		if err := CheckCanSignCA(iss.Cert); err == nil {
			t.Error("CheckCanSignCA accepted pathlen:0")
		}
		cli, err := NewClientCert(ClientRequest{User: "alice", Validity: time.Hour}, iss, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cli.Cert.SignatureAlgorithm.String() != "SHA256-RSA" {
			t.Errorf("signature %v", cli.Cert.SignatureAlgorithm)
		}
		// A 30-day CA cannot sign a 31-day certificate.
		if _, err := NewClientCert(ClientRequest{User: "alice", Validity: 31 * 24 * time.Hour}, iss, now, nil); err == nil || !strings.Contains(err.Error(), "after its issuer") {
			t.Errorf("outliving the foreign CA: %v", err)
		}
		dir := t.TempDir()
		out, err := openssl(t, "", "verify", "-x509_strict", "-CAfile", writeFile(t, dir, "ca.pem", certPEM), "-purpose", "sslclient", writeFile(t, dir, "leaf.pem", cli.CertPEM))
		if err != nil {
			t.Errorf("openssl verify: %v\n%s", err, out)
		}
	})
}

// TestForeignCAsVerifiersRefuse: a CA not valid yet is refused by the
// plan-time issuer checks, one with a critical extension a verifier does not
// process by ParseIssuerCert, each with the reason; openssl verify fails on
// what such a CA signs.
func TestForeignCAsVerifiersRefuse(t *testing.T) {
	o := testpki.OpenSSL{Bin: requireOpenSSL(t), Dir: t.TempDir()}
	now := time.Now().UTC()
	o.Must(t, "", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-subj", "/CN=leaf", "-out", "leaf.csr")
	// verify signs a leaf with the CA (openssl ca, which honours the CA's
	// dates) and returns openssl verify's output.
	verifyLeaf := func(t *testing.T, ca, key string) (string, error) {
		o.Must(t, "", "x509", "-req", "-in", "leaf.csr", "-CA", ca, "-CAkey", key, "-days", "1", "-out", "leaf.pem")
		return o.Run(t, "", "verify", "-CAfile", ca, "leaf.pem")
	}

	t.Run("not yet valid", func(t *testing.T) {
		cnf := testpki.OpenSSLCADir(t, o.Dir)
		start := now.Add(24 * time.Hour).Truncate(time.Second)
		o.Must(t, "", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "future.key", "-subj", "/CN=future CA", "-out", "future.csr")
		o.Must(t, "", "ca", "-batch", "-config", cnf, "-selfsign", "-keyfile", "future.key", "-in", "future.csr", "-extensions", "v3_ca",
			"-startdate", start.Format("20060102150405Z"), "-enddate", now.Add(30*24*time.Hour).Format("20060102150405Z"), "-notext", "-out", "future.pem")
		caPEM := o.Read(t, "future.pem")
		out, err := verifyLeaf(t, "future.pem", "future.key")
		if err == nil || !strings.Contains(out, "certificate is not yet valid") {
			t.Fatalf("openssl verify should fail with \"certificate is not yet valid\": %v\n%s", err, out)
		}
		// Parsing accepts it (nothing about it is wrong but the time);
		// the plan-time issuer checks refuse it (ValidityWindow's rule).
		ic, err := ParseIssuerCert(caPEM, "")
		if err != nil {
			t.Fatal(err)
		}
		err = ServerRequest{DNSNames: []string{"db.example.com"}, Validity: time.Hour}.CheckIssuer(ic, now)
		want := fmt.Sprintf(`issuer "CN=future CA" is not valid before %s`, start.Format(time.RFC3339))
		if err == nil || !strings.Contains(err.Error(), want) || InputOf(err) != InputIssuer {
			t.Fatalf("CheckIssuer: %v, want %q on the issuer", err, want)
		}
		// Once valid, the same CA is accepted.
		if err := (ServerRequest{DNSNames: []string{"db.example.com"}, Validity: time.Hour}).CheckIssuer(ic, start.Add(time.Second)); err != nil {
			t.Errorf("once valid: %v", err)
		}
	})

	for _, ext := range []struct{ ext, oid string }{
		{"1.2.3.4=critical,ASN1:UTF8String:unknown", "1.2.3.4"},
		{"issuerAltName=critical,DNS:ca.example", "2.5.29.18"},
	} {
		t.Run("critical "+ext.oid, func(t *testing.T) {
			caPEM, keyPEM := opensslCA(t, []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, nil,
				"basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", ext.ext)
			caPath := filepath.Join(o.Dir, "crit.pem")
			keyPath := filepath.Join(o.Dir, "crit.key")
			if err := os.WriteFile(caPath, []byte(caPEM), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(keyPath, []byte(keyPEM), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := verifyLeaf(t, caPath, keyPath)
			if err == nil || !strings.Contains(out, "unhandled critical extension") {
				t.Fatalf("openssl verify should fail with \"unhandled critical extension\": %v\n%s", err, out)
			}
			want := `issuer: certificate "CN=foreign CA,O=Foreign" carries the critical extension(s) ` + ext.oid
			if _, err := ParseIssuerCert(caPEM, ""); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ParseIssuerCert: %v, want %q", err, want)
			}
		})
	}
	t.Run("critical extension in the chain", func(t *testing.T) {
		root := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "odd root"},
			ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}}}, nil)
		inter := root.Intermediate(t, "plain intermediate")
		_, err := ParseIssuerCert(inter.PEM, root.PEM)
		if err == nil || !IsChainError(err) || !strings.Contains(err.Error(), `certificate 1: certificate "CN=odd root" carries the critical extension(s) 1.2.3.4`) {
			t.Errorf("critical extension on the root of the chain: %v", err)
		}
	})
}
