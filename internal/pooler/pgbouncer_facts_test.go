package pooler

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// These tests pin down PgBouncer 1.18 behaviours the validation relies on,
// each against the real program (with hand-written files that bypass the
// validation): if PgBouncer changes, they say which rule to revisit.

// startRawBouncer runs PgBouncer on a hand-written ini. body is the ini
// without listen_addr/listen_port/unix_socket_dir/logfile, which are added.
func startRawBouncer(t *testing.T, body string, files testserver.RenderedFiles) *testserver.PgBouncer {
	t.Helper()
	dir := testserver.NewPoolerDir(t, "pgtls-rf-")
	port := testserver.FreePort(t)
	ini := strings.ReplaceAll(body, "$DIR", dir) + "listen_addr = 127.0.0.1\nlisten_port = " + strconv.Itoa(port) +
		"\nunix_socket_dir = " + dir + "\nlogfile = " + dir + "/b.log\n"
	all := testserver.RenderedFiles{"b.ini": ini}
	for k, v := range files {
		all[k] = v
	}
	return testserver.StartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "b.ini", LogFile: dir + "/b.log", Files: all})
}

// TestPgBouncerServerTLSIgnoredOnUnixSocket: with server_tls_sslmode =
// verify-full and a database reached through a Unix socket, PgBouncer 1.18
// silently connects WITHOUT TLS. Validate refuses that combination.
func TestPgBouncerServerTLSIgnoredOnUnixSocket(t *testing.T) {
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"alice"}})
	c := PgBouncerINI{
		Databases: []PgBouncerDatabase{{Name: "postgres", Host: pg.SocketDir, Port: i64(pg.Port)}},
		AuthType:  "trust", AuthFile: "/x/userlist.txt",
		ServerTLS: PgBouncerTLS{SSLMode: "verify-full", CAFile: "/x/root.crt"},
	}
	if errs := c.Validate().Errors(); len(errs) != 1 || !strings.Contains(errs[0].String(), "never uses TLS on Unix sockets") {
		t.Fatalf("Validate: %v", errs)
	}
	cli := p.client("pgbouncer")
	b := startRawBouncer(t, "[databases]\npostgres = host="+pg.SocketDir+" port="+strconv.Itoa(pg.Port)+" dbname=postgres\n[pgbouncer]\n"+
		"auth_type = trust\nauth_file = $DIR/userlist.txt\nserver_tls_sslmode = verify-full\nserver_tls_ca_file = $DIR/root.crt\n"+
		"server_tls_cert_file = $DIR/c.crt\nserver_tls_key_file = $DIR/c.key\n",
		testserver.RenderedFiles{"userlist.txt": `"alice" ""` + "\n", "root.crt": p.rootPEM(), "c.crt": cli.CertPEM, "c.key": cli.PrivateKeyPEM})
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(b.Port), "dbname": "postgres", "user": "alice", "sslmode": "disable"},
		testserver.ClientTLS{}, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.ExitCode != 0 {
		t.Fatalf("login through PgBouncer: %s\n%s", r.Stderr, b.Log())
	}
	if got := strings.TrimSpace(r.Stdout); got != "f" {
		t.Fatalf("PgBouncer used TLS on a Unix socket (pg_stat_ssl.ssl = %q): the validation rule is obsolete", got)
	}
}

// TestPgBouncerUserlistHashCommentStopsReading: a '#' line in userlist.txt
// is not a comment for PgBouncer 1.18: it stops reading ("broken auth
// file") and every later user is unknown. RenderUserlist writes ';'
// comments, which PgBouncer skips.
func TestPgBouncerUserlistHashCommentStopsReading(t *testing.T) {
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"alice"}})
	for _, c := range []struct {
		userlist string
		ok       bool
	}{
		{"# users\n\"alice\" \"\"\n", false},
		{mustRender(RenderUserlist("users\n# with a hash in the header", []UserlistEntry{{User: "alice"}})), true},
	} {
		b := startRawBouncer(t, "[databases]\npostgres = host=127.0.0.1 port="+strconv.Itoa(pg.Port)+"\n[pgbouncer]\nauth_type = trust\nauth_file = $DIR/u.txt\n",
			testserver.RenderedFiles{"u.txt": c.userlist})
		r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(b.Port), "dbname": "postgres", "user": "alice", "sslmode": "disable"}, testserver.ClientTLS{}, "SELECT 1")
		if (r.ExitCode == 0) != c.ok {
			t.Errorf("userlist %q: login exit %d (%s), want success=%v", c.userlist, r.ExitCode, r.Stderr, c.ok)
		}
		if !c.ok {
			mustContain(t, "PgBouncer log", b.Log(), "broken auth file")
		}
	}
}

// TestPgBouncerCertNameMatching: PgBouncer 1.18 compares the user name
// with the client certificate like a host name (libusual tls_check_name):
// dNSName SANs first, then the CN, case-insensitively. A certificate with
// CN=ALICE logs in as alice, and one with CN=carol and a DNS SAN "alice"
// logs in as alice too (PostgreSQL would refuse both). pgtls client
// certificates have CN = role and no DNS SAN.
func TestPgBouncerCertNameMatching(t *testing.T) {
	s, err := startBouncerCert(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		cn       string
		sans     []string
		user     string
		loggedIn bool
	}{
		{"upper-case CN", "ALICE", nil, "alice", true},
		{"DNS SAN names another role", "carol", []string{"alice"}, "alice", true},
		{"CN without SAN match", "carol", []string{"dave"}, "alice", false},
		{"exact", "bob", nil, "bob", true},
	} {
		crt, key := s.pki.rawClient(c.cn, c.sans...)
		r := psqlAs(t, s.b.Port, c.user, "verify-full", testserver.ClientTLS{RootCertPEM: s.pki.rootPEM(), CertPEM: crt, KeyPEM: key}, "SELECT current_user")
		if (r.ExitCode == 0) != c.loggedIn {
			t.Errorf("%s: CN=%s SANs %v as %s: exit %d %s, want logged in = %v", c.name, c.cn, c.sans, c.user, r.ExitCode, r.Stderr, c.loggedIn)
		}
	}
}
