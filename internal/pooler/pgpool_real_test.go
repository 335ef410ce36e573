package pooler

import (
	crand "crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// pgpoolBase renders the operational part every test Pgpool-II needs
// (sockets, pid file and status file in its own directory, small pool) in
// front of one backend, with TLS towards clients.
func pgpoolBase(dir string, port int, backendPort int) *PgpoolConf {
	pcp := strconv.Itoa(port + 1)
	if port >= 65535 {
		pcp = strconv.Itoa(port - 1)
	}
	return &PgpoolConf{
		Header:                "pgtls pooler test",
		ListenAddresses:       strp("127.0.0.1"),
		Port:                  i64(port),
		SSL:                   true,
		SSLCert:               join(dir, "server.crt"),
		SSLKey:                join(dir, "server.key"),
		SSLCACert:             join(dir, "root.crt"),
		SSLCiphers:            "HIGH:!aNULL",
		SSLECDHCurve:          "prime256v1",
		EnablePoolHBA:         true,
		PoolPasswd:            strp(join(dir, "pool_passwd")),
		BackendClusteringMode: "raw",
		Backends:              []PgpoolBackend{{Host: "127.0.0.1", Port: int64(backendPort), Flag: "DISALLOW_TO_FAILOVER"}},
		Settings: map[string]string{
			"socket_dir": dir, "pcp_socket_dir": dir, "wd_ipc_socket_dir": dir, "logdir": dir,
			"pid_file_name": join(dir, "pgpool.pid"), "pcp_listen_addresses": "", "pcp_port": pcp,
			"num_init_children": "4", "max_pool": "1", "health_check_period": "0", "sr_check_period": "0",
			"load_balance_mode": "off", "failover_on_backend_error": "off", "log_destination": "stderr",
		},
	}
}

type pgpoolSetup struct {
	pki *testPKI
	pg  *testserver.Postgres
	g   *testserver.Pgpool
	dir string
}

// startPgpool renders pgpool.conf, pool_hba.conf and pool_passwd, writes
// the key file and starts a real Pgpool-II 4.3.5 in front of pg.
func startPgpool(t *testing.T, p *testPKI, pg *testserver.Postgres, hba, poolPasswd, key string) (*pgpoolSetup, string, error) {
	t.Helper()
	dir := testserver.NewPoolerDir(t, "pgtls-rp-")
	port := testserver.FreePort(t)
	conf, err := pgpoolBase(dir, port, pg.Port).Render()
	if err != nil {
		t.Fatalf("render pgpool.conf: %v", err)
	}
	srv := p.server()
	files := testserver.RenderedFiles{
		"pgpool.conf": conf, "pool_hba.conf": hba, "pool_passwd": poolPasswd,
		"server.crt": srv.CertPEM, "server.key": srv.PrivateKeyPEM, "root.crt": p.rootPEM(),
	}
	cfg := testserver.RenderedPgpool{Dir: dir, Port: port, Files: files, Config: "pgpool.conf", HBA: "pool_hba.conf"}
	if key != "" {
		files[".pgpoolkey"] = key + "\n"
		cfg.Key = ".pgpoolkey"
	}
	g, err := testserver.TryStartPgpoolRendered(t, cfg)
	return &pgpoolSetup{pki: p, pg: pg, g: g, dir: dir}, conf, err
}

// TestPgpoolRenderedCertAuth is seed 000 rendered by this package: a real
// Pgpool-II 4.3.5 with ssl on, enable_pool_hba and "hostssl all all
// 0.0.0.0/0 cert": the CN's role logs in (PostgreSQL reached over TLS), the
// same certificate for another role and a client without a certificate are
// refused.
func TestPgpoolRenderedCertAuth(t *testing.T) {
	p := newTestPKI(t)
	pgCert := p.server()
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: pgCert.CertPEM, KeyPEM: pgCert.PrivateKeyPEM, CAPEM: p.rootPEM(),
		HBA:   "hostssl all all 127.0.0.1/32 trust\n",
		Roles: []string{"alice", "bob"},
	})
	s, conf, err := startPgpool(t, p, pg, "hostssl all all 0.0.0.0/0 cert\n", "", "")
	if err != nil {
		t.Fatalf("%v\n%s", err, conf)
	}
	alice := p.client("alice")
	tls := testserver.ClientTLS{RootCertPEM: p.rootPEM(), CertPEM: alice.CertPEM, KeyPEM: alice.PrivateKeyPEM}
	r := psqlAs(t, s.g.Port, "alice", "verify-full", tls, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "alice|t" {
		t.Fatalf("alice with her certificate: exit %d %q %s\n%s\n%s", r.ExitCode, r.Stdout, r.Stderr, conf, s.g.Log())
	}
	r = psqlAs(t, s.g.Port, "bob", "verify-full", tls, "SELECT 1")
	if r.ExitCode == 0 {
		t.Errorf("bob got in with alice's certificate")
	}
	mustContain(t, "bob's refusal", r.Stderr, "CERT authentication failed")
	r = psqlAs(t, s.g.Port, "alice", "verify-full", testserver.ClientTLS{RootCertPEM: p.rootPEM()}, "SELECT 1")
	if r.ExitCode == 0 {
		t.Errorf("alice got in without a certificate")
	}
	r = psqlAs(t, s.g.Port, "alice", "disable", testserver.ClientTLS{}, "SELECT 1")
	if r.ExitCode == 0 {
		t.Errorf("alice got in without TLS")
	}
}

