package pooler

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// bouncerConsole is a running PgBouncer 1.18 started from a rendered ini
// (auth_type trust, no TLS) whose admin console the test queries with pgx
// (simple protocol, typed values: no output parsing).
type bouncerConsole struct {
	t    *testing.T
	dir  string
	port int
	base PgBouncerINI
	b    *testserver.PgBouncer
}

func startBouncerConsole(t *testing.T, pg *testserver.Postgres) *bouncerConsole {
	t.Helper()
	dir := testserver.NewPoolerDir(t, "pgtls-rc-")
	port := testserver.FreePort(t)
	c := &bouncerConsole{t: t, dir: dir, port: port, base: PgBouncerINI{
		Version:       PgBouncer118,
		Databases:     []PgBouncerDatabase{{Name: "postgres", Host: "127.0.0.1", Port: i64(pg.Port)}},
		ListenAddr:    []string{"127.0.0.1"},
		ListenPort:    i64(port),
		UnixSocketDir: strp(dir),
		LogFile:       join(dir, "pgbouncer.log"),
		PidFile:       join(dir, "pgbouncer.pid"),
		AuthType:      "trust",
		AuthFile:      join(dir, "userlist.txt"),
		AdminUsers:    []string{"admin"},
		Settings:      map[string]string{},
	}}
	ini, err := c.base.Render()
	if err != nil {
		t.Fatal(err)
	}
	users, _ := RenderUserlist("", []UserlistEntry{{User: "admin"}})
	c.b = testserver.StartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "pgbouncer.ini", LogFile: c.base.LogFile,
		Files: testserver.RenderedFiles{"pgbouncer.ini": ini, "userlist.txt": users}})
	return c
}

// reload writes the ini and userlist and issues RELOAD on the console.
func (c *bouncerConsole) reload(ini, userlist string) {
	c.t.Helper()
	c.b.WriteFile(c.t, "pgbouncer.ini", ini)
	if userlist != "" {
		c.b.WriteFile(c.t, "userlist.txt", userlist)
		// PgBouncer re-reads auth_file only when its mtime/size changed:
		// make sure the mtime moves even within one second.
		p := filepath.Join(c.dir, "userlist.txt")
		fut := time.Now().Add(time.Duration(rand.Intn(1e6)+1) * time.Second)
		_ = os.Chtimes(p, fut, fut)
	}
	c.query("RELOAD")
	if strings.Contains(afterLast(c.b.Log(), "RELOAD command issued"), "config file loading failed") {
		c.t.Fatalf("PgBouncer refused the rendered file:\n%s\n%s", ini, c.b.Log())
	}
}

func afterLast(s, mark string) string {
	if i := strings.LastIndex(s, mark); i >= 0 {
		return s[i:]
	}
	return s
}

