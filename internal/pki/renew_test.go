package pki

import (
	"bytes"
	"crypto/x509"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRenewKeepsKey: a renewal that keeps the key gives a certificate with
// the same subject, SANs, public key and SKI and a new serial and validity;
// a root renewed that way still anchors the certificates the previous root
// signed (same name and key), for Go and for openssl; a key of another type
// is refused.
func TestRenewKeepsKey(t *testing.T) {
	requireOpenSSL(t)
	dir := t.TempDir()
	req := caReq("renew root", KeyECDSAP256)
	root := mustRoot(t, req)
	rootKey, err := ParsePrivateKeyPEM(root.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	later := t0.Add(24 * time.Hour)
	root2, err := RenewRootCA(req, rootKey, later, testRand(71))
	if err != nil {
		t.Fatal(err)
	}
	if root2.Cert.SerialNumber.Cmp(root.Cert.SerialNumber) == 0 || !bytes.Equal(root2.Cert.RawSubject, root.Cert.RawSubject) ||
		!bytes.Equal(root2.Cert.SubjectKeyId, root.Cert.SubjectKeyId) || root2.PrivateKeyPEM != root.PrivateKeyPEM ||
		!root2.Cert.NotBefore.After(root.Cert.NotBefore) {
		t.Errorf("renewed root: serial %s/%s, same subject %v, same SKI %v, same key %v",
			root.Cert.SerialNumber, root2.Cert.SerialNumber, bytes.Equal(root2.Cert.RawSubject, root.Cert.RawSubject),
			bytes.Equal(root2.Cert.SubjectKeyId, root.Cert.SubjectKeyId), root2.PrivateKeyPEM == root.PrivateKeyPEM)
	}
	sreq := ServerRequest{DNSNames: []string{"db.example.com"}, IPAddresses: []netip.Addr{netip.MustParseAddr("10.0.0.5")}, Validity: 48 * time.Hour}
	srv := mustServer(t, issuerOf(t, root), sreq)
	// The old server certificate verifies against the renewed root alone.
	roots := x509.NewCertPool()
	roots.AddCert(root2.Cert)
	if _, err := srv.Cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: later, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("Go: a certificate of the previous root does not verify against the root renewed with its key: %v", err)
	}
	if out, err := openssl(t, "", "verify", "-attime", strconv.FormatInt(later.Add(time.Hour).Unix(), 10), "-purpose", "sslserver",
		"-CAfile", writeFile(t, dir, "root2.pem", root2.CertPEM), writeFile(t, dir, "srv.pem", srv.CertPEM)); err != nil || !strings.Contains(out, ": OK") {
		t.Errorf("openssl: the same: %v\n%s", err, out)
	}

	// A server certificate renewed with its key.
	srvKey, err := ParsePrivateKeyPEM(srv.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv2, err := RenewServerCert(sreq, issuerOf(t, root2), srvKey, later, testRand(72))
	if err != nil {
		t.Fatal(err)
	}
	if srv2.PublicKeyPEM != srv.PublicKeyPEM || !bytes.Equal(srv2.Cert.SubjectKeyId, srv.Cert.SubjectKeyId) ||
		RFC2253(srv2.Cert) != RFC2253(srv.Cert) || strings.Join(srv2.Cert.DNSNames, ",") != strings.Join(srv.Cert.DNSNames, ",") ||
		srv2.Cert.SerialNumber.Cmp(srv.Cert.SerialNumber) == 0 {
		t.Errorf("renewed server certificate does not keep key and identity or has the same serial")
	}
	if out, err := openssl(t, "", "verify", "-attime", strconv.FormatInt(later.Add(time.Hour).Unix(), 10), "-purpose", "sslserver",
		"-CAfile", writeFile(t, dir, "old-root.pem", root.CertPEM), writeFile(t, dir, "srv2.pem", srv2.CertPEM)); err != nil {
		t.Errorf("the renewed server certificate does not verify against the previous root (same name and key): %v\n%s", err, out)
	}
	// Client and intermediate renewals.
	cli := mustClient(t, issuerOf(t, root), ClientRequest{User: "app", Validity: time.Hour})
	cliKey, _ := ParsePrivateKeyPEM(cli.PrivateKeyPEM)
	cli2, err := RenewClientCert(ClientRequest{User: "app", Validity: time.Hour}, issuerOf(t, root), cliKey, later, nil)
	if err != nil || cli2.PublicKeyPEM != cli.PublicKeyPEM || RFC2253(cli2.Cert) != "CN=app" {
		t.Errorf("client renewal: %v", err)
	}
	ireq := caReq("renew inter", KeyECDSAP384)
	ireq.Validity = 365 * 24 * time.Hour
	inter, err := NewIntermediateCA(ireq, issuerOf(t, root), t0, testRand(73))
	if err != nil {
		t.Fatal(err)
	}
	interKey, _ := ParsePrivateKeyPEM(inter.PrivateKeyPEM)
	if inter2, err := RenewIntermediateCA(ireq, issuerOf(t, root), interKey, later, nil); err != nil || inter2.PublicKeyPEM != inter.PublicKeyPEM {
		t.Errorf("intermediate renewal: %v", err)
	}
	// A key of another type is refused.
	if _, err := RenewServerCert(ServerRequest{DNSNames: []string{"x"}, KeyType: KeyRSA2048, Validity: time.Hour}, issuerOf(t, root), srvKey, later, nil); err == nil ||
		InputOf(err) != InputKeyType || !strings.Contains(err.Error(), "keeps its type") {
		t.Errorf("renewal with a key of another type: %v", err)
	}
}
