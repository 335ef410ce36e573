package testserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Servers whose configuration the harness does not write: the test (for
// example Terraform with pgtls_file_set) writes postgresql.conf, pg_hba.conf,
// pg_ident.conf, the certificates and keys into a directory the harness
// prepared, and the harness only runs the program on them. The port and the
// socket directory are read from the written configuration by the program
// itself (postgres -C), not given to the harness.

// PostgresDataDir is an initdb'ed data directory (a copy of the cached
// template) waiting for its configuration. Nothing runs yet.
type PostgresDataDir struct {
	// Dir is the server directory (mode 0700, owned by the server user,
	// removed at cleanup); the data directory is Dir/data. Sockets, logs and
	// other files of the test may go to Dir too.
	Dir  string
	bins binaries
}

// DataDir is Dir/data.
func (d *PostgresDataDir) DataDir() string { return filepath.Join(d.Dir, "data") }

// NewPostgresDataDir copies the initdb template of the PostgreSQL build for
// version (0: the Debian PostgreSQL 15; see PostgresConfig.Version) into a
// fresh server directory. The data directory keeps initdb's own
// postgresql.conf, pg_hba.conf and pg_ident.conf until the test replaces
// them.
func NewPostgresDataDir(t testing.TB, version int) *PostgresDataDir {
	t.Helper()
	RequirePostgresVersion(t, version)
	bins, problem := binariesFor(version)
	if problem != "" {
		t.Fatalf("testserver: %s", problem)
	}
	tmpl, err := templateDataDir(bins)
	if err != nil {
		t.Fatalf("testserver: preparing the initdb template: %v", err)
	}
	u, err := serverUser()
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	dir := newServerDir(t, "pgtls-pg-")
	d := &PostgresDataDir{Dir: dir, bins: bins}
	if out, err := exec.Command("cp", "-a", filepath.Join(tmpl, "data"), d.DataDir()).CombinedOutput(); err != nil {
		t.Fatalf("testserver: copy template data dir: %v\n%s", err, out)
	}
	if err := u.chownR(d.DataDir()); err != nil {
		t.Fatalf("testserver: chown data dir: %v", err)
	}
	return d
}

// setting asks the server binary for the value a setting has in the
// configuration found in the data directory (postgres -C), as the server
// user: what the server will run with, not what the test meant to write.
func (d *PostgresDataDir) setting(name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := runAsServerUser(ctx, d.Dir, d.bins.postgres, "-D", d.DataDir(), "-C", name)
	if err != nil {
		return "", fmt.Errorf("postgres -C %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// StartPostgresOnDisk runs `postgres -D <data dir>` as the server user on
// the configuration found in the data directory (nothing is added to it,
// nothing is given on the command line), waits until it accepts TCP
// connections on 127.0.0.1 at the port the configuration sets, and
// registers cleanup. Exec and Query use the first unix_socket_directories
// entry of that configuration (which must admit the superuser postgres
// for the OS user postgres, e.g. `local all postgres peer`).
//
// Unlike StartPostgres it returns an error (with the server log) instead of
// failing t, and only calls t.Cleanup: it may run on a goroutine other than
// the test's, such as a provider server's.
func (d *PostgresDataDir) StartPostgresOnDisk(t testing.TB) (*Postgres, error) {
	u, err := serverUser()
	if err != nil {
		return nil, err
	}
	portStr, err := d.setting("port")
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("port %q in the written configuration: %w", portStr, err)
	}
	sockets, err := d.setting("unix_socket_directories")
	if err != nil {
		return nil, err
	}
	socketDir := strings.TrimSpace(strings.Split(sockets, ",")[0])
	if !filepath.IsAbs(socketDir) {
		return nil, fmt.Errorf("unix_socket_directories = %q in the written configuration: the harness needs an absolute socket directory for Exec", sockets)
	}
	if tcpAccepts(port) {
		return nil, fmt.Errorf("port %d (from the written configuration) is already in use", port)
	}
	t0 := time.Now()
	p := &Postgres{Host: "127.0.0.1", Port: port, Dir: d.Dir, SocketDir: socketDir, Major: d.bins.major, Build: d.bins.label}
	logPath := filepath.Join(d.Dir, fmt.Sprintf("postgres-%d.log", time.Now().UnixNano()))
	proc, err := startProcess("postgres", u, logPath, d.Dir, []string{d.bins.postgres, "-D", d.DataDir()}, syscall.SIGQUIT)
	if err != nil {
		return nil, err
	}
	p.proc = proc
	t.Cleanup(func() {
		if err := proc.stop(); err != nil {
			t.Errorf("testserver: %v", err)
		}
	})
	if err := p.waitReady(); err != nil {
		_ = proc.stop()
		return nil, fmt.Errorf("postgres did not become ready on the written configuration: %w\n%s", err, p.logTail())
	}
	p.StartDuration = time.Since(t0)
	return p, nil
}

// ExecFile runs the SQL script at path (for example one a test wrote with
// pgtls_file_set) as superuser over the unix socket, stopping at the first
// error. The script's text is never echoed: it may hold password verifiers.
func (p *Postgres) ExecFile(path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	_, errOut, err := p.superuserPsql("", "-f", path)
	if err != nil {
		return fmt.Errorf("psql -f %s: %w: %s", filepath.Base(path), err, redact(strings.TrimSpace(errOut)))
	}
	return nil
}
