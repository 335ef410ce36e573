package pooler

import (
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// bouncerCertSetup is seed 001's deployment rendered by this package:
// clients authenticate to PgBouncer 1.18 with certificates (auth_type cert,
// client_tls_sslmode verify-full), PgBouncer talks TLS verify-full to
// PostgreSQL with its own client certificate (CN=pgbouncer, mapped to the
// roles by pg_ident).
type bouncerCertSetup struct {
	pki   *testPKI
	pg    *testserver.Postgres
	b     *testserver.PgBouncer
	alice testserver.ClientTLS
	ini   string
}

func startBouncerCert(t *testing.T, mutate func(c *PgBouncerINI)) (*bouncerCertSetup, error) {
	t.Helper()
	p := newTestPKI(t)
	pgCert, bncCert, bncClient := p.server(), p.server(), p.client("pgbouncer")
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: pgCert.CertPEM, KeyPEM: pgCert.PrivateKeyPEM, CAPEM: p.rootPEM(),
		HBA:   "hostssl all all 127.0.0.1/32 cert map=bouncer\n",
		Ident: "bouncer pgbouncer alice\nbouncer pgbouncer bob\n",
		Roles: []string{"alice", "bob"},
	})
	dir := testserver.NewPoolerDir(t, "pgtls-rb-")
	port := testserver.FreePort(t)
	users, err := RenderUserlist("users known to PgBouncer (cert auth: no passwords)", []UserlistEntry{{User: "alice"}, {User: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &PgBouncerINI{
		Version: PgBouncer118,
		Header:  "seed 001: cert auth to PgBouncer, TLS verify-full to PostgreSQL",
		Databases: []PgBouncerDatabase{
			{Name: "postgres", Host: "127.0.0.1", Port: i64(pg.Port), DBName: "postgres"},
		},
		ListenAddr:    []string{"127.0.0.1"},
		ListenPort:    i64(port),
		UnixSocketDir: strp(dir),
		LogFile:       join(dir, "pgbouncer.log"),
		PidFile:       join(dir, "pgbouncer.pid"),
		AuthType:      "cert",
		AuthFile:      join(dir, "userlist.txt"),
		ClientTLS: PgBouncerTLS{
			SSLMode: "verify-full", CAFile: join(dir, "root.crt"),
			CertFile: join(dir, "server.crt"), KeyFile: join(dir, "server.key"),
			Protocols: "tlsv1.2,tlsv1.3", Ciphers: "HIGH:!aNULL:!eNULL", ECDHCurve: "prime256v1", DHEParams: "auto",
		},
		ServerTLS: PgBouncerTLS{
			SSLMode: "verify-full", CAFile: join(dir, "root.crt"),
			CertFile: join(dir, "backend.crt"), KeyFile: join(dir, "backend.key"),
			Protocols: "secure", Ciphers: "fast",
		},
		Settings: map[string]string{"ignore_startup_parameters": "extra_float_digits"},
	}
	if mutate != nil {
		mutate(c)
	}
	ini, err := c.Render()
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	b, err := testserver.TryStartPgBouncerRendered(t, testserver.RenderedPgBouncer{
		Dir: dir, Port: port, Config: "pgbouncer.ini", LogFile: c.LogFile,
		Files: testserver.RenderedFiles{
			"pgbouncer.ini": ini, "userlist.txt": users, "root.crt": p.rootPEM(),
			"server.crt": bncCert.CertPEM, "server.key": bncCert.PrivateKeyPEM,
			"backend.crt": bncClient.CertPEM, "backend.key": bncClient.PrivateKeyPEM,
		},
	})
	alice := p.client("alice")
	return &bouncerCertSetup{pki: p, pg: pg, b: b, ini: ini,
		alice: testserver.ClientTLS{RootCertPEM: p.rootPEM(), CertPEM: alice.CertPEM, KeyPEM: alice.PrivateKeyPEM}}, err
}

// TestPgBouncerRenderedCertAuthAndServerTLS starts a real PgBouncer 1.18
// from a rendered pgbouncer.ini: the CN's role logs in over TLS and reaches
// PostgreSQL over TLS with PgBouncer's own certificate; another role with
// the same certificate, a client without TLS and one without a certificate
// are refused.
func TestPgBouncerRenderedCertAuthAndServerTLS(t *testing.T) {
	s, err := startBouncerCert(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := psqlAs(t, s.b.Port, "alice", "verify-full", s.alice,
		"SELECT current_user, s.ssl, s.client_dn FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()")
	if r.ExitCode != 0 {
		t.Fatalf("alice with her certificate: exit %d: %s\n%s\n%s", r.ExitCode, r.Stderr, s.ini, s.b.Log())
	}
	if got := strings.TrimSpace(r.Stdout); got != "alice|t|/CN=pgbouncer" {
		t.Errorf("alice through PgBouncer: got %q, want alice over TLS with PgBouncer's certificate (alice|t|/CN=pgbouncer)", got)
	}
	mustContain(t, "PgBouncer log", s.b.Log(), "tls=TLSv1.3")

	// Same certificate, another role: refused by PgBouncer.
	r = psqlAs(t, s.b.Port, "bob", "verify-full", s.alice, "SELECT 1")
	if r.ExitCode == 0 {
		t.Errorf("bob got in with alice's certificate")
	}
	mustContain(t, "bob's refusal", r.Stderr, "certificate authentication failed")
	mustContain(t, "PgBouncer log", s.b.Log(), "TLS certificate name mismatch")

	// No TLS: refused.
	r = psqlAs(t, s.b.Port, "alice", "disable", testserver.ClientTLS{}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "SSL required") {
		t.Errorf("plaintext client: exit %d stderr %q, want SSL required", r.ExitCode, r.Stderr)
	}
	// TLS without a client certificate: refused in the handshake.
	r = psqlAs(t, s.b.Port, "alice", "verify-full", testserver.ClientTLS{RootCertPEM: s.pki.rootPEM()}, "SELECT 1")
	if r.ExitCode == 0 {
		t.Errorf("client without a certificate got in")
	}
}