// TestPgpoolRenderedSCRAMWithAESPoolPasswd is seed 003 done right: pool_hba
// and pg_hba both hostssl scram-sha-256, pool_passwd holds AES entries this
// package encrypted (the key in Pgpool-II's key file). Pgpool-II decrypts
// them to authenticate the client and to log in to PostgreSQL: the right
// password gets in, a wrong one does not. Users and passwords carry the
// characters the file escapes.
func TestPgpoolRenderedSCRAMWithAESPoolPasswd(t *testing.T) {
	p := newTestPKI(t)
	pgCert := p.server()
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: pgCert.CertPEM, KeyPEM: pgCert.PrivateKeyPEM, CAPEM: p.rootPEM(),
		HBA: "hostssl all all 127.0.0.1/32 scram-sha-256\n",
	})
	users := []struct {
		name, pw string
		format   PoolPasswdFormat
	}{
		{"alice", "correct horse", PoolPasswdAES},
		{`we:ird\us"er`, `p:a\ss'w"rd`, PoolPasswdAES},
		{"maxlen", strings.Repeat("x", MaxAESPasswordLen), PoolPasswdAES},
		{"ünïcode", "pässwörd ✓", PoolPasswdAES},
		{"texter", `t:e\xt`, PoolPasswdText},
	}
	const key = `a pool key: with \ and 'quotes'`
	var entries []PoolPasswdEntry
	for _, u := range users {
		pg.Exec(t, "SET password_encryption = 'scram-sha-256'; CREATE ROLE "+quoteIdent(u.name)+" LOGIN PASSWORD "+quoteLiteral(u.pw))
		sec, err := PoolPasswdSecret(u.format, u.name, u.pw, key)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, PoolPasswdEntry{User: u.name, Secret: sec})
	}
	pp, err := RenderPoolPasswd(entries)
	if err != nil {
		t.Fatal(err)
	}
	s, conf, err := startPgpool(t, p, pg, "hostssl all all 127.0.0.1/32 scram-sha-256\n", pp, key)
	if err != nil {
		t.Fatalf("%v\n%s", err, conf)
	}
	root := testserver.ClientTLS{RootCertPEM: p.rootPEM()}
	for _, u := range users {
		ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(s.g.Port), "dbname": "postgres",
			"user": u.name, "sslmode": "verify-full", "connect_timeout": "10", "password": u.pw}
		r := testserver.Psql(t, ci, root, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
		if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != u.name+"|t" {
			t.Errorf("%q (%s entry) with the right password: exit %d %q %s\n%s", u.name, u.format, r.ExitCode, r.Stdout, r.Stderr, s.g.Log())
		}
		ci["password"] = u.pw + "x"
		r = testserver.Psql(t, ci, root, "SELECT 1")
		if r.ExitCode == 0 {
			t.Errorf("%q got in with a wrong password", u.name)
		}
	}
	// A user without an entry cannot log in (Pgpool-II needs the password
	// to log in to PostgreSQL).
	pg.Exec(t, "CREATE ROLE nobody_listed LOGIN PASSWORD 'pw'")
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(s.g.Port), "dbname": "postgres",
		"user": "nobody_listed", "sslmode": "require", "connect_timeout": "10", "password": "pw"}, testserver.ClientTLS{}, "SELECT 1")
	if r.ExitCode == 0 {
		t.Errorf("a user missing from pool_passwd got in")
	}
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// TestPgpoolRenderedCertAuthSCRAMBackend: clients authenticate to Pgpool-II
// with certificates while PostgreSQL requires scram-sha-256 from Pgpool-II:
// Pgpool-II logs in with the password it decrypts from the AES entry, so
// PostgreSQL never has to trust Pgpool-II's address.
func TestPgpoolRenderedCertAuthSCRAMBackend(t *testing.T) {
	p := newTestPKI(t)
	pgCert := p.server()
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: pgCert.CertPEM, KeyPEM: pgCert.PrivateKeyPEM, CAPEM: p.rootPEM(),
		HBA: "hostssl all all 127.0.0.1/32 scram-sha-256\n",
	})
	pg.Exec(t, "CREATE ROLE alice LOGIN PASSWORD 'alice backend pw'; CREATE ROLE bob LOGIN PASSWORD 'bob pw'")
	const key = "k3y"
	pp, _, err := PoolPasswd{Key: key, Users: []PoolPasswdUser{{Name: "alice", Password: "alice backend pw", Format: PoolPasswdAES}}}.Render()
	if err != nil {
		t.Fatal(err)
	}
	s, conf, err := startPgpool(t, p, pg, "hostssl all all 127.0.0.1/32 cert\n", pp, key)
	if err != nil {
		t.Fatalf("%v\n%s", err, conf)
	}
	alice := p.client("alice")
	tls := testserver.ClientTLS{RootCertPEM: p.rootPEM(), CertPEM: alice.CertPEM, KeyPEM: alice.PrivateKeyPEM}
	r := psqlAs(t, s.g.Port, "alice", "verify-full", tls, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "alice|t" {
		t.Fatalf("alice (cert to Pgpool-II, SCRAM to PostgreSQL): exit %d %q %s\n%s", r.ExitCode, r.Stdout, r.Stderr, s.g.Log())
	}
	bob := p.client("bob")
	r = psqlAs(t, s.g.Port, "bob", "verify-full", testserver.ClientTLS{RootCertPEM: p.rootPEM(), CertPEM: bob.CertPEM, KeyPEM: bob.PrivateKeyPEM}, "SELECT 1")
	if r.ExitCode == 0 {
		t.Errorf("bob got in without a pool_passwd entry for PostgreSQL's SCRAM")
	}
}

