package testserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// groupMembers lists the pids whose process group is pgid.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces: cut at the last ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// assertGone checks that a stopped server left nothing behind: no process in
// its group, its port refuses connections, its directory is removed.
func assertGone(t *testing.T, what string, pid, port int, dir string, kids []procEntry) {
	t.Helper()
	for _, k := range kids {
		if k.alive() {
			t.Errorf("%s: child process %d survives cleanup", what, k.pid)
		}
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("%s: process %d still exists after cleanup (kill -0: %v)", what, pid, err)
	}
	if m := groupMembers(t, pid); len(m) > 0 {
		t.Errorf("%s: processes %v of group %d survive cleanup", what, m, pid)
	}
	if tcpAccepts(port) {
		t.Errorf("%s: port %d still accepts connections after cleanup", what, port)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: directory %s still exists after cleanup (stat: %v)", what, dir, err)
	}
}

func TestPostgresSSLWithPsql(t *testing.T) {
	p := StartPostgres(t, PostgresConfig{
		SSL:   true,
		HBA:   "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
		Roles: []string{"alice", `we"ird role`},
	})
	t.Logf("PostgreSQL start (copy template, start, roles): %s; template init in this process: %s", p.StartDuration, templateInitDuration)
	if p.Host != "127.0.0.1" || p.Port <= 0 || p.SocketDir != p.Dir {
		t.Fatalf("unexpected server fields %+v", p)
	}
	if got := p.Exec(t, "SHOW listen_addresses"); got != "127.0.0.1" {
		t.Errorf("listen_addresses = %q, want 127.0.0.1", got)
	}
	if got := p.Exec(t, "SHOW ssl"); got != "on" {
		t.Errorf("ssl = %q, want on", got)
	}
	// Key file mode and owner, as PostgreSQL requires.
	fi, err := os.Stat(filepath.Join(p.Dir, "server.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("server.key mode %o, want 600", fi.Mode().Perm())
	}
	if u, _ := serverUser(); int(fi.Sys().(*syscall.Stat_t).Uid) != u.uid {
		t.Errorf("server.key not owned by %s", u.name)
	}

	base := map[string]string{"host": p.Host, "port": strconv.Itoa(p.Port), "dbname": "postgres", "user": "alice", "connect_timeout": "10"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	r := Psql(t, with("sslmode", "require"), ClientTLS{}, "SELECT ssl, current_user FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	if r.Err != nil || r.ExitCode != 0 {
		t.Fatalf("psql sslmode=require failed: exit %d err %v stderr %s\n%s", r.ExitCode, r.Err, r.Stderr, p.logTail())
	}
	if got := strings.TrimSpace(r.Stdout); got != "t|alice" {
		t.Errorf("pg_stat_ssl over sslmode=require: got %q, want t|alice", got)
	}

	// verify-full against the generated certificate as trust anchor, both by
	// IP (iPAddress SAN) and by name.
	crt, err := os.ReadFile(filepath.Join(p.Dir, "server.crt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		m := with("sslmode", "verify-full")
		m["host"] = host
		m["hostaddr"] = "127.0.0.1"
		r = Psql(t, m, ClientTLS{RootCertPEM: string(crt)}, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
		if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "t" {
			t.Errorf("verify-full host=%s: exit %d stdout %q stderr %s", host, r.ExitCode, r.Stdout, r.Stderr)
		}
	}
	// A wrong trust anchor must fail verification (the harness really passes sslrootcert).
	other, _, err := SelfSignedServerCert()
	if err != nil {
		t.Fatal(err)
	}
	r = Psql(t, with("sslmode", "verify-ca"), ClientTLS{RootCertPEM: other}, "SELECT 1")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "certificate verify failed") {
		t.Errorf("verify-ca with a foreign root: exit %d stderr %q, want certificate verify failed", r.ExitCode, r.Stderr)
	}
	// The HBA given is in force: plaintext is rejected.
	r = Psql(t, with("sslmode", "disable"), ClientTLS{}, "SELECT 1")
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, "pg_hba.conf rejects connection") || !strings.Contains(r.Stderr, "no encryption") {
		t.Errorf("sslmode=disable: exit %d stderr %q, want rejection by pg_hba.conf", r.ExitCode, r.Stderr)
	}
	// Quoted role identifier was created as given.
	r = Psql(t, with("user", `we"ird role`), ClientTLS{}, "SELECT current_user")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != `we"ird role` {
		t.Errorf("role with quote: exit %d stdout %q stderr %s", r.ExitCode, r.Stdout, r.Stderr)
	}
}

func TestPsqlHermeticAndQuoting(t *testing.T) {
	p := StartPostgres(t, PostgresConfig{HBA: "host all all 127.0.0.1/32 scram-sha-256\n"})
	pw := `it's a \ pass'word\`
	p.Exec(t, "SET password_encryption = 'scram-sha-256'; CREATE ROLE bob LOGIN PASSWORD "+QuoteLiteral(pw))
	ci := map[string]string{"host": p.Host, "port": strconv.Itoa(p.Port), "dbname": "postgres", "user": "bob", "password": pw}
	r := Psql(t, ci, ClientTLS{}, "SELECT current_user")
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "bob" {
		t.Fatalf("password with quote and backslashes: exit %d stdout %q stderr %s", r.ExitCode, r.Stdout, r.Stderr)
	}
	ci["password"] = pw + "x"
	r = Psql(t, ci, ClientTLS{}, "SELECT 1")
	if r.ExitCode != 2 || r.Err == nil || !strings.Contains(r.Stderr, `password authentication failed for user "bob"`) {
		t.Errorf("wrong password: exit %d err %v stderr %q", r.ExitCode, r.Err, r.Stderr)
	}
	// PG* variables of the test process never reach psql.
	t.Setenv("PGPASSWORD", pw)
	t.Setenv("PGUSER", "bob")
	delete(ci, "password")
	r = Psql(t, ci, ClientTLS{}, "SELECT 1")
	if r.ExitCode == 0 {
		t.Errorf("psql connected without a password: PGPASSWORD leaked into its environment")
	}
	// The environment psql sees.
	ci["password"] = pw
	r = Psql(t, ci, ClientTLS{}, `\! env`)
	if r.ExitCode != 0 {
		t.Fatalf("psql \\! env: exit %d stderr %s", r.ExitCode, r.Stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "PATH", "LANG", "PWD", "SHLVL", "_":
		case "PGSYSCONFDIR", "PGLOCALEDIR": // set by psql itself for its children
		case "HOME":
			if ents, err := os.ReadDir(v); err != nil || len(ents) != 0 {
				t.Errorf("HOME %s is not an empty directory (%v, %d entries)", v, err, len(ents))
			}
		default:
			t.Errorf("unexpected variable in psql's environment: %s", k)
		}
	}
	if _, err := BuildConninfo(map[string]string{"bad key": "x"}); err == nil {
		t.Errorf("BuildConninfo accepted a keyword with a space")
	}
	if got, _ := BuildConninfo(map[string]string{"password": `a'b\c`, "host": "h"}); got != `host='h' password='a\'b\\c'` {
		t.Errorf("BuildConninfo = %s", got)
	}
}

func TestExecQueryReload(t *testing.T) {
	p := StartPostgres(t, PostgresConfig{Roles: []string{"carol"}, Settings: map[string]string{"work_mem": "'8MB'"}})
	if got := p.Exec(t, "SHOW work_mem"); got != "8MB" {
		t.Errorf("Settings not applied: work_mem = %q", got)
	}
	if got := p.Exec(t, "CREATE TABLE t(a int, b text); INSERT INTO t VALUES (1, NULL), (2, ''), (3, 'x|y\nz'); SELECT count(*) FROM t"); got != "3" {
		t.Errorf("Exec multi-statement output %q, want 3", got)
	}
	rows := p.QueryNullable(t, "SELECT a, b FROM t ORDER BY a")
	if len(rows) != 3 {
		t.Fatalf("QueryNullable rows = %d, want 3", len(rows))
	}
	if *rows[0][0] != "1" || rows[0][1] != nil || *rows[1][1] != "" || *rows[2][1] != "x|y\nz" {
		t.Errorf("QueryNullable = %q %v %q %q", *rows[0][0], rows[0][1], *rows[1][1], *rows[2][1])
	}
	if q := p.Query(t, "SELECT a, b FROM t ORDER BY a"); q[0][1] != "" || q[2][1] != "x|y\nz" || q[2][0] != "3" {
		t.Errorf("Query = %q", q)
	}
	if q := p.Query(t, "SELECT 1 WHERE false"); len(q) != 0 {
		t.Errorf("Query of no rows = %q", q)
	}
	if q := p.Query(t, "SELECT ''"); len(q) != 1 || len(q[0]) != 1 || q[0][0] != "" {
		t.Errorf("Query of one empty value = %q", q)
	}

	// Reload with a new pg_hba.conf takes effect for the next connection.
	ci := map[string]string{"host": p.Host, "port": strconv.Itoa(p.Port), "dbname": "postgres", "user": "carol", "sslmode": "disable"}
	if r := Psql(t, ci, ClientTLS{}, "SELECT 1"); r.ExitCode != 0 {
		t.Fatalf("carol before reload: %s", r.Stderr)
	}
	path := p.WriteFile(t, "data/pg_hba.conf", "local all all trust\nhost all carol 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 trust\n")
	if path != filepath.Join(p.Dir, "data", "pg_hba.conf") {
		t.Errorf("WriteFile returned %s", path)
	}
	p.Reload(t)
	if r := Psql(t, ci, ClientTLS{}, "SELECT 1"); r.ExitCode == 0 || !strings.Contains(r.Stderr, `pg_hba.conf rejects connection for host "127.0.0.1", user "carol"`) {
		t.Errorf("carol after reload: exit %d stderr %q", r.ExitCode, r.Stderr)
	}
	if !strings.Contains(p.Log(), "received SIGHUP, reloading configuration files") {
		t.Errorf("server log has no reload line:\n%s", p.logTail())
	}
	if got := redact("ALTER ROLE x PASSWORD 'sec''ret' VALID UNTIL 'infinity'"); strings.Contains(got, "sec") {
		t.Errorf("redact left the password: %s", got)
	}
}

func TestPostgresCleanupAfterSubtest(t *testing.T) {
	var pid, port int
	var dir string
	var kids []procEntry
	t.Run("server", func(t *testing.T) {
		p := StartPostgres(t, PostgresConfig{SSL: true})
		pid, port, dir = p.proc.cmd.Process.Pid, p.Port, p.Dir
		if !tcpAccepts(port) {
			t.Fatalf("server not accepting on %d", port)
		}
		kids = descendants(pid)
		if len(kids) < 3 {
			t.Fatalf("expected the postmaster's background processes, found children %v", kids)
		}
	})
	if pid == 0 {
		t.Fatal("sub-test did not start a server")
	}
	assertGone(t, "postgres", pid, port, dir, kids)
}

func TestPostgresTwoInParallel(t *testing.T) {
	var mu sync.Mutex
	ports := map[int]string{}
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := StartPostgres(t, PostgresConfig{})
			p.Exec(t, "CREATE TABLE who(n text); INSERT INTO who VALUES ("+QuoteLiteral(name)+")")
			r := Psql(t, map[string]string{"host": p.Host, "port": strconv.Itoa(p.Port), "user": "postgres", "dbname": "postgres"}, ClientTLS{}, "SELECT n FROM who")
			if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != name {
				t.Errorf("server %s answered %q (exit %d, %s)", name, r.Stdout, r.ExitCode, r.Stderr)
			}
			mu.Lock()
			ports[p.Port] = name
			mu.Unlock()
			time.Sleep(200 * time.Millisecond) // overlap with the other server
		})
	}
	t.Cleanup(func() {
		if len(ports) != 2 {
			t.Errorf("two parallel servers got ports %v, want two distinct ports", ports)
		}
	})
}

// TestPostgresCleanupOnFailureAndPanic runs this test binary again with a test
// that starts a server and then fails (or panics), and checks that the server
// is gone afterwards.
func TestPostgresCleanupOnFailureAndPanic(t *testing.T) {
	if os.Getenv("PGTLS_TESTSERVER_CHILD") != "" {
		t.Skip("running as child")
	}
	RequirePostgres(t)
	for _, mode := range []string{"fail", "panic"} {
		t.Run(mode, func(t *testing.T) {
			info := filepath.Join(t.TempDir(), "info")
			cmd := exec.Command(os.Args[0], "-test.run=^TestChildStartsServerThen$", "-test.count=1", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), "PGTLS_TESTSERVER_CHILD="+mode, "PGTLS_TESTSERVER_INFO="+info)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("child test should have failed:\n%s", out)
			}
			if mode == "panic" && !strings.Contains(string(out), "deliberate panic") {
				t.Errorf("child did not panic:\n%s", out)
			}
			b, rerr := os.ReadFile(info)
			if rerr != nil {
				t.Fatalf("child wrote no server info (%v):\n%s", rerr, out)
			}
			f := strings.Fields(string(b))
			pid, _ := strconv.Atoi(f[0])
			port, _ := strconv.Atoi(f[1])
			var kids []procEntry
			for _, k := range f[3:] {
				ps, start, _ := strings.Cut(k, ":")
				kp, _ := strconv.Atoi(ps)
				kids = append(kids, procEntry{kp, start})
			}
			if len(kids) < 3 {
				t.Errorf("child reported only %d server child processes: %q", len(kids), b)
			}
			assertGone(t, "postgres after "+mode, pid, port, f[2], kids)
		})
	}
}

func TestChildStartsServerThen(t *testing.T) {
	mode := os.Getenv("PGTLS_TESTSERVER_CHILD")
	if mode == "" {
		t.Skip("only runs as the child of TestPostgresCleanupOnFailureAndPanic")
	}
	p := StartPostgres(t, PostgresConfig{})
	info := strconv.Itoa(p.proc.cmd.Process.Pid) + " " + strconv.Itoa(p.Port) + " " + p.Dir
	for _, k := range descendants(p.proc.cmd.Process.Pid) {
		info += " " + strconv.Itoa(k.pid) + ":" + k.start
	}
	if err := os.WriteFile(os.Getenv("PGTLS_TESTSERVER_INFO"), []byte(info), 0o600); err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "panic":
		panic("deliberate panic after starting a server")
	case "hang":
		time.Sleep(2 * time.Minute) // the parent SIGKILLs this process
	}
	t.Fatalf("deliberate failure after starting a server")
}

// fakeTB records Skipf/Fatalf instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.fatal = sprintf(format, a...) }

func TestRequireSkipsOrFails(t *testing.T) {
	missing := "/nonexistent/pgtls/postgres"
	t.Setenv("CI", "")
	t.Setenv("PGTLS_REQUIRE_SERVERS", "")
	f := &fakeTB{TB: t}
	requireFiles(f, "PostgreSQL 15 server binaries", missing)
	if f.fatal != "" || !strings.HasPrefix(f.skipped, "SKIP: PostgreSQL 15 server binaries not found at "+missing) || !strings.Contains(f.skipped, "tools/ensure-system.sh") {
		t.Errorf("without CI: skipped %q fatal %q", f.skipped, f.fatal)
	}
	for _, env := range [][2]string{{"CI", "true"}, {"PGTLS_REQUIRE_SERVERS", "1"}} {
		t.Setenv(env[0], env[1])
		f = &fakeTB{TB: t}
		requireFiles(f, "PgBouncer", missing)
		if f.skipped != "" || !strings.Contains(f.fatal, "PgBouncer not found at "+missing) {
			t.Errorf("with %s=%s: skipped %q fatal %q", env[0], env[1], f.skipped, f.fatal)
		}
		t.Setenv(env[0], "")
	}
	f = &fakeTB{TB: t}
	requireFiles(f, "present", "/bin/sh")
	if f.skipped != "" || f.fatal != "" {
		t.Errorf("present binary: skipped %q fatal %q", f.skipped, f.fatal)
	}
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// TestPostgresStopsWhenTestBinaryIsKilled: a test binary killed before its
// cleanups run (go test -timeout, SIGKILL) leaves no running server behind.
func TestPostgresStopsWhenTestBinaryIsKilled(t *testing.T) {
	if os.Getenv("PGTLS_TESTSERVER_CHILD") != "" {
		t.Skip("running as child")
	}
	RequirePostgres(t)
	info := filepath.Join(t.TempDir(), "info")
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildStartsServerThen$", "-test.count=1", "-test.timeout=3m")
	cmd.Env = append(os.Environ(), "PGTLS_TESTSERVER_CHILD=hang", "PGTLS_TESTSERVER_INFO="+info)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }() // already gone when the test passes
	var b []byte
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, _ = os.ReadFile(info); len(strings.Fields(string(b))) >= 3 {
			break
		}
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		t.Fatalf("child did not report its server")
	}
	pid, _ := strconv.Atoi(f[0])
	port, _ := strconv.Atoi(f[1])
	dir := f[2]
	t.Cleanup(func() { os.RemoveAll(dir) }) // the killed child never removed it
	if !tcpAccepts(port) {
		t.Fatalf("child's server is not running on %d", port)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil && !tcpAccepts(port) {
			return
		}
	}
	t.Errorf("postgres (pid %d, port %d) still runs after its test binary was killed", pid, port)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}
