package scram

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/xdg-go/stringprep"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// scramHBA lets the superuser in without a password and everyone else only
// with SCRAM.
const scramHBA = "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"

// trickyPasswords exercise every branch of pg_saslprep and its fallback.
var trickyPasswords = []string{
	"pencil",
	"with space and 'quote' and \\backslash and $dollar",
	"a\tb\x01c\x7f",            // ASCII controls: pure-ASCII shortcut
	"Passw\u00f6rd",            // composed
	"Passwo\u0308rd",           // decomposed: NFKC composes
	"\ufb01nance",              // ligature
	"a\u00a0b",                 // NBSP -> space
	"a\u200bb",                 // ZWSP -> space
	"pass\u00adword\u00e9",     // soft hyphen -> nothing
	"\u00ad\u200c",             // maps to nothing: raw bytes
	"a\ue000b\u00e9",           // private use: raw bytes
	"\u00e9\U0001F600",         // unassigned in 3.2: raw bytes
	"\u05d0\u2122\u05d0",       // bidi checked before NFKC
	"\u05d0a\u05d0",            // RandAL + L: raw bytes
	"\u0627\u0644\u0633\u0631", // Arabic, valid bidi
	"\xff\xfe\xfdinvalid",      // invalid UTF-8: raw bytes
	"caf\xc3",                  // truncated UTF-8
	strings.Repeat("\u00e9", 300),
}

func startScramServer(t *testing.T, v int) *testserver.Postgres {
	t.Helper()
	testserver.RequirePostgresVersion(t, v)
	return testserver.StartPostgres(t, testserver.PostgresConfig{
		Version:  v,
		HBA:      scramHBA,
		Settings: map[string]string{"password_encryption": "'scram-sha-256'"},
	})
}

func psqlLogin(t *testing.T, p *testserver.Postgres, role, password string) testserver.PsqlResult {
	t.Helper()
	return testserver.Psql(t, map[string]string{
		"host": p.Host, "port": strconv.Itoa(p.Port), "dbname": "postgres",
		"user": role, "password": password, "sslmode": "disable", "connect_timeout": "10",
	}, testserver.ClientTLS{}, "SELECT current_user")
}

func pgxLogin(p *testserver.Postgres, role, password string) error {
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=postgres sslmode=disable connect_timeout=10", p.Host, p.Port))
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = role, password
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	var u string
	if err := c.QueryRow(ctx, "SELECT current_user").Scan(&u); err != nil {
		return err
	}
	if u != role {
		return fmt.Errorf("current_user %q, want %q", u, role)
	}
	return nil
}

// pgxAgrees lists the tricky passwords whose SCRAM login pgx gets right. pgx
// v5 normalizes with PRECIS OpaqueString instead of SASLprep, so where the
// two differ pgx computes another key and PostgreSQL refuses it.
var pgxDiffers = map[string]bool{
	"a\u200bb":             true, // PRECIS refuses ZWSP (raw), SASLprep maps it to a space
	"pass\u00adword\u00e9": true, // PRECIS refuses the soft hyphen (raw), SASLprep drops it
	"\u05d0\u2122\u05d0":   true, // PRECIS keeps U+2122, SASLprep's NFKC makes it "TM"
	"\ufb01nance":          true, // PRECIS OpaqueString is NFC: the ligature stays
}

// TestPostgresLogsInWithOurVerifier: CREATE ROLE ... PASSWORD '<verifier>'
// stores our verifier unchanged, psql (libpq) logs in with the password and
// is refused with a wrong one; pgx too, except where pgx's own
// normalization differs from PostgreSQL's (asserted, so a pgx change shows).
func TestPostgresLogsInWithOurVerifier(t *testing.T) {
	for _, v := range testserver.Majors() {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) { loginWithOurVerifier(t, v) })
	}
}

