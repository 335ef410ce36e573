package testserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// PostgresConfig configures StartPostgres.
type PostgresConfig struct {
	// Version is the PostgreSQL major to run: 13 to 18 use the builds
	// tools/ensure-postgres.sh installs (see Majors); 0 (the default) is the
	// Debian PostgreSQL 15 from apt. psql 15 is the client either way.
	Version      int
	SSL          bool              // ssl = on; needs CertPEM/KeyPEM (when both are empty, a throwaway self-signed ECDSA cert for 127.0.0.1/localhost is generated)
	CertPEM      string            // server certificate (+ chain), written to server.crt (ssl_cert_file)
	KeyPEM       string            // server key, written 0600 owned by postgres (ssl_key_file)
	CAPEM        string            // ssl_ca_file content (trust anchors for client certs); empty = unset
	CRLPEM       string            // ssl_crl_file content; empty = unset
	HBA          string            // pg_hba.conf content; empty = "host all all 127.0.0.1/32 trust". "local all all trust" is always placed first unless NoLocalTrust.
	NoLocalTrust bool              // do not prepend "local all all trust" (Exec/Query then need the caller's HBA to admit the superuser postgres over the socket; they run as OS user postgres, so "local all postgres peer" works)
	Ident        string            // pg_ident.conf content
	Settings     map[string]string // extra postgresql.conf settings (value written verbatim, caller quotes strings)
	Roles        []string          // roles created WITH LOGIN after start (quoted identifiers)
}

// Postgres is a running throwaway PostgreSQL server.
type Postgres struct {
	Host      string // always "127.0.0.1"
	Port      int
	Major     int    // PostgreSQL major version of the running server
	Build     string // which build: "Debian PostgreSQL 15" or the npm build
	Dir       string // temp root (data dir is Dir/data), owned by postgres
	SocketDir string

	// StartDuration is how long StartPostgres took from copying the template
	// data directory to accepting connections (roles included).
	StartDuration time.Duration

	proc *process
}

// DataDir is Dir/data.
func (p *Postgres) DataDir() string { return filepath.Join(p.Dir, "data") }

// Log returns the server log so far (for failure messages).
func (p *Postgres) Log() string { return p.proc.log() }

func (p *Postgres) logTail() string {
	return "--- server log (" + p.proc.logPath + ") ---\n" + tail(p.Log(), logTailLines)
}

// A template is an initdb'ed data directory shared by all servers of one
// PostgreSQL build: created once (per machine and build, under baseDir())
// and copied with cp -a per server.
type template struct {
	once sync.Once
	dir  string
	err  error
}

var (
	templatesMu sync.Mutex
	templates   = map[string]*template{} // by postgres binary path
	// templateInitDuration is how long preparing the last template took in
	// this process (0 when a cached template from an earlier run was reused).
	templateInitDuration time.Duration
)

func pgVersion(b binaries) (string, error) {
	out, err := exec.Command(b.postgres, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", b.postgres, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func templateDataDir(b binaries) (string, error) {
	templatesMu.Lock()
	tp, ok := templates[b.postgres]
	if !ok {
		tp = &template{}
		templates[b.postgres] = tp
	}
	templatesMu.Unlock()
	tp.once.Do(func() {
		t0 := time.Now()
		tp.dir, tp.err = prepareTemplate(b)
		templateInitDuration = time.Since(t0)
	})
	return tp.dir, tp.err
}

func prepareTemplate(b binaries) (string, error) {
	u, err := serverUser()
	if err != nil {
		return "", err
	}
	ver, err := pgVersion(b)
	if err != nil {
		return "", err
	}
	// The build directory is part of the key: two builds of one version
	// (Debian's and npm's 15.x) get their own templates.
	key := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' {
			return r
		}
		return '-'
	}, ver+"-"+shortHash(b.postgres))
	final := filepath.Join(baseDir(), fmt.Sprintf("pgtls-pgtemplate-%s-wal1-uid%d", key, u.uid))
	if templateUsable(final, u) {
		return final, nil
	}
	_ = os.RemoveAll(final) // unusable leftover (interrupted or other owner)
	tmp, err := os.MkdirTemp(baseDir(), "pgtls-pgtemplate-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up on failure
	if err := os.Chmod(tmp, 0o700); err != nil {
		return "", err
	}
	if err := u.chown(tmp); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"-D", filepath.Join(tmp, "data"),
		"-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--wal-segsize=1"}
	if b.major >= 14 {
		args = append(args, "--no-instructions") // added in 14
	}
	out, err := runAsServerUser(ctx, tmp, append([]string{b.initdb}, args...)...)
	if err != nil {
		return "", fmt.Errorf("initdb failed: %w\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), []byte(ver+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another test binary won the race: use its template.
		if templateUsable(final, u) {
			return final, nil
		}
		return "", fmt.Errorf("install template %s: %w", final, err)
	}
	return final, nil
}

