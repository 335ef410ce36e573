package hba

// The simulation (Matcher.Match) against real servers: for a corpus of
// rule sets (hand-written ones for each hba.c rule, generated ones, and the
// parse oracle corpus), generated connection attempts log in for real with
// pgx (dialer bound to a 127.0.0.x source address, TLS with and without
// client certificates, physical replication) and psql (Unix socket,
// 127.0.0.1, ::1), as several roles into several databases. Each attempt is
// compared twice with the server:
//
//   - pass A, the rule set as written: accepted or refused, and how (no
//     matching line, reject line, client certificate required, failed
//     authentication), plus the line the server logs where it logs one
//     (failed authentication always; success with an authenticated
//     identity; trust from PostgreSQL 18 on);
//   - pass B, the same lines with every method replaced by password and the
//     options dropped (check_hba never looks at either), logged in with a
//     wrong password: the server then logs the matched line for every
//     attempt that matches one, so the line is compared for reject and
//     trust lines too.
//
// Every attempt must agree with the simulation on both passes. Servers are
// reused across rule sets (pg_hba.conf is reloaded, never restarted).

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

const oracleAttemptsPerSet = 36

// oracleFirstLine lets the test's superuser connections in over the socket;
// attempts never log in as postgres.
const oracleFirstLine = "local all postgres trust\n"

// Roles of the oracle server and their memberships (direct or indirect).
var oracleRoles = map[string][]string{
	"app":   nil,
	"alice": {"admins"},
	"bob":   nil,
	"carol": {"admins"},
	"dave":  {"ops", "admins"}, // ops is a member of admins
}

var oracleDatabases = []string{"app", "alice", "admins", "shop", "postgres", "replication"}

// Files referenced with @ by the match corpus (plus the parse corpus's).
var matchNameFiles = map[string]string{
	"o_dbs.txt":   "app\nshop,\"admins\"  # comment\n",
	"o_users.txt": "alice +ops\n\"all\"\n",
	"o_all.txt":   "all\n",
}

// matchIdentContent is pg_ident.conf: the parse oracle's maps plus these,
// written as file text so the test does not depend on how IdentMapping
// spells a system user.
func matchIdentContent(t *testing.T) string {
	t.Helper()
	base, err := RenderIdentFile(oracleIdentMaps(), "")
	if err != nil {
		t.Fatal(err)
	}
	return base + `
opeer    postgres   postgres
opeer    root       app
opeer    /^(.*)t$   bob
opeer    /^(r)(oo)t$  \1ecarol
# \1 without a group: an error that stops the scan
obroken  /^ro       x\1
obroken  root       bob
ocert    alice      alice
ocert    bob        app
ocert    /^(c)arol$ \1arol
# 16+: members of admins / any role; 15: roles named +admins / all
ocert    dave       +admins
ocert    alice      all
ocert    /^b        /^(bob|dave)$
odn      "CN=carol,OU=ops,O=pgtls oracle"  carol
odn      /"^CN=([a-z]+),OU=dev,"           \1
odn      /"(?i)^cn=bob,"                   app
`
}

type oracleCert struct {
	name, cn, dn    string
	certPEM, keyPEM string
	tlsCert         tls.Certificate
	foreign         bool
}

func newOracleCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func newOracleClientCert(t *testing.T, name string, sub pkix.Name, dn string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, foreign bool) *oracleCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: sub,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	c := &oracleCert{name: name, cn: sub.CommonName, dn: dn, foreign: foreign,
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))}
	c.tlsCert, err = tls.X509KeyPair([]byte(c.certPEM), []byte(c.keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// oracleAttempt is one real login.
type oracleAttempt struct {
	psql        bool   // psql (else pgx)
	local       bool   // Unix socket
	src         string // client address (TCP)
	ssl         bool
	cert        string // key into certs, "" = none
	db, user    string
	replication bool
	goodPass    bool
}

func (a oracleAttempt) String() string {
	client := "pgx"
	if a.psql {
		client = "psql"
	}
	where := a.src
	if a.local {
		where = "socket"
	}
	enc := "plain"
	if a.ssl {
		enc = "tls"
		if a.cert != "" {
			enc += "+cert:" + a.cert
		}
	}
	repl := ""
	if a.replication {
		repl = " replication"
	}
	pass := "wrong-password"
	if a.goodPass {
		pass = "password"
	}
	return fmt.Sprintf("%s %s %s user=%s db=%s%s %s", client, where, enc, a.user, a.db, repl, pass)
}

// observed is what the server log says about one attempt.
type observed struct {
	kind string // ok, implicit, reject, certreq, authfail, other
	line int    // 0 when the log names no line
	log  string
}

type simOracle struct {
	t           *testing.T
	p           *testserver.Postgres
	v           int
	logf        *os.File
	env         Environment
	certs       map[string]*oracleCert
	osUser      string
	rdns        map[string]*ReverseDNS
	super       *pgconn.PgConn // superuser connection over the socket
	unsupported map[string]bool
	rng         *mrand.Rand

	attempts, logins int
	coverage         map[string]int
	timing           map[string]time.Duration
}

func startSimOracle(t *testing.T, version int) *simOracle {
	t.Helper()
	ca, caKey, caPEM := newOracleCA(t, "pgtls oracle CA")
	foreignCA, foreignKey, _ := newOracleCA(t, "pgtls foreign CA")
	o := &simOracle{t: t, certs: map[string]*oracleCert{}, rdns: map[string]*ReverseDNS{}, coverage: map[string]int{}, timing: map[string]time.Duration{},
		rng: mrand.New(mrand.NewSource(int64(1000 + version)))}
	o.certs["alice"] = newOracleClientCert(t, "alice", pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"dev"}, Organization: []string{"pgtls oracle"}}, "CN=alice,OU=dev,O=pgtls oracle", ca, caKey, false)
	o.certs["bob"] = newOracleClientCert(t, "bob", pkix.Name{CommonName: "bob", Organization: []string{"pgtls oracle"}}, "CN=bob,O=pgtls oracle", ca, caKey, false)
	o.certs["carol"] = newOracleClientCert(t, "carol", pkix.Name{CommonName: "carol", OrganizationalUnit: []string{"ops"}, Organization: []string{"pgtls oracle"}}, "CN=carol,OU=ops,O=pgtls oracle", ca, caKey, false)
	o.certs["dave"] = newOracleClientCert(t, "dave", pkix.Name{CommonName: "dave", OrganizationalUnit: []string{"dev"}, Organization: []string{"pgtls oracle"}}, "CN=dave,OU=dev,O=pgtls oracle", ca, caKey, false)
	o.certs["foreign"] = newOracleClientCert(t, "foreign", pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"dev"}, Organization: []string{"pgtls oracle"}}, "CN=alice,OU=dev,O=pgtls oracle", foreignCA, foreignKey, true)

	identContent := matchIdentContent(t)
	o.p = testserver.StartPostgres(t, testserver.PostgresConfig{
		Version: version, SSL: true, CAPEM: caPEM, NoLocalTrust: true,
		HBA:   oracleFirstLine,
		Ident: identContent,
		Settings: map[string]string{
			"listen_addresses": "'127.0.0.1,::1'",
			"wal_level":        "replica",
			"max_wal_senders":  "5",
			"log_line_prefix":  "'%m [%p] '",
		},
	})
	o.v = o.p.Major
	var sql strings.Builder
	for _, r := range sortedKeys(oracleRoles) {
		fmt.Fprintf(&sql, "CREATE ROLE %s LOGIN PASSWORD 'pw-%s';\n", r, r)
	}
	sql.WriteString("CREATE ROLE admins NOLOGIN; CREATE ROLE ops NOLOGIN;\n")
	sql.WriteString("GRANT admins TO alice; GRANT admins TO carol; GRANT ops TO dave; GRANT admins TO ops;\n")
	for _, d := range oracleDatabases {
		if d != "postgres" {
			fmt.Fprintf(&sql, "CREATE DATABASE %s;\n", testserver.QuoteIdent(d))
		}
	}
	o.p.Exec(t, sql.String())
	files := map[string]string{}
	for name, lines := range oracleNameFiles {
		files[name] = strings.Join(lines, "\n") + "\n"
	}
	for name, content := range matchNameFiles {
		files[name] = content
	}
	for name, content := range files {
		o.p.WriteFile(t, "data/"+name, content)
	}
	ident, err := ParseIdent(identContent, o.v)
	if err != nil {
		t.Fatal(err)
	}
	o.env = Environment{Files: files, IdentMaps: ident.Maps, IdentMapsKnown: true, Interfaces: serverInterfaces(t)}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	o.osUser = u.Username
	o.logf, err = os.Open(o.p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.logf.Close() })
	if _, err := o.logf.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	o.super, err = pgconn.Connect(context.Background(), fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", o.p.SocketDir, o.p.Port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.super.Close(context.Background()) })
	o.unsupported = o.probeBuild()
	return o
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// serverInterfaces is what getifaddrs() tells PostgreSQL on this machine.
func serverInterfaces(t *testing.T) []Interface {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var out []Interface
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			if ip.Is4In6() {
				ip = ip.Unmap()
			}
			ones, _ := ipn.Mask.Size()
			out = append(out, netip.PrefixFrom(ip, ones))
		}
	}
	if len(out) == 0 {
		t.Fatal("no interface addresses")
	}
	return out
}

// reverseDNS asks the system resolver (glibc, as PostgreSQL's
// getnameinfo/getaddrinfo do) for the name of addr and whether it resolves
// back.
func (o *simOracle) reverseDNS(addr string) *ReverseDNS {
	if r, ok := o.rdns[addr]; ok {
		return r
	}
	r := &ReverseDNS{}
	out, _ := exec.Command("getent", "hosts", addr).Output()
	if f := strings.Fields(string(out)); len(f) >= 2 {
		r.Name = f[1]
		fwd, _ := exec.Command("getent", "ahosts", r.Name).Output()
		for _, l := range strings.Split(string(fwd), "\n") {
			if g := strings.Fields(l); len(g) > 0 && g[0] == addr {
				r.Confirmed = true
			}
		}
	}
	o.rdns[addr] = r
	return r
}