func loginWithOurVerifier(t *testing.T, v int) {
	p := startScramServer(t, v)
	for i, pw := range trickyPasswords {
		role := fmt.Sprintf("scram_%d", i)
		v, err := NewRandom(pw, DefaultIterations)
		if err != nil {
			t.Fatalf("%+q: %v", pw, err)
		}
		p.Exec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s", role, testserver.QuoteLiteral(v.String())))
		stored := p.Query(t, "SELECT rolpassword FROM pg_authid WHERE rolname = "+testserver.QuoteLiteral(role))
		if len(stored) != 1 || stored[0][0] != v.String() {
			t.Fatalf("%+q: PostgreSQL stored %v, want our verifier unchanged", pw, stored)
		}
		if r := psqlLogin(t, p, role, pw); r.Err != nil || strings.TrimSpace(r.Stdout) != role {
			t.Errorf("psql login with %+q failed: %v %s", pw, r.Err, r.Stderr)
		}
		if r := psqlLogin(t, p, role, pw+"x"); r.Err == nil || !strings.Contains(r.Stderr, "password authentication failed") {
			t.Errorf("psql login with a wrong password for %+q: err %v, stderr %s", pw, r.Err, r.Stderr)
		}
		if !utf8.ValidString(pw) {
			continue // pgx sends the password as is; covered by psql above
		}
		err = pgxLogin(p, role, pw)
		switch {
		case pgxDiffers[pw] && err == nil:
			t.Errorf("pgx now logs in with %+q: move it out of pgxDiffers", pw)
		case !pgxDiffers[pw] && err != nil:
			t.Errorf("pgx login with %+q: %v", pw, err)
		}
		if err := pgxLogin(p, role, pw+"x"); err == nil {
			t.Errorf("pgx logged in with a wrong password for %+q", pw)
		}
	}
	t.Logf("pgx v5 refuses %d of the tricky passwords PostgreSQL and libpq accept (PRECIS instead of SASLprep)", len(pgxDiffers))
}

// oraclePasswords builds passwords around every boundary of the stringprep
// tables pg_saslprep uses, plus random mixes and random bytes.
func oraclePasswords(randomMixes int) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !strings.ContainsRune(s, 0) && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	valid := func(r rune) bool { return r > 0 && r <= utf8.MaxRune && (r < 0xD800 || r > 0xDFFF) }
	var edges []rune
	// Where each prohibited / unassigned range starts and just after it ends.
	for _, set := range prohibited {
		for _, rr := range set {
			for _, r := range []rune{rr[0], rr[1] + 1} {
				if valid(r) {
					edges = append(edges, r)
					add("x" + string(r))
				}
			}
		}
	}
	// RandAL alone (first and last), and L between RandALs.
	for _, rr := range stringprep.TableD1 {
		add(string(rr[0]))
		add(string(rr[1]) + "1" + string(rr[0]))
	}
	for i, rr := range stringprep.TableD2 {
		if i%3 == 0 {
			add("\u05d0" + string(rr[0]) + "\u05d0")
			add("\u05d0" + string(rr[1]) + "\u05d0")
		}
	}
	for r := range stringprep.TableB1 {
		add("x" + string(r) + "y")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// Strings mixing letters, RandAL, spaces, compatibility characters and
	// edges, and some raw bytes.
	pool := []rune{'a', 'Z', '1', ' ', 0xe9, 0x301, 0x5d0, 0x627, 0x2122, 0xfb01, 0xa0, 0x200b, 0xad, 0x3000, 0xff21, 0x1d400, 0x2460}
	for n := len(out) + randomMixes; len(out) < n; {
		var b strings.Builder
		k := 1 + rng.IntN(6)
		for j := 0; j < k; j++ {
			switch rng.IntN(10) {
			case 0:
				b.WriteRune(edges[rng.IntN(len(edges))])
			case 1:
				b.WriteByte(byte(1 + rng.IntN(255)))
			default:
				b.WriteRune(pool[rng.IntN(len(pool))])
			}
		}
		add(b.String())
	}
	return out
}

// TestPostgresVerifiersVerify has PostgreSQL compute the verifier of each
// oracle password (ALTER ROLE ... PASSWORD with password_encryption =
// scram-sha-256, random salt), then recomputes it here with PostgreSQL's
// salt and iteration count: every byte must match, and Verify must accept the
// password and refuse a wrong one. The passwords are sent as bytes into a
// SQL_ASCII database so invalid UTF-8 reaches pg_saslprep too. It runs on
// the oldest and the newest major (their Unicode tables differ most).
func TestPostgresVerifiersVerify(t *testing.T) {
	for _, v := range []int{testserver.MinMajor, testserver.MaxMajor} {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) { postgresVerifiersVerify(t, v) })
	}
}