func templateUsable(dir string, u osUser) bool {
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		return false
	}
	fi, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION"))
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == u.uid
}

// StartPostgres runs postgres (from a cached initdb template) as OS user
// postgres on a free loopback port, waits until it accepts connections,
// creates cfg.Roles, and registers t.Cleanup to stop it and remove its
// directory (also on test failure/panic).
func StartPostgres(t testing.TB, cfg PostgresConfig) *Postgres {
	t.Helper()
	RequirePostgresVersion(t, cfg.Version)
	bins, problem := binariesFor(cfg.Version)
	if problem != "" {
		t.Fatalf("testserver: %s", problem) // unreachable: RequirePostgresVersion skipped or failed
	}
	if cfg.SSL && (cfg.CertPEM == "") != (cfg.KeyPEM == "") {
		t.Fatalf("testserver: PostgresConfig.SSL needs both CertPEM and KeyPEM, or neither (then a throwaway certificate is generated)")
	}
	if !cfg.SSL && (cfg.CertPEM != "" || cfg.KeyPEM != "" || cfg.CAPEM != "" || cfg.CRLPEM != "") {
		t.Fatalf("testserver: PostgresConfig has certificate material but SSL is false; set SSL: true")
	}
	for _, r := range cfg.Roles {
		if r == "" || strings.ContainsRune(r, 0) {
			t.Fatalf("testserver: PostgresConfig.Roles has an invalid role name %q (must be non-empty, no NUL)", r)
		}
	}
	for k := range cfg.Settings {
		if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`).MatchString(k) {
			t.Fatalf("testserver: PostgresConfig.Settings has an invalid setting name %q", k)
		}
	}
	tmpl, err := templateDataDir(bins)
	if err != nil {
		t.Fatalf("testserver: preparing the initdb template: %v", err)
	}
	u, _ := serverUser()

	t0 := time.Now()
	dir := newServerDir(t, "pgtls-pg-")
	p := &Postgres{Host: "127.0.0.1", Dir: dir, SocketDir: dir, Major: bins.major, Build: bins.label}
	data := p.DataDir()
	if out, err := exec.Command("cp", "-a", filepath.Join(tmpl, "data"), data).CombinedOutput(); err != nil {
		t.Fatalf("testserver: copy template data dir: %v\n%s", err, out)
	}
	if err := u.chownR(data); err != nil {
		t.Fatalf("testserver: chown data dir: %v", err)
	}

	// pg_hba.conf and pg_ident.conf.
	hba := cfg.HBA
	if hba == "" {
		hba = "host all all 127.0.0.1/32 trust\n"
	}
	if !cfg.NoLocalTrust {
		hba = "local all all trust\n" + hba
	}
	if !strings.HasSuffix(hba, "\n") {
		hba += "\n"
	}
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("testserver: %s: %v", what, err)
		}
	}
	must(writeOwned(filepath.Join(data, "pg_hba.conf"), hba), "write pg_hba.conf")
	must(writeOwned(filepath.Join(data, "pg_ident.conf"), cfg.Ident), "write pg_ident.conf")

	base := map[string]string{
		"listen_addresses":        confQuote("127.0.0.1"),
		"unix_socket_directories": confQuote(dir),
		"fsync":                   "off",
		"synchronous_commit":      "off",
		"full_page_writes":        "off",
		"shared_buffers":          "16MB",
		"max_connections":         "30",
		"max_wal_senders":         "0",
		// DSM segments as files in the data dir (removed with it) rather than
		// POSIX shm in /dev/shm, which a SIGKILLed server would leave behind.
		"dynamic_shared_memory_type": "mmap",
		"wal_level":                  "minimal",
		"logging_collector":          "off",
		"log_connections":            "on",
		"log_timezone":               confQuote("UTC"),
		"timezone":                   confQuote("UTC"),
		"hba_file":                   confQuote(filepath.Join(data, "pg_hba.conf")),
		"ident_file":                 confQuote(filepath.Join(data, "pg_ident.conf")),
		"ssl":                        "off",
	}
	if cfg.SSL {
		certPEM, keyPEM := cfg.CertPEM, cfg.KeyPEM
		if certPEM == "" {
			certPEM, keyPEM, err = SelfSignedServerCert()
			must(err, "generate throwaway server certificate")
		}
		crt, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
		must(writeOwned(crt, certPEM), "write server.crt")
		must(writeOwned(key, keyPEM), "write server.key")
		base["ssl"] = "on"
		base["ssl_cert_file"] = confQuote(crt)
		base["ssl_key_file"] = confQuote(key)
		if cfg.CAPEM != "" {
			f := filepath.Join(dir, "ca.crt")
			must(writeOwned(f, cfg.CAPEM), "write ca.crt")
			base["ssl_ca_file"] = confQuote(f)
		}
		if cfg.CRLPEM != "" {
			f := filepath.Join(dir, "root.crl")
			must(writeOwned(f, cfg.CRLPEM), "write root.crl")
			base["ssl_crl_file"] = confQuote(f)
		}
	}
	for k, v := range cfg.Settings {
		base[k] = v
	}

	var lastLog string
	for attempt := 1; attempt <= 5; attempt++ {
		port, err := freePort()
		must(err, "find a free port")
		p.Port = port
		conf := map[string]string{"port": strconv.Itoa(port)}
		for k, v := range base {
			conf[k] = v
		}
		must(writeOwned(filepath.Join(data, "pgtls.conf"), renderConf(conf)), "write pgtls.conf")
		must(ensureInclude(filepath.Join(data, "postgresql.conf")), "include pgtls.conf")

		logPath := filepath.Join(dir, fmt.Sprintf("postgres-%d.log", attempt))
		proc, err := startProcess("postgres", u, logPath, dir, []string{bins.postgres, "-D", data}, syscall.SIGQUIT)
		must(err, "start postgres")
		p.proc = proc
		t.Cleanup(func() {
			if err := proc.stop(); err != nil {
				t.Errorf("testserver: %v", err)
			}
		})
		err = p.waitReady()
		if err == nil {
			break
		}
		lastLog = proc.log()
		if proc.exited() && strings.Contains(lastLog, "could not bind") && attempt < 5 {
			continue // port taken between freePort and bind: retry elsewhere
		}
		_ = proc.stop()
		t.Fatalf("testserver: postgres did not become ready: %v\n%s", err, p.logTail())
	}
	for _, r := range cfg.Roles {
		p.Exec(t, "CREATE ROLE "+QuoteIdent(r)+" LOGIN")
	}
	p.StartDuration = time.Since(t0)
	return p
}

// renderConf renders settings sorted by name, one per line.
func renderConf(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# written by pgtls internal/testserver\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, m[k])
	}
	return b.String()
}

// ensureInclude appends "include 'pgtls.conf'" to postgresql.conf once; later
// settings win, so pgtls.conf overrides initdb's defaults.
func ensureInclude(conf string) error {
	b, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	const line = "include 'pgtls.conf'\n"
	if bytes.Contains(b, []byte(line)) {
		return nil
	}
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("\n" + line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// waitReady waits until postmaster.pid says "ready" and the TCP port accepts.
func (p *Postgres) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	pidFile := filepath.Join(p.DataDir(), "postmaster.pid")
	for time.Now().Before(deadline) {
		if p.proc.exited() {
			return fmt.Errorf("postgres exited: %w", p.proc.waitErr)
		}
		if b, err := os.ReadFile(pidFile); err == nil {
			lines := strings.Split(string(b), "\n")
			// Line 8 (PM_STATUS) is "ready" once connections are accepted.
			if len(lines) >= 8 && strings.TrimSpace(lines[7]) == "ready" && tcpAccepts(p.Port) {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%w after %s", errTimeout, startTimeout)
}

// QuoteIdent quotes a PostgreSQL identifier ("" doubles an embedded quote).
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteLiteral quotes a PostgreSQL string literal (standard_conforming_strings on).
func QuoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

var passwordLiteral = regexp.MustCompile(`(?is)(password\s*)('(?:[^']|'')*'|\$\w*\$.*?\$\w*\$)`)

// redact hides password literals in SQL echoed into failure messages.
func redact(s string) string {
	return passwordLiteral.ReplaceAllString(s, "${1}'<redacted>'")
}

// superuserPsql runs psql over the unix socket as superuser postgres (as the
// OS user postgres, so both trust and peer lines admit it).
func (p *Postgres) superuserPsql(stdin string, extra ...string) (stdout, stderr string, err error) {
	u, uerr := serverUser()
	if uerr != nil {
		return "", "", uerr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"-X", "-A", "-t", "-q", "-w", "-v", "ON_ERROR_STOP=1",
		"-h", p.SocketDir, "-p", strconv.Itoa(p.Port), "-U", "postgres", "-d", "postgres"}, extra...)
	cmd := exec.CommandContext(ctx, pgPsql, args...)
	cmd.Dir = p.Dir
	cmd.Env = serverEnv(p.Dir)
	cmd.SysProcAttr = u.sysProcAttr(syscall.SIGKILL)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("psql timed out: %w", ctx.Err())
	}
	return o.String(), e.String(), err
}

