package pki

import (
	"crypto/sha1"
	"encoding/asn1"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
