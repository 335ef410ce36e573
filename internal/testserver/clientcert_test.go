package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "testserver test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pemOf("CERTIFICATE", der)}
}

// leaf issues a certificate; server certs get 127.0.0.1/localhost SANs.
func (ca *testCA) leaf(t *testing.T, serial int64, cn string, server bool) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(key)
	return pemOf("CERTIFICATE", der), pemOf("PRIVATE KEY", p8)
}

func (ca *testCA) crl(t *testing.T, revoked ...int64) string {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range revoked {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour),
		RevokedCertificateEntries: entries,
	}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("X509 CRL", der)
}

// TestPostgresClientCertAndCRL proves CertPEM/KeyPEM/CAPEM/CRLPEM reach the
// server and ClientTLS cert/key/root/CRL reach psql.
func TestPostgresClientCertAndCRL(t *testing.T) {
	ca := newTestCA(t)
	srvCrt, srvKey := ca.leaf(t, 10, "localhost", true)
	aliceCrt, aliceKey := ca.leaf(t, 11, "alice", false)
	bobCrt, bobKey := ca.leaf(t, 12, "bob", false)
	p := StartPostgres(t, PostgresConfig{
		SSL: true, CertPEM: srvCrt, KeyPEM: srvKey, CAPEM: ca.pem, CRLPEM: ca.crl(t, 12),
		HBA:   "hostssl all all 127.0.0.1/32 cert\n",
		Roles: []string{"alice", "bob"},
	})
	ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(p.Port), "dbname": "postgres", "sslmode": "verify-full", "connect_timeout": "10"}
	ci["user"] = "alice"
	r := Psql(t, ci, ClientTLS{RootCertPEM: ca.pem, CertPEM: aliceCrt, KeyPEM: aliceKey}, "SELECT current_user, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "alice|/CN=alice" {
		t.Fatalf("cert auth as alice: exit %d stdout %q stderr %s\n%s", r.ExitCode, r.Stdout, r.Stderr, p.logTail())
	}
	// No client certificate: the cert method refuses.
	r = Psql(t, ci, ClientTLS{RootCertPEM: ca.pem}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "certificate") {
		t.Errorf("no client cert: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
	// bob's certificate is on the server's CRL.
	ci["user"] = "bob"
	r = Psql(t, ci, ClientTLS{RootCertPEM: ca.pem, CertPEM: bobCrt, KeyPEM: bobKey}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "alert certificate revoked") {
		t.Errorf("revoked client cert: exit %d stderr %q; server log:\n%s", r.ExitCode, r.Stderr, p.logTail())
	}
	// The client-side CRL (sslcrl) revokes the server certificate (libpq
	// reports a plain verify failure); the same connection without it
	// succeeded above, and with a CRL that does not list the server it works.
	ci["user"] = "alice"
	r = Psql(t, ci, ClientTLS{RootCertPEM: ca.pem, CertPEM: aliceCrt, KeyPEM: aliceKey, CRLPEM: ca.crl(t, 12)}, "SELECT 1")
	if r.ExitCode != 0 {
		t.Errorf("client CRL not listing the server cert: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
	r = Psql(t, ci, ClientTLS{RootCertPEM: ca.pem, CertPEM: aliceCrt, KeyPEM: aliceKey, CRLPEM: ca.crl(t, 10)}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "certificate verify failed") {
		t.Errorf("client CRL revoking the server cert: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
	// libpq verifies the chain in sslmode=require too once a root file is given.
	other := newTestCA(t)
	ci["sslmode"] = "require"
	r = Psql(t, ci, ClientTLS{RootCertPEM: other.pem, CertPEM: aliceCrt, KeyPEM: aliceKey}, "SELECT 1")
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
