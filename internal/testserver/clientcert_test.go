package testserver

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// leaf issues a certificate with a fixed serial; server certificates get
// localhost / 127.0.0.1 SANs and serverAuth, others clientAuth.
func leaf(t *testing.T, ca *testpki.CA, serial int64, cn string, server bool) (certPEM, keyPEM string) {
	t.Helper()
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl = testpki.ServerTemplate(cn, "localhost", "127.0.0.1")
	}
	tmpl.SerialNumber = big.NewInt(serial)
	l := ca.Issue(t, tmpl)
	return l.CertPEM, l.KeyPEM
}

// crl is a CRL of ca valid from a minute ago for an hour, revoking serials.
func crl(t *testing.T, ca *testpki.CA, revoked ...int64) string {
	t.Helper()
	var serials []*big.Int
	for _, s := range revoked {
		serials = append(serials, big.NewInt(s))
	}
	return ca.CRL(t, time.Now().Add(-time.Minute), time.Now().Add(time.Hour), serials...)
}

// TestPostgresClientCertAndCRL proves CertPEM/KeyPEM/CAPEM/CRLPEM reach the
// server and ClientTLS cert/key/root/CRL reach psql.
func TestPostgresClientCertAndCRL(t *testing.T) {
	ca := testpki.NewCA(t, "testserver test CA")
	srvCrt, srvKey := leaf(t, ca, 10, "localhost", true)
	aliceCrt, aliceKey := leaf(t, ca, 11, "alice", false)
	bobCrt, bobKey := leaf(t, ca, 12, "bob", false)
	p := StartPostgres(t, PostgresConfig{
		SSL: true, CertPEM: srvCrt, KeyPEM: srvKey, CAPEM: ca.PEM, CRLPEM: crl(t, ca, 12),
		HBA:   "hostssl all all 127.0.0.1/32 cert\n",
		Roles: []string{"alice", "bob"},
	})
	ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(p.Port), "dbname": "postgres", "sslmode": "verify-full", "connect_timeout": "10"}
	ci["user"] = "alice"
	r := Psql(t, ci, ClientTLS{RootCertPEM: ca.PEM, CertPEM: aliceCrt, KeyPEM: aliceKey}, "SELECT current_user, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "alice|/CN=alice" {
		t.Fatalf("cert auth as alice: exit %d stdout %q stderr %s\n%s", r.ExitCode, r.Stdout, r.Stderr, p.logTail())
	}
	// No client certificate: the cert method refuses.
	r = Psql(t, ci, ClientTLS{RootCertPEM: ca.PEM}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "certificate") {
		t.Errorf("no client cert: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
	// bob's certificate is on the server's CRL.
	ci["user"] = "bob"
	r = Psql(t, ci, ClientTLS{RootCertPEM: ca.PEM, CertPEM: bobCrt, KeyPEM: bobKey}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "alert certificate revoked") {
		t.Errorf("revoked client cert: exit %d stderr %q; server log:\n%s", r.ExitCode, r.Stderr, p.logTail())
	}
	// The client-side CRL (sslcrl) revokes the server certificate (libpq
	// reports a plain verify failure); the same connection without it
	// succeeded above, and with a CRL that does not list the server it works.
	ci["user"] = "alice"
	r = Psql(t, ci, ClientTLS{RootCertPEM: ca.PEM, CertPEM: aliceCrt, KeyPEM: aliceKey, CRLPEM: crl(t, ca, 12)}, "SELECT 1")
	if r.ExitCode != 0 {
		t.Errorf("client CRL not listing the server cert: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
	r = Psql(t, ci, ClientTLS{RootCertPEM: ca.PEM, CertPEM: aliceCrt, KeyPEM: aliceKey, CRLPEM: crl(t, ca, 10)}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "certificate verify failed") {
		t.Errorf("client CRL revoking the server cert: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
	// libpq verifies the chain in sslmode=require too once a root file is given.
	other := testpki.NewCA(t, "other CA")
	ci["sslmode"] = "require"
	r = Psql(t, ci, ClientTLS{RootCertPEM: other.PEM, CertPEM: aliceCrt, KeyPEM: aliceKey}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "certificate verify failed") {
		t.Errorf("sslmode=require with a foreign root: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
}

func TestPostgresNoLocalTrustAndIdent(t *testing.T) {
	p := StartPostgres(t, PostgresConfig{
		NoLocalTrust: true,
		HBA:          "local all postgres peer\nhost all all 127.0.0.1/32 reject\n",
		Ident:        "m1 sysuser dbuser\n",
		Roles:        []string{"alice"},
	})
	hba := p.Query(t, "SELECT type, user_name, auth_method FROM pg_hba_file_rules ORDER BY line_number")
	if len(hba) != 2 || hba[0][0] != "local" || hba[0][1] != "{postgres}" || hba[0][2] != "peer" || hba[1][2] != "reject" {
		t.Errorf("pg_hba_file_rules = %q, want exactly the given two lines", hba)
	}
	if got := p.Query(t, "SELECT map_name, sys_name, pg_username FROM pg_ident_file_mappings"); len(got) != 1 || strings.Join(got[0], " ") != "m1 sysuser dbuser" {
		t.Errorf("pg_ident_file_mappings = %q", got)
	}
	if got := p.Exec(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'alice' AND rolcanlogin"); got != "1" {
		t.Errorf("role alice with LOGIN: %s", got)
	}
}
