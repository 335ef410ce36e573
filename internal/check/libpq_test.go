package check

import (
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// The issue's acceptance test: real PostgreSQL 15 servers in several
// configurations; for every client variant and every sslmode, Run() must
// agree with psql (real libpq) on success/failure, on the failure category
// (and SQLSTATE for server errors), and on success on current_user and on
// whether the session is encrypted.

const alicePassword = "alice-pw-Secret1"

type clientCase struct {
	name string
	host string // overrides the server's address (e.g. "localhost")
	db   string // overrides the database (default postgres)
	// certNotAsked: the server requests no client certificate, so none
	// may be reported as sent even though one is configured.
	certNotAsked bool
	req          Request            // Host/Port are filled in per server
	paths        map[SSLMode]string // optional: expected Path per mode
	want         map[SSLMode]bool   // optional: expected success per mode (sanity: the scenario tests what it claims)
	major        int                // server major behind host:port (0 means 15, the Debian server behind the poolers)
}

// serverVersions are the servers every libpq comparison runs against: the
// Debian PostgreSQL 15 (OpenSSL 3) as 0, then each npm build 13..18
// (OpenSSL 1.1). psql 15 is the client for all of them.
func serverVersions() []int { return append([]int{0}, testserver.Majors()...) }

func versionName(v int) string {
	if v == 0 {
		return "pg15-debian"
	}
	return "pg" + strconv.Itoa(v)
}

// eachVersion runs f once per server version, as a subtest that skips
// loudly (or fails under PGTLS_REQUIRE_SERVERS=1) when that build is
// missing.
func eachVersion(t *testing.T, f func(t *testing.T, version int)) {
	for _, v := range serverVersions() {
		t.Run(versionName(v), func(t *testing.T) {
			testserver.RequirePostgresVersion(t, v)
			f(t, v)
		})
	}
}

type serverCase struct {
	name    string
	cfg     testserver.PostgresConfig
	clients []clientCase
}

// libpqCategory classifies the last attempt's error in psql's stderr.
func libpqCategory(stderr string) (cat, sqlstate, last string) {
	chunks := strings.Split(stderr, "connection to server at")
	last = strings.TrimSpace(chunks[len(chunks)-1])
	switch {
	case strings.Contains(last, "server does not support SSL, but SSL was required"):
		return CatSSLRefused, "", last
	case strings.Contains(last, "root certificate file") && strings.Contains(last, "does not exist"):
		return CatNoRootCert, "", last
	case strings.Contains(last, "certificate verify failed"):
		return CatCertVerify, "", last
	case strings.Contains(last, "does not match host name"), strings.Contains(last, "could not get server's host name"):
		return CatHostname, "", last
	case strings.Contains(last, "could not find digest for NID"):
		return CatChannelBinding, "", last
	case strings.Contains(last, "no password supplied"):
		return CatNoPassword, "", last
	case strings.Contains(last, "FATAL:"), strings.Contains(last, "ERROR:"): // Pgpool-II reports auth failures as ERROR
		for _, m := range []struct{ msg, code string }{
			{"no pg_hba.conf entry", "28000"},
			{"pg_hba.conf rejects connection", "28000"},
			{"password authentication failed", "28P01"},
			{"certificate authentication failed", "28000"},
			{"connection requires a valid client certificate", "28000"},
			{"certificate validation (clientcert=verify-full) failed", "28000"},
		} {
			if strings.Contains(last, m.msg) {
				return CatServer, m.code, last
			}
		}
		return CatServer, "", last
	case strings.Contains(last, "Connection refused"):
		return CatConnect, "", last
	case strings.Contains(last, "timeout expired"):
		return CatTimeout, "", last
	case strings.Contains(last, "SSL error"), strings.Contains(last, "alert"):
		return CatTLS, "", last
	}
	return CatProtocol, "", last
}

func psqlFor(t *testing.T, req Request, mode SSLMode) testserver.PsqlResult {
	ci := map[string]string{
		"host":            req.Host,
		"port":            strconv.Itoa(req.Port),
		"dbname":          req.Database,
		"user":            req.User,
		"sslmode":         string(mode),
		"connect_timeout": "5",
	}
	if req.ServerName != "" {
		ci["host"] = req.ServerName
		ci["hostaddr"] = req.Host
	}
	if req.Password != "" {
		ci["password"] = req.Password
	}
	return testserver.Psql(t, ci, testserver.ClientTLS{RootCertPEM: req.RootCertPEM, CertPEM: req.ClientCertPEM, KeyPEM: req.ClientKeyPEM, CRLPEM: req.CRLPEM},
		"SELECT current_user || '|' || coalesce((SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()), 'none')")
}

func TestAgreesWithLibpq(t *testing.T) {
	testserver.RequirePostgres(t)
	ca := newCA(t, "pgtls test root")
	other := newCA(t, "unrelated root")
	now := time.Now()

	good := ca.server(t, "localhost", []string{"localhost"}, "127.0.0.1")
	dnsOnly := ca.server(t, "pg.example.test", []string{"localhost", "*.example.test"})
	ipOnly := ca.server(t, "localhost", nil, "127.0.0.1")
	cnOnly := ca.server(t, "127.0.0.1", nil)
	cnIPWithDNS := ca.server(t, "127.0.0.1", []string{"db.example.test"})
	expired := ca.issue(t, leafOpts{cn: "localhost", dns: []string{"localhost"}, ips: []string{"127.0.0.1"}, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, notBefore: now.Add(-72 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	noServerAuth := ca.issue(t, leafOpts{cn: "localhost", dns: []string{"localhost"}, ips: []string{"127.0.0.1"}, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	edCA := newCAKeyType(t, "ed25519 root", pki.KeyEd25519)
	edSigned := edCA.server(t, "localhost", []string{"localhost"}, "127.0.0.1")
	inter := ca.intermediate(t, "pgtls test intermediate")
	viaInter := inter.server(t, "localhost", []string{"localhost"}, "127.0.0.1")
	alice := ca.client(t, "alice")
	interAlice := inter.client(t, "alice")
	bob := ca.client(t, "bob")
	strangerAlice := other.client(t, "alice")

	pw := Request{User: "alice", Password: alicePassword}
	withRoot := func(r Request) Request { r.RootCertPEM = ca.pem; return r }
	withCert := func(r Request, l *leaf) Request { r.ClientCertPEM, r.ClientKeyPEM = l.certPEM, l.keyPEM; return r }
	named := func(r Request, n string) Request { r.ServerName = n; return r }
	sslServer := func(l *leaf, hba string) testserver.PostgresConfig {
		return testserver.PostgresConfig{SSL: true, CertPEM: l.certPEM, KeyPEM: l.keyPEM, HBA: hba, Roles: []string{"alice", "bob"}}
	}
	const hostScram = "host all all 127.0.0.1/32 scram-sha-256"
	all := func(ok bool) map[SSLMode]bool {
		m := map[SSLMode]bool{}
		for _, mode := range AllModes {
			m[mode] = ok
		}
		return m
	}
	okExcept := func(fail ...SSLMode) map[SSLMode]bool {
		m := all(true)
		for _, f := range fail {
			m[f] = false
		}
		return m
	}

	servers := []serverCase{
		{name: "ssl-off", cfg: testserver.PostgresConfig{HBA: hostScram, Roles: []string{"alice", "bob"}}, clients: []clientCase{
			{name: "password", req: pw, want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull),
				paths: map[SSLMode]string{ModePrefer: PathTLSRefusedPlaintext, ModeRequire: PathTLSRefused, ModeAllow: PathPlaintext}},
			{name: "password+root", req: withRoot(pw), want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull)},
			// prefer and allow go on unencrypted on the refused connection
			// (libpq does not reconnect), so only the login error is theirs.
			{name: "wrong-password", req: Request{User: "alice", Password: "nope"}, want: all(false),
				paths: map[SSLMode]string{ModePrefer: PathTLSRefusedPlaintext, ModeAllow: PathPlaintextThenRefused, ModeRequire: PathTLSRefused}},
		}},
		{name: "ssl-on-scram", cfg: sslServer(good, hostScram), clients: []clientCase{
			{name: "password", req: pw, want: okExcept(ModeVerifyCA, ModeVerifyFull),
				paths: map[SSLMode]string{ModePrefer: PathTLS, ModeAllow: PathPlaintext, ModeDisable: PathPlaintext}},
			{name: "password+root", req: withRoot(pw), want: all(true)},
			{name: "password+root+servername", req: named(withRoot(pw), "localhost"), want: all(true)},
			{name: "host-localhost", host: "localhost", req: withRoot(pw), want: all(true)},
			{name: "unrequested-client-cert", certNotAsked: true, req: withCert(withRoot(pw), alice), want: all(true)},
			// Fails after AuthenticationOk: neither allow nor prefer retries.
			{name: "missing-database", db: "no_such_db", req: withRoot(pw), want: all(false),
				paths: map[SSLMode]string{ModeAllow: PathPlaintext, ModePrefer: PathTLS}},
			{name: "wrong-password", req: withRoot(Request{User: "alice", Password: "nope"}), want: all(false)},
			{name: "no-password", req: withRoot(Request{User: "alice"}), want: all(false)},
			{name: "wrong-ca", req: Request{User: "alice", Password: alicePassword, RootCertPEM: other.pem},
				want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull), paths: map[SSLMode]string{ModePrefer: PathTLSThenPlaintext}},
			{name: "crl-clean", req: func() Request { r := withRoot(pw); r.CRLPEM = ca.crl(t); return r }(), want: all(true)},
			{name: "crl-expired", req: func() Request {
				r := withRoot(pw)
				r.CRLPEM = ca.crlAt(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
				return r
			}(),
				want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull)},
			{name: "crl-not-yet-valid", req: func() Request {
				r := withRoot(pw)
				r.CRLPEM = ca.crlAt(t, now.Add(time.Hour), now.Add(48*time.Hour))
				return r
			}(),
				want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull)},
			{name: "crl-revoked", req: func() Request { r := withRoot(pw); r.CRLPEM = ca.crl(t, good); return r }(),
				want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull), paths: map[SSLMode]string{ModePrefer: PathTLSThenPlaintext}},
		}},
		{name: "hostssl-only", cfg: sslServer(good, "hostssl all all 127.0.0.1/32 scram-sha-256"), clients: []clientCase{
			{name: "password+root", req: withRoot(pw), want: okExcept(ModeDisable), paths: map[SSLMode]string{ModeAllow: PathPlaintextThenTLS, ModePrefer: PathTLS}},
			{name: "password", req: pw, want: okExcept(ModeDisable, ModeVerifyCA, ModeVerifyFull)},
		}},
		{name: "hostssl-cert", cfg: func() testserver.PostgresConfig {
			c := sslServer(good, "hostssl all all 127.0.0.1/32 cert")
			c.CAPEM = ca.pem
			return c
		}(), clients: []clientCase{
			{name: "alice-cert", req: withCert(withRoot(Request{User: "alice"}), alice), want: okExcept(ModeDisable)},
			{name: "bob-cert-as-alice", req: withCert(withRoot(Request{User: "alice"}), bob), want: all(false), paths: map[SSLMode]string{ModePrefer: PathTLSThenPlaintext}},
			{name: "no-cert", req: withRoot(Request{User: "alice"}), want: all(false)},
			{name: "untrusted-cert", req: withCert(withRoot(Request{User: "alice"}), strangerAlice), want: all(false)},
			{name: "alice-cert-via-intermediate", req: withCert(withRoot(Request{User: "alice"}), interAlice), want: okExcept(ModeDisable)},
			{name: "alice-cert-without-its-intermediate", req: func() Request {
				r := withRoot(Request{User: "alice"})
				r.ClientCertPEM, r.ClientKeyPEM = testpki.CertPEM(interAlice.cert.Raw), interAlice.keyPEM
				return r
			}(), want: all(false)},
		}},
		{name: "clientcert-verify-full", cfg: func() testserver.PostgresConfig {
			c := sslServer(good, "hostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-full")
			c.CAPEM = ca.pem
			return c
		}(), clients: []clientCase{
			{name: "alice-cert+password", req: withCert(withRoot(pw), alice), want: okExcept(ModeDisable)},
			{name: "bob-cert+password", req: withCert(withRoot(pw), bob), want: all(false)},
			{name: "password-only", req: withRoot(pw), want: all(false)},
		}},
		{name: "dns-san-only", cfg: sslServer(dnsOnly, hostScram), clients: []clientCase{
			{name: "ip-host", req: withRoot(pw), want: okExcept(ModeVerifyFull)},
			{name: "servername-localhost", req: named(withRoot(pw), "localhost"), want: all(true)},
			{name: "servername-wildcard", req: named(withRoot(pw), "db.example.test"), want: all(true)},
			{name: "servername-two-labels", req: named(withRoot(pw), "a.b.example.test"), want: okExcept(ModeVerifyFull)},
			{name: "servername-cn-ignored", req: named(withRoot(pw), "PG.EXAMPLE.TEST"), want: all(true)}, // matches the wildcard SAN, case-insensitively
		}},
		{name: "ip-san-only", cfg: sslServer(ipOnly, hostScram), clients: []clientCase{
			{name: "ip-host", req: withRoot(pw), want: all(true)},
			{name: "servername-cn-fallback", req: named(withRoot(pw), "localhost"), want: all(true)},
			{name: "servername-other", req: named(withRoot(pw), "other.test"), want: okExcept(ModeVerifyFull)},
		}},
		{name: "cn-only", cfg: sslServer(cnOnly, hostScram), clients: []clientCase{
			{name: "ip-host", req: withRoot(pw), want: all(true)},
			{name: "servername-localhost", req: named(withRoot(pw), "localhost"), want: okExcept(ModeVerifyFull)},
		}},
		{name: "cn-wildcard", cfg: sslServer(ca.server(t, "*.example.test", nil), hostScram), clients: []clientCase{
			{name: "one-label", req: named(withRoot(pw), "db.example.test"), want: all(true)},
			{name: "two-labels", req: named(withRoot(pw), "a.db.example.test"), want: okExcept(ModeVerifyFull)},
			{name: "ip-host", req: withRoot(pw), want: okExcept(ModeVerifyFull)},
		}},
		{name: "cn-ip-with-dns-san", cfg: sslServer(cnIPWithDNS, hostScram), clients: []clientCase{
			{name: "ip-host-uses-cn", req: withRoot(pw), want: all(true)},
			{name: "servername-dns-san", req: named(withRoot(pw), "db.example.test"), want: all(true)},
		}},
		{name: "wrong-ca-server", cfg: sslServer(other.server(t, "localhost", []string{"localhost"}, "127.0.0.1"), "hostssl all all 127.0.0.1/32 scram-sha-256"), clients: []clientCase{
			{name: "password+root", req: withRoot(pw), want: all(false)},
			{name: "password", req: pw, want: okExcept(ModeDisable, ModeVerifyCA, ModeVerifyFull)},
		}},
		{name: "expired-server-cert", cfg: sslServer(expired, hostScram), clients: []clientCase{
			{name: "password+root", req: withRoot(pw), want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull), paths: map[SSLMode]string{ModePrefer: PathTLSThenPlaintext}},
			{name: "password", req: pw, want: okExcept(ModeVerifyCA, ModeVerifyFull)},
		}},
		{name: "intermediate-chain", cfg: sslServer(viaInter, hostScram), clients: []clientCase{
			{name: "root", req: withRoot(pw), want: all(true)},
			{name: "intermediate-only-as-root", req: func() Request { r := pw; r.RootCertPEM = inter.pem; return r }(),
				want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull), paths: map[SSLMode]string{ModePrefer: PathTLSThenPlaintext}},
			{name: "crl-root-only", req: func() Request { r := withRoot(pw); r.CRLPEM = ca.crl(t); return r }()},
			{name: "crl-intermediate-only", req: func() Request { r := withRoot(pw); r.CRLPEM = inter.crl(t); return r }()},
			{name: "crl-both", req: func() Request { r := withRoot(pw); r.CRLPEM = ca.crl(t) + inter.crl(t); return r }(), want: all(true)},
			{name: "crl-leaf-revoked", req: func() Request { r := withRoot(pw); r.CRLPEM = ca.crl(t) + inter.crl(t, viaInter); return r }(),
				want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull)},
			{name: "crl-intermediate-revoked", req: func() Request {
				r := withRoot(pw)
				r.CRLPEM = ca.crl(t, &leaf{cert: inter.cert}) + inter.crl(t)
				return r
			}(), want: okExcept(ModeRequire, ModeVerifyCA, ModeVerifyFull)},
		}},
		// Channel binding (tls-server-end-point) is undefined for an
		// Ed25519 signature: SCRAM over TLS must behave as libpq does.
		{name: "ed25519-ca-scram", cfg: sslServer(edSigned, hostScram), clients: []clientCase{
			{name: "password+root", req: Request{User: "alice", Password: alicePassword, RootCertPEM: edCA.pem}},
			{name: "password", req: pw},
		}},
		{name: "no-serverauth-eku", cfg: sslServer(noServerAuth, "hostssl all all 127.0.0.1/32 scram-sha-256"), clients: []clientCase{
			{name: "password+root", req: withRoot(pw), want: all(false)},
		}},
	}

	eachVersion(t, func(t *testing.T, version int) {
		for _, sc := range servers {
			t.Run(sc.name, func(t *testing.T) {
				cfg := sc.cfg
				cfg.Version = version
				srv := testserver.StartPostgres(t, cfg)
				setAlicePassword(t, srv)
				for _, cc := range sc.clients {
					cc.major = srv.Major
					t.Run(cc.name, func(t *testing.T) { agreeWithLibpq(t, srv.Host, srv.Port, cc, true) })
				}
			})
		}
	})
}