// probeBuild finds what this server build cannot load (the npm builds of
// 13-18 have no GSSAPI, PAM or LDAP): rules needing them are left out of
// the corpus for this server, which is an environment gap, logged.
func (o *simOracle) probeBuild() map[string]bool {
	probe := []struct{ key, line string }{
		{"gss", "host all all 10.0.0.0/8 gss"},
		{"pam", "host all all 10.0.0.0/8 pam"},
		{"ldap", "host all all 10.0.0.0/8 ldap ldapserver=x ldapbasedn=dc=x"},
		{"hostgssenc", "hostgssenc all all 10.0.0.0/8 trust"},
		{"radius", "host all all 10.0.0.0/8 radius radiusservers=127.0.0.1 radiussecrets=x"},
	}
	var b strings.Builder
	b.WriteString(oracleFirstLine)
	for _, p := range probe {
		b.WriteString(p.line + "\n")
	}
	o.p.WriteFile(o.t, "data/pg_hba.conf", b.String())
	rows := o.p.Query(o.t, "SELECT line_number, coalesce(error, '') FROM pg_hba_file_rules ORDER BY line_number")
	out := map[string]bool{}
	for _, r := range rows {
		n, _ := strconv.Atoi(r[0])
		if n >= 2 && r[1] != "" {
			out[probe[n-2].key] = true
			o.t.Logf("ENVIRONMENT GAP: PostgreSQL %d build (%s) cannot load %q (%s); rules needing %s are left out of its corpus", o.v, o.p.Build, probe[n-2].line, r[1], probe[n-2].key)
		}
	}
	o.p.WriteFile(o.t, "data/pg_hba.conf", oracleFirstLine)
	return out
}

func (o *simOracle) ruleSupported(r Rule) bool {
	switch {
	case r.Type == HostGSSEnc && o.unsupported["hostgssenc"]:
		return false
	case r.Method == GSS && o.unsupported["gss"], r.Method == PAM && o.unsupported["pam"],
		r.Method == LDAP && o.unsupported["ldap"], r.Method == RADIUS && o.unsupported["radius"]:
		return false
	}
	return true
}

// load writes rules (after the fixed first line) and reloads; it returns
// the content and checks that the server accepted every line.
func (o *simOracle) load(rules []Rule) string {
	o.t.Helper()
	t0 := time.Now()
	defer func() { o.timing["load"] += time.Since(t0) }()
	body, err := RenderFile(rules, "")
	if err != nil {
		o.t.Fatal(err)
	}
	content := oracleFirstLine + body
	o.p.WriteFile(o.t, "data/pg_hba.conf", content)
	ctx := context.Background()
	var bad [][]byte
	res := o.super.ExecParams(ctx, "SELECT line_number::text, coalesce(error, 'no method') FROM pg_hba_file_rules WHERE error IS NOT NULL OR auth_method IS NULL", nil, nil, nil, nil).Read()
	if res.Err != nil {
		o.t.Fatal(res.Err)
	}
	if len(res.Rows) > 0 {
		bad = res.Rows[0]
		o.t.Fatalf("PostgreSQL %d refuses generated line %s (%s):\n%s", o.v, bad[0], bad[1], content)
	}
	// Reload, then wait until a new backend sees the new configuration.
	before := o.confLoadTime()
	if err := o.super.Exec(ctx, "SELECT pg_reload_conf()").Close(); err != nil {
		o.t.Fatal(err)
	}
	for i := 0; o.confLoadTime() == before; i++ {
		if i > 500 {
			o.t.Fatal("configuration not reloaded within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	o.readLog() // the superuser's own connections
	return content
}

// confLoadTime is pg_conf_load_time() as a new backend sees it.
func (o *simOracle) confLoadTime() string {
	ctx := context.Background()
	c, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", o.p.SocketDir, o.p.Port))
	if err != nil {
		o.t.Fatal(err)
	}
	defer c.Close(ctx)
	res := c.ExecParams(ctx, "SELECT pg_conf_load_time()::text", nil, nil, nil, nil).Read()
	if res.Err != nil {
		o.t.Fatal(res.Err)
	}
	return string(res.Rows[0][0])
}

// probeRules is the pass B form of rules: method password, no options.
func probeRules(rules []Rule) []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		r.Method = Password
		r.ClientCert, r.ClientName, r.Map, r.Options, r.Comment = "", "", "", nil, ""
		out[i] = r
	}
	return out
}

var (
	reMatchedLine = regexp.MustCompile(`Connection matched (?:pg_hba\.conf|file "[^"]*") line (\d+)`)
	reAuthLine    = regexp.MustCompile(`connection authenticated: .*\(.*:(\d+)\)`)
)

// readLog returns the log written since the last call.
func (o *simOracle) readLog() string {
	b, err := io.ReadAll(o.logf)
	if err != nil {
		o.t.Fatal(err)
	}
	return string(b)
}

func classify(log string) observed {
	ob := observed{kind: "other", log: log}
	if m := reMatchedLine.FindStringSubmatch(log); m != nil {
		ob.line, _ = strconv.Atoi(m[1])
	} else if m := reAuthLine.FindStringSubmatch(log); m != nil {
		ob.line, _ = strconv.Atoi(m[1])
	}
	switch {
	case strings.Contains(log, "could not accept SSL connection: certificate verify failed"):
		ob.kind = "tls"
	case strings.Contains(log, "no pg_hba.conf entry"):
		ob.kind = "implicit"
	case strings.Contains(log, "pg_hba.conf rejects"):
		ob.kind = "reject"
	case strings.Contains(log, "connection requires a valid client certificate"):
		ob.kind = "certreq"
	case strings.Contains(log, "authentication failed for user"):
		ob.kind = "authfail"
	case strings.Contains(log, "connection authorized"):
		ob.kind = "ok"
	}
	return ob
}

// parallel reports whether a runs in the parallel phase: pgx over TCP,
// whose log lines are found by the client port the server logs.
func (a oracleAttempt) parallel() bool { return !a.psql && !a.local }

// connect performs a; for a pgx TCP attempt it returns the client port.
func (o *simOracle) connect(a oracleAttempt, password string) (port int, clientErr error) {
	if a.psql {
		ci := map[string]string{"port": strconv.Itoa(o.p.Port), "user": a.user, "dbname": a.db, "password": password,
			"sslmode": "disable", "gssencmode": "disable", "connect_timeout": "20"}
		switch {
		case a.local:
			ci["host"] = o.p.SocketDir
		default:
			ci["host"] = a.src
		}
		if a.ssl {
			ci["sslmode"] = "require"
		}
		if a.replication {
			ci["replication"] = "true"
		}
		var ctls testserver.ClientTLS
		if c := o.certs[a.cert]; c != nil {
			ctls.CertPEM, ctls.KeyPEM = c.certPEM, c.keyPEM
		}
		if res := testserver.Psql(o.t, ci, ctls, "SELECT 1"); res.Err != nil {
			clientErr = fmt.Errorf("%w: %s", res.Err, res.Stderr)
		}
		return 0, clientErr
	}
	cfg, err := pgconn.ParseConfig("sslmode=disable")
	if err != nil {
		return 0, err
	}
	cfg.Port = uint16(o.p.Port)
	cfg.User, cfg.Database, cfg.Password = a.user, a.db, password
	cfg.ConnectTimeout = 20 * time.Second
	cfg.Fallbacks = nil
	if a.local {
		cfg.Host = o.p.SocketDir
	} else {
		cfg.Host = "127.0.0.1"
		src := net.ParseIP(a.src)
		if src.To4() == nil {
			cfg.Host = "::1"
		}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 20 * time.Second}
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				port = c.LocalAddr().(*net.TCPAddr).Port
			}
			return c, err
		}
	}
	if a.ssl {
		tc := &tls.Config{InsecureSkipVerify: true}
		if c := o.certs[a.cert]; c != nil {
			cert := c.tlsCert
			// Always send the certificate, even when its issuer is not
			// in the server's acceptable CA list (the foreign one).
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		}
		cfg.TLSConfig = tc
	}
	if a.replication {
		cfg.RuntimeParams["replication"] = "true"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgconn.ConnectConfig(ctx, cfg)
	if err == nil {
		_ = c.Close(context.Background())
	}
	return port, err
}

