package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// ClientTLS holds PEM contents for the libpq TLS files. Each non-empty one is
// written to a temp file (mode 0600, owned by the test process) and passed as
// sslrootcert / sslcert / sslkey / sslcrl.
type ClientTLS struct{ RootCertPEM, CertPEM, KeyPEM, CRLPEM string }

// PsqlResult is the outcome of one psql run. Err is nil exactly when psql
// ran and exited 0; ExitCode is -1 when psql could not run or was killed.
type PsqlResult struct {
	Stdout, Stderr string
	ExitCode       int
	Err            error
}

// psqlTimeout bounds one Psql run when the caller gives no connect_timeout.
const psqlTimeout = 60 * time.Second

// Psql runs the real libpq client psql (PostgreSQL 15's, the binary
// /usr/bin/psql's pg_wrapper dispatches to) hermetically: the environment is
// only PATH, HOME (an empty temp dir, so ~/.postgresql and ~/.pgpass are never
// read) and LANG=C.UTF-8; options -X -A -t -w; the connection is the conninfo
// string built from the given keywords (host, port, dbname, user, sslmode,
// password, ...). It never fails the test itself: callers assert on the result.
func Psql(t testing.TB, conninfo map[string]string, tls ClientTLS, sql string) PsqlResult {
	t.Helper()
	if _, err := os.Stat(pgPsql); err != nil {
		return PsqlResult{ExitCode: -1, Err: fmt.Errorf("psql not found at %s (run tools/ensure-system.sh): %w", pgPsql, err)}
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return PsqlResult{ExitCode: -1, Err: err}
	}
	ci := make(map[string]string, len(conninfo)+4)
	for k, v := range conninfo {
		ci[k] = v
	}
	files := []struct{ key, name, content string }{
		{"sslrootcert", "root.crt", tls.RootCertPEM},
		{"sslcert", "client.crt", tls.CertPEM},
		{"sslkey", "client.key", tls.KeyPEM},
		{"sslcrl", "root.crl", tls.CRLPEM},
	}
	for _, f := range files {
		if f.content == "" {
			continue
		}
		if _, dup := ci[f.key]; dup {
			return PsqlResult{ExitCode: -1, Err: fmt.Errorf("Psql: conninfo keyword %q is also given as ClientTLS content; use one", f.key)}
		}
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o600); err != nil {
			return PsqlResult{ExitCode: -1, Err: err}
		}
		ci[f.key] = p
	}
	connStr, err := BuildConninfo(ci)
	if err != nil {
		return PsqlResult{ExitCode: -1, Err: err}
	}
	ctx, cancel := context.WithTimeout(context.Background(), psqlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, pgPsql, "-X", "-A", "-t", "-w", "-d", connStr, "-c", sql)
	cmd.Dir = home
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8"}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	res := PsqlResult{Stdout: o.String(), Stderr: e.String(), Err: err}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.ExitCode = -1
		res.Err = fmt.Errorf("psql killed after %s: %w", psqlTimeout, ctx.Err())
	case err == nil:
		res.ExitCode = 0
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		res.ExitCode = -1
	}
	return res
}

// BuildConninfo renders libpq keyword=value pairs, sorted by keyword, every
// value single-quoted with ' and \ backslash-escaped.
func BuildConninfo(kv map[string]string) (string, error) {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		if k == "" || strings.IndexFunc(k, func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_'
		}) >= 0 {
			return "", fmt.Errorf("conninfo keyword %q is invalid (letters, digits and _ only)", k)
		}
		if strings.ContainsRune(kv[k], 0) {
			return "", fmt.Errorf("conninfo value for %q contains a NUL byte", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteString("='")
		b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(kv[k]))
		b.WriteByte('\'')
	}
	return b.String(), nil
}
