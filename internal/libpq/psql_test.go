package libpq

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/scram"
	testpki "github.com/pgtls/terraform-provider-pgtls/internal/testpki/issued"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// psqlBin is the real libpq client (PostgreSQL 15's psql from Debian).
const psqlBin = "/usr/lib/postgresql/15/bin/psql"

const sep = "\x1f"

// runPsql runs psql with only the given arguments and environment (plus
// PATH, HOME and LANG), so whatever it connects with came from the bundle.
func runPsql(t *testing.T, home string, env []string, args ...string) (string, string, error) {
	t.Helper()
	testserver.RequirePostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psqlBin, append([]string{"-X", "-A", "-t", "-w", "-F", sep}, args...)...)
	cmd.Dir = home
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + home, "LANG=C.UTF-8"}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	return strings.TrimRight(o.String(), "\n"), e.String(), err
}

// writeBundle writes the bundle's files with their modes.
func writeBundle(t *testing.T, home string, r Rendered) {
	t.Helper()
	for _, f := range r.Files {
		p := strings.Replace(f.Path, HomeDir, filepath.Join(home, ".postgresql"), 1)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		mode, _ := strconv.ParseUint(f.Mode, 8, 32)
		content := []byte(f.Content)
		if f.ContentBase64 != "" {
			var err error
			if content, err = base64.StdEncoding.DecodeString(f.ContentBase64); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, content, os.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
	}
}

const tlsQuery = "SELECT current_user, ssl, version, inet_client_addr() FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

type tlsServer struct {
	p             *testserver.Postgres
	ca            *testpki.CA
	srv           testpki.Leaf
	alice, public testpki.Leaf
}

func startTLSServer(t *testing.T) tlsServer {
	t.Helper()
	ca := testpki.NewCA(t, "pgtls libpq test CA")
	s := tlsServer{ca: ca, srv: ca.Server(t), alice: ca.Client(t, "alice"), public: ca.Client(t, "nobody")}
	s.p = testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, CertPEM: s.srv.FullchainPEM, KeyPEM: s.srv.KeyPEM, CAPEM: ca.CertPEM,
		HBA:      "hostssl all alice 127.0.0.1/32 cert\nhostssl all alice ::1/128 cert\n",
		Settings: map[string]string{"listen_addresses": "'127.0.0.1,::1'"},
		Roles:    []string{"alice"}})
	return s
}