var (
	reLogRecord = regexp.MustCompile(`^\S+ \S+ \S+ \[(\d+)\] `)
	reReceived  = regexp.MustCompile(`connection received: host=(\S+) port=(\d+)`)
)

// byPID splits a log chunk into the records of each backend.
func byPID(chunk string) (records map[string]string, pidOfPort map[string]string) {
	records, pidOfPort = map[string]string{}, map[string]string{}
	pid := ""
	for _, l := range strings.SplitAfter(chunk, "\n") {
		if m := reLogRecord.FindStringSubmatch(l); m != nil {
			pid = m[1]
			if r := reReceived.FindStringSubmatch(l); r != nil {
				pidOfPort[r[1]+" "+r[2]] = pid
			}
		}
		if pid != "" {
			records[pid] += l
		}
	}
	return records, pidOfPort
}

// loginAll performs the attempts (psql and socket ones one at a time, pgx
// TCP ones four at a time) and returns what the server logged for each.
func (o *simOracle) loginAll(attempts []oracleAttempt, password func(oracleAttempt) string) []observed {
	o.t.Helper()
	out := make([]observed, len(attempts))
	o.readLog()
	for i, a := range attempts {
		if a.parallel() {
			continue
		}
		t0 := time.Now()
		_, clientErr := o.connect(a, password(a))
		log := o.readLog()
		for j := 0; j < 20 && classify(log).kind == "other"; j++ {
			time.Sleep(10 * time.Millisecond) // a backend may still be writing
			log += o.readLog()
		}
		if n := strings.Count(log, "connection received"); n != 1 {
			o.t.Fatalf("attempt %s: %d connections in the log chunk (client: %v):\n%s", a, n, clientErr, log)
		}
		out[i] = classify(log)
		o.logins++
		o.timing["sequential logins"] += time.Since(t0)
	}
	t0 := time.Now()
	ports := make([]int, len(attempts))
	errs := make([]error, len(attempts))
	work := make(chan int)
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func() {
			for i := range work {
				ports[i], errs[i] = o.connect(attempts[i], password(attempts[i]))
			}
			done <- struct{}{}
		}()
	}
	n := 0
	for i, a := range attempts {
		if a.parallel() {
			work <- i
			n++
		}
	}
	close(work)
	for w := 0; w < 4; w++ {
		<-done
	}
	chunk := o.readLog()
	for try := 0; ; try++ {
		records, pidOfPort := byPID(chunk)
		missing := false
		for i, a := range attempts {
			if !a.parallel() {
				continue
			}
			pid, ok := pidOfPort[a.src+" "+strconv.Itoa(ports[i])]
			if ports[i] == 0 || !ok {
				o.t.Fatalf("attempt %s: no log record for client port %d (client: %v)", a, ports[i], errs[i])
			}
			out[i] = classify(records[pid])
			if out[i].kind == "other" {
				missing = true
			}
		}
		if !missing || try == 20 {
			break
		}
		time.Sleep(10 * time.Millisecond)
		chunk += o.readLog()
	}
	o.logins += n
	o.timing["parallel logins"] += time.Since(t0)
	return out
}

