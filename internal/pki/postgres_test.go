package pki

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestRoleNamesAgainstPostgres checks ValidateRoleName against what a real
// PostgreSQL 15 does with CREATE ROLE "<name>" (the provider quotes names).
func TestRoleNamesAgainstPostgres(t *testing.T) {
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	conn := map[string]string{"host": pg.Host, "port": strconv.Itoa(pg.Port), "user": "postgres", "dbname": "postgres", "sslmode": "disable"}
	const (
		accepted  = "accepted"
		reserved  = "reserved"
		truncated = "truncated"
		invalid   = "invalid"
	)
	cases := []struct{ name, server string }{
		{"alice", accepted},
		{"PUBLIC", accepted},
		{"Public", accepted},
		{"None", accepted},
		{"NONE", accepted},
		{"Pg_x", accepted},
		{"pgx", accepted},
		{"current_user", accepted},
		{"session_user", accepted},
		{"all", accepted},
		{"user with space", accepted},
		{"a\"b", accepted},
		{"ünïcödé", accepted},
		{strings.Repeat("a", 63), accepted},
		{strings.Repeat("é", 31) + "a", accepted},
		{"public", reserved},
		{"none", reserved},
		{"pg_", reserved},
		{"pg_custom", reserved},
		{strings.Repeat("b", 64), truncated},
		{strings.Repeat("é", 32), truncated},
		{"", invalid},
	}
	for _, tc := range cases {
		res := testserver.Psql(t, conn, testserver.ClientTLS{}, "CREATE ROLE "+testserver.QuoteIdent(tc.name))
		if res.ExitCode == -1 {
			t.Fatalf("psql did not run: %v", res.Err)
		}
		var got string
		switch {
		case strings.Contains(res.Stderr, "will be truncated"):
			got = truncated
		case res.ExitCode == 0:
			got = accepted
		case strings.Contains(res.Stderr, "is reserved"):
			got = reserved
		default:
			got = invalid
		}
		if got != tc.server {
			t.Errorf("PostgreSQL: CREATE ROLE %q %s, expected %s\n%s", tc.name, got, tc.server, res.Stderr)
		}
		verr := ValidateRoleName(tc.name)
		if (got == accepted) != (verr == nil) {
			t.Errorf("ValidateRoleName(%q) = %v but PostgreSQL %s it", tc.name, verr, got)
		}
	}
}