func postgresVerifiersVerify(t *testing.T, v int) {
	p := startScramServer(t, v)
	pws := oraclePasswords(300)
	var vals strings.Builder
	for i, pw := range pws {
		if i > 0 {
			vals.WriteString(",")
		}
		fmt.Fprintf(&vals, "(%d, '\\x%s'::bytea)", i, hex.EncodeToString([]byte(pw)))
	}
	p.Exec(t, "CREATE ROLE oracle LOGIN")
	p.Exec(t, "CREATE DATABASE sqlascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
	t0 := time.Now()
	out := p.Exec(t, `\c sqlascii
SET password_encryption = 'scram-sha-256';
CREATE TABLE pw (i int, raw bytea);
CREATE TABLE res (i int, verifier text);
INSERT INTO pw VALUES `+vals.String()+`;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM pw ORDER BY i LOOP
    EXECUTE format('ALTER ROLE oracle PASSWORD %L', convert_from(r.raw, 'SQL_ASCII'));
    INSERT INTO res SELECT r.i, rolpassword FROM pg_authid WHERE rolname = 'oracle';
  END LOOP;
END $$;
SELECT i || ' ' || verifier FROM res ORDER BY i;`)
	t.Logf("PostgreSQL hashed %d passwords in %s", len(pws), time.Since(t0))
	lines := strings.Split(out, "\n")
	if len(lines) != len(pws) {
		t.Fatalf("got %d verifiers for %d passwords", len(lines), len(pws))
	}
	fallbacks := 0
	for _, line := range lines {
		is, vs, _ := strings.Cut(line, " ")
		i, _ := strconv.Atoi(is)
		pw := pws[i]
		v, err := Parse(vs)
		if err != nil {
			t.Fatalf("Parse(PostgreSQL's verifier for #%d): %v", i, err)
		}
		if _, err := SASLprep(pw); err != nil {
			fallbacks++
		}
		mine, err := compute(pw, v.Salt, v.Iterations)
		if err != nil {
			t.Fatal(err)
		}
		if mine.String() != vs {
			t.Errorf("password %+q (SASLprep %+q): PostgreSQL %s, pgtls %s", pw, Prepare(pw), vs, mine.String())
			continue
		}
		if !v.Verify(pw) || v.Verify(pw+"x") {
			t.Errorf("Verify wrong for %+q", pw)
		}
	}
	t.Logf("%d passwords, %d of them through the raw-bytes fallback", len(pws), fallbacks)
}

// TestMD5MigrationBridge proves the table of the "From md5 to scram-sha-256"
// guide on every major: an `md5` pg_hba line logs in a role stored with our
// SCRAM verifier (the server switches to SCRAM) as well as a role stored as
// md5; a `scram-sha-256` line logs in the SCRAM role and refuses the md5 one.
func TestMD5MigrationBridge(t *testing.T) {
	for _, v := range testserver.Majors() {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			testserver.RequirePostgresVersion(t, v)
			p := testserver.StartPostgres(t, testserver.PostgresConfig{Version: v,
				HBA: "host all postgres 127.0.0.1/32 trust\nhost all viamd5,scramviamd5 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 scram-sha-256\n"})
			ver, err := NewRandom("bridge pass", DefaultIterations)
			if err != nil {
				t.Fatal(err)
			}
			md5Of := func(role string) string {
				return testserver.QuoteLiteral(p.Exec(t, "SELECT 'md5' || md5('bridge pass' || "+testserver.QuoteLiteral(role)+")"))
			}
			p.Exec(t, "CREATE ROLE viamd5 LOGIN PASSWORD "+md5Of("viamd5")+";"+
				"CREATE ROLE md5only LOGIN PASSWORD "+md5Of("md5only")+";"+
				"CREATE ROLE scramviamd5 LOGIN PASSWORD "+testserver.QuoteLiteral(ver.String())+";"+
				"CREATE ROLE scramonly LOGIN PASSWORD "+testserver.QuoteLiteral(ver.String()))
			for role, wantOK := range map[string]bool{"viamd5": true, "scramviamd5": true, "scramonly": true, "md5only": false} {
				r := psqlLogin(t, p, role, "bridge pass")
				if (r.Err == nil) != wantOK {
					t.Errorf("%s: login success=%v, want %v (%s)", role, r.Err == nil, wantOK, r.Stderr)
				}
			}
		})
	}
}