// TestPgpoolPoolPasswdRandomRoundTrip: random user names and passwords
// (':' and '\' that the file escapes, quotes, blanks, UTF-8, maximum
// lengths) in AES and TEXT entries, each logged in through a real
// Pgpool-II 4.3.5 to PostgreSQL's scram-sha-256: Pgpool-II must read back
// exactly the password written.
func TestPgpoolPoolPasswdRandomRoundTrip(t *testing.T) {
	testserver.RequirePgpool(t)
	seed := time.Now().UnixNano()
	if s := os.Getenv("PGTLS_FUZZ_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (PGTLS_FUZZ_SEED reproduces)", seed)
	r := rand.New(rand.NewSource(seed))
	alphabet := []string{"a", "Z", "9", ":", "\\", "'", "\"", " ", "#", "$", "é", "✓", "::", "\\\\"}
	random := func(max int) string {
		var b strings.Builder
		for n := 1 + r.Intn(max); b.Len() < n; {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		return b.String()
	}
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{HBA: "host all all 127.0.0.1/32 scram-sha-256\n"})
	const key = `k:e\y "quoted"`
	pp := PoolPasswd{Key: key}
	seen := map[string]bool{}
	for len(pp.Users) < 12 {
		u := PoolPasswdUser{Name: random(20), Password: random(MaxAESPasswordLen), Format: PoolPasswdAES}
		if len(pp.Users)%3 == 2 {
			u.Format, u.Password = PoolPasswdText, random(MaxTextPasswordLen)
		}
		if len(pp.Users) == 0 {
			u.Password = strings.Repeat("x", MaxAESPasswordLen)
		}
		if seen[u.Name] || len(u.Name) > 63 {
			continue
		}
		probe := PoolPasswd{Users: []PoolPasswdUser{u}}
		if u.Format == PoolPasswdAES {
			probe.Key = key
		}
		if probe.Validate().Err() != nil {
			continue
		}
		seen[u.Name] = true
		pp.Users = append(pp.Users, u)
		pg.Exec(t, "CREATE ROLE "+quoteIdent(u.Name)+" LOGIN PASSWORD "+quoteLiteral(u.Password))
	}
	content, _, err := pp.Render()
	if err != nil {
		t.Fatal(err)
	}
	s, conf, err := startPgpool(t, p, pg, "host all all 127.0.0.1/32 scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n", content, key)
	if err != nil {
		t.Fatalf("%v\n%s", err, conf)
	}
	for _, u := range pp.Users {
		ci := map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(s.g.Port), "dbname": "postgres", "user": u.Name,
			"password": u.Password, "sslmode": "require", "connect_timeout": "10"}
		if res := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT current_user"); res.ExitCode != 0 || strings.TrimSuffix(res.Stdout, "\n") != u.Name {
			t.Errorf("%q (%s, %d-byte password): exit %d %q %s\npool_passwd:\n%s", u.Name, u.Format, len(u.Password), res.ExitCode, res.Stdout, res.Stderr, content)
		}
	}
}

