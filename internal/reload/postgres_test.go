package reload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/check"
	"github.com/pgtls/terraform-provider-pgtls/internal/localfiles"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// serverOwner is who the test's files must belong to for the servers to
// read them: postgres when the tests run as root (servers then run as
// postgres), the current user otherwise.
func serverOwner() string {
	if os.Geteuid() == 0 {
		return "postgres"
	}
	return ""
}

// pgFixture is a running PostgreSQL 15 with TLS, its current pg_hba.conf,
// and a superuser role "admin" that reloads it over verify-full TCP.
type pgFixture struct {
	srv     *testserver.Postgres
	rootPEM string // the server's self-signed certificate: its own trust anchor
	target  Target
}

const baseHBA = `local all postgres trust
host all admin 127.0.0.1/32 trust
host all app1 127.0.0.1/32 trust
host all all 127.0.0.1/32 reject
`

func startPG(t *testing.T) *pgFixture {
	t.Helper()
	certPEM, keyPEM, err := testserver.SelfSignedServerCert()
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: certPEM, KeyPEM: keyPEM,
		HBA: baseHBA, NoLocalTrust: true,
		Roles: []string{"app1", "app2"},
	})
	srv.Exec(t, "CREATE ROLE admin LOGIN SUPERUSER")
	return &pgFixture{srv: srv, rootPEM: certPEM, target: Target{
		Program: PostgreSQL,
		Conn:    check.Request{Host: "127.0.0.1", ServerName: "localhost", Port: srv.Port, User: "admin", Database: "postgres", RootCertPEM: certPEM},
		SSLMode: check.ModeVerifyFull,
	}}
}

// spec is a file set in the server's directory: names relative to it
// ("data/pg_hba.conf", "server.crt").
func (f *pgFixture) spec(files ...localfiles.File) localfiles.Spec {
	for i := range files {
		files[i].Owner = serverOwner()
		if files[i].Mode == 0 {
			files[i].Mode = 0o600
		}
	}
	return localfiles.Spec{Dir: f.srv.Dir, Files: files}
}

// canLogin reports whether role gets in over TCP with psql (libpq).
func (f *pgFixture) canLogin(t *testing.T, role string) bool {
	t.Helper()
	r := testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(f.srv.Port), "user": role,
		"dbname": "postgres", "sslmode": "require", "connect_timeout": "5"}, testserver.ClientTLS{}, "SELECT current_user")
	return r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == role
}

func (f *pgFixture) hbaOnDisk(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.srv.DataDir(), "pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (f *pgFixture) loadTime(t *testing.T) string {
	t.Helper()
	return f.srv.Exec(t, "SELECT pg_conf_load_time()")
}