// simAttempt is a's Attempt for the simulation.
func (o *simOracle) simAttempt(a oracleAttempt) Attempt {
	sa := Attempt{Local: a.local, Database: a.db, User: a.user, Replication: a.replication, MembershipKnown: true}
	if a.local {
		sa.SystemUser = o.osUser
	} else {
		sa.Address = netip.MustParseAddr(a.src)
		sa.Encryption = EncryptionNone
		if a.ssl {
			sa.Encryption = EncryptionSSL
		}
		sa.Hostname = o.reverseDNS(a.src)
	}
	if m, ok := oracleRoles[a.user]; ok {
		sa.MemberOf = m
	} else {
		sa.RoleMissing = true
	}
	if c := o.certs[a.cert]; c != nil {
		sa.ClientCert = &ClientCertificate{CN: c.cn, DN: c.dn, Unverified: c.foreign}
	}
	return sa
}

// expectedKind is what the server must do with a given the simulated
// decision (auth.c, with this test's credentials: every role has password
// pw-<name>; no ident server answers).
func (o *simOracle) expectedKind(d Decision, a oracleAttempt) string {
	_, exists := oracleRoles[a.user]
	validCert := a.cert != ""
	switch {
	case d.TLSRefused:
		return "tls"
	case d.ImplicitReject:
		return "implicit"
	case d.Cert != nil && !validCert:
		return "certreq"
	case d.Method == Reject:
		return "reject"
	case d.Result == ResultReject:
		return "authfail"
	}
	switch d.Method {
	case Trust, Cert, Peer:
		return "ok"
	case ScramSHA256, MD5, Password:
		if exists && a.goodPass {
			return "ok"
		}
		return "authfail"
	case Ident:
		return "authfail"
	}
	o.t.Fatalf("attempt %s decided by method %s, which this oracle cannot log in with", a, d.Method)
	return ""
}

func (o *simOracle) password(a oracleAttempt) string {
	if a.goodPass {
		return "pw-" + a.user
	}
	return "wrong-" + a.user
}

// runSet checks attempts against one rule set on both passes.
func (o *simOracle) runSet(name string, rules []Rule, n int) {
	o.t.Helper()
	var kept []Rule
	for _, r := range rules {
		if o.ruleSupported(r) {
			kept = append(kept, r)
		}
	}
	content := o.load(kept)
	pf, err := Parse(content, o.v)
	if err != nil {
		o.t.Fatal(err)
	}
	m, err := NewMatcher(pf.Rules, o.v, o.env)
	if err != nil {
		o.t.Fatalf("%s: %v\n%s", name, err, content)
	}
	// Draw attempts; most of those no line matches are redrawn so that the
	// lines themselves get exercised (the choice never looks at the server).
	var attempts []oracleAttempt
	var decisions []Decision
	for len(attempts) < n {
		a := o.genAttempts(1)[0]
		d, err := m.Match(o.simAttempt(a))
		if err != nil {
			o.t.Fatalf("%s: attempt %s: simulation: %v\n%s", name, a, err, content)
		}
		if (d.ImplicitReject || d.TLSRefused) && o.rng.Intn(4) != 0 {
			continue
		}
		attempts = append(attempts, a)
		decisions = append(decisions, d)
	}
	obs := o.loginAll(attempts, o.password)
	var reveal []int // attempts whose matched line pass A did not log
	for i, a := range attempts {
		d, ob := decisions[i], obs[i]
		want := o.expectedKind(d, a)
		if ob.kind != want || (ob.line != 0 && ob.line != d.Line) {
			o.t.Errorf("%s (PostgreSQL %d): attempt %s\n simulation: %s -> expect %s (line %d)\n server: %s (line %d)\n%s\nfile:\n%s",
				name, o.v, a, d.Reason, want, d.Line, ob.kind, ob.line, ob.log, numbered(content))
		}
		if d.Index >= 0 && ob.line == 0 {
			reveal = append(reveal, i)
		}
		o.attempts++
		o.coverage["method "+string(d.Method)]++
		o.coverage["server "+ob.kind]++
		if ob.line != 0 {
			o.coverage["line logged in pass A"]++
		}
		if d.Cert != nil {
			o.coverage["cert check"]++
		}
		if d.Identity != nil {
			o.coverage["ident map check"]++
		}
		if _, err := netip.ParsePrefix(d.Rule.Address); d.Index >= 0 && strings.Contains(d.Rule.Address, "/") && err != nil {
			o.coverage["inet_aton address"]++
		}
	}
	if len(reveal) == 0 {
		return
	}
	// Pass B: the same lines with method password; a wrong password makes
	// the server log the matched line.
	o.load(probeRules(kept))
	sub := make([]oracleAttempt, len(reveal))
	for j, i := range reveal {
		sub[j] = attempts[i]
	}
	obsB := o.loginAll(sub, func(oracleAttempt) string { return "probe-wrong-password" })
	for j, i := range reveal {
		d, ob := decisions[i], obsB[j]
		o.coverage["line revealed in pass B"]++
		if ob.kind != "authfail" || ob.line != d.Line {
			o.t.Errorf("%s (PostgreSQL %d, pass B): attempt %s: simulation: line %d; server: %s (line %d)\n%s\nfile:\n%s", name, o.v, attempts[i], d.Line, ob.kind, ob.line, ob.log, numbered(content))
		}
	}
}