// query runs an admin-console command and returns its rows as strings
// (NULL as "\x00NULL").
func (c *bouncerConsole) query(sql string) [][]string {
	c.t.Helper()
	cfg, err := pgx.ParseConfig("host=127.0.0.1 port=" + strconv.Itoa(c.port) + " user=admin dbname=pgbouncer sslmode=disable connect_timeout=10")
	if err != nil {
		c.t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		c.t.Fatalf("admin console: %v\n%s", err, c.b.Log())
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		raw := rows.RawValues() // simple protocol: text format
		row := make([]string, len(raw))
		for i, v := range raw {
			if v == nil {
				row[i] = "\x00NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func (c *bouncerConsole) showConfig() map[string]string {
	m := map[string]string{}
	for _, r := range c.query("SHOW CONFIG") {
		m[r[0]] = r[1]
	}
	return m
}

// randomValue makes a one-line value from bytes that matter to the INI and
// connection-string parsers: quotes, ';', '#', '=', '%', blanks, UTF-8.
func randomValue(r *rand.Rand, max int) string {
	alphabet := []string{"a", "Z", "0", " ", "'", "''", "\"", ";", "#", "=", "%include", "$1", "\\", ",", "[x]", "é", "✓", "\t"}
	n := 1 + r.Intn(max)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(alphabet[r.Intn(len(alphabet))])
	}
	return b.String()
}

// TestPgBouncerINIRoundTrip renders pgbouncer.ini with random values in
// string settings ([pgbouncer]), in [databases] connection strings and in
// userlist.txt names, RELOADs a real PgBouncer 1.18 and reads back what it
// parsed (SHOW CONFIG, SHOW DATABASES, SHOW USERS). Values the validator
// accepts come back unchanged; values it refuses are not written.
func TestPgBouncerINIRoundTrip(t *testing.T) {
	testserver.RequirePgBouncer(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	c := startBouncerConsole(t, pg)
	seed := time.Now().UnixNano()
	if s := os.Getenv("PGTLS_FUZZ_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (PGTLS_FUZZ_SEED reproduces)", seed)
	r := rand.New(rand.NewSource(seed))
	iterations := 200
	if testing.Short() {
		iterations = 10
	}
	accepted, refused := 0, 0
	for it := 0; it < iterations; it++ {
		cfg := c.base
		cfg.Settings = map[string]string{}
		strSettings := []string{"server_check_query", "server_reset_query", "syslog_ident", "ignore_startup_parameters", "auth_query"}
		want := map[string]string{}
		for _, k := range strSettings {
			v := randomValue(r, 12)
			probe := cfg
			probe.Settings = map[string]string{k: v}
			if k == "auth_query" {
				probe.Settings = nil
				probe.AuthQuery = v
				probe.AuthUser = "admin"
			}
			if probe.Validate().Err() != nil {
				refused++
				continue
			}
			accepted++
			want[k] = v
			if k == "auth_query" {
				cfg.AuthQuery, cfg.AuthUser = v, "admin"
			} else {
				cfg.Settings[k] = v
			}
		}
		dbname, fuser := randomValue(r, 10), "u"+randomValue(r, 8)
		db := PgBouncerDatabase{Name: "db" + strconv.Itoa(it), Host: "127.0.0.1", Port: i64(pg.Port), DBName: dbname, User: fuser, Password: randomValue(r, 8)}
		probe := cfg
		probe.Databases = append(append([]PgBouncerDatabase{}, cfg.Databases...), db)
		dbOK := probe.Validate().Err() == nil
		if dbOK {
			cfg = probe
			accepted++
		} else {
			refused++
		}
		var entries []UserlistEntry
		entries = append(entries, UserlistEntry{User: "admin"})
		for i := 0; i < 5; i++ {
			e := UserlistEntry{User: randomValue(r, 10), Secret: randomValue(r, 20)}
			if _, msg := CheckUserlistEntry(e); msg != "" || e.User == "admin" {
				refused++
				continue
			}
			dup := false
			for _, x := range entries {
				dup = dup || x.User == e.User
			}
			if !dup {
				entries = append(entries, e)
			}
		}
		users, err := RenderUserlist("round trip "+strconv.Itoa(it), entries)
		if err != nil {
			t.Fatal(err)
		}
		ini, err := cfg.Render()
		if err != nil {
			t.Fatal(err)
		}
		c.reload(ini, users)
		got := c.showConfig()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("iteration %d: %s = %q came back from SHOW CONFIG as %q\nini:\n%s", it, k, v, got[k], ini)
			}
		}
		if dbOK {
			found := false
			for _, row := range c.query("SHOW DATABASES") {
				if row[0] == db.Name {
					found = true
					if row[3] != db.DBName || row[4] != db.User {
						t.Errorf("iteration %d: database %s came back as dbname %q force_user %q, want %q %q\nini:\n%s", it, db.Name, row[3], row[4], db.DBName, db.User, ini)
					}
				}
			}
			if !found {
				t.Errorf("iteration %d: database %s missing from SHOW DATABASES", it, db.Name)
			}
		}
		var gotUsers []string
		for _, row := range c.query("SHOW USERS") {
			gotUsers = append(gotUsers, row[0])
		}
		for _, e := range entries {
			if !containsStr(gotUsers, e.User) {
				t.Errorf("iteration %d: userlist user %q missing from SHOW USERS %q\nuserlist:\n%s", it, e.User, gotUsers, users)
			}
		}
	}
	t.Logf("%d values accepted and read back by PgBouncer, %d refused by validation", accepted, refused)
	if accepted == 0 {
		t.Fatal("nothing was accepted: the test proved nothing")
	}
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
