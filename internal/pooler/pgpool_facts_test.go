package pooler

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// Pgpool-II 4.3.5 behaviours the validation relies on, each shown with the
// real program on hand-written files that bypass the validation.

// rawPgpool starts Pgpool-II on pgpool.conf text built from a rendered
// base (for the operational settings) plus extra lines appended verbatim.
func rawPgpool(t *testing.T, p *testPKI, pg *testserver.Postgres, hba, extra string) (*testserver.Pgpool, error) {
	t.Helper()
	dir := testserver.NewPoolerDir(t, "pgtls-rq-")
	port := testserver.FreePort(t)
	base, err := pgpoolBase(dir, port, pg.Port).Render()
	if err != nil {
		t.Fatal(err)
	}
	srv := p.server()
	return testserver.TryStartPgpoolRendered(t, testserver.RenderedPgpool{Dir: dir, Port: port, Config: "pgpool.conf", HBA: "pool_hba.conf",
		Files: testserver.RenderedFiles{"pgpool.conf": base + extra, "pool_hba.conf": hba, "pool_passwd": "",
			"server.crt": srv.CertPEM, "server.key": srv.PrivateKeyPEM, "root.crt": p.rootPEM()}})
}

// TestPgpoolTLSSetupFailureServesPlaintext: when the TLS setup fails (here
// an ssl_ecdh_curve that is not an EC curve), Pgpool-II 4.3 starts anyway
// and answers every SSLRequest with N: clients with sslmode=prefer talk in
// clear text. Validate refuses every such value it can know.
func TestPgpoolTLSSetupFailureServesPlaintext(t *testing.T) {
	c := PgpoolConf{SSL: true, SSLCert: "/x/c", SSLKey: "/x/k", SSLECDHCurve: "X25519", EnablePoolHBA: true,
		Backends: []PgpoolBackend{{Host: "127.0.0.1", Port: 5432}}}
	if errs := c.Validate().Errors(); len(errs) != 1 || !strings.Contains(errs[0].String(), "starts without TLS") {
		t.Fatalf("Validate: %v", errs)
	}
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"alice"}})
	g, err := rawPgpool(t, p, pg, "host all all 127.0.0.1/32 trust\n", "ssl_ecdh_curve = 'X25519'\n")
	if err != nil {
		t.Fatal(err)
	}
	ci := map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(g.Port), "dbname": "postgres", "user": "alice", "connect_timeout": "10"}
	ci["sslmode"] = "require"
	if r := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT 1"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "server does not support SSL") {
		t.Fatalf("sslmode=require: exit %d %q; want \"server does not support SSL\" (TLS silently off)\n%s", r.ExitCode, r.Stderr, g.Log())
	}
	ci["sslmode"] = "prefer"
	if r := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT 1"); r.ExitCode != 0 {
		t.Fatalf("sslmode=prefer should fall back to clear text: %s", r.Stderr)
	}
	mustContain(t, "Pgpool-II log", g.Log(), "ECDH: could not create key")
}

// TestPgpoolUnknownParameterIgnored: a misspelt parameter is only an INFO
// message for Pgpool-II 4.3 (below the default log_min_messages, so not
// even logged) and the setting keeps its default, while an invalid value
// for a known parameter stops it. Validate refuses names Pgpool-II does not
// know.
func TestPgpoolUnknownParameterIgnored(t *testing.T) {
	c := PgpoolConf{EnablePoolHBA: true, Backends: []PgpoolBackend{{Host: "127.0.0.1", Port: 5432}},
		Settings: map[string]string{"enable_pool_hbaa": "on"}}
	if errs := c.Validate().Errors(); len(errs) != 1 || !strings.Contains(errs[0].String(), "not a Pgpool-II 4.3 parameter") {
		t.Fatalf("Validate: %v", errs)
	}
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	if _, err := rawPgpool(t, p, pg, "host all all 127.0.0.1/32 trust\n", "enable_pool_hbaa = on\n"); err != nil {
		t.Fatalf("Pgpool-II refused an unknown parameter (the validation rule may be relaxed): %v", err)
	}
	if _, err := rawPgpool(t, p, pg, "host all all 127.0.0.1/32 trust\n", "num_init_children = 'many'\n"); err == nil {
		t.Fatal("Pgpool-II started with an invalid value for a known parameter")
	}
}

// TestPgpoolCertCNCaseInsensitive: Pgpool-II 4.3 compares the certificate
// CN with the user name with strcasecmp: CN=ALICE logs in as alice
// (PostgreSQL would refuse).
func TestPgpoolCertCNCaseInsensitive(t *testing.T) {
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"alice"}})
	g, err := rawPgpool(t, p, pg, "hostssl all all 127.0.0.1/32 cert\n", "")
	if err != nil {
		t.Fatal(err)
	}
	crt, key := p.rawClient("ALICE")
	r := psqlAs(t, g.Port, "alice", "verify-full", testserver.ClientTLS{RootCertPEM: p.rootPEM(), CertPEM: crt, KeyPEM: key}, "SELECT current_user")
	if r.ExitCode != 0 {
		t.Fatalf("CN=ALICE as alice through Pgpool-II: %s (Pgpool-II now compares case-sensitively: update the docs)", r.Stderr)
	}
}

