package pgconf

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	testpki "github.com/pgtls/terraform-provider-pgtls/internal/testpki/issued"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// majors lists the PostgreSQL majors the oracle runs on (13 to 18).
func majors() []int { return testserver.Majors() }

func startPG(t *testing.T, v int, cfg testserver.PostgresConfig) *testserver.Postgres {
	t.Helper()
	testserver.RequirePostgresVersion(t, v)
	cfg.Version = v
	return testserver.StartPostgres(t, cfg)
}

// includeLast makes postgresql.conf include path after everything else.
func includeLast(t *testing.T, p *testserver.Postgres, path string) {
	t.Helper()
	q, err := Quote(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(p.DataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\ninclude " + q + "\n"); err != nil {
		t.Fatal(err)
	}
}

type fileSetting struct{ name, setting, applied, errText string }

// fileSettings returns pg_file_settings rows read from file (the server
// parses the files on disk for every query).
func fileSettings(t *testing.T, p *testserver.Postgres, file string) []fileSetting {
	t.Helper()
	rows := p.QueryNullable(t, "SELECT name, setting, applied::text, error FROM pg_file_settings WHERE sourcefile = "+
		testserver.QuoteLiteral(file)+" ORDER BY seqno")
	var out []fileSetting
	for _, r := range rows {
		fs := fileSetting{name: deref(r[0]), setting: deref(r[1]), applied: deref(r[2])}
		if r[3] != nil {
			fs.errText = "ERROR: " + *r[3]
		}
		out = append(out, fs)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "<NULL>"
	}
	return *s
}

func openssl(t *testing.T, args ...string) string {
	t.Helper()
	bin := testserver.RequireOpenSSL(t)
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func tlsLogin(t *testing.T, p *testserver.Postgres, user string, root string, leaf testpki.Leaf) testserver.PsqlResult {
	t.Helper()
	return testserver.Psql(t, map[string]string{"host": "localhost", "port": strconv.Itoa(p.Port), "dbname": "postgres",
		"user": user, "sslmode": "verify-full", "connect_timeout": "10"},
		testserver.ClientTLS{RootCertPEM: root, CertPEM: leaf.FullchainPEM, KeyPEM: leaf.KeyPEM},
		"SELECT current_user || ' ' || version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
}

// TestSnippetLoadedByPostgres writes the rendered snippet next to a running
// server, includes it last from postgresql.conf and proves: pg_file_settings
// reads every line from our file with no error and the value we meant; after
// a reload SHOW returns each value; the server then serves the snippet's
// certificate (a client trusting only the new CA verifies it), checks client
// certificates against the snippet's CA and CRL, and speaks only TLS 1.3.
func TestSnippetLoadedByPostgres(t *testing.T) {
	for _, v := range majors() {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			old := testpki.NewCA(t, "old CA")
			oldSrv := old.Server(t)
			p := startPG(t, v, testserver.PostgresConfig{SSL: true, CertPEM: oldSrv.FullchainPEM, KeyPEM: oldSrv.KeyPEM, CAPEM: old.CertPEM,
				HBA: "hostssl all alice,mallory 127.0.0.1/32 cert\n", Roles: []string{"alice", "mallory"}})

			ca := testpki.NewCA(t, "new CA")
			srv, alice, mallory := ca.Server(t), ca.Client(t, "alice"), ca.Client(t, "mallory")
			dh := openssl(t, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048")
			values := map[string]string{
				"listen_addresses":                       "127.0.0.1",
				"ssl":                                    "on",
				"ssl_cert_file":                          p.WriteFile(t, "new dir/server's.crt", srv.FullchainPEM),
				"ssl_key_file":                           p.WriteFile(t, "new dir/server's.key", srv.KeyPEM),
				"ssl_ca_file":                            p.WriteFile(t, "new dir/root.crt", ca.CertPEM),
				"ssl_crl_file":                           p.WriteFile(t, "new dir/root.crl", ca.CRL(t, mallory)),
				"ssl_ciphers":                            "HIGH:!aNULL:!MD5",
				"ssl_prefer_server_ciphers":              "on",
				"ssl_min_protocol_version":               "TLSv1.3",
				"ssl_max_protocol_version":               "TLSv1.3",
				"ssl_dh_params_file":                     p.WriteFile(t, "new dir/dh.pem", dh),
				"ssl_passphrase_command":                 `/bin/echo 'not used: the key is not encrypted'`,
				"ssl_passphrase_command_supports_reload": "on",
				"password_encryption":                    "scram-sha-256",
				"hba_file":                               p.Exec(t, "SHOW hba_file"),
				"ident_file":                             p.Exec(t, "SHOW ident_file"),
			}
			if v >= 14 {
				values["ssl_crl_dir"] = filepath.Dir(p.WriteFile(t, "crls/.keep", ""))
			}
			if v >= 18 {
				values["ssl_groups"] = "X25519:prime256v1"
				values["ssl_tls13_ciphers"] = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
			} else {
				values["ssl_ecdh_curve"] = "secp384r1"
			}
			for _, s := range Settings {
				if _, ok := values[s.Name]; !ok && s.Available(v) && s.Name != "ssl_ecdh_curve" {
					t.Fatalf("test does not cover %s", s.Name)
				}
			}
			cfg := Config{Version: v, Values: values, HBA: "hostssl all alice,mallory 127.0.0.1/32 cert\n"}
			for _, pr := range cfg.Validate() {
				t.Fatalf("unexpected problem: %s", pr)
			}
			r, err := cfg.Render()
			if err != nil {
				t.Fatal(err)
			}
			snippet := p.WriteFile(t, "conf.d/pgtls-tls.conf", r.Snippet)
			includeLast(t, p, snippet)

			got := map[string]fileSetting{}
			for _, fs := range fileSettings(t, p, snippet) {
				got[fs.name] = fs
			}
			for name, want := range r.Parameters {
				fs, ok := got[name]
				switch {
				case !ok:
					t.Errorf("pg_file_settings has no %s from the snippet", name)
				case fs.errText != "" || fs.applied != "true":
					t.Errorf("%s: applied=%s %s", name, fs.applied, fs.errText)
				case fs.setting != want:
					t.Errorf("%s: pg_file_settings reads %q, want %q", name, fs.setting, want)
				}
			}
			if len(got) != len(r.Parameters) {
				t.Errorf("pg_file_settings has %d settings from the snippet, we rendered %d", len(got), len(r.Parameters))
			}

			p.Reload(t)
			for name, want := range r.Parameters {
				if got := p.Exec(t, "SHOW "+name); got != want {
					t.Errorf("after reload SHOW %s = %q, want %q", name, got, want)
				}
			}
			if log := p.Log(); strings.Contains(log, "SSL configuration was not reloaded") {
				t.Fatalf("server kept its old TLS configuration:\n%s", log)
			}
			res := tlsLogin(t, p, "alice", ca.CertPEM, alice)
			if res.Err != nil || strings.TrimSpace(res.Stdout) != "alice TLSv1.3" {
				t.Errorf("alice with the new CA: %v %q %s", res.Err, res.Stdout, res.Stderr)
			}
			if res := tlsLogin(t, p, "mallory", ca.CertPEM, mallory); res.Err == nil || !strings.Contains(res.Stderr, "revoked") {
				t.Errorf("mallory (revoked in ssl_crl_file) not refused as revoked: %v %s", res.Err, res.Stderr)
			}
			if res := tlsLogin(t, p, "alice", old.CertPEM, old.Client(t, "alice")); res.Err == nil {
				t.Errorf("a client trusting only the old CA verified the server: the snippet's certificate is not served")
			}
		})
	}
}

// TestParametersStartPostgres starts a server whose settings come from the
// rendered parameter map (quoted with Quote), including the settings that
// need a restart (listen_addresses, hba_file, ident_file) and an encrypted
// server key unlocked by ssl_passphrase_command; then proves SHOW, a TLS
// login, and ALTER SYSTEM with the same map.
func TestParametersStartPostgres(t *testing.T) {
	for _, v := range majors() {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			dir, err := os.MkdirTemp("", "pgtls-pgconf-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			write := func(name, content string) string {
				f := filepath.Join(dir, name)
				if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				return f
			}
			ca := testpki.NewCA(t, "CA")
			srv := ca.Server(t)
			const pass = `it's a "pass phrase"`
			keyFile := write("plain.key", srv.KeyPEM)
			encKey := openssl(t, "pkey", "-in", keyFile, "-aes256", "-passout", "pass:"+pass)
			hbaText := "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
			values := map[string]string{
				"listen_addresses":         "127.0.0.1",
				"ssl_ciphers":              "ECDHE+AESGCM:!aNULL",
				"ssl_min_protocol_version": "TLSv1.2",
				"ssl_max_protocol_version": "TLSv1.3",
				"ssl_dh_params_file":       write("dh params.pem", openssl(t, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048")),
				"ssl_passphrase_command":   `/bin/echo 'it'"'"'s a "pass phrase"'`,
				"hba_file":                 write("pg's hba.conf", hbaText),
				"ident_file":               write("ident.conf", ""),
			}
			if v < 18 {
				values["ssl_ecdh_curve"] = "prime256v1"
			} else {
				values["ssl_groups"] = "prime256v1"
			}
			cfg := Config{Version: v, Values: values, HBA: hbaText}
			r, err := cfg.Render()
			if err != nil {
				t.Fatal(err)
			}
			settings := map[string]string{}
			for name, val := range r.Parameters {
				if byName[name].Kind == KindBool {
					settings[name] = val
				} else if settings[name], err = Quote(val); err != nil {
					t.Fatal(err)
				}
			}
			p := startPG(t, v, testserver.PostgresConfig{SSL: true, CertPEM: srv.FullchainPEM, KeyPEM: encKey, CAPEM: ca.CertPEM,
				Settings: settings})
			for name, want := range r.Parameters {
				if got := p.Exec(t, "SHOW "+name); got != want {
					t.Errorf("SHOW %s = %q, want %q", name, got, want)
				}
			}
			p.Exec(t, `CREATE ROLE app LOGIN PASSWORD 'app secret'`)
			res := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(p.Port), "dbname": "postgres",
				"user": "app", "password": "app secret", "sslmode": "verify-full", "connect_timeout": "10"},
				testserver.ClientTLS{RootCertPEM: ca.CertPEM}, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
			if res.Err != nil || strings.TrimSpace(res.Stdout) != "t" {
				t.Errorf("TLS login through the hba_file from the map: %v %q %s", res.Err, res.Stdout, res.Stderr)
			}
			if !strings.HasPrefix(p.Exec(t, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'"), "SCRAM-SHA-256$") {
				t.Error("password_encryption default not in force")
			}

			// ALTER SYSTEM takes the same map (as SQL literals).
			var sql strings.Builder
			for name, val := range r.Parameters {
				fmt.Fprintf(&sql, "ALTER SYSTEM SET %s = %s;\n", name, testserver.QuoteLiteral(val))
			}
			p.Exec(t, sql.String())
			auto := filepath.Join(p.DataDir(), "postgresql.auto.conf")
			rows := fileSettings(t, p, auto)
			if len(rows) != len(r.Parameters) {
				t.Errorf("postgresql.auto.conf has %d settings, want %d", len(rows), len(r.Parameters))
			}
			for _, fs := range rows {
				if fs.errText != "" || fs.setting != r.Parameters[fs.name] {
					t.Errorf("ALTER SYSTEM %s: pg_file_settings %q %s, want %q", fs.name, fs.setting, fs.errText, r.Parameters[fs.name])
				}
			}
		})
	}
}

// TestVersionGatesMatchPostgres: every setting pgtls refuses for a version
// is one the real server of that version does not know (pg_file_settings
// reports it), and every setting it allows is known.
func TestVersionGatesMatchPostgres(t *testing.T) {
	for _, v := range majors() {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			p := startPG(t, v, testserver.PostgresConfig{})
			var b strings.Builder
			for _, s := range Settings {
				fmt.Fprintf(&b, "%s = ''\n", s.Name)
			}
			file := p.WriteFile(t, "all-names.conf", b.String())
			includeLast(t, p, file)
			rows := fileSettings(t, p, file)
			if len(rows) != len(Settings) {
				t.Fatalf("pg_file_settings has %d rows, want %d", len(rows), len(Settings))
			}
			for _, fs := range rows {
				s := byName[fs.name]
				unknown := strings.Contains(fs.errText, "unrecognized configuration parameter")
				if unknown == s.Available(v) {
					t.Errorf("PostgreSQL %d: %s unknown to the server=%v, pgtls says available=%v (%s)", v, fs.name, unknown, s.Available(v), fs.errText)
				}
			}
		})
	}
}