// identQuote quotes a pg_ident.conf token.
func identQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// TestPostgresAcceptsIssuedCertificates runs a real PostgreSQL 15 with a
// server certificate under two intermediates, and logs in with client
// certificates through cert authentication: by CN, and with clientname=DN
// mapped from SubjectDNFor strings, which proves PostgreSQL computes exactly
// the DN this package renders.
func TestPostgresAcceptsIssuedCertificates(t *testing.T) {
	testserver.RequirePostgres(t)
	root := mustRoot(t, caReq("pg root", KeyECDSAP256))
	inter1, err := NewIntermediateCA(caReq("pg inter 1", KeyECDSAP384), issuerOf(t, root), t0, testRand(51))
	if err != nil {
		t.Fatal(err)
	}
	inter2, err := NewIntermediateCA(caReq("pg inter 2", KeyECDSAP256), issuerOf(t, inter1), t0, testRand(52))
	if err != nil {
		t.Fatal(err)
	}
	iss := issuerOf(t, inter2)
	now := time.Now()
	srv, err := NewServerCert(ServerRequest{DNSNames: []string{"localhost"}, IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Validity: time.Hour}, iss, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	subjects := []Subject{
		{CommonName: "Doe, John", Organization: "Acme+Co", EmailAddress: "john@example.com"},
		{CommonName: `say "hi"; <ok>`, OrganizationalUnit: " lead", Locality: "trail "},
		{CommonName: "Jürgen Müller", Country: "DE", StreetAddress: "Hauptstraße 1", Province: "#1 state"},
		{CommonName: `dom\user`, Organization: "日本"},
	}
	var ident strings.Builder
	for _, s := range subjects {
		ident.WriteString("dn " + identQuote(SubjectDNFor(s)) + " alice\n")
	}
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: srv.FullchainPEM, KeyPEM: srv.PrivateKeyPEM, CAPEM: srv.CABundlePEM,
		HBA: "hostssl all alice 127.0.0.1/32 cert clientname=DN map=dn\n" +
			"hostssl all all 127.0.0.1/32 cert\n",
		Ident: ident.String(),
		Roles: []string{"alice", "bob"},
	})
	conn := func(user string) map[string]string {
		return map[string]string{"host": pg.Host, "port": strconv.Itoa(pg.Port), "user": user, "dbname": "postgres", "sslmode": "verify-full"}
	}
	login := func(user string, cli *Issued) testserver.PsqlResult {
		return testserver.Psql(t, conn(user), testserver.ClientTLS{RootCertPEM: cli.CABundlePEM, CertPEM: cli.FullchainPEM, KeyPEM: cli.PrivateKeyPEM}, "select current_user")
	}
	for _, s := range subjects {
		sub := s
		cli, err := NewClientCert(ClientRequest{User: "alice", Subject: &sub, Validity: time.Hour}, iss, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		res := login("alice", cli)
		if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "alice" {
			t.Errorf("clientname=DN login with subject %q failed (exit %d): %s\n%s", RFC2253(cli.Cert), res.ExitCode, res.Stderr, pg.Log())
		}
	}
	// Negative control: a DN that is not in the map is refused.
	other := Subject{CommonName: "alice", Organization: "Other"}
	cli, err := NewClientCert(ClientRequest{User: "alice", Subject: &other, Validity: time.Hour}, iss, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := login("alice", cli); res.ExitCode == 0 || !strings.Contains(res.Stderr, "certificate authentication failed") {
		t.Errorf("unmapped DN logged in (exit %d): %s", res.ExitCode, res.Stderr)
	}
	// Plain cert authentication by CN.
	bob, err := NewClientCert(ClientRequest{User: "bob", Validity: time.Hour}, iss, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := login("bob", bob); res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "bob" {
		t.Errorf("cert login as bob failed: %s", res.Stderr)
	}
	// bob's certificate does not get him in as alice (DN mismatch) nor
	// as another role by CN.
	if res := login("alice", bob); res.ExitCode == 0 {
		t.Error("bob's certificate logged in as alice")
	}
}

// TestEd25519CABreaksChannelBinding proves the CAKeyTypeWarning claim with
// libpq: SCRAM with channel_binding=require fails against a server
// certificate signed by an Ed25519 CA and works with an ECDSA CA.
func TestEd25519CABreaksChannelBinding(t *testing.T) {
	testserver.RequirePostgres(t)
	for _, tc := range []struct {
		caKey KeyType
		ok    bool
	}{{KeyECDSAP256, true}, {KeyEd25519, false}} {
		t.Run(string(tc.caKey), func(t *testing.T) {
			root := mustRoot(t, caReq("cb root "+string(tc.caKey), tc.caKey))
			srv, err := NewServerCert(ServerRequest{IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Validity: time.Hour}, issuerOf(t, root), time.Now(), nil)
			if err != nil {
				t.Fatal(err)
			}
			pg := testserver.StartPostgres(t, testserver.PostgresConfig{
				SSL: true, CertPEM: srv.FullchainPEM, KeyPEM: srv.PrivateKeyPEM,
				HBA:   "hostssl all carol 127.0.0.1/32 scram-sha-256\n",
				Roles: []string{"carol"},
			})
			pg.Exec(t, "SET password_encryption = 'scram-sha-256'; ALTER ROLE carol PASSWORD 'not-a-real-secret'")
			for _, cb := range []string{"require", "prefer", "disable"} {
				res := testserver.Psql(t, map[string]string{
					"host": pg.Host, "port": strconv.Itoa(pg.Port), "user": "carol", "dbname": "postgres",
					"sslmode": "verify-full", "password": "not-a-real-secret", "channel_binding": cb,
				}, testserver.ClientTLS{RootCertPEM: srv.CABundlePEM}, "select current_user")
				t.Logf("channel_binding=%s: exit %d %s", cb, res.ExitCode, res.Stderr)
				if tc.ok || cb == "disable" {
					if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "carol" {
						t.Fatalf("channel_binding=%s with a %s CA failed (exit %d): %s", cb, tc.caKey, res.ExitCode, res.Stderr)
					}
					continue
				}
				if res.ExitCode == 0 || !strings.Contains(res.Stderr, "could not find digest for NID UNDEF") {
					t.Fatalf("channel_binding=%s: expected libpq to fail with the Ed25519 digest error, got exit %d: %s", cb, res.ExitCode, res.Stderr)
				}
			}
			if w := CAKeyTypeWarning(KeyEd25519); !strings.Contains(w, "could not find digest for NID UNDEF") || !strings.Contains(w, "default channel_binding=prefer") {
				t.Fatal("warning text does not quote the libpq error")
			}
		})
	}
}