// TestPostgresRefusedFilesKeepOldFilesAndLogins is the lock-out test: new
// pg_hba.conf content that the live server refuses (a plain syntax error,
// the "every field NULL, no error" trap line, a line locking out the
// reloading role) is never left on disk and never reloaded; PostgreSQL's
// own error text and line come back; every login that worked before still
// works.
func TestPostgresRefusedFilesKeepOldFilesAndLogins(t *testing.T) {
	f := startPG(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		hba      string
		want     []string // in the error
		reloaded bool
	}{
		{
			name: "invalid IP mask",
			hba:  "local all postgres trust\nhost all admin 127.0.0.1/32 trust\nhost all app2 127.0.0.1 trust\n",
			want: []string{"PostgreSQL refused the new files", "pg_hba.conf line 3: invalid IP mask \"trust\"", "the server was not reloaded"},
		},
		{
			name: "trap line: clientcert value with every field NULL and no error",
			hba:  "local all postgres trust\nhost all admin 127.0.0.1/32 trust\nhostssl all app2 127.0.0.1/32 trust clientcert=bogus\n",
			want: []string{"pg_hba.conf line 3: PostgreSQL returns this line with no fields and no error", "pgtls's parser says"},
		},
		{
			name:     "valid file that locks the reloading role out",
			hba:      "local all postgres trust\nhost all app1 127.0.0.1/32 trust\nhost all app2 127.0.0.1/32 trust\nhost all admin 127.0.0.1/32 reject\n",
			want:     []string{"reloaded the new files, but the check after the reload failed", "refuses the connection pgtls reloads it with", "rejects connection for host \"127.0.0.1\", user \"admin\"", "put back and reloaded"},
			reloaded: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.loadTime(t)
			_, err := Apply(ctx, f.spec(localfiles.File{Name: "data/pg_hba.conf", Content: []byte(tc.hba)}), nil, f.target)
			var ref *Refused
			if !errors.As(err, &ref) {
				t.Fatalf("Apply: %v, want *Refused", err)
			}
			t.Logf("Apply refused as expected: %v", err)
			if ref.Reloaded != tc.reloaded || ref.RestoreErr != nil {
				t.Errorf("Reloaded=%v RestoreErr=%v", ref.Reloaded, ref.RestoreErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if got := f.hbaOnDisk(t); got != baseHBA {
				t.Errorf("pg_hba.conf on disk is not the previous one:\n%s", got)
			}
			if !tc.reloaded && f.loadTime(t) != before {
				t.Error("the server was reloaded")
			}
			// No extra reload here: Apply has put the previous rules back
			// in force before returning.
			if !f.canLogin(t, "admin") || !f.canLogin(t, "app1") {
				t.Error("a login that worked before no longer works")
			}
			if f.canLogin(t, "app2") {
				t.Error("app2 got in although the refused file was meant to be undone")
			}
		})
	}
}

// TestPostgresReloadChangesWhoCanLogIn: an accepted pg_hba.conf is in force
// after Apply returns, without any further reload.
func TestPostgresReloadChangesWhoCanLogIn(t *testing.T) {
	f := startPG(t)
	ctx := context.Background()
	if !f.canLogin(t, "app1") || f.canLogin(t, "app2") {
		t.Fatal("fixture: app1 should be in and app2 out")
	}
	newHBA := "local all postgres trust\nhost all admin 127.0.0.1/32 trust\n# app1 loses access\nhost all app2 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n"
	out, err := Apply(ctx, f.spec(localfiles.File{Name: "data/pg_hba.conf", Content: []byte(newHBA)}), nil, f.target)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Reloaded || strings.Join(out.Change.Written, ",") != "data/pg_hba.conf" {
		t.Errorf("outcome %+v", out)
	}
	if !strings.Contains(strings.Join(out.Checks, "\n"), "pg_hba_file_rules: 4 rules read") {
		t.Errorf("checks: %v", out.Checks)
	}
	if f.canLogin(t, "app1") || !f.canLogin(t, "app2") {
		t.Error("the reloaded rules are not in force: want app1 out, app2 in")
	}
	// The same content again: nothing written, nothing reloaded.
	before := f.loadTime(t)
	out, err = Apply(ctx, f.spec(localfiles.File{Name: "data/pg_hba.conf", Content: []byte(newHBA)}), nil, f.target)
	if err != nil || out.Reloaded || len(out.Change.Written) != 0 {
		t.Errorf("idempotent apply: %+v %v", out, err)
	}
	if f.loadTime(t) != before {
		t.Error("an unchanged file set reloaded the server")
	}
}

// TestPostgresTLSFiles: a certificate/key pair that does not match is
// refused before the reload (PostgreSQL would log "SSL configuration was
// not reloaded" and refuse to start next time); a good new pair is served
// on the next connection.
func TestPostgresTLSFiles(t *testing.T) {
	f := startPG(t)
	ctx := context.Background()
	oldCert, _ := os.ReadFile(filepath.Join(f.srv.Dir, "server.crt"))
	certA, keyA, _ := testserver.SelfSignedServerCert()
	_, keyB, _ := testserver.SelfSignedServerCert()

	_, err := Apply(ctx, f.spec(
		localfiles.File{Name: "server.crt", Content: []byte(certA)},
		localfiles.File{Name: "server.key", Content: []byte(keyB), Kind: localfiles.PrivateKey},
	), nil, f.target)
	var ref *Refused
	if !errors.As(err, &ref) || !strings.Contains(err.Error(), "server.key: private key does not match the certificate") {
		t.Fatalf("mismatched pair: %v", err)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Error("error shows key material")
	}
	if b, _ := os.ReadFile(filepath.Join(f.srv.Dir, "server.crt")); string(b) != string(oldCert) {
		t.Error("server.crt was not put back")
	}

	// Rotation: the new certificate is served after the reload (the
	// admin now trusts both the old and the new self-signed certificates).
	f.target.Conn.RootCertPEM = f.rootPEM + certA
	out, err := Apply(ctx, f.spec(
		localfiles.File{Name: "server.crt", Content: []byte(certA)},
		localfiles.File{Name: "server.key", Content: []byte(keyA), Kind: localfiles.PrivateKey},
	), nil, f.target)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(out.Checks, "\n"), "served the new certificate") {
		t.Errorf("checks: %v", out.Checks)
	}
	// psql with only the new certificate as root verifies the server.
	r := testserver.Psql(t, map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(f.srv.Port), "user": "admin",
		"dbname": "postgres", "sslmode": "verify-full"}, testserver.ClientTLS{RootCertPEM: certA}, "SELECT 1")
	if r.ExitCode != 0 {
		t.Errorf("psql does not verify the rotated certificate: %s", r.Stderr)
	}
}

