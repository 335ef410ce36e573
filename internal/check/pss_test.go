package check

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
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
	ca := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "pss root"}, SignatureAlgorithm: x509.SHA256WithRSAPSS}, caKey)
	leafTmpl := testpki.ServerTemplate("localhost", "localhost", "127.0.0.1")
	leafTmpl.SignatureAlgorithm = x509.SHA256WithRSAPSS
	l := ca.Issue(t, leafTmpl)
	if l.Cert.SignatureAlgorithm != x509.SHA256WithRSAPSS {
		t.Fatalf("fixture: leaf signed with %v", l.Cert.SignatureAlgorithm)
	}
	// The npm builds link OpenSSL 1.1, the Debian 15 OpenSSL 3: the
	// server computes its side of channel binding with its own OpenSSL, so
	// every server runs.
	eachVersion(t, func(t *testing.T, version int) {
		srv := testserver.StartPostgres(t, testserver.PostgresConfig{Version: version, SSL: true, CertPEM: l.CertPEM, KeyPEM: l.KeyPEM,
			HBA: "host all all 127.0.0.1/32 scram-sha-256", Roles: []string{"alice"}})
		setAlicePassword(t, srv)
		agreeWithLibpq(t, srv.Host, srv.Port, clientCase{name: "pss", major: srv.Major, req: Request{User: "alice", Password: alicePassword, RootCertPEM: ca.PEM}}, true)
	})
}
