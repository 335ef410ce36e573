package check

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"os/exec"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestServerCertificateDNIsRFC2253 runs the check against a real
// PostgreSQL whose certificate has the subject
// /C=DE/O=Ex, Inc/CN=localhost/emailAddress=dba@example.com and an issuer
// with a UTF-8 name: ServerCertificate.Subject and .Issuer are the strings
// `openssl x509 -nameopt RFC2253` prints, which are also what
// pgtls_certificate (pki.RFC2253) reports and clientname=DN compares.
func TestServerCertificateDNIsRFC2253(t *testing.T) {
	testserver.RequirePostgres(t)
	ca := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Prüf-CA", Organization: []string{"Ex, Inc"}}}, nil)
	tmpl := testpki.ServerTemplate("localhost", "localhost", "127.0.0.1")
	tmpl.Subject = pkix.Name{Country: []string{"DE"}, Organization: []string{"Ex, Inc"}, CommonName: "localhost",
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "dba@example.com"}}}
	srv := ca.Issue(t, tmpl)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, CertPEM: srv.CertPEM, KeyPEM: srv.KeyPEM,
		HBA: "hostssl all all 127.0.0.1/32 trust", Roles: []string{"alice"}})
	res := Run(context.Background(), Request{Host: pg.Host, Port: pg.Port, User: "alice", Database: "postgres",
		RootCertPEM: ca.PEM, SSLModes: []SSLMode{ModeVerifyFull}})
	if len(res) != 1 || !res[0].Success || res[0].ServerCertificate == nil {
		t.Fatalf("check failed: %+v", res)
	}
	sc := res[0].ServerCertificate
	want := opensslNames(t, srv.CertPEM)
	if sc.Subject != want["subject"] || sc.Issuer != want["issuer"] {
		t.Errorf("ServerCertificate subject/issuer = %q / %q\nopenssl -nameopt RFC2253  = %q / %q", sc.Subject, sc.Issuer, want["subject"], want["issuer"])
	}
	if sc.Subject != `emailAddress=dba@example.com,CN=localhost,O=Ex\, Inc,C=DE` {
		t.Errorf("subject %q", sc.Subject)
	}
	if sc.Subject != pki.RFC2253(srv.Cert) || sc.Issuer != pki.RFC2253(ca.Cert) {
		t.Errorf("check and pgtls_certificate disagree: %q / %q vs %q / %q", sc.Subject, sc.Issuer, pki.RFC2253(srv.Cert), pki.RFC2253(ca.Cert))
	}
}

func opensslNames(t *testing.T, certPEM string) map[string]string {
	t.Helper()
	cmd := exec.Command(testserver.RequireOpenSSL(t), "x509", "-noout", "-subject", "-issuer", "-nameopt", "RFC2253")
	cmd.Stdin = strings.NewReader(certPEM)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}