// TestPostgresConfigFileErrors: a setting file PostgreSQL would not apply
// is refused with pg_file_settings' file and line; a restart-only change
// passes as a warning only when allowed.
func TestPostgresConfigFileErrors(t *testing.T) {
	f := startPG(t)
	ctx := context.Background()
	f.srv.Exec(t, "ALTER SYSTEM SET work_mem = '4MB'") // keeps postgresql.auto.conf busy; unrelated to our file
	conf := filepath.Join(f.srv.DataDir(), "postgresql.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, append(b, "\ninclude_if_exists 'pgtls-extra.conf'\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Apply(ctx, f.spec(localfiles.File{Name: "data/pgtls-extra.conf", Content: []byte("# tuning\nmaintenance_work_mem = 'lots'\n")}), nil, f.target)
	if err == nil || !strings.Contains(err.Error(), "pgtls-extra.conf line 2: setting could not be applied: the value of \"maintenance_work_mem\" is invalid") {
		t.Errorf("bad value: %v", err)
	}
	if _, serr := os.Stat(filepath.Join(f.srv.DataDir(), "pgtls-extra.conf")); !errors.Is(serr, os.ErrNotExist) {
		t.Error("a refused new file was left on disk")
	}
	restart := f.spec(localfiles.File{Name: "data/pgtls-extra.conf", Content: []byte("max_connections = 31\n")})
	_, err = Apply(ctx, restart, nil, f.target)
	if err == nil || !strings.Contains(err.Error(), "can only be changed by restarting the server") {
		t.Errorf("restart-only change: %v", err)
	}
	f.target.AllowPendingRestart = true
	out, err := Apply(ctx, restart, nil, f.target)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(out.Warnings, "\n"), "max_connections takes effect only when the server restarts") {
		t.Errorf("warnings: %v", out.Warnings)
	}
}

// TestPostgresCannotConnectWritesNothing: without a working connection to
// the server nothing is written.
func TestPostgresCannotConnectWritesNothing(t *testing.T) {
	f := startPG(t)
	tgt := f.target
	tgt.Conn.RootCertPEM, _, _ = testserver.SelfSignedServerCert() // not the server's
	_, err := Apply(context.Background(), f.spec(localfiles.File{Name: "data/pg_hba.conf", Content: []byte("host all all 0.0.0.0/0 trust\n")}), nil, tgt)
	if err == nil || !strings.Contains(err.Error(), "cannot connect to PostgreSQL") {
		t.Fatalf("Apply: %v", err)
	}
	if f.hbaOnDisk(t) != baseHBA {
		t.Error("pg_hba.conf was written although the server could not be reached")
	}
}