func numbered(content string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		fmt.Fprintf(&b, "%3d  %s\n", i+1, l)
	}
	return b.String()
}

// genAttempts draws n attempts over the oracle's universe.
func (o *simOracle) genAttempts(n int) []oracleAttempt {
	r := o.rng
	users := []string{"app", "alice", "bob", "carol", "dave", "erin"}
	pgxSources := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.9", "127.1.2.3", "::1"}
	certs := []string{"", "", "alice", "alice", "bob", "carol", "dave", "foreign"}
	out := make([]oracleAttempt, 0, n)
	for len(out) < n {
		a := oracleAttempt{user: users[r.Intn(len(users))], db: oracleDatabases[r.Intn(len(oracleDatabases))], goodPass: r.Intn(10) < 7}
		switch x := r.Intn(20); {
		case x < 2:
			a.local, a.psql = true, true
		case x < 3:
			a.local = true
		case x < 5:
			a.psql, a.src = true, []string{"127.0.0.1", "::1"}[r.Intn(2)]
		default:
			a.src = pgxSources[r.Intn(len(pgxSources))]
		}
		if !a.local && r.Intn(10) < 6 {
			a.ssl = true
			a.cert = certs[r.Intn(len(certs))]
		}
		if r.Intn(10) == 0 {
			a.replication = true
		}
		out = append(out, a)
	}
	return out
}

