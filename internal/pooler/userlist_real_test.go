package pooler

import (
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/scram"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestPgBouncerUserlistFormats: a real PgBouncer 1.18 reads every format
// this package writes: a verifier computed from a password and one given
// ready (PgBouncer logs in to PostgreSQL's scram-sha-256 with the client's
// SCRAM keys, which works only because PostgreSQL holds the very same
// verifier: nothing stores the password in clear), md5 and plain entries;
// user names and passwords with quotes and blanks. The right password gets
// in, a wrong one does not. auth_type is md5 because PgBouncer cannot run
// SCRAM for a user whose entry is an md5 hash ("user has MD5 secret"); it
// switches to SCRAM by itself for entries that are verifiers.
func TestPgBouncerUserlistFormats(t *testing.T) {
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{HBA: "host all \"old md5\" 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 scram-sha-256\n"})
	shared, err := scram.NewRandom(`sh"ared pw`, 4096)
	if err != nil {
		t.Fatal(err)
	}
	users := []struct {
		u  UserlistUser
		pw string
	}{
		{UserlistUser{Name: `al"ice`, Format: UserlistSCRAM, Password: `it's "pw"`}, `it's "pw"`},
		{UserlistUser{Name: "passthrough", Format: UserlistSCRAM, Verifier: shared.String()}, `sh"ared pw`},
		{UserlistUser{Name: "old md5", Format: UserlistMD5, Password: "md5 pw"}, "md5 pw"},
		{UserlistUser{Name: "plain", Format: UserlistPlain, Password: `pl"ain`}, `pl"ain`},
	}
	l := Userlist{Header: "formats test"}
	salts := map[string][]byte{}
	for _, x := range users {
		l.Users = append(l.Users, x.u)
		if x.u.NeedsSalt() {
			s, _ := scram.RandomSalt()
			salts[x.u.Name] = s
		}
	}
	content, err := l.Render(salts)
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL gets the same secret as userlist.txt for the SCRAM users
	// (pass-through needs the identical verifier), an md5 hash for the md5
	// user, its own verifier of the password for the plain one (PgBouncer
	// logs in with the password it holds).
	entries, ok := ParseUserlist(content)
	if !ok || len(entries) != len(users) {
		t.Fatalf("userlist does not parse back: %q", content)
	}
	for i, x := range users {
		enc, lit := "scram-sha-256", entries[i].Secret
		switch x.u.Format {
		case UserlistMD5:
			enc = "md5"
		case UserlistPlain:
			lit = x.pw
		}
		pg.Exec(t, "SET password_encryption = '"+enc+"'; CREATE ROLE "+quoteIdent(x.u.Name)+" LOGIN PASSWORD "+quoteLiteral(lit))
	}
	masked, _ := l.RenderMasked()
	if strings.Contains(masked, "SCRAM") || strings.Contains(masked, "md5") && !strings.Contains(masked, "old md5") {
		t.Fatalf("review copy shows secrets:\n%s", masked)
	}
	dir := testserver.NewPoolerDir(t, "pgtls-ru-")
	port := testserver.FreePort(t)
	ini, err := (&PgBouncerINI{
		Databases:     []PgBouncerDatabase{{Name: "postgres", Host: "127.0.0.1", Port: i64(pg.Port)}},
		ListenAddr:    []string{"127.0.0.1"},
		ListenPort:    i64(port),
		UnixSocketDir: strp(dir),
		LogFile:       join(dir, "b.log"),
		AuthType:      "md5",
		AuthFile:      join(dir, "userlist.txt"),
	}).Render()
	if err != nil {
		t.Fatal(err)
	}
	b := testserver.StartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "b.ini", LogFile: join(dir, "b.log"),
		Files: testserver.RenderedFiles{"b.ini": ini, "userlist.txt": content}})
	for _, x := range users {
		ci := map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(port), "dbname": "postgres", "user": x.u.Name, "sslmode": "disable", "password": x.pw}
		if r := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT current_user"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != x.u.Name {
			t.Errorf("%q (%s): exit %d %q %s\n%s", x.u.Name, x.u.Format, r.ExitCode, r.Stdout, r.Stderr, b.Log())
		}
		ci["password"] = x.pw + "!"
		if r := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT 1"); r.ExitCode == 0 {
			t.Errorf("%q (%s) got in with a wrong password", x.u.Name, x.u.Format)
		}
	}
}

