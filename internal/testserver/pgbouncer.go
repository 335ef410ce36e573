package testserver

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PgBouncerConfig configures StartPgBouncer (PgBouncer 1.18).
type PgBouncerConfig struct {
	Backend *Postgres
	// Ini holds [pgbouncer] settings that override the harness defaults
	// (values written verbatim).
	Ini map[string]string
	// Databases is the [databases] section; default
	// "* = host=127.0.0.1 port=<backend port>".
	Databases string
	// AuthFile is the auth_file (userlist.txt) content; default `"postgres" ""`.
	AuthFile string
	// HBA is the auth_hba_file content; when set, auth_type defaults to hba.
	HBA string
	// CertPEM/KeyPEM enable client-side TLS (client_tls_cert_file/key_file,
	// client_tls_sslmode defaults to require); CAPEM is client_tls_ca_file
	// (trust anchors for client certificates).
	CertPEM, KeyPEM, CAPEM string
}

// PgBouncer is a running throwaway PgBouncer.
type PgBouncer struct {
	Host string // always "127.0.0.1"
	Port int
	Dir  string // temp dir holding pgbouncer.ini, its files and logs; also unix_socket_dir

	StartDuration time.Duration
	p             *pooler
}

// Log returns PgBouncer's log so far (logfile, then its stdout/stderr).
func (b *PgBouncer) Log() string { return b.p.log() }

// Reload sends SIGHUP (PgBouncer re-reads pgbouncer.ini, auth_file and
// auth_hba_file) and waits until it logs
// "got SIGHUP, re-reading config".
func (b *PgBouncer) Reload(t testing.TB) {
	t.Helper()
	before := strings.Count(b.p.log(), "got SIGHUP, re-reading config")
	if err := b.p.proc.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("testserver: PgBouncer reload: %v\n%s", err, b.p.logTail())
	}
	b.p.waitLog(t, "got SIGHUP, re-reading config", before)
}

// WriteFile writes content to Dir/name (mode 0600, owned by postgres) and
// returns the absolute path (e.g. to replace userlist.txt or hba.conf before
// Reload).
func (b *PgBouncer) WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	return writeServerFile(t, b.Dir, name, content)
}

// StartPgBouncer runs /usr/sbin/pgbouncer (as OS user postgres) in front of
// cfg.Backend on a free loopback port, waits until it accepts connections and
// registers cleanup (stop, remove its directory).
//
// Harness defaults in [pgbouncer] (each overridable through cfg.Ini):
// listen_addr=127.0.0.1, listen_port, unix_socket_dir=Dir, auth_type=trust
// (hba when HBA is set), auth_file, logfile, pidfile, admin_users=postgres,
// ignore_startup_parameters=extra_float_digits, and with a certificate
// client_tls_sslmode=require, client_tls_cert_file, client_tls_key_file,
// client_tls_ca_file.
func StartPgBouncer(t testing.TB, cfg PgBouncerConfig) *PgBouncer {
	t.Helper()
	RequirePgBouncer(t)
	needBackend(t, "PgBouncerConfig", cfg.Backend)
	validKeys(t, "PgBouncerConfig.Ini", cfg.Ini)
	if (cfg.CertPEM == "") != (cfg.KeyPEM == "") {
		t.Fatalf("testserver: PgBouncerConfig needs both CertPEM and KeyPEM for client TLS, or neither")
	}
	if cfg.CAPEM != "" && cfg.CertPEM == "" {
		t.Fatalf("testserver: PgBouncerConfig.CAPEM needs CertPEM/KeyPEM (client TLS) too")
	}
	t0 := time.Now()
	dir := newServerDir(t, "pgtls-bnc-")
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("testserver: PgBouncer %s: %v", what, err)
		}
	}
	authFile := cfg.AuthFile
	if authFile == "" {
		authFile = `"postgres" ""` + "\n"
	}
	must(writeOwned(filepath.Join(dir, "userlist.txt"), authFile), "write userlist.txt")
	base := map[string]string{
		"listen_addr":               "127.0.0.1",
		"unix_socket_dir":           dir,
		"auth_type":                 "trust",
		"auth_file":                 filepath.Join(dir, "userlist.txt"),
		"logfile":                   filepath.Join(dir, "pgbouncer.log"),
		"pidfile":                   filepath.Join(dir, "pgbouncer.pid"),
		"admin_users":               "postgres",
		"ignore_startup_parameters": "extra_float_digits",
	}
	if cfg.HBA != "" {
		must(writeOwned(filepath.Join(dir, "hba.conf"), cfg.HBA), "write hba.conf")
		base["auth_type"] = "hba"
		base["auth_hba_file"] = filepath.Join(dir, "hba.conf")
	}
	if cfg.CertPEM != "" {
		must(writeOwned(filepath.Join(dir, "server.crt"), cfg.CertPEM), "write server.crt")
		must(writeOwned(filepath.Join(dir, "server.key"), cfg.KeyPEM), "write server.key")
		base["client_tls_sslmode"] = "require"
		base["client_tls_cert_file"] = filepath.Join(dir, "server.crt")
		base["client_tls_key_file"] = filepath.Join(dir, "server.key")
		if cfg.CAPEM != "" {
			must(writeOwned(filepath.Join(dir, "ca.crt"), cfg.CAPEM), "write ca.crt")
			base["client_tls_ca_file"] = filepath.Join(dir, "ca.crt")
		}
	}
	for k, v := range cfg.Ini {
		base[k] = v
	}
	dbs := cfg.Databases
	if dbs == "" {
		dbs = "* = host=127.0.0.1 port=" + strconv.Itoa(cfg.Backend.Port) + "\n"
	}
	ini := filepath.Join(dir, "pgbouncer.ini")
	p := startPooler(t, "pgbouncer", dir, syscall.SIGTERM, "process up:", func(port int) ([]string, string, error) {
		m := map[string]string{"listen_port": strconv.Itoa(port)}
		for k, v := range base {
			m[k] = v
		}
		content := "; written by pgtls internal/testserver\n[databases]\n" + dbs + "\n[pgbouncer]\n" + iniLines(m)
		if err := writeOwned(ini, content); err != nil {
			return nil, "", err
		}
		return []string{pgbouncerPath, ini}, m["logfile"], nil
	})
	return &PgBouncer{Host: "127.0.0.1", Port: p.port, Dir: dir, StartDuration: time.Since(t0), p: p}
}