// agreeWithLibpq runs Run() and psql with the same inputs for every mode
// against host:port and fails on any disagreement. direct is false for a
// pooler (pg_stat_ssl must then not be reported).
func agreeWithLibpq(t *testing.T, host string, port int, cc clientCase, direct bool) {
	t.Helper()
	req := cc.req
	req.Host, req.Port, req.Database = host, port, "postgres"
	if cc.host != "" {
		req.Host = cc.host
	}
	if cc.db != "" {
		req.Database = cc.db
	}
	start := time.Now()
	results := Run(t.Context(), req)
	elapsed := time.Since(start)
	t.Logf("Run (6 modes, concurrent) took %s", elapsed)
	if len(results) != len(AllModes) {
		t.Fatalf("got %d results", len(results))
	}
	psql := make([]testserver.PsqlResult, len(AllModes))
	var wg sync.WaitGroup
	for i, mode := range AllModes {
		wg.Add(1)
		go func() { defer wg.Done(); psql[i] = psqlFor(t, req, mode) }()
	}
	wg.Wait()
	for i, mode := range AllModes {
		r, p := results[i], psql[i]
		if r.Mode != mode {
			t.Fatalf("result %d is for %s, want %s", i, r.Mode, mode)
		}
		if p.ExitCode == -1 {
			t.Fatalf("%s: psql did not run: %v", mode, p.Err)
		}
		libpqOK := p.ExitCode == 0
		desc := fmt.Sprintf("%s: pgtls success=%v path=%s cat=%s err=%q | psql exit=%d out=%q err=%q", mode, r.Success, r.Path, r.Category, r.Error, p.ExitCode, strings.TrimSpace(p.Stdout), strings.TrimSpace(p.Stderr))
		t.Log(desc)
		if r.Success != libpqOK {
			t.Errorf("DISAGREES with libpq: %s", desc)
			continue
		}
		if w, ok := cc.want[mode]; ok && w != r.Success {
			t.Errorf("scenario expectation wrong (both agree): %s", desc)
		}
		if w, ok := cc.paths[mode]; ok && w != r.Path {
			t.Errorf("path %q, want %q: %s", r.Path, w, desc)
		}
		if libpqOK {
			parts := strings.Split(strings.TrimSpace(p.Stdout), "|")
			// Through a pooler psql's pg_stat_ssl.ssl describes the pooler's
			// own backend connection, so only the user is compared there.
			if len(parts) != 2 || parts[0] != r.AuthenticatedUser || direct && (parts[1] == "true") != r.Encrypted {
				t.Errorf("session differs: pgtls user=%q encrypted=%v: %s", r.AuthenticatedUser, r.Encrypted, desc)
			}
			if direct && (r.SSLStat == nil || r.SSLStat.SSL != r.Encrypted) {
				t.Errorf("pg_stat_ssl row missing or inconsistent (%+v): %s", r.SSLStat, desc)
			}
			if !direct && r.SSLStat != nil {
				t.Errorf("pg_stat_ssl row reported through a pooler (it would describe the pooler's backend connection): %+v", r.SSLStat)
			}
			if r.Encrypted != (r.Path == PathTLS || r.Path == PathPlaintextThenTLS) {
				t.Errorf("encrypted=%v inconsistent with path %s", r.Encrypted, r.Path)
			}
			major := cc.major
			if major == 0 {
				major = 15
			}
			if r.ServerVersion == "" || !strings.HasPrefix(r.ServerVersion, strconv.Itoa(major)+".") {
				t.Errorf("server_version %q: %s", r.ServerVersion, desc)
			}
			if direct && r.Encrypted && r.SSLStat != nil && r.TLSVersion != r.SSLStat.Version {
				t.Errorf("TLS version %q differs from the server's pg_stat_ssl %q", r.TLSVersion, r.SSLStat.Version)
			}
			if r.Encrypted && (r.TLSVersion == "" || r.Cipher == "" || r.ServerCertificate == nil || direct && r.SSLStat.Version == "") {
				t.Errorf("TLS details missing: %+v", r)
			}
			if r.Encrypted && req.ClientCertPEM != "" && !cc.certNotAsked && (!r.ClientCertificateSent || direct && r.SSLStat.ClientDNOneLine == "") {
				t.Errorf("client certificate not reported as sent: %+v %+v", r, r.SSLStat)
			}
			if cc.certNotAsked && (r.ClientCertificateSent || direct && r.SSLStat.ClientDNOneLine != "") {
				t.Errorf("client certificate sent although the server did not ask: %+v %+v", r, r.SSLStat)
			}
			continue
		}
		// libpq reports one "connection to server at" error per failed
		// attempt: the retry structure must match ours.
		if cc.host == "" {
			wantAttempts := 1
			switch r.Path {
			case PathTLSThenPlaintext, PathPlaintextThenTLS, PathPlaintextThenRefused:
				wantAttempts = 2
			}
			if n := strings.Count(p.Stderr, "connection to server at"); n != wantAttempts {
				t.Errorf("libpq made %d failed attempts, path %s implies %d: %s", n, r.Path, wantAttempts, desc)
			}
		}
		cat, state, last := libpqCategory(p.Stderr)
		if cat != r.Category {
			t.Errorf("failure category %q, libpq's %q (%s): %s", r.Category, cat, last, desc)
		}
		// The message-to-SQLSTATE map is PostgreSQL's; poolers use other
		// codes for the same words (PgBouncer: 08P01).
		if direct && state != "" && state != r.SQLState {
			t.Errorf("SQLSTATE %q, libpq's message implies %q: %s", r.SQLState, state, desc)
		}
		// Messages are true for the mode and the inputs at hand.
		if strings.Contains(r.Error, "SSL was required") && (mode == ModeDisable || mode == ModeAllow || mode == ModePrefer) {
			t.Errorf("sslmode %s does not require SSL, yet the error says it was required: %s", mode, desc)
		}
		if req.ClientCertPEM == "" && r.Category != CatServer && strings.Contains(r.Error, "certificate") && strings.Contains(r.Error, "client") {
			t.Errorf("no client certificate is configured, yet our own error talks about one: %s", desc)
		}
		if strings.Contains(r.Error, alicePassword) {
			t.Errorf("error leaks the password: %s", r.Error)
		}
		if strings.ContainsAny(r.Error, "\n\r") {
			t.Errorf("error is not one line: %q", r.Error)
		}
	}
	if elapsed > 5*time.Second {
		t.Errorf("Run took %s", elapsed)
	}
}

// setAlicePassword stores alice's password as a SCRAM verifier on every
// major (13 still defaults password_encryption to md5, which a
// scram-sha-256 hba line cannot use).
func setAlicePassword(t *testing.T, srv *testserver.Postgres) {
	t.Helper()
	srv.Exec(t, "SET password_encryption = 'scram-sha-256'; ALTER ROLE alice PASSWORD "+testserver.QuoteLiteral(alicePassword))
}
