package testserver

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestPgBouncerTLSPassThrough(t *testing.T) {
	RequirePgBouncer(t)
	var bpid, bport int
	var bdir string
	var kids []procEntry
	t.Run("server", func(t *testing.T) {
		pg := StartPostgres(t, PostgresConfig{Roles: []string{"alice"}})
		pg.Exec(t, "CREATE TABLE marker(v text); INSERT INTO marker VALUES ('from-backend'); GRANT SELECT ON marker TO alice")
		crt, key, err := SelfSignedServerCert()
		if err != nil {
			t.Fatal(err)
		}
		b := StartPgBouncer(t, PgBouncerConfig{Backend: pg, AuthFile: `"alice" ""` + "\n", CertPEM: crt, KeyPEM: key})
		t.Logf("PgBouncer start: %s", b.StartDuration)
		bpid, bport, bdir = b.p.proc.cmd.Process.Pid, b.Port, b.Dir
		kids = descendants(bpid)
		ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(b.Port), "dbname": "postgres", "user": "alice", "connect_timeout": "10", "sslmode": "verify-full"}
		r := Psql(t, ci, ClientTLS{RootCertPEM: crt}, "SELECT v, current_user, inet_server_port() FROM marker")
		if r.ExitCode != 0 {
			t.Fatalf("psql through PgBouncer with verify-full: exit %d stderr %s\n%s", r.ExitCode, r.Stderr, tail(b.Log(), 30))
		}
		if want := "from-backend|alice|" + strconv.Itoa(pg.Port); strings.TrimSpace(r.Stdout) != want {
			t.Errorf("through PgBouncer got %q, want %q", r.Stdout, want)
		}
		// The client side really is TLS: PgBouncer logs the TLS connection, and a
		// plaintext client is refused (client_tls_sslmode=require).
		if !strings.Contains(b.Log(), "TLSv1.3") {
			t.Errorf("PgBouncer log shows no TLSv1.3 client connection:\n%s", tail(b.Log(), 20))
		}
		ci["sslmode"] = "disable"
		r = Psql(t, ci, ClientTLS{}, "SELECT 1")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "SSL required") {
			t.Errorf("plaintext client through PgBouncer: exit %d stderr %q, want SSL required", r.ExitCode, r.Stderr)
		}
		// A user not in auth_file is refused.
		ci["sslmode"] = "require"
		ci["user"] = "postgres"
		r = Psql(t, ci, ClientTLS{}, "SELECT 1")
		if r.ExitCode == 0 {
			t.Errorf("user missing from auth_file got through PgBouncer")
		}
		if fi, err := os.Stat(b.Dir + "/server.key"); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("pgbouncer server.key: %v %v", fi, err)
		}
	})
	if bpid == 0 {
		t.Fatal("sub-test did not start PgBouncer")
	}
	assertGone(t, "pgbouncer", bpid, bport, bdir, kids)
}

func TestPgBouncerHBA(t *testing.T) {
	pg := StartPostgres(t, PostgresConfig{Roles: []string{"alice", "bob"}})
	crt, key, err := SelfSignedServerCert()
	if err != nil {
		t.Fatal(err)
	}
	b := StartPgBouncer(t, PgBouncerConfig{
		Backend:  pg,
		AuthFile: `"alice" ""` + "\n" + `"bob" ""` + "\n",
		HBA:      "hostssl all alice 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n",
		CertPEM:  crt, KeyPEM: key,
		Ini: map[string]string{"client_tls_sslmode": "allow"},
	})
	ci := map[string]string{"host": b.Host, "port": strconv.Itoa(b.Port), "dbname": "postgres", "connect_timeout": "10"}
	for _, c := range []struct {
		user, sslmode string
		ok            bool
	}{{"alice", "require", true}, {"alice", "disable", false}, {"bob", "require", false}} {
		ci["user"], ci["sslmode"] = c.user, c.sslmode
		r := Psql(t, ci, ClientTLS{}, "SELECT current_user")
		if (r.ExitCode == 0) != c.ok || (c.ok && strings.TrimSpace(r.Stdout) != c.user) {
			t.Errorf("%s sslmode=%s through PgBouncer hba: exit %d stdout %q stderr %q, want ok=%v", c.user, c.sslmode, r.ExitCode, r.Stdout, r.Stderr, c.ok)
		}
	}
}