// TestPgpoolRenderedRemainingSettings proves the TLS settings the other
// tests do not use with a real Pgpool-II 4.3.5: an encrypted ssl_key opened
// through ssl_passphrase_command, ssl_crl_file refusing a revoked client
// certificate, ssl_dh_params_file, ssl_prefer_server_ciphers, and the
// backend_weight/data_directory/application_name entries as PGPOOL SHOW
// reports them.
func TestPgpoolRenderedRemainingSettings(t *testing.T) {
	openssl := testserver.RequireOpenSSL(t)
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"alice", "bob"}})
	dir := testserver.NewPoolerDir(t, "pgtls-rr-")
	port := testserver.FreePort(t)
	srv := p.server()
	run := func(stdin string, args ...string) string {
		cmd := exec.Command(openssl, args...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("openssl %v: %v", args, err)
		}
		return string(out)
	}
	encKey := run(srv.PrivateKeyPEM, "pkey", "-aes256", "-passout", "pass:k3y pass")
	dh := run("", "dhparam", "-dsaparam", "2048")
	alice, bob := p.client("alice"), p.client("bob")
	crl, err := x509.CreateRevocationList(crand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: bob.Cert.SerialNumber, RevocationTime: time.Now().Add(-time.Minute)}},
	}, p.iss.Cert, p.iss.Key)
	if err != nil {
		t.Fatal(err)
	}
	c := pgpoolBase(dir, port, pg.Port)
	c.SSLKey = join(dir, "server.key.enc")
	c.SSLPassphraseCommand = "/bin/echo k3y pass"
	c.SSLCRLFile = join(dir, "root.crl")
	c.SSLDHParamsFile = join(dir, "dh.pem")
	c.SSLPreferServerCiphers = new(bool)
	*c.SSLPreferServerCiphers = true
	w := 3.0
	c.Backends[0].Weight = &w
	c.Backends[0].DataDirectory = pg.DataDir()
	c.Backends[0].ApplicationName = "node0"
	conf, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	masked, _ := c.RenderMasked()
	if strings.Contains(masked, "k3y") {
		t.Fatalf("review copy shows the passphrase command:\n%s", masked)
	}
	g := testserver.StartPgpoolRendered(t, testserver.RenderedPgpool{Dir: dir, Port: port, Config: "pgpool.conf", HBA: "pool_hba.conf",
		Files: testserver.RenderedFiles{"pgpool.conf": conf, "pool_hba.conf": "hostssl all all 127.0.0.1/32 cert\nhost all postgres 127.0.0.1/32 trust\n",
			"pool_passwd": "", "server.crt": srv.CertPEM, "server.key.enc": encKey, "root.crt": p.rootPEM(), "dh.pem": dh,
			"root.crl": string(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl}))}})
	tlsOf := func(c *pki.Issued) testserver.ClientTLS {
		return testserver.ClientTLS{RootCertPEM: p.rootPEM(), CertPEM: c.CertPEM, KeyPEM: c.PrivateKeyPEM}
	}
	if r := psqlAs(t, g.Port, "alice", "verify-full", tlsOf(alice), "SELECT current_user"); r.ExitCode != 0 {
		t.Fatalf("alice (TLS with the passphrase-protected key): %s\n%s", r.Stderr, g.Log())
	}
	if r := psqlAs(t, g.Port, "bob", "verify-full", tlsOf(bob), "SELECT 1"); r.ExitCode == 0 {
		t.Errorf("bob's revoked certificate was accepted despite ssl_crl_file")
	}
	show := func(name string) string {
		r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(g.Port), "dbname": "postgres", "user": "postgres", "sslmode": "disable"},
			testserver.ClientTLS{}, "PGPOOL SHOW "+name)
		if r.ExitCode != 0 {
			t.Fatalf("PGPOOL SHOW %s: %s", name, r.Stderr)
		}
		return strings.TrimSpace(r.Stdout)
	}
	for name, want := range map[string]string{
		"backend_weight0": "3", "backend_data_directory0": pg.DataDir(), "backend_application_name0": "node0",
		"ssl_prefer_server_ciphers": "on", "ssl_crl_file": c.SSLCRLFile, "ssl_dh_params_file": c.SSLDHParamsFile,
	} {
		if got := show(name); got != want {
			t.Errorf("PGPOOL SHOW %s = %q, want %q", name, got, want)
		}
	}
}