// Exec runs sql (one or more statements, each in its own transaction unless
// the script says otherwise) with psql as superuser over the unix socket and
// returns stdout (-XAt, trailing newlines trimmed). It fails t on any error.
func (p *Postgres) Exec(t testing.TB, sql string) string {
	t.Helper()
	out, errOut, err := p.superuserPsql(sql, "-f", "-")
	if err != nil {
		t.Fatalf("testserver: Exec failed: %v\nSQL: %s\npsql stderr: %s\n%s", err, redact(sql), redact(errOut), p.logTail())
	}
	return strings.TrimRight(out, "\n")
}

// Query runs one query as superuser and returns its rows as text columns.
// A NULL becomes ""; use QueryNullable to tell NULL from the empty string.
func (p *Postgres) Query(t testing.TB, sql string) [][]string {
	t.Helper()
	rows := p.QueryNullable(t, sql)
	res := make([][]string, len(rows))
	for i, r := range rows {
		res[i] = make([]string, len(r))
		for j, v := range r {
			if v != nil {
				res[i][j] = *v
			}
		}
	}
	return res
}

// QueryNullable is Query with NULL as a nil pointer.
func (p *Postgres) QueryNullable(t testing.TB, sql string) [][]*string {
	t.Helper()
	rows, err := p.queryNullable(sql)
	if err != nil {
		t.Fatalf("testserver: Query failed: %v\nSQL: %s\n%s", err, redact(sql), p.logTail())
	}
	return rows
}