func TestPgpoolTLSPassThrough(t *testing.T) {
	RequirePgpool(t)
	var gpid, gport int
	var gdir string
	var kids []procEntry
	t.Run("server", func(t *testing.T) {
		pg := StartPostgres(t, PostgresConfig{Roles: []string{"alice"}})
		pg.Exec(t, "CREATE TABLE marker(v text); INSERT INTO marker VALUES ('from-backend'); GRANT SELECT ON marker TO alice")
		crt, key, err := SelfSignedServerCert()
		if err != nil {
			t.Fatal(err)
		}
		g := StartPgpool(t, PgpoolConfig{Backend: pg, CertPEM: crt, KeyPEM: key,
			PoolHBA: "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n"})
		t.Logf("Pgpool-II start: %s", g.StartDuration)
		gpid, gport, gdir = g.p.proc.cmd.Process.Pid, g.Port, g.Dir
		kids = descendants(gpid)
		if len(kids) < 4 {
			t.Errorf("expected pgpool children, found %v", kids)
		}
		ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(g.Port), "dbname": "postgres", "user": "alice", "connect_timeout": "10", "sslmode": "verify-full"}
		r := Psql(t, ci, ClientTLS{RootCertPEM: crt}, "SELECT v, current_user, inet_server_port() FROM marker")
		if r.ExitCode != 0 {
			t.Fatalf("psql through Pgpool-II with verify-full: exit %d stderr %s\n%s", r.ExitCode, r.Stderr, tail(g.Log(), 30))
		}
		if want := "from-backend|alice|" + strconv.Itoa(pg.Port); strings.TrimSpace(r.Stdout) != want {
			t.Errorf("through Pgpool-II got %q, want %q", r.Stdout, want)
		}
		ci["sslmode"] = "disable"
		r = Psql(t, ci, ClientTLS{}, "SELECT 1")
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "pool_hba.conf") {
			t.Errorf("plaintext client through Pgpool-II: exit %d stderr %q, want a pool_hba.conf rejection", r.ExitCode, r.Stderr)
		}
	})
	if gpid == 0 {
		t.Fatal("sub-test did not start Pgpool-II")
	}
	assertGone(t, "pgpool", gpid, gport, gdir, kids)
}

func TestPoolerReload(t *testing.T) {
	pg := StartPostgres(t, PostgresConfig{Roles: []string{"alice", "bob"}})
	b := StartPgBouncer(t, PgBouncerConfig{Backend: pg, AuthFile: `"alice" ""` + "\n" + `"bob" ""` + "\n",
		HBA: "host all all 127.0.0.1/32 trust\n"})
	g := StartPgpool(t, PgpoolConfig{Backend: pg})
	for _, c := range []struct {
		name   string
		port   int
		write  func()
		reload func()
	}{
		{"pgbouncer", b.Port, func() {
			b.WriteFile(t, "hba.conf", "host all bob 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 trust\n")
		}, func() { b.Reload(t) }},
		{"pgpool", g.Port, func() {
			g.WriteFile(t, "pool_hba.conf", "local all all trust\nhost all bob 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 trust\n")
		}, func() { g.Reload(t) }},
	} {
		ci := map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(c.port), "dbname": "postgres", "user": "bob", "sslmode": "disable", "connect_timeout": "10"}
		if r := Psql(t, ci, ClientTLS{}, "SELECT current_user"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "bob" {
			t.Fatalf("%s: bob before reload: exit %d %q %s", c.name, r.ExitCode, r.Stdout, r.Stderr)
		}
		c.write()
		c.reload()
		// Pgpool-II children pick up the new pool_hba.conf when they next
		// accept; try a few connections so every child has been hit.
		for i := 0; i < 6; i++ {
			if r := Psql(t, ci, ClientTLS{}, "SELECT 1"); r.ExitCode == 0 {
				t.Errorf("%s: bob got in after reload with a reject line (try %d)", c.name, i)
			}
		}
		ci["user"] = "alice"
		if r := Psql(t, ci, ClientTLS{}, "SELECT current_user"); r.ExitCode != 0 {
			t.Errorf("%s: alice after reload: exit %d %s", c.name, r.ExitCode, r.Stderr)
		}
	}
}