func TestUserlistValidate(t *testing.T) {
	v, _ := scram.NewRandom("pw", 4096)
	for _, c := range []struct {
		name string
		u    UserlistUser
		want string
	}{
		{"no secret", UserlistUser{Name: "a", Format: UserlistSCRAM}, "users[0].password"},
		{"both", UserlistUser{Name: "a", Format: UserlistSCRAM, Password: "p", Verifier: v.String()}, "users[0].scram_verifier"},
		{"bad verifier", UserlistUser{Name: "a", Format: UserlistSCRAM, Verifier: "SCRAM-SHA-256$4096:x"}, "users[0].scram_verifier"},
		{"plain looks like md5", UserlistUser{Name: "a", Format: UserlistPlain, Password: MD5Secret("a", "b")}, "users[0].password"},
		{"plain looks like scram", UserlistUser{Name: "a", Format: UserlistPlain, Password: v.String()}, "users[0].password"},
		{"none with password", UserlistUser{Name: "a", Format: UserlistEmpty, Password: "p"}, "users[0].format"},
		{"md5 with verifier", UserlistUser{Name: "a", Format: UserlistMD5, Password: "p", Verifier: v.String()}, "users[0].scram_verifier"},
		{"long name", UserlistUser{Name: strings.Repeat(`"`, 64), Format: UserlistEmpty}, "users[0].name"},
	} {
		errs := Userlist{Users: []UserlistUser{c.u}}.Validate().Errors()
		if len(errs) == 0 || errs[0].Path.String() != c.want {
			t.Errorf("%s: %v, want an error on %s", c.name, errs, c.want)
		}
		for _, e := range errs {
			if strings.Contains(e.String(), v.String()[20:40]) || strings.Contains(e.String(), `"p"`) {
				t.Errorf("%s: secret in %s", c.name, e)
			}
		}
	}
	ps := Userlist{Users: []UserlistUser{{Name: "Alice", Format: UserlistEmpty}, {Name: "alice", Format: UserlistEmpty}}}.Validate()
	if ps.Err() != nil || len(ps.Warnings()) != 1 {
		t.Errorf("case-only duplicates: want one warning, got %v", ps)
	}
}

// TestPgBouncerUserlistRandomLogins: random user names (quotes doubled in
// the file, blanks, UTF-8) and passwords (including characters SASLprep
// maps or normalizes) as verifiers computed from passwords; each user logs
// in through a real PgBouncer 1.18 with its password, and not with another.
func TestPgBouncerUserlistRandomLogins(t *testing.T) {
	testserver.RequirePgBouncer(t)
	seed := time.Now().UnixNano()
	if s := os.Getenv("PGTLS_FUZZ_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (PGTLS_FUZZ_SEED reproduces)", seed)
	r := rand.New(rand.NewSource(seed))
	alphabet := []string{"a", "Z", "7", "\"", "'", " ", ";", "#", "\\", "é", "✓", "\u00a0", "\ufb01", "e\u0301", "\u00ad"}
	random := func(max int) string {
		var b strings.Builder
		for n := 1 + r.Intn(max); b.Len() < n; {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		return b.String()
	}
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{})
	var l Userlist
	seen := map[string]bool{}
	for len(l.Users) < 15 {
		u := UserlistUser{Name: random(20), Format: UserlistSCRAM, Password: random(30)}
		if seen[u.Name] || len(u.Name) > 63 || (Userlist{Users: []UserlistUser{u}}).Validate().Err() != nil {
			continue
		}
		seen[u.Name] = true
		l.Users = append(l.Users, u)
		pg.Exec(t, "CREATE ROLE "+quoteIdent(u.Name)+" LOGIN")
	}
	salts := map[string][]byte{}
	for _, u := range l.Users {
		salts[u.Name], _ = scram.RandomSalt()
	}
	content, err := l.Render(salts)
	if err != nil {
		t.Fatal(err)
	}
	dir := testserver.NewPoolerDir(t, "pgtls-rl-")
	port := testserver.FreePort(t)
	ini, err := (&PgBouncerINI{
		Databases:  []PgBouncerDatabase{{Name: "postgres", Host: "127.0.0.1", Port: i64(pg.Port)}},
		ListenAddr: []string{"127.0.0.1"}, ListenPort: i64(port), UnixSocketDir: strp(dir),
		LogFile: join(dir, "b.log"), AuthType: "scram-sha-256", AuthFile: join(dir, "userlist.txt"),
	}).Render()
	if err != nil {
		t.Fatal(err)
	}
	testserver.StartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "b.ini", LogFile: join(dir, "b.log"),
		Files: testserver.RenderedFiles{"b.ini": ini, "userlist.txt": content}})
	for i, u := range l.Users {
		ci := map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(port), "dbname": "postgres", "user": u.Name, "sslmode": "disable", "password": u.Password}
		if res := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT current_user"); res.ExitCode != 0 || strings.TrimSuffix(res.Stdout, "\n") != u.Name {
			t.Errorf("%q with its password %+q: exit %d %q %s", u.Name, u.Password, res.ExitCode, res.Stdout, res.Stderr)
		}
		other := l.Users[(i+1)%len(l.Users)].Password
		if other != u.Password {
			ci["password"] = other
			if res := testserver.Psql(t, ci, testserver.ClientTLS{}, "SELECT 1"); res.ExitCode == 0 {
				t.Errorf("%q got in with another user's password", u.Name)
			}
		}
	}
}