// TestQuoteThroughPostgres writes random strings (every byte value but NUL,
// quotes, backslashes, escapes, multi-byte UTF-8) as custom settings and
// reads them back from pg_file_settings, the server's own parser.
func TestQuoteThroughPostgres(t *testing.T) {
	p := startPG(t, 15, testserver.PostgresConfig{})
	rng := rand.New(rand.NewPCG(9, 9))
	specials := []string{"'", "''", `\`, `\\'`, "\\n", "\n", "\r\n", "\t", "\x01", "\x7f", "#", "=", " ", "\u00e9", "\U0001F600", "\\101", "\\0", "\\8"}
	var vals []string
	vals = append(vals, specials...)
	for len(vals) < 1500 {
		var b strings.Builder
		for n := rng.IntN(12); n >= 0; n-- {
			switch rng.IntN(4) {
			case 0:
				b.WriteString(specials[rng.IntN(len(specials))])
			case 1:
				b.WriteByte(byte(1 + rng.IntN(127)))
			case 2:
				b.WriteRune(rune(0x80 + rng.IntN(0x2000)))
			default:
				b.WriteString("v")
			}
		}
		if s := b.String(); utf8.ValidString(s) {
			vals = append(vals, s)
		}
	}
	var file strings.Builder
	for i, s := range vals {
		q, err := Quote(s)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&file, "pgtls.q%d = %s\n", i, q)
	}
	path := p.WriteFile(t, "quoting.conf", file.String())
	includeLast(t, p, path)
	rows := fileSettings(t, p, path)
	if len(rows) != len(vals) {
		t.Fatalf("pg_file_settings read %d of %d lines", len(rows), len(vals))
	}
	for _, fs := range rows {
		i, _ := strconv.Atoi(strings.TrimPrefix(fs.name, "pgtls.q"))
		if fs.errText != "" || fs.setting != vals[i] {
			t.Errorf("value %q: PostgreSQL read %q %s", vals[i], fs.setting, fs.errText)
		}
	}
	t.Logf("%d quoted values read back by PostgreSQL's configuration parser", len(vals))
}

