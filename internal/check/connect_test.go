package check

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestConnectUsesLibpqRules opens sessions with Connect against a real
// PostgreSQL 15 requiring a client certificate, and checks each outcome
// with psql in the same mode: verify-full with the right root and
// certificate gets a TLS session as the certificate's role; a wrong root,
// a wrong host name, a missing certificate fail as psql does; prefer and
// allow are refused before dialing; the unix socket works in disable.
func TestConnectUsesLibpqRules(t *testing.T) {
	ca := newCA(t, "connect root")
	other := newCA(t, "someone else's root")
	srvCert := ca.server(t, "pg.example", []string{"pg.example"}, "127.0.0.1")
	cli := ca.client(t, "app")
	srv := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: srvCert.certPEM, KeyPEM: srvCert.keyPEM, CAPEM: ca.pem,
		HBA:   "hostssl all app 127.0.0.1/32 cert\nhost all all 127.0.0.1/32 reject\n",
		Roles: []string{"app"},
	})
	base := Request{Host: srv.Host, Port: srv.Port, User: "app", Database: "postgres",
		RootCertPEM: ca.pem, ClientCertPEM: cli.certPEM, ClientKeyPEM: cli.keyPEM}
	ctx := context.Background()

	s, err := Connect(ctx, base, ModeVerifyFull)
	if err != nil {
		t.Fatalf("verify-full: %v", err)
	}
	if !s.Encrypted || s.Peer == nil || s.Peer.Subject.CommonName != "pg.example" {
		t.Errorf("session: encrypted=%v peer=%v", s.Encrypted, s.Peer)
	}
	rows, err := queryRows(ctx, s.Conn, "SELECT current_user::text, ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if err != nil || len(rows) != 1 || *rows[0][0] != "app" || *rows[0][1] != "true" {
		t.Errorf("server view: %v %v", rows, err)
	}
	_ = s.Close(ctx)
	if r := psqlFor(t, base, ModeVerifyFull); r.ExitCode != 0 {
		t.Errorf("psql disagrees: %s", r.Stderr)
	}

	for _, tc := range []struct {
		name string
		req  Request
		mode SSLMode
		cat  string
	}{
		{"wrong root", func() Request { r := base; r.RootCertPEM = other.pem; return r }(), ModeVerifyCA, CatCertVerify},
		{"wrong host name", func() Request { r := base; r.ServerName = "other.example"; return r }(), ModeVerifyFull, CatHostname},
		{"no client certificate", func() Request { r := base; r.ClientCertPEM, r.ClientKeyPEM = "", ""; return r }(), ModeRequire, CatServer},
		{"plaintext refused by hba", base, ModeDisable, CatServer},
	} {
		_, err := Connect(ctx, tc.req, tc.mode)
		var ce *ConnectError
		if !errors.As(err, &ce) || ce.Category != tc.cat {
			t.Errorf("%s: %v, want category %s", tc.name, err, tc.cat)
			continue
		}
		if strings.Contains(ce.Msg, "PRIVATE KEY") {
			t.Errorf("%s: error shows key material", tc.name)
		}
		if r := psqlFor(t, tc.req, tc.mode); r.ExitCode == 0 {
			t.Errorf("%s: psql connected where Connect failed (%v)", tc.name, err)
		}
	}
	for _, m := range []SSLMode{ModePrefer, ModeAllow, "bogus"} {
		if _, err := Connect(ctx, base, m); err == nil || !strings.Contains(err.Error(), "sslmode") {
			t.Errorf("mode %s: %v", m, err)
		}
	}

	sock := Request{Host: srv.SocketDir, Port: srv.Port, User: "postgres", Database: "postgres"}
	s, err = Connect(ctx, sock, ModeDisable)
	if err != nil {
		t.Fatalf("unix socket: %v", err)
	}
	if s.Encrypted {
		t.Error("socket session claims TLS")
	}
	_ = s.Close(ctx)
	if _, err := Connect(ctx, sock, ModeRequire); err == nil || !strings.Contains(err.Error(), "unix-domain socket") {
		t.Errorf("socket with require: %v", err)
	}
}