// matchRuleSets are hand-written sets, one per hba.c rule.
func matchRuleSets(v int) map[string][]Rule {
	all := []Name{Kw("all")}
	L := func(s ...string) []Name {
		var out []Name
		for _, x := range s {
			out = append(out, Lit(x))
		}
		return out
	}
	h := func(ty ConnType, dbs, users []Name, addr string, m Method) Rule {
		return Rule{Type: ty, Databases: dbs, Users: users, Address: addr, Method: m}
	}
	sets := map[string][]Rule{
		"replication vs all": {
			h(Host, all, all, "127.0.0.2/32", Trust),
			h(Host, []Name{Kw("replication")}, all, "127.0.0.2/32", Reject),
			h(Host, L("replication"), all, "127.0.0.3/32", Trust),
			h(Host, []Name{Kw("replication")}, all, "all", ScramSHA256),
			h(Host, all, all, "all", MD5),
			{Type: Local, Databases: []Name{Kw("replication")}, Users: all, Method: Reject},
			{Type: Local, Databases: all, Users: all, Method: Trust},
		},
		"first match wins": {
			h(Host, all, L("alice"), "127.0.0.0/8", ScramSHA256),
			h(Host, all, all, "127.0.0.0/8", Trust),
			h(Host, all, all, "::1/128", Reject),
			{Type: Local, Databases: all, Users: L("bob"), Method: Reject},
			{Type: Local, Databases: all, Users: all, Method: Password},
		},
		"samehost samenet": {
			h(Host, all, all, "samehost", Reject),
			h(HostSSL, all, all, "samenet", Trust),
			h(Host, all, all, "samenet", MD5),
			h(Host, all, all, "all", Password),
		},
		"host names": {
			h(Host, all, L("alice"), "localhost", Reject),
			h(Host, all, all, ".localhost", Reject),
			h(Host, all, all, "vm", Reject),
			h(HostNoSSL, all, all, "LOCALHOST", Trust),
			h(Host, all, all, "127.0.0.0/8", MD5),
			h(Host, all, all, "::1/128", ScramSHA256),
		},
		"groups and same*": {
			h(Host, all, []Name{GroupOf("admins")}, "127.0.0.2/32", Trust),
			h(Host, all, []Name{GroupOf("ops")}, "127.0.0.0/8", Reject),
			h(Host, []Name{Kw("samerole")}, all, "127.0.0.0/8", MD5),
			h(Host, []Name{Kw("sameuser")}, all, "127.0.0.0/8", Password),
			h(Host, []Name{Kw("samegroup")}, all, "::1/128", Trust),
			h(Host, all, []Name{GroupOf("alice"), GroupOf("nosuchgroup")}, "all", ScramSHA256),
			h(Host, all, L("+admins", "all"), "all", Reject),
			{Type: Local, Databases: []Name{Kw("sameuser")}, Users: all, Method: Trust},
			{Type: Local, Databases: all, Users: []Name{GroupOf("admins")}, Method: Reject},
			{Type: Local, Databases: all, Users: all, Method: MD5},
		},
		"ssl types": {
			h(HostNoSSL, all, L("alice"), "all", Reject),
			{Type: HostSSL, Databases: all, Users: L("alice", "bob"), Address: "127.0.0.0/8", Method: Trust, ClientCert: "verify-full"},
			{Type: HostSSL, Databases: all, Users: all, Address: "127.0.0.0/8", Method: ScramSHA256, ClientCert: "verify-ca"},
			h(HostNoGSSEnc, all, all, "all", MD5),
			h(Host, all, all, "all", Reject),
		},
		"cert": {
			{Type: HostSSL, Databases: L("app"), Users: all, Address: "all", Method: Cert, Map: "ocert"},
			{Type: HostSSL, Databases: L("shop"), Users: all, Address: "all", Method: Cert, ClientName: "DN", Map: "odn"},
			{Type: HostSSL, Databases: L("alice"), Users: all, Address: "all", Method: Cert},
			{Type: HostSSL, Databases: L("admins"), Users: all, Address: "all", Method: Password, ClientCert: "verify-full", ClientName: "DN"},
			{Type: HostSSL, Databases: all, Users: all, Address: "all", Method: Trust, ClientCert: "verify-full"},
			h(Host, all, all, "all", Trust),
		},
		"files": {
			h(Host, []Name{FileRef("o_dbs.txt")}, []Name{FileRef("o_users.txt")}, "all", Reject),
			h(Host, []Name{FileRef("o_all.txt")}, L("bob"), "all", Trust),
			h(Host, all, []Name{FileRef("o_all.txt")}, "127.0.0.0/8", MD5),
			{Type: Local, Databases: []Name{FileRef("dbs.txt"), Lit("app")}, Users: []Name{FileRef("users.txt"), GroupOf("admins")}, Method: Reject},
			{Type: Local, Databases: all, Users: all, Method: Trust},
		},
		"peer ident": {
			{Type: Local, Databases: L("app"), Users: all, Method: Peer, Map: "opeer"},
			{Type: Local, Databases: L("shop"), Users: all, Method: Ident, Map: "obroken"},
			{Type: Local, Databases: L("alice"), Users: all, Method: Peer},
			{Type: Local, Databases: all, Users: all, Method: Peer, Map: "localmap"},
			h(Host, L("app"), all, "127.0.0.0/8", Ident),
			h(Host, all, all, "all", Trust),
		},
		"masks and families": {
			h(Host, all, L("bob"), "127.3/32", Reject),          // inet_aton: 127.0.0.3
			h(Host, all, L("bob"), "0x7f.2/32", MD5),            // inet_aton: 127.0.0.2
			h(Host, all, L("alice"), "2130706433/32", Password), // inet_aton: 127.0.0.1
			{Type: Host, Databases: all, Users: all, Address: "127.0.0.4", Netmask: "255.255.255.252", Method: Reject},
			h(Host, all, all, "127.0.0.0/30", Trust),
			h(Host, all, all, "::ffff:127.0.0.0/104", Reject),
			h(Host, all, all, "::1/128", MD5),
			h(Host, all, all, "10.0.0.0/8", Reject),
			h(Host, all, all, "127.1.0.0/16", Reject),
			{Type: Host, Databases: all, Users: all, Address: "127.0.0.9", Netmask: "255.255.255.255", Method: Reject},
			h(Host, all, all, "0.0.0.0/0", ScramSHA256),
			{Type: Local, Databases: all, Users: all, Method: Trust},
		},
		"quoted keywords": {
			h(Host, L("all"), all, "all", Reject),
			h(Host, all, L("all"), "all", Reject),
			h(Host, L("sameuser"), all, "all", Reject),
			h(Host, L("replication"), L("bob"), "all", Reject),
			h(Host, []Name{Kw("sameuser"), Lit("shop")}, L("app", "alice"), "all", Trust),
			h(Host, all, all, "all", Password),
			{Type: Local, Databases: all, Users: all, Method: Trust},
		},
	}
	if v >= 16 {
		sets["regex 16+"] = []Rule{
			h(Host, []Name{RegexName("^a")}, []Name{RegexName("^(alice|bob)$")}, "all", Trust),
			h(Host, []Name{RegexName("p$")}, []Name{Lit("/^d")}, "all", Reject),
			h(Host, []Name{RegexName("(?i)^APP$")}, all, "127.0.0.0/8", MD5),
			h(Host, []Name{Lit("/^s")}, []Name{RegexName("a")}, "all", Password),
			h(Host, all, []Name{RegexName(`^\w{3}$`)}, "all", Reject),
			{Type: Local, Databases: []Name{RegexName("^(app|shop)$")}, Users: all, Method: Reject},
			{Type: Local, Databases: all, Users: all, Method: Trust},
		}
	} else {
		sets["regex text before 16"] = []Rule{
			h(Host, []Name{RegexName("^a")}, all, "all", Reject), // PostgreSQL 15 reads a database named "/^a"
			h(Host, []Name{Lit("/^s")}, all, "all", Reject),
			h(Host, all, []Name{RegexName("^(alice|bob)$")}, "all", Reject),
			h(Host, all, all, "all", Trust),
			{Type: Local, Databases: all, Users: all, Method: Trust},
		}
	}
	return sets
}