// TestPgpoolParamTableMatchesShowAll compares the generated parameter table
// with the parameters a running Pgpool-II 4.3.5 reports (PGPOOL SHOW ALL).
func TestPgpoolParamTableMatchesShowAll(t *testing.T) {
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	g, err := rawPgpool(t, p, pg, "host all all 127.0.0.1/32 trust\n", "")
	if err != nil {
		t.Fatal(err)
	}
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(g.Port), "dbname": "postgres", "user": "postgres", "sslmode": "disable"},
		testserver.ClientTLS{}, "PGPOOL SHOW ALL")
	if r.ExitCode != 0 {
		t.Fatalf("PGPOOL SHOW ALL: %s", r.Stderr)
	}
	shown := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		name := strings.SplitN(l, "|", 2)[0]
		if base, _, ok := pgpoolParamName(name); ok {
			shown[base] = true
		} else {
			t.Errorf("Pgpool-II shows %q, which the table does not know", name)
		}
	}
	if len(shown) < 100 {
		t.Fatalf("only %d parameters parsed from PGPOOL SHOW ALL:\n%s", len(shown), r.Stdout)
	}
	var missing []string
	for name := range pgpool43Params {
		if !shown[name] {
			missing = append(missing, name)
		}
	}
	// Pgpool-II hides fail_over_on_backend_error (VAR_HIDDEN_IN_SHOW_ALL)
	// and shows array parameters only for configured nodes (here backend 0,
	// no watchdog).
	for _, m := range missing {
		if m != "fail_over_on_backend_error" && !pgpool43Params[m].array {
			t.Errorf("table parameter %q is not in PGPOOL SHOW ALL", m)
		}
	}
}

// TestPgpoolInvalidBooleanIsOn: Pgpool-II 4.3 stores eval_logical's -1
// for a value that is not a boolean, so any typo is read as on:
// allow_clear_text_frontend_auth = 'disabled' turns clear-text password
// requests ON. Validate refuses values that are not booleans.
func TestPgpoolInvalidBooleanIsOn(t *testing.T) {
	c := PgpoolConf{EnablePoolHBA: true, Backends: []PgpoolBackend{{Host: "127.0.0.1", Port: 5432}},
		Settings: map[string]string{"load_balance_mode": "disabled"}}
	if errs := c.Validate().Errors(); len(errs) != 1 || !strings.Contains(errs[0].String(), "must be a boolean") {
		t.Fatalf("Validate: %v", errs)
	}
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	g, err := rawPgpool(t, p, pg, "host all all 127.0.0.1/32 trust\n", "allow_clear_text_frontend_auth = 'disabled'\n")
	if err != nil {
		t.Fatal(err)
	}
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(g.Port), "dbname": "postgres", "user": "postgres", "sslmode": "disable"},
		testserver.ClientTLS{}, "PGPOOL SHOW allow_clear_text_frontend_auth")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "on" {
		t.Fatalf("PGPOOL SHOW allow_clear_text_frontend_auth: exit %d %q %s (want on: the typo is read as true)", r.ExitCode, r.Stdout, r.Stderr)
	}
}

// TestPgpoolSCRAMEntryNotUsable: a SCRAM-SHA-256 verifier in pool_passwd
// cannot authenticate anyone through Pgpool-II 4.3.5: its scram-sha-256
// check needs the password itself (a TEXT or AES entry) and refuses a
// verifier ("has invalid password type"), even a short one and even with
// PostgreSQL trusting Pgpool-II. A verifier with PostgreSQL's 16-byte salt
// (133 characters) would also be cut at 128. That is why
// pgtls_pgpool_passwd offers no SCRAM format and uses AES for
// scram-sha-256.
func TestPgpoolSCRAMEntryNotUsable(t *testing.T) {
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{HBA: "host all all 127.0.0.1/32 trust\n"})
	pg.Exec(t, "CREATE ROLE app LOGIN PASSWORD 'pw'")
	if v := pg.Query(t, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'")[0][0]; len(v) <= pgpoolMaxToken {
		t.Errorf("PostgreSQL's verifier is only %d characters", len(v))
	}
	short := shortSaltVerifier(t, "pw") // 113 characters: not cut
	dir := testserver.NewPoolerDir(t, "pgtls-rs-")
	port := testserver.FreePort(t)
	conf, err := pgpoolBase(dir, port, pg.Port).Render()
	if err != nil {
		t.Fatal(err)
	}
	srv := p.server()
	g := testserver.StartPgpoolRendered(t, testserver.RenderedPgpool{Dir: dir, Port: port, Config: "pgpool.conf", HBA: "pool_hba.conf",
		Files: testserver.RenderedFiles{"pgpool.conf": conf, "pool_hba.conf": "host all all 127.0.0.1/32 scram-sha-256\n",
			"pool_passwd": "app:" + short + "\n", "server.crt": srv.CertPEM, "server.key": srv.PrivateKeyPEM, "root.crt": p.rootPEM()}})
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(g.Port), "dbname": "postgres", "user": "app",
		"password": "pw", "sslmode": "disable"}, testserver.ClientTLS{}, "SELECT 1")
	if r.ExitCode == 0 {
		t.Fatal("a SCRAM entry in pool_passwd authenticated a client through Pgpool-II: a SCRAM format could be offered")
	}
	mustContain(t, "Pgpool-II log", g.Log(), `has invalid password type`)
}

// shortSaltVerifier computes a SCRAM-SHA-256 verifier with a 1-byte salt
// (RFC 5802 with PBKDF2-HMAC-SHA-256, 4096 iterations; ASCII password).
func shortSaltVerifier(t *testing.T, pw string) string {
	t.Helper()
	salt := []byte{7}
	salted, err := pbkdf2.Key(sha256.New, pw, salt, 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	enc := base64.StdEncoding.EncodeToString
	return "SCRAM-SHA-256$4096:" + enc(salt) + "$" + enc(stored[:]) + ":" + enc(mac(salted, "Server Key"))
}