// TestRefusalsMatchPostgres: values Validate refuses as errors are refused by
// the real server too. Each goes into a snippet of a running TLS server and
// is reloaded: the server logs its refusal and keeps its old TLS setup.
func TestRefusalsMatchPostgres(t *testing.T) {
	for _, v := range majors() {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			ca := testpki.NewCA(t, "CA")
			srv := ca.Server(t)
			p := startPG(t, v, testserver.PostgresConfig{SSL: true, CertPEM: srv.FullchainPEM, KeyPEM: srv.KeyPEM, Roles: []string{"app"},
				HBA: "hostssl all app 127.0.0.1/32 trust\n"})
			cases := []struct {
				values map[string]string
				log    string
			}{
				{map[string]string{"ssl_min_protocol_version": "TLSv1.3", "ssl_max_protocol_version": "TLSv1.2"}, "could not set SSL protocol version range"},
			}
			if v < 18 {
				cases = append(cases,
					struct {
						values map[string]string
						log    string
					}{map[string]string{"ssl_ecdh_curve": "X25519:prime256v1"}, "ECDH: unrecognized curve name"},
					struct {
						values map[string]string
						log    string
					}{map[string]string{"ssl_ecdh_curve": "X25519"}, "ECDH: could not create key"})
			} else {
				cases = append(cases, struct {
					values map[string]string
					log    string
				}{map[string]string{"ssl_tls13_ciphers": "TLS_AES_256_GCM_SHA384:TLS_RC4"}, "TLSv1.3 cipher suites"})
			}
			snippet := p.WriteFile(t, "bad.conf", "")
			includeLast(t, p, snippet)
			for _, c := range cases {
				cfg := Config{Version: v, Values: c.values}
				refused := false
				for _, pr := range cfg.Validate() {
					refused = refused || pr.Severity == Error
				}
				if !refused {
					t.Errorf("pgtls accepts %v", c.values)
				}
				var b strings.Builder
				for name, val := range c.values {
					q, _ := Quote(val)
					fmt.Fprintf(&b, "%s = %s\n", name, q)
				}
				p.WriteFile(t, "bad.conf", b.String())
				before := len(p.Log())
				p.Reload(t)
				waitLog(t, p, before, c.log)
				res := testserver.Psql(t, map[string]string{"host": "localhost", "port": strconv.Itoa(p.Port), "dbname": "postgres",
					"user": "app", "sslmode": "verify-full", "connect_timeout": "10"}, testserver.ClientTLS{RootCertPEM: ca.CertPEM}, "SELECT 1")
				if res.Err != nil {
					t.Errorf("%v: the old TLS setup is not kept: %s", c.values, res.Stderr)
				}
			}
		})
	}
}

func waitLog(t *testing.T, p *testserver.Postgres, from int, want string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if strings.Contains(p.Log()[from:], want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("server log lacks %q:\n%s", want, p.Log()[from:])
}