// genRules draws a valid rule set for version v.
func genRules(r *mrand.Rand, v int) []Rule {
	dbs := []Name{Kw("all"), Kw("all"), Kw("sameuser"), Kw("samerole"), Kw("samegroup"), Kw("replication"),
		Lit("app"), Lit("alice"), Lit("admins"), Lit("shop"), Lit("replication"), Lit("all"), FileRef("o_dbs.txt"), FileRef("o_all.txt"),
		RegexName("^a"), Lit("/^s")}
	users := []Name{Kw("all"), Kw("all"), GroupOf("admins"), GroupOf("ops"), GroupOf("alice"), GroupOf("nosuchgroup"),
		Lit("app"), Lit("alice"), Lit("bob"), Lit("carol"), Lit("dave"), Lit("erin"), Lit("all"), Lit("+admins"), FileRef("o_users.txt"),
		RegexName("^(alice|bob)$"), Lit("/^d")}
	if v >= 16 {
		dbs = append(dbs, RegexName("^(app|shop)$"), RegexName("p$"), RegexName("(?i)^APP$"))
		users = append(users, RegexName("a"), RegexName(`^\w{4}$`))
	}
	addrs := []string{"all", "all", "all", "127.0.0.0/8", "127.0.0.0/8", "samehost", "samenet", "127.0.0.0/8", "127.0.0.1/32", "127.0.0.2/31", "127.0.0.4/30",
		"127.0.0.0/255.255.255.248", "127.0.0.9/255.255.255.255", "::1/128", "::/0", "0.0.0.0/0", "localhost", "LOCALHOST",
		".localhost", "vm", "::ffff:127.0.0.0/104", "10.0.0.0/8", "127.1.0.0/16", "127.0.0.3/32"}
	types := []ConnType{Host, Host, Host, HostSSL, HostSSL, HostNoSSL, HostNoGSSEnc, HostGSSEnc, Local, Local}
	pick := func(ns []Name) []Name {
		out := []Name{ns[r.Intn(len(ns))]}
		if r.Intn(4) == 0 {
			out = append(out, ns[r.Intn(len(ns))])
		}
		return out
	}
	n := 6 + r.Intn(9)
	var rules []Rule
	for len(rules) < n {
		ru := Rule{Type: types[r.Intn(len(types))], Databases: pick(dbs), Users: pick(users)}
		if ru.Type != Local {
			a := addrs[r.Intn(len(addrs))]
			if ip, mask, ok := strings.Cut(a, "/"); ok && strings.Contains(mask, ".") {
				ru.Address, ru.Netmask = ip, mask
			} else {
				ru.Address = a
			}
		}
		methods := []Method{Trust, Trust, Reject, Reject, ScramSHA256, MD5, Password}
		switch ru.Type {
		case Local:
			methods = append(methods, Peer, Peer, Ident)
		case HostSSL:
			methods = append(methods, Cert, Cert, Ident)
		case HostGSSEnc:
			methods = []Method{Trust, Reject}
		default:
			methods = append(methods, Ident, Ident)
		}
		ru.Method = methods[r.Intn(len(methods))]
		switch {
		case ru.Method == Cert:
			switch r.Intn(4) {
			case 1:
				ru.Map = "ocert"
			case 2:
				ru.ClientName, ru.Map = "DN", "odn"
			case 3:
				ru.ClientName = "CN"
			}
		case ru.Type == HostSSL && r.Intn(3) == 0:
			ru.ClientCert = []string{"verify-ca", "verify-full"}[r.Intn(2)]
			if ru.ClientCert == "verify-full" && r.Intn(3) == 0 {
				ru.ClientName = "DN"
			}
		case ru.Method == Peer && r.Intn(2) == 0:
			ru.Map = []string{"opeer", "obroken", "localmap"}[r.Intn(3)]
		}
		rules = append(rules, ru)
	}
	return rules
}

// corpusRuleSet is the parse oracle corpus with a few lines in front that
// 127.0.0.x clients reach, so its lines are exercised too.
func corpusRuleSet() []Rule {
	// The corpus's literal /slash database is a regular expression on 16+;
	// it stays (the server loads it either way).
	out := append([]Rule(nil), oracleCorpus()...)
	out = append(out,
		Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "127.0.0.0/8", Method: ScramSHA256},
		Rule{Type: Host, Databases: []Name{Kw("all")}, Users: []Name{Kw("all")}, Address: "::1/128", Method: Trust},
	)
	return out
}

func TestMatchAgainstPostgres(t *testing.T) {
	testserver.RequirePostgres(t)
	majors := []int{0, 18} // 0: Debian PostgreSQL 15
	if s := os.Getenv("PGTLS_MATCH_MAJORS"); s != "" {
		majors = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatal(err)
			}
			majors = append(majors, n)
		}
	}
	total := 0
	for _, major := range majors {
		t.Run(fmt.Sprintf("major=%d", major), func(t *testing.T) {
			t0 := time.Now()
			o := startSimOracle(t, major)
			started := time.Since(t0)
			sets := matchRuleSets(o.v)
			for _, name := range sortedKeys(sets) {
				o.runSet(name, sets[name], oracleAttemptsPerSet)
			}
			gen := mrand.New(mrand.NewSource(42))
			for i := 0; i < 20; i++ {
				o.runSet(fmt.Sprintf("generated %d", i), genRules(gen, o.v), oracleAttemptsPerSet)
			}
			o.runSet("parse corpus", corpusRuleSet(), oracleAttemptsPerSet)
			t.Logf("PostgreSQL %d (%s): %d attempts (%d real logins) agree with the simulation in %s (server start %s)",
				o.v, o.p.Build, o.attempts, o.logins, time.Since(t0).Round(time.Millisecond), started.Round(time.Millisecond))
			t.Logf("coverage: %v", o.coverage)
			t.Logf("time: %v", o.timing)
			if o.attempts < 1000 {
				t.Errorf("only %d attempts, want at least 1000", o.attempts)
			}
			for _, k := range []string{"method trust", "method reject", "method cert", "method scram-sha-256", "method peer", "method ident",
				"server implicit", "server certreq", "cert check", "ident map check", "inet_aton address"} {
				want := 10
				if k == "inet_aton address" {
					want = 1
				}
				if o.coverage[k] < want {
					t.Errorf("coverage %q = %d, want >= %d (the corpus no longer exercises it)", k, o.coverage[k], want)
				}
			}
			total += o.attempts
		})
	}
	t.Logf("total attempts: %d", total)
}
