package check

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// Name-constrained CA (permitted DNS subtree only): OpenSSL also checks a
// DNS-looking subject CN of a leaf without dNSName SANs against the
// constraints; Go ignores the CN.
func TestNameConstrainedCAAgreesWithLibpq(t *testing.T) {
	testserver.RequirePostgres(t)
	is, err := pki.NewRootCA(pki.CARequest{Subject: pki.Subject{CommonName: "constrained root"}, Validity: 30 * 24 * time.Hour, MaxPathLen: -1,
		PermittedDNSDomains: []string{"example.test"}}, caEpoch, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := caFromIssued(t, is, "")
	srvEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, c := range []struct {
		name string
		leaf *leaf
	}{
		{"ip-san-cn-outside", ca.issue(t, leafOpts{cn: "pg.other.test", ips: []string{"127.0.0.1"}, eku: srvEKU})},
		{"ip-san-cn-ip", ca.issue(t, leafOpts{cn: "127.0.0.1", ips: []string{"127.0.0.1"}, eku: srvEKU})},
		{"ip-san-cn-single-label", ca.issue(t, leafOpts{cn: "localhost", ips: []string{"127.0.0.1"}, eku: srvEKU})},
		{"ip-san-cn-inside", ca.issue(t, leafOpts{cn: "db.example.test", ips: []string{"127.0.0.1"}, eku: srvEKU})},
		{"dns-san-inside-cn-outside", ca.issue(t, leafOpts{cn: "pg.other.test", dns: []string{"db.example.test"}, ips: []string{"127.0.0.1"}, eku: srvEKU})},
	} {
		t.Run(c.name, func(t *testing.T) {
			eachVersion(t, func(t *testing.T, version int) {
				srv := testserver.StartPostgres(t, testserver.PostgresConfig{Version: version, SSL: true, CertPEM: c.leaf.certPEM, KeyPEM: c.leaf.keyPEM,
					HBA: "host all all 127.0.0.1/32 scram-sha-256", Roles: []string{"alice"}})
				setAlicePassword(t, srv)
				agreeWithLibpq(t, srv.Host, srv.Port, clientCase{name: c.name, major: srv.Major, req: Request{User: "alice", Password: alicePassword, RootCertPEM: ca.pem}}, true)
			})
		})
	}
}

// Two CN attributes, no SANs: libpq (X509_NAME_get_index_by_NID(..., -1))
// checks only the first; Go's Subject.CommonName would be the last.
func TestTwoCommonNamesAgreeWithLibpq(t *testing.T) {
	testserver.RequirePostgres(t)
	ca := newCA(t, "two-cn root")
	l := ca.tp.Issue(t, &x509.Certificate{
		Subject:     pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidCommonName, Value: "first.example"}, {Type: oidCommonName, Value: "second.example"}}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	all := map[SSLMode]bool{ModeDisable: true, ModeAllow: true, ModePrefer: true, ModeRequire: true, ModeVerifyCA: true, ModeVerifyFull: true}
	notFull := map[SSLMode]bool{ModeDisable: true, ModeAllow: true, ModePrefer: true, ModeRequire: true, ModeVerifyCA: true, ModeVerifyFull: false}
	eachVersion(t, func(t *testing.T, version int) {
		srv := testserver.StartPostgres(t, testserver.PostgresConfig{Version: version, SSL: true, CertPEM: l.CertPEM, KeyPEM: l.KeyPEM,
			HBA: "host all all 127.0.0.1/32 scram-sha-256", Roles: []string{"alice"}})
		setAlicePassword(t, srv)
		for _, cc := range []clientCase{
			{name: "first", req: Request{User: "alice", Password: alicePassword, RootCertPEM: ca.pem, ServerName: "first.example"}, want: all},
			{name: "second", req: Request{User: "alice", Password: alicePassword, RootCertPEM: ca.pem, ServerName: "second.example"}, want: notFull},
		} {
			cc.major = srv.Major
			t.Run(cc.name, func(t *testing.T) { agreeWithLibpq(t, srv.Host, srv.Port, cc, true) })
		}
	})
}