// TestPgBouncerRenderedAuthQueryAndUsers proves with a real PgBouncer 1.18
// the settings the other tests do not use: auth_user + auth_query (a user
// missing from userlist.txt is looked up in PostgreSQL; its SCRAM verifier
// comes from there, so PgBouncer's SCRAM pass-through works), stats_users
// (SHOW allowed, RELOAD refused), the [users] section and pool_mode. It
// also pins down why a [users] entry is a warning: PgBouncer then knows the
// user with an empty password and never looks it up with auth_query.
func TestPgBouncerRenderedAuthQueryAndUsers(t *testing.T) {
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{HBA: "host all all 127.0.0.1/32 scram-sha-256\n"})
	pg.Exec(t, `CREATE ROLE lookup SUPERUSER LOGIN PASSWORD 'lookup pw'; CREATE ROLE dave LOGIN PASSWORD 'dave''s pw'; CREATE ROLE eve LOGIN PASSWORD 'eve pw'`)
	dir := testserver.NewPoolerDir(t, "pgtls-rq-")
	port := testserver.FreePort(t)
	l := Userlist{Users: []UserlistUser{
		{Name: "lookup", Format: UserlistPlain, Password: "lookup pw"},
		{Name: "stats", Format: UserlistPlain, Password: "stats pw"},
	}}
	users, err := l.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &PgBouncerINI{
		Databases:  []PgBouncerDatabase{{Name: "postgres", Host: "127.0.0.1", Port: i64(pg.Port)}},
		Users:      []PgBouncerUser{{Name: "eve", PoolMode: "session", MaxUserConnections: i64(3)}},
		ListenAddr: []string{"127.0.0.1"}, ListenPort: i64(port), UnixSocketDir: strp(dir),
		LogFile: join(dir, "b.log"), PidFile: join(dir, "b.pid"),
		AuthType: "scram-sha-256", AuthFile: join(dir, "userlist.txt"),
		AuthUser: "lookup", AuthQuery: "SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1",
		StatsUsers: []string{"stats"}, PoolMode: "transaction",
	}
	ini, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	b := testserver.StartPgBouncerRendered(t, testserver.RenderedPgBouncer{Dir: dir, Port: port, Config: "b.ini", LogFile: c.LogFile,
		Files: testserver.RenderedFiles{"b.ini": ini, "userlist.txt": users}})
	q := func(db, user, pw, sql string) testserver.PsqlResult {
		return testserver.Psql(t, map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(port), "dbname": db, "user": user,
			"password": pw, "sslmode": "disable"}, testserver.ClientTLS{}, sql)
	}
	if r := q("postgres", "dave", "dave's pw", "SELECT current_user"); r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "dave" {
		t.Errorf("dave via auth_query: exit %d %q %s\n%s", r.ExitCode, r.Stdout, r.Stderr, b.Log())
	}
	if r := q("postgres", "dave", "wrong", "SELECT 1"); r.ExitCode == 0 {
		t.Errorf("dave got in with a wrong password")
	}
	if r := q("pgbouncer", "stats", "stats pw", "SHOW CONFIG"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "pool_mode|transaction|") {
		t.Errorf("stats user SHOW CONFIG: exit %d %s", r.ExitCode, r.Stderr)
	}
	if r := q("pgbouncer", "stats", "stats pw", "RELOAD"); r.ExitCode == 0 || !strings.Contains(r.Stderr, "admin access needed") {
		t.Errorf("stats user RELOAD: exit %d %q (want admin access needed)", r.ExitCode, r.Stderr)
	}
	if r := q("pgbouncer", "stats", "stats pw", "SHOW USERS"); r.ExitCode != 0 || !strings.Contains(r.Stdout, "eve|session") {
		t.Errorf("SHOW USERS lacks eve's pool_mode: %q %s", r.Stdout, r.Stderr)
	}
	if r := q("postgres", "eve", "eve pw", "SELECT 1"); r.ExitCode == 0 {
		t.Errorf("eve, listed in [users] only, logged in via auth_query: the [users] warning is obsolete")
	}
	if ws := c.Validate().Warnings(); len(ws) != 1 || ws[0].Path.String() != "users[0].name" {
		t.Errorf("want the [users] warning, got %v", ws)
	}
}