// TestBundleLogsInWithPsqlAndPgx renders a bundle for alice (client
// certificate, root.crt, a CRL) in a custom directory and in the
// ~/.postgresql layout, with a host list whose first host refuses (127.0.0.2)
// and an IPv6 literal second, and logs in with each output: psql with the
// conninfo, the URI, the environment alone and the service file; pgx with
// its conninfo, URI and environment. Every login is TLS with verify-full,
// as alice, over ::1. A CRL revoking the server's certificate makes psql
// refuse (libpq reports "certificate verify failed"): the bundle's CRL is
// really read.
func TestBundleLogsInWithPsqlAndPgx(t *testing.T) {
	s := startTLSServer(t)
	for _, layout := range []string{"custom dir", "home"} {
		t.Run(layout, func(t *testing.T) {
			home := t.TempDir()
			b := Bundle{Hosts: []string{"127.0.0.2", "::1"}, Ports: []int{s.p.Port}, DB: "postgres", User: "alice",
				CertPEM: s.alice.FullchainPEM, KeyPEM: s.alice.KeyPEM, RootCertPEM: s.ca.CertPEM, CRLPEM: s.ca.CRL(t, s.public),
				Params: []Param{{"connect_timeout", "10"}, {"application_name", "pgtls bundle's test"}}, Service: "pgtls app"}
			if layout == "custom dir" {
				b.Dir = filepath.Join(home, "client certs", "it's here")
			}
			for _, p := range b.Validate() {
				if p.Severity == "error" || !strings.Contains(p.Message, "pgJDBC") {
					t.Fatalf("problem: %+v", p)
				}
			}
			key, err := pki.ParsePrivateKeyPEM(s.alice.KeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			der64, err := pki.PKCS8DERBase64(key)
			if err != nil {
				t.Fatal(err)
			}
			der, _ := base64.StdEncoding.DecodeString(der64)
			r, err := b.Render(der)
			if err != nil {
				t.Fatal(err)
			}
			writeBundle(t, home, r)
			if fi, err := os.Stat(strings.Replace(r.Files[1].Path, HomeDir, filepath.Join(home, ".postgresql"), 1)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file mode: %v %v", fi, err)
			}
			want := "alice" + sep + "t" + sep + "TLSv1.3" + sep + "::1"
			var env []string
			for k, v := range r.Env {
				env = append(env, k+"="+v)
			}
			svcFile := filepath.Join(home, "pg_service.conf")
			if err := os.WriteFile(svcFile, []byte("# rendered by pgtls\n"+r.ServiceSection), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name string
				env  []string
				args []string
			}{
				{"conninfo", nil, []string{"-d", r.Conninfo}},
				{"URI", nil, []string{"-d", r.URI}},
				{"environment", env, nil},
				{"service file", []string{"PGSERVICEFILE=" + svcFile}, []string{"-d", "service='" + b.Service + "'"}},
				{"PGSERVICE", []string{"PGSERVICEFILE=" + svcFile, "PGSERVICE=" + b.Service}, nil},
			} {
				out, errOut, err := runPsql(t, home, c.env, append(c.args, "-c", tlsQuery)...)
				if err != nil || out != want {
					t.Errorf("psql with the %s: %v %q %s", c.name, err, out, errOut)
				}
			}
			// pgx: its conninfo and URI; the environment; the service file
			// only in the home layout (with files in a custom directory it
			// holds sslcrl, which pgx forwards to the server).
			for name, connStr := range map[string]string{"pgx conninfo": r.PgxConninfo, "pgx URI": r.PgxURI} {
				pgxLogin(t, name, home, nil, connStr, "alice")
			}
			pgxLogin(t, "pgx environment", home, r.Env, "", "alice")
			if layout == "home" {
				pgxLogin(t, "pgx service file", home, map[string]string{"PGSERVICEFILE": svcFile}, "service='"+b.Service+"'", "alice")
			}

			// The bundle's CRL is read: revoke the server's certificate.
			writeBundle(t, home, Rendered{Files: []File{{Path: b.filePath(CRLFile), Mode: "0644", Content: s.ca.CRL(t, s.srv)}}})
			if _, errOut, err := runPsql(t, home, nil, "-d", r.Conninfo, "-c", "SELECT 1"); err == nil || !strings.Contains(errOut, "certificate verify failed") {
				t.Errorf("psql accepted a server whose certificate the bundle's CRL revokes: %v %s", err, errOut)
			}
		})
	}
}

// pgxLogin connects with pgx (HOME and the given environment set for
// ParseConfig) and checks TLS and the role.
func pgxLogin(t *testing.T, name, home string, env map[string]string, connStr, wantUser string) {
	t.Helper()
	t.Setenv("HOME", home)
	for _, k := range []string{"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSSLMODE", "PGSSLCERT", "PGSSLKEY", "PGSSLROOTCERT", "PGSSLCRL", "PGAPPNAME", "PGCONNECT_TIMEOUT", "PGSERVICEFILE", "PGSERVICE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := pgx.ParseConfig(connStr)
	if err != nil {
		t.Errorf("%s: pgx.ParseConfig: %v", name, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Errorf("%s: pgx connect: %v", name, err)
		return
	}
	defer c.Close(ctx)
	var user string
	var ssl bool
	if err := c.QueryRow(ctx, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&user, &ssl); err != nil || user != wantUser || !ssl {
		t.Errorf("%s: pgx got user %q ssl %v err %v", name, user, ssl, err)
	}
}

// TestQuotingThroughPsqlAndPgx: roles with random names (blanks, quotes,
// backslashes, URI delimiters, non-ASCII), random SCRAM passwords and
// random application names go through Conninfo and URI into psql, which
// must log in as exactly that role with exactly that password and report
// exactly that application_name; pgx's parser must read the same values.
func TestQuotingThroughPsqlAndPgx(t *testing.T) {
	p := testserver.StartPostgres(t, testserver.PostgresConfig{
		HBA: "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"})
	rng := rand.New(rand.NewPCG(4, 2))
	alphabet := []string{"a", "Z", "0", " ", "'", `"`, `\`, "=", "@", ":", "/", "?", "&", "#", "%", "+", ",", ";", "[", "]", "\t", "\u00e9", "\u4e2d", "%20", `\'`, "''"}
	randStr := func(max int, ascii bool) string {
		for {
			var b strings.Builder
			for n := 1 + rng.IntN(max); n > 0; n-- {
				s := alphabet[rng.IntN(len(alphabet))]
				if ascii && (s[0] >= 0x80 || s == "\t") {
					continue
				}
				b.WriteString(s)
			}
			if s := b.String(); s != "" && len(s) < 60 {
				return s
			}
		}
	}
	home := t.TempDir()
	type tc struct{ user, password, app string }
	var cases []tc
	var sql strings.Builder
	seen := map[string]bool{}
	for len(cases) < 60 {
		c := tc{randStr(12, false), randStr(20, false), randStr(20, true)}
		if seen[c.user] || c.user == "postgres" {
			continue
		}
		seen[c.user] = true
		v, err := scram.NewRandom(c.password, scram.DefaultIterations)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sql, "CREATE ROLE %s LOGIN PASSWORD %s;\n", testserver.QuoteIdent(c.user), testserver.QuoteLiteral(v.String()))
		cases = append(cases, c)
	}
	p.Exec(t, sql.String())
	for _, c := range cases {
		ps := []Param{{"host", "127.0.0.1"}, {"port", strconv.Itoa(p.Port)}, {"dbname", "postgres"}, {"user", c.user},
			{"password", c.password}, {"sslmode", "disable"}, {"application_name", c.app}}
		ci, err := Conninfo(ps)
		if err != nil {
			t.Fatal(err)
		}
		uri, err := URI(ps)
		if err != nil {
			t.Fatal(err)
		}
		want := c.user + sep + c.app
		for name, s := range map[string]string{"conninfo": ci, "URI": uri} {
			out, errOut, err := runPsql(t, home, nil, "-d", s, "-c", "SELECT current_user, current_setting('application_name')")
			if err != nil || out != want {
				t.Errorf("psql %s %q: got %q want %q (%v %s)", name, s, out, want, err, errOut)
			}
			cfg, err := pgx.ParseConfig(s)
			if err != nil || cfg.User != c.user || cfg.Password != c.password || cfg.RuntimeParams["application_name"] != c.app || cfg.Database != "postgres" {
				t.Errorf("pgx parses %s %q as user %q app %q (%v)", name, s, cfg.User, cfg.RuntimeParams["application_name"], err)
			}
		}
	}
	t.Logf("%d random identities logged in through conninfo and URI", len(cases))
}

// TestJDBCPropertiesLogIn runs pgJDBC (Debian's libpostgresql-jdbc-java,
// 42.5) on the bundle's JDBC URL and properties file: verify-full over the
// host list, the client certificate with the DER PKCS#8 key, as alice.
func TestJDBCPropertiesLogIn(t *testing.T) {
	java, err := exec.LookPath("java")
	const jar = "/usr/share/java/postgresql.jar"
	if _, jerr := os.Stat(jar); err != nil || jerr != nil {
		msg := fmt.Sprintf("SKIP: java (%v) or pgJDBC %s (%v) missing; run tools/ensure-system.sh", err, jar, jerr)
		if os.Getenv("CI") != "" || os.Getenv("PGTLS_REQUIRE_SERVERS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := startTLSServer(t)
	for _, c := range []struct {
		hosts []string
		want  string
	}{
		{[]string{"127.0.0.2", "127.0.0.1"}, "alice true"},
		// pgJDBC 42.5 compares "[::1]" with the DNS SANs and never with the
		// iPAddress SAN ::1: verify-full fails (Validate warns about it).
		{[]string{"::1"}, "The hostname [::1] could not be verified"},
	} {
		out, url, props := runJDBC(t, java, jar, s, c.hosts)
		if !strings.Contains(out, c.want) {
			t.Errorf("pgJDBC with %s and\n%s: want %q, got\n%s", url, props, c.want, out)
		}
	}
}

func runJDBC(t *testing.T, java, jar string, s tlsServer, hosts []string) (out, url, props string) {
	t.Helper()
	home := t.TempDir()
	b := Bundle{Hosts: hosts, Ports: []int{s.p.Port}, DB: "postgres", User: "alice",
		CertPEM: s.alice.FullchainPEM, KeyPEM: s.alice.KeyPEM, RootCertPEM: s.ca.CertPEM,
		Dir: filepath.Join(home, "jdbc certs")}
	key, _ := pki.ParsePrivateKeyPEM(s.alice.KeyPEM)
	der64, _ := pki.PKCS8DERBase64(key)
	der, _ := base64.StdEncoding.DecodeString(der64)
	r, err := b.Render(der)
	if err != nil {
		t.Fatal(err)
	}
	writeBundle(t, home, r)
	propsFile := filepath.Join(home, "pgjdbc.properties")
	if err := os.WriteFile(propsFile, []byte(r.JDBCPropsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	src, _ := filepath.Abs("testdata/JdbcProbe.java")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, java, "-cp", jar, src, r.JDBCURL, propsFile)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home}
	o, _ := cmd.CombinedOutput()
	t.Logf("pgJDBC %s: %s", r.JDBCURL, strings.TrimSpace(string(o)))
	return string(o), r.JDBCURL, r.JDBCPropsFile
}
