package pooler

import (
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestPgBouncerValidationOracle: each case breaks one rule. Validate must
// report it (naming the attribute), and the real PgBouncer 1.18, given the
// same file rendered without validation, must refuse to start, proving the
// rule is PgBouncer's and not ours. (Rules about what PgBouncer silently
// ignores are shown in pgbouncer_facts_test.go.)
func TestPgBouncerValidationOracle(t *testing.T) {
	testserver.RequirePgBouncer(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	p := newTestPKI(t)
	srv := p.server()
	cases := []struct {
		name, attr string
		mutate     func(c *PgBouncerINI)
	}{
		{"cert auth without verify-full", "client_tls_sslmode", func(c *PgBouncerINI) { c.AuthType = "cert"; c.ClientTLS.SSLMode = "require" }},
		{"client TLS without key", "client_tls_cert_file", func(c *PgBouncerINI) { c.ClientTLS.KeyFile = "" }},
		{"verify-full without CA", "client_tls_ca_file", func(c *PgBouncerINI) { c.ClientTLS.SSLMode = "verify-full"; c.ClientTLS.CAFile = "" }},
		{"X25519 is not an EC curve", "client_tls_ecdhcurve", func(c *PgBouncerINI) { c.ClientTLS.ECDHCurve = "X25519" }},
		{"unknown protocol", "client_tls_protocols", func(c *PgBouncerINI) { c.ClientTLS.Protocols = "tlsv1.2,tlsv1.4" }},
		{"empty protocol element", "client_tls_protocols", func(c *PgBouncerINI) { c.ClientTLS.Protocols = "tlsv1.2," }},
		{"cipher list selecting nothing", "client_tls_ciphers", func(c *PgBouncerINI) { c.ClientTLS.Ciphers = "NOSUCHCIPHER" }},
		{"dheparams value", "client_tls_dheparams", func(c *PgBouncerINI) { c.ClientTLS.DHEParams = "2048" }},
		{"unknown setting", "settings", func(c *PgBouncerINI) { c.Settings = map[string]string{"max_client_connections": "10"} }},
		{"setting of a later version", "settings", func(c *PgBouncerINI) { c.Settings = map[string]string{"max_prepared_statements": "10"} }},
		{"integer with junk", "settings", func(c *PgBouncerINI) { c.Settings = map[string]string{"max_client_conn": "10k"} }},
		{"time with unit", "settings", func(c *PgBouncerINI) { c.Settings = map[string]string{"query_timeout": "5s"} }},
		{"reserved database name", "databases", func(c *PgBouncerINI) { c.Databases[0].Name = "pgbouncer" }},
		{"database name with a blank", "databases", func(c *PgBouncerINI) { c.Databases[0].Name = "my db" }},
		{"auth_dbname before 1.19", "databases", func(c *PgBouncerINI) { c.Databases[0].AuthDBName = "postgres"; c.Databases[0].AuthUser = "admin" }},
		{"pool_mode typo", "pool_mode", func(c *PgBouncerINI) { c.PoolMode = "transactions" }},
		{"auth_type typo", "auth_type", func(c *PgBouncerINI) { c.AuthType = "scram" }},
		{"users entry with a blank", "users", func(c *PgBouncerINI) { c.Users = []PgBouncerUser{{Name: "a b", PoolMode: "session"}} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := testserver.NewPoolerDir(t, "pgtls-ro-")
			port := testserver.FreePort(t)
			c := PgBouncerINI{
				Version:    PgBouncer118,
				Databases:  []PgBouncerDatabase{{Name: "postgres", Host: "127.0.0.1", Port: i64(pg.Port)}},
				ListenAddr: []string{"127.0.0.1"}, ListenPort: i64(port), UnixSocketDir: strp(dir),
				LogFile: join(dir, "b.log"), AuthType: "scram-sha-256", AuthFile: join(dir, "u.txt"),
				ClientTLS: PgBouncerTLS{SSLMode: "require", CertFile: join(dir, "s.crt"), KeyFile: join(dir, "s.key"), CAFile: join(dir, "r.crt")},
			}
			files := testserver.RenderedFiles{"u.txt": "", "s.crt": srv.CertPEM, "s.key": srv.PrivateKeyPEM, "r.crt": p.rootPEM()}
			// The base configuration starts.
			base, err := c.Render()
			if err != nil {
				t.Fatalf("base configuration invalid: %v", err)
			}
			files["b.ini"] = base
			b, err := testserver.TryStartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "b.ini", LogFile: c.LogFile, Files: files})
			if err != nil {
				t.Fatalf("base configuration does not start: %v", err)
			}
			b.Stop(t)
			tc.mutate(&c)
			errs := c.Validate().Errors()
			if len(errs) == 0 {
				t.Fatalf("Validate accepted it")
			}
			if errs[0].Path[0].Name != tc.attr {
				t.Errorf("error on %s, want on %s: %v", errs[0].Path, tc.attr, errs)
			}
			files["b.ini"] = c.renderUnchecked(false)
			if b, err := testserver.TryStartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "b.ini", LogFile: c.LogFile, Files: files}); err == nil {
				t.Errorf("PgBouncer 1.18 started with it (validation says %v):\n%s\n%s", errs, files["b.ini"], b.Log())
			}
		})
	}
}

// TestPgpoolValidationOracle: values Pgpool-II 4.3.5 refuses at start
// (FATAL) are validation errors too.
func TestPgpoolValidationOracle(t *testing.T) {
	testserver.RequirePgpool(t)
	p := newTestPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	cases := []struct {
		name, attr string
		mutate     func(c *PgpoolConf)
	}{
		{"backend port below 1024", "backends", func(c *PgpoolConf) { c.Backends[0].Port = 543 }},
		{"int setting out of range", "settings", func(c *PgpoolConf) { c.Settings["num_init_children"] = "0" }},
		{"enum setting typo", "backend_clustering_mode", func(c *PgpoolConf) { c.BackendClusteringMode = "rawmode" }},
		{"array setting without index", "settings", func(c *PgpoolConf) { c.Settings["backend_data_directory"] = "/x" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := testserver.NewPoolerDir(t, "pgtls-rq-")
			port := testserver.FreePort(t)
			c := pgpoolBase(dir, port, pg.Port)
			srv := p.server()
			files := testserver.RenderedFiles{"pool_hba.conf": "host all all 127.0.0.1/32 trust\n", "pool_passwd": "",
				"server.crt": srv.CertPEM, "server.key": srv.PrivateKeyPEM, "root.crt": p.rootPEM()}
			tc.mutate(c)
			errs := c.Validate().Errors()
			if len(errs) == 0 {
				t.Fatalf("Validate accepted it")
			}
			if errs[0].Path[0].Name != tc.attr {
				t.Errorf("error on %s, want on %s: %v", errs[0].Path, tc.attr, errs)
			}
			files["pgpool.conf"] = c.renderUnchecked(false)
			g, err := testserver.TryStartPgpoolRendered(t, testserver.RenderedPgpool{Dir: dir, Port: port, Config: "pgpool.conf", HBA: "pool_hba.conf", Files: files})
			if err == nil {
				t.Errorf("Pgpool-II 4.3.5 started with it:\n%s\n%s", files["pgpool.conf"], g.Log())
			} else if !strings.Contains(err.Error(), "FATAL") && !strings.Contains(err.Error(), "exited") {
				t.Errorf("Pgpool-II did not come up, but not because of the value: %v", err)
			}
		})
	}
}