func (p *Postgres) queryNullable(sql string) ([][]*string, error) {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	// Random markers separate fields and records and stand for NULL, so no
	// value can be mistaken for them.
	m := hex.EncodeToString(rnd[:])
	fieldSep, recSep, null := "\x1f<F"+m+">", "\x1e<R"+m+">", "\x1a<N"+m+">"
	out, errOut, err := p.superuserPsql("", "-F", fieldSep, "-R", recSep, "-P", "null="+null, "-c", sql)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, redact(strings.TrimSpace(errOut)))
	}
	return parseUnaligned(out, fieldSep, recSep, null), nil
}

// parseUnaligned parses psql -A -t output: records joined by recSep, fields
// by fieldSep, one final newline; no rows prints nothing.
func parseUnaligned(out, fieldSep, recSep, null string) [][]*string {
	if out == "" {
		return nil
	}
	out = strings.TrimSuffix(out, "\n")
	var rows [][]*string
	for _, rec := range strings.Split(out, recSep) {
		var row []*string
		for _, f := range strings.Split(rec, fieldSep) {
			if f == null {
				row = append(row, nil)
				continue
			}
			v := f
			row = append(row, &v)
		}
		rows = append(rows, row)
	}
	return rows
}

// WriteFile writes content to Dir/name (name must be a local relative path),
// mode 0600, owned by postgres, and returns the absolute path.
func (p *Postgres) WriteFile(t testing.TB, name, content string) string {
	t.Helper()
	return writeServerFile(t, p.Dir, name, content)
}

func writeServerFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	if !filepath.IsLocal(name) {
		t.Fatalf("testserver: WriteFile name %q must be a relative path inside the server directory", name)
	}
	path := filepath.Join(dir, name)
	u, _ := serverUser()
	if parent := filepath.Dir(path); parent != dir {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			t.Fatalf("testserver: WriteFile %q: %v", name, err)
		}
		rel, _ := filepath.Rel(dir, parent)
		cur := dir
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			cur = filepath.Join(cur, part)
			_ = u.chown(cur)
		}
	}
	if err := writeOwned(path, content); err != nil {
		t.Fatalf("testserver: WriteFile %q: %v", name, err)
	}
	return path
}

// Reload makes the server re-read postgresql.conf, pg_hba.conf and
// pg_ident.conf, and waits until new connections see the reloaded
// configuration (pg_conf_load_time() changes). A bad pg_hba.conf is not an
// error here: the server keeps the old rules and logs "pg_hba.conf was not
// reloaded" (see Log).
func (p *Postgres) Reload(t testing.TB) {
	t.Helper()
	before := p.Exec(t, "SELECT pg_conf_load_time()")
	time.Sleep(2 * time.Millisecond) // make sure the reload gets a later timestamp
	p.Exec(t, "SELECT pg_reload_conf()")
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if p.Exec(t, "SELECT pg_conf_load_time()") != before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("testserver: Reload: configuration not reloaded within %s\n%s", startTimeout, p.logTail())
}
