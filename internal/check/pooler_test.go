package check

import (
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// The same comparison with psql through PgBouncer 1.18 and Pgpool-II 4.3.5:
// no special casing, except that pg_stat_ssl must not be reported (it would
// describe the pooler's own connection to the backend).

func TestPgBouncerAgreesWithLibpq(t *testing.T) {
	testserver.RequirePostgres(t)
	testserver.RequirePgBouncer(t)
	ca := newCA(t, "pgbouncer test root")
	other := newCA(t, "unrelated root")
	srvCert := ca.server(t, "localhost", []string{"localhost"}, "127.0.0.1")
	alice := ca.client(t, "alice")
	bob := ca.client(t, "bob")
	backend := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"alice", "bob"}})
	users := `"alice" ""` + "\n" + `"bob" ""` + "\n"

	t.Run("tls-allow-trust", func(t *testing.T) {
		b := testserver.StartPgBouncer(t, testserver.PgBouncerConfig{Backend: backend, AuthFile: users,
			CertPEM: srvCert.certPEM, KeyPEM: srvCert.keyPEM, HBA: "host all all 127.0.0.1/32 trust\n",
			Ini: map[string]string{"client_tls_sslmode": "allow"}})
		for _, cc := range []clientCase{
			{name: "no-root", req: Request{User: "alice"}},
			{name: "root", req: Request{User: "alice", RootCertPEM: ca.pem}},
			{name: "servername", req: Request{User: "alice", RootCertPEM: ca.pem, ServerName: "localhost"}},
			{name: "wrong-ca", req: Request{User: "alice", RootCertPEM: other.pem}, paths: map[SSLMode]string{ModePrefer: PathTLSThenPlaintext}},
		} {
			t.Run(cc.name, func(t *testing.T) { agreeWithLibpq(t, b.Host, b.Port, cc, false) })
		}
	})
	t.Run("tls-required-hostssl", func(t *testing.T) {
		b := testserver.StartPgBouncer(t, testserver.PgBouncerConfig{Backend: backend, AuthFile: users,
			CertPEM: srvCert.certPEM, KeyPEM: srvCert.keyPEM, HBA: "hostssl all alice 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n"})
		for _, cc := range []clientCase{
			{name: "alice-root", req: Request{User: "alice", RootCertPEM: ca.pem}},
			{name: "bob-root", req: Request{User: "bob", RootCertPEM: ca.pem}},
		} {
			t.Run(cc.name, func(t *testing.T) { agreeWithLibpq(t, b.Host, b.Port, cc, false) })
		}
	})
	t.Run("cert-auth", func(t *testing.T) {
		b := testserver.StartPgBouncer(t, testserver.PgBouncerConfig{Backend: backend, AuthFile: users,
			CertPEM: srvCert.certPEM, KeyPEM: srvCert.keyPEM, CAPEM: ca.pem,
			Ini: map[string]string{"auth_type": "cert", "client_tls_sslmode": "verify-full"}})
		for _, cc := range []clientCase{
			{name: "alice-cert", req: Request{User: "alice", RootCertPEM: ca.pem, ClientCertPEM: alice.certPEM, ClientKeyPEM: alice.keyPEM}},
			{name: "bob-cert-as-alice", req: Request{User: "alice", RootCertPEM: ca.pem, ClientCertPEM: bob.certPEM, ClientKeyPEM: bob.keyPEM}},
			{name: "no-cert", req: Request{User: "alice", RootCertPEM: ca.pem}},
		} {
			t.Run(cc.name, func(t *testing.T) { agreeWithLibpq(t, b.Host, b.Port, cc, false) })
		}
	})
}

func TestPgpoolAgreesWithLibpq(t *testing.T) {
	testserver.RequirePostgres(t)
	testserver.RequirePgpool(t)
	ca := newCA(t, "pgpool test root")
	other := newCA(t, "unrelated root")
	srvCert := ca.server(t, "localhost", []string{"localhost"}, "127.0.0.1")
	alice := ca.client(t, "alice")
	bob := ca.client(t, "bob")
	backend := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"alice", "bob"}})

	t.Run("ssl-host-trust", func(t *testing.T) {
		g := testserver.StartPgpool(t, testserver.PgpoolConfig{Backend: backend, CertPEM: srvCert.certPEM, KeyPEM: srvCert.keyPEM,
			PoolHBA: "local all all trust\nhost all all 127.0.0.1/32 trust\n"})
		for _, cc := range []clientCase{
			{name: "no-root", req: Request{User: "alice"}},
			{name: "root", req: Request{User: "alice", RootCertPEM: ca.pem}},
			{name: "wrong-ca", req: Request{User: "alice", RootCertPEM: other.pem}, paths: map[SSLMode]string{ModePrefer: PathTLSThenPlaintext}},
		} {
			t.Run(cc.name, func(t *testing.T) { agreeWithLibpq(t, g.Host, g.Port, cc, false) })
		}
	})
	t.Run("hostssl-cert", func(t *testing.T) {
		g := testserver.StartPgpool(t, testserver.PgpoolConfig{Backend: backend, CertPEM: srvCert.certPEM, KeyPEM: srvCert.keyPEM, CAPEM: ca.pem,
			PoolHBA: "local all all trust\nhostssl all all 127.0.0.1/32 cert\n"})
		for _, cc := range []clientCase{
			{name: "alice-cert", req: Request{User: "alice", RootCertPEM: ca.pem, ClientCertPEM: alice.certPEM, ClientKeyPEM: alice.keyPEM}},
			{name: "bob-cert-as-alice", req: Request{User: "alice", RootCertPEM: ca.pem, ClientCertPEM: bob.certPEM, ClientKeyPEM: bob.keyPEM}},
		} {
			t.Run(cc.name, func(t *testing.T) { agreeWithLibpq(t, g.Host, g.Port, cc, false) })
		}
	})
	t.Run("no-ssl", func(t *testing.T) {
		g := testserver.StartPgpool(t, testserver.PgpoolConfig{Backend: backend})
		cc := clientCase{name: "root", req: Request{User: "alice", RootCertPEM: ca.pem},
			paths: map[SSLMode]string{ModePrefer: PathTLSRefusedPlaintext, ModeRequire: PathTLSRefused}}
		agreeWithLibpq(t, g.Host, g.Port, cc, false)
	})
}
