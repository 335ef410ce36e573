package check

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// An RSA-PSS-signed server certificate: channel binding's hash is defined
// by the signature's digest, which OpenSSL may or may not find for PSS.
// Whatever libpq does, Run must do the same.
func TestRSAPSSServerCertAgreesWithLibpq(t *testing.T) {
	testserver.RequirePostgres(t)
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: "pss root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
		SignatureAlgorithm: x509.SHA256WithRSAPSS}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	k := newKey(t)
	leafTmpl := &x509.Certificate{SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		SignatureAlgorithm: x509.SHA256WithRSAPSS}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	// The npm builds link OpenSSL 1.1, the Debian 15 OpenSSL 3: channel
	// binding's digest lookup for PSS is theirs, so every server runs.
	eachVersion(t, func(t *testing.T, version int) {
		srv := testserver.StartPostgres(t, testserver.PostgresConfig{Version: version, SSL: true, CertPEM: certPEM(leafDER), KeyPEM: keyPEM(t, k),
			HBA: "host all all 127.0.0.1/32 scram-sha-256", Roles: []string{"alice"}})
		setAlicePassword(t, srv)
		agreeWithLibpq(t, srv.Host, srv.Port, clientCase{name: "pss", major: srv.Major, req: Request{User: "alice", Password: alicePassword, RootCertPEM: certPEM(caDER)}}, true)
	})
}
