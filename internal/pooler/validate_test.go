package pooler

import (
	"strings"
	"testing"
)

func validBouncer() PgBouncerINI {
	return PgBouncerINI{
		Version:    PgBouncer118,
		Databases:  []PgBouncerDatabase{{Name: "app", Host: "db.example.com", Port: i64(5432)}},
		ListenAddr: []string{"*"},
		AuthType:   "scram-sha-256",
		AuthFile:   "/etc/pgbouncer/userlist.txt",
		ClientTLS:  PgBouncerTLS{CertFile: "/etc/pgbouncer/server.crt", KeyFile: "/etc/pgbouncer/server.key", CAFile: "/etc/pgbouncer/root.crt"},
		ServerTLS:  PgBouncerTLS{SSLMode: "verify-full", CAFile: "/etc/pgbouncer/root.crt"},
	}
}

// TestPgBouncerValidateRules covers the rules about what PgBouncer would
// silently ignore, weaken or fail at login (the ones that stop PgBouncer
// are in TestPgBouncerValidationOracle).
func TestPgBouncerValidateRules(t *testing.T) {
	if errs := func() PgBouncerINI { c := validBouncer(); return c }(); errs.Validate().Err() != nil {
		t.Fatalf("base invalid: %v", errs.Validate())
	}
	cases := []struct {
		name, want string
		mutate     func(c *PgBouncerINI)
	}{
		{"hba file ignored without auth_type hba", "auth_hba_file", func(c *PgBouncerINI) { c.AuthHBAFile = "/etc/pgbouncer/hba.conf" }},
		{"hba without file", "auth_hba_file", func(c *PgBouncerINI) { c.AuthType = "hba" }},
		{"hba with client TLS needs a CA", "client_tls_ca_file", func(c *PgBouncerINI) {
			c.AuthType, c.AuthHBAFile, c.ClientTLS.CAFile = "hba", "/h", ""
		}},
		{"verify-ca without CA uses the system store", "client_tls_ca_file", func(c *PgBouncerINI) { c.ClientTLS.SSLMode, c.ClientTLS.CAFile = "verify-ca", "" }},
		{"server verify-full without CA", "server_tls_ca_file", func(c *PgBouncerINI) { c.ServerTLS.CAFile = "" }},
		{"server cert without key", "server_tls_cert_file", func(c *PgBouncerINI) { c.ServerTLS.CertFile = "/c" }},
		{"client files with TLS disabled", "client_tls_ca_file", func(c *PgBouncerINI) { c.ClientTLS.SSLMode = "disable" }},
		{"server files with TLS disabled", "server_tls_ca_file", func(c *PgBouncerINI) { c.ServerTLS.SSLMode = "disable" }},
		{"unix socket with server TLS", "databases", func(c *PgBouncerINI) { c.Databases[0].Host = "/var/run/postgresql" }},
		{"no host means the /tmp socket", "databases", func(c *PgBouncerINI) { c.Databases[0].Host = "" }},
		{"no auth file", "auth_file", func(c *PgBouncerINI) { c.AuthFile = "" }},
		{"auth_query without auth_user", "auth_query", func(c *PgBouncerINI) { c.AuthQuery = "SELECT 1" }},
		{"relative path", "auth_file", func(c *PgBouncerINI) { c.AuthFile = "userlist.txt" }},
		{"trailing blank", "auth_file", func(c *PgBouncerINI) { c.AuthFile = "/etc/u.txt " }},
		{"line break", "settings", func(c *PgBouncerINI) { c.Settings = map[string]string{"server_check_query": "select 1\n[databases]"} }},
		{"admin user with a comma", "admin_users", func(c *PgBouncerINI) { c.AdminUsers = []string{"a,b"} }},
		{"long database name", "databases", func(c *PgBouncerINI) { c.Databases[0].Name = strings.Repeat("d", 64) }},
		{"password without forced user", "databases", func(c *PgBouncerINI) { c.Databases[0].Password = "s3cret" }},
		{"auth_ident_file on 1.18", "auth_ident_file", func(c *PgBouncerINI) { c.AuthIdentFile = "/i" }},
		{"tls13 ciphers on 1.18", "client_tls13_ciphers", func(c *PgBouncerINI) { c.ClientTLS.TLS13Ciphers = "TLS_AES_128_GCM_SHA256" }},
		{"ldap on 1.18", "auth_type", func(c *PgBouncerINI) { c.AuthType = "ldap" }},
		{"duplicate database", "databases", func(c *PgBouncerINI) { c.Databases = append(c.Databases, c.Databases[0]) }},
		{"cipher typo in an exclusion", "client_tls_ciphers", func(c *PgBouncerINI) { c.ClientTLS.Ciphers = "HIGH:!aNUL" }},
		{"typed setting in settings", "settings", func(c *PgBouncerINI) { c.Settings = map[string]string{"auth_type": "trust"} }},
		{"conffile", "settings", func(c *PgBouncerINI) { c.Settings = map[string]string{"conffile": "/x"} }},
	}
	for _, tc := range cases {
		c := validBouncer()
		tc.mutate(&c)
		errs := c.Validate().Errors()
		if len(errs) == 0 {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if errs[0].Path[0].Name != tc.want {
			t.Errorf("%s: first error on %s, want %s: %v", tc.name, errs[0].Path, tc.want, errs)
		}
		for _, e := range errs {
			if strings.Contains(e.String(), "s3cret") {
				t.Errorf("%s: a problem shows the secret: %s", tc.name, e)
			}
		}
	}
	// Later versions unlock their settings.
	c := validBouncer()
	c.Version = PgBouncerVersion{1, 25}
	c.AuthType = "hba"
	c.AuthHBAFile = "/h"
	c.AuthIdentFile = "/i"
	c.ClientTLS.TLS13Ciphers = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
	c.Settings = map[string]string{"max_prepared_statements": "100"}
	if err := c.Validate().Err(); err != nil {
		t.Errorf("1.25 settings refused: %v", err)
	}
	// Warnings.
	c = validBouncer()
	c.AuthType = "md5"
	c.ServerTLS = PgBouncerTLS{SSLMode: "require"}
	c.ClientTLS.Protocols = "all"
	c.ClientTLS.Ciphers = "insecure"
	ws := c.Validate()
	if ws.Err() != nil || len(ws.Warnings()) != 4 {
		t.Errorf("want 4 warnings and no error, got %v", ws)
	}
}

func TestPgBouncerRenderMasked(t *testing.T) {
	c := validBouncer()
	c.Databases[0].User, c.Databases[0].Password = "app", "it's s3cret"
	exact, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	masked, _ := c.RenderMasked()
	if !strings.Contains(exact, "password='it''s s3cret'") {
		t.Errorf("exact copy lacks the quoted password:\n%s", exact)
	}
	if strings.Contains(masked, "s3cret") || !strings.Contains(masked, "password='(sensitive)'") {
		t.Errorf("masked copy:\n%s", masked)
	}
}

// FuzzConnStringQuoting: cstrValue's output parses back (with PgBouncer
// 1.18's cstr_get_pair rules) to the same value, and pairs stay apart.
func FuzzConnStringQuoting(f *testing.F) {
	f.Add("a b", "it's")
	f.Add("''", " x ")
	f.Fuzz(func(t *testing.T, a, b string) {
		if a == "" || b == "" || checkLineText(a) != "" || checkLineText(b) != "" {
			return
		}
		s := "host=" + cstrValue(a) + " dbname=" + cstrValue(b)
		got, err := ParseConnString(s)
		if err != nil || len(got) != 2 || got[0][1] != a || got[1][1] != b {
			t.Fatalf("%q parsed as %q, %v", s, got, err)
		}
	})
}

// FuzzUserlistQuoting: rendered entries parse back (PgBouncer 1.18's
// load_auth_file rules) to the same users and secrets; what the renderer
// refuses is exactly what PgBouncer would truncate or stop at.
func FuzzUserlistQuoting(f *testing.F) {
	f.Add("alice", `SCRAM-SHA-256$4096:x$y:z`, `b"ob`, `p"w""`)
	f.Fuzz(func(t *testing.T, u1, s1, u2, s2 string) {
		entries := []UserlistEntry{{u1, s1}, {u2, s2}}
		out, err := RenderUserlist("h", entries)
		if err != nil {
			return
		}
		got, ok := ParseUserlist(out)
		if !ok || len(got) != 2 || got[0] != entries[0] || got[1] != entries[1] {
			t.Fatalf("%q parsed as %q (ok %v)", out, got, ok)
		}
	})
}

func TestPgpoolValidateRules(t *testing.T) {
	base := func() PgpoolConf {
		return PgpoolConf{
			ListenAddresses: strp("*"), Port: i64(9999), SSL: true, SSLCert: "/p/server.crt", SSLKey: "/p/server.key",
			SSLCACert: "/p/root.crt", SSLCiphers: "HIGH:!aNULL", EnablePoolHBA: true, PoolPasswd: strp("/p/pool_passwd"),
			Backends: []PgpoolBackend{{Host: "db", Port: 5432}},
		}
	}
	if ps := func() PgpoolConf { return base() }(); ps.Validate().Err() != nil {
		t.Fatalf("base: %v", ps.Validate())
	}
	cases := []struct {
		name, want string
		mutate     func(c *PgpoolConf)
	}{
		{"two listen addresses", "listen_addresses", func(c *PgpoolConf) { c.ListenAddresses = strp("127.0.0.1,::1") }},
		{"port below 1024", "port", func(c *PgpoolConf) { c.Port = i64(999) }},
		{"ssl without key", "ssl_cert", func(c *PgpoolConf) { c.SSLKey = "" }},
		{"ssl files with ssl off", "ssl_key", func(c *PgpoolConf) { c.SSL = false }},
		{"X25519", "ssl_ecdh_curve", func(c *PgpoolConf) { c.SSLECDHCurve = "X25519" }},
		{"cipher typo", "ssl_ciphers", func(c *PgpoolConf) { c.SSLCiphers = "HIGH:!aNUL" }},
		{"crl without ca", "ssl_crl_file", func(c *PgpoolConf) { c.SSLCRLFile, c.SSLCACert = "/p/root.crl", "" }},
		{"quote in a path", "ssl_cert", func(c *PgpoolConf) { c.SSLCert = "/p/it's.crt" }},
		{"relative path", "pool_passwd", func(c *PgpoolConf) { c.PoolPasswd = strp("pool_passwd") }},
		{"no backend", "backends", func(c *PgpoolConf) { c.Backends = nil }},
		{"backend flag typo", "backends", func(c *PgpoolConf) { c.Backends[0].Flag = "DISALLOW_FAILOVER" }},
		{"unknown setting", "settings", func(c *PgpoolConf) { c.Settings = map[string]string{"enable_pool_hbaa": "on"} }},
		{"invalid boolean", "settings", func(c *PgpoolConf) { c.Settings = map[string]string{"load_balance_mode": "disabled"} }},
		{"secret in settings", "settings", func(c *PgpoolConf) { c.Settings = map[string]string{"sr_check_password": "x"} }},
		{"non-secret in secret_settings", "secret_settings", func(c *PgpoolConf) { c.SecretSettings = map[string]string{"sr_check_user": "x"} }},
		{"typed setting", "settings", func(c *PgpoolConf) { c.Settings = map[string]string{"ssl": "on"} }},
		{"array without index", "settings", func(c *PgpoolConf) { c.Settings = map[string]string{"heartbeat_hostname": "h"} }},
		{"array index out of range", "settings", func(c *PgpoolConf) { c.Settings = map[string]string{"health_check_user128": "h"} }},
		{"passphrase command with a quote", "ssl_passphrase_command", func(c *PgpoolConf) { c.SSLPassphraseCommand = "echo 'x'" }},
	}
	for _, tc := range cases {
		c := base()
		tc.mutate(&c)
		errs := c.Validate().Errors()
		if len(errs) == 0 {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if errs[0].Path[0].Name != tc.want {
			t.Errorf("%s: first error on %s, want %s: %v", tc.name, errs[0].Path, tc.want, errs)
		}
		for _, e := range errs {
			if strings.Contains(e.String(), "echo") || strings.Contains(e.String(), `"x"`) && tc.want == "secret_settings" {
				t.Errorf("%s: secret in problem %s", tc.name, e)
			}
		}
	}
	c := base()
	c.Settings = map[string]string{"health_check_period": "10", "health_check_user0": "hc", "num_init_children": "32", "backend_clustering_mode": "raw"}
	if err := c.Validate().Err(); err == nil || !strings.Contains(err.Error(), "its own attribute") {
		t.Errorf("backend_clustering_mode in settings: %v", err)
	}
	delete(c.Settings, "backend_clustering_mode")
	c.SecretSettings = map[string]string{"health_check_password": "pw", "wd_authkey": "k"}
	if err := c.Validate().Err(); err != nil {
		t.Errorf("valid settings refused: %v", err)
	}
	m, _ := c.RenderMasked()
	if strings.Contains(m, "'pw'") || strings.Contains(m, "'k'") {
		t.Errorf("masked pgpool.conf shows a secret:\n%s", m)
	}
}
