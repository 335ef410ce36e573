package pki

// Real servers with pgtls CRLs: what PostgreSQL (ssl_crl_file,
// ssl_crl_dir), libpq (sslcrl, sslcrldir), Pgpool-II 4.3 (ssl_crl_file)
// and PgBouncer 1.18 (no CRL setting) do with them. Each finding is an
// assertion, and docs/guides/revoking-and-rotating.md states them.

import (
	"crypto/x509"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// crlPKI is root -> intermediate -> {server, good, revoked} and a client
// directly under the root, issued now (real servers read the real clock).
type crlPKI struct {
	root, inter                 *Issued
	rootSigner, interSigner     *CRLSigner
	server, good, revoked, top  *Issued
	rootCRL, interCRL, emptyCRL *IssuedCRL // root's (empty), intermediate's (revoking revoked), intermediate's empty one
	now                         time.Time
}

func newCRLPKI(t *testing.T) *crlPKI {
	t.Helper()
	now := time.Now()
	p := &crlPKI{now: now}
	var err error
	if p.root, err = NewRootCA(caReq("crl e2e root", KeyECDSAP256), now, nil); err != nil {
		t.Fatal(err)
	}
	if p.inter, err = NewIntermediateCA(caReq("crl e2e intermediate", KeyECDSAP256), issuerOf(t, p.root), now, nil); err != nil {
		t.Fatal(err)
	}
	iss := issuerOf(t, p.inter)
	if p.server, err = NewServerCert(ServerRequest{DNSNames: []string{"localhost"}, IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		Validity: 24 * time.Hour}, iss, now, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		out  **Issued
		user string
		iss  *Issuer
	}{{&p.good, "good", iss}, {&p.revoked, "revoked", iss}, {&p.top, "top", issuerOf(t, p.root)}} {
		if *c.out, err = NewClientCert(ClientRequest{User: c.user, Validity: 24 * time.Hour}, c.iss, now, nil); err != nil {
			t.Fatal(err)
		}
	}
	p.rootSigner, p.interSigner = signerOf(t, p.root), signerOf(t, p.inter)
	p.rootCRL = p.crl(t, p.rootSigner, 1)
	p.interCRL = p.crl(t, p.interSigner, 2, RevocationOf(p.revoked.Cert, ReasonKeyCompromise, time.Time{}))
	p.emptyCRL = p.crl(t, p.interSigner, 1)
	return p
}

func (p *crlPKI) crl(t *testing.T, s *CRLSigner, n int64, revoked ...Revocation) *IssuedCRL {
	t.Helper()
	c, err := NewCRL(CRLRequest{Number: big.NewInt(n), Validity: time.Hour, Revoked: revoked}, s, p.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// login runs psql as user with the client's certificate and returns the
// outcome ("ok" or psql's error).
func login(t *testing.T, host string, port int, user string, cli *Issued, extra map[string]string, tls testserver.ClientTLS) (bool, string) {
	t.Helper()
	ci := map[string]string{"host": "localhost", "hostaddr": host, "port": strconv.Itoa(port), "user": user, "dbname": "postgres",
		"sslmode": "verify-full", "connect_timeout": "10"}
	for k, v := range extra {
		ci[k] = v
	}
	tls.RootCertPEM, tls.CertPEM, tls.KeyPEM = cli.CABundlePEM, cli.FullchainPEM, cli.PrivateKeyPEM
	r := testserver.Psql(t, ci, tls, "SELECT current_user")
	if r.ExitCode == -1 {
		t.Fatalf("psql did not run: %v", r.Err)
	}
	if r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == user {
		return true, "ok"
	}
	return false, strings.TrimSpace(r.Stderr)
}

// TestCRLPostgresServer proves, on PostgreSQL 15 (Debian, OpenSSL 3) and 18
// (OpenSSL 1.1 build), with cert authentication:
//   - ssl_crl_file with the root's and the intermediate's CRL: the revoked
//     client is refused ("certificate revoked"), the others log in;
//   - a file with only the intermediate's CRL, only the root's, or an
//     expired intermediate CRL refuses EVERY client certificate of the
//     chain (CRL_CHECK_ALL), including one issued directly by the root when
//     the root's CRL is missing;
//   - ssl_crl_dir laid out by CRLDirectory works the same, and a CRL file
//     replaced in the directory is used by the next connection without a
//     reload, while a replaced ssl_crl_file needs the reload.
func TestCRLPostgresServer(t *testing.T) {
	for _, v := range []int{0, 18} {
		t.Run("postgres-"+map[bool]string{true: "15-debian", false: strconv.Itoa(v)}[v == 0], func(t *testing.T) {
			testserver.RequirePostgresVersion(t, v)
			p := newCRLPKI(t)
			pg := testserver.StartPostgres(t, testserver.PostgresConfig{
				Version: v, SSL: true, CertPEM: p.server.FullchainPEM, KeyPEM: p.server.PrivateKeyPEM, CAPEM: p.root.CertPEM,
				CRLPEM: p.rootCRL.PEM + p.interCRL.PEM,
				HBA:    "hostssl all all 127.0.0.1/32 cert\n",
				Roles:  []string{"good", "revoked", "top"},
			})
			type want struct{ good, revoked, top string } // "ok" or a fragment of psql's error
			check := func(what string, w want) {
				t.Helper()
				for _, c := range []struct {
					user, want string
					cli        *Issued
				}{{"good", w.good, p.good}, {"revoked", w.revoked, p.revoked}, {"top", w.top, p.top}} {
					ok, msg := login(t, pg.Host, pg.Port, c.user, c.cli, nil, testserver.ClientTLS{})
					if c.want == "ok" && !ok || c.want != "ok" && (ok || !strings.Contains(msg, c.want)) {
						t.Errorf("%s: %s: got %q, want %q\n%s", what, c.user, msg, c.want, tail(pg.Log(), 5))
					}
				}
			}
			const revoked, unknownCA, certExpired = "certificate revoked", "unknown ca", "certificate expired"
			check("ssl_crl_file root+intermediate", want{"ok", revoked, "ok"})

			setCRLFile := func(content string) {
				t.Helper()
				f := pg.WriteFile(t, "crls.pem", content)
				pg.Exec(t, "ALTER SYSTEM SET ssl_crl_file = "+testserver.QuoteLiteral(f))
				pg.Reload(t)
			}
			setCRLFile(p.interCRL.PEM)
			// The revoked client is refused for being revoked (depth 0 is
			// checked first), the others for the root's missing CRL.
			check("ssl_crl_file intermediate only", want{unknownCA, revoked, unknownCA})
			if pg.Major >= 16 && !strings.Contains(pg.Log(), "at depth 1: unable to get certificate CRL") {
				t.Errorf("server log does not name the missing CRL:\n%s", tail(pg.Log(), 10))
			}
			setCRLFile(p.rootCRL.PEM)
			check("ssl_crl_file root only", want{unknownCA, unknownCA, "ok"})
			expired := testCRLAt(t, p.interSigner, p.now.Add(-3*time.Hour), time.Hour)
			setCRLFile(p.rootCRL.PEM + expired.PEM)
			// OpenSSL reports an expired CRL to the client as an expired
			// certificate; the server log says "CRL has expired".
			check("ssl_crl_file intermediate CRL expired", want{certExpired, certExpired, "ok"})
			// PostgreSQL 16+ logs OpenSSL's reason (15: only "certificate
			// verify failed").
			if pg.Major >= 16 && !strings.Contains(pg.Log(), "CRL has expired") {
				t.Errorf("server log does not say the CRL expired:\n%s", tail(pg.Log(), 10))
			}
			if !strings.Contains(pg.Log(), "certificate verify failed") {
				t.Errorf("server log does not say why:\n%s", tail(pg.Log(), 10))
			}

			// A replaced ssl_crl_file needs a reload.
			setCRLFile(p.rootCRL.PEM + p.emptyCRL.PEM)
			check("ssl_crl_file empty intermediate CRL", want{"ok", "ok", "ok"})
			pg.WriteFile(t, "crls.pem", p.rootCRL.PEM+p.interCRL.PEM)
			check("ssl_crl_file replaced, no reload", want{"ok", "ok", "ok"})
			pg.Reload(t)
			check("ssl_crl_file replaced, reloaded", want{"ok", revoked, "ok"})

			// ssl_crl_dir (PostgreSQL 14+), hashed names from CRLDirectory.
			writeDir := func(crls ...*IssuedCRL) string {
				t.Helper()
				var parsed []*x509.RevocationList
				for _, c := range crls {
					parsed = append(parsed, c.CRL)
				}
				files, err := CRLDirectory(parsed)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					pg.WriteFile(t, "crldir/"+f.Name, f.PEM)
				}
				return filepath.Join(pg.Dir, "crldir")
			}
			dir := writeDir(p.rootCRL, p.interCRL)
			pg.Exec(t, "ALTER SYSTEM SET ssl_crl_file = ''")
			pg.Exec(t, "ALTER SYSTEM SET ssl_crl_dir = "+testserver.QuoteLiteral(dir))
			pg.Reload(t)
			check("ssl_crl_dir root+intermediate", want{"ok", revoked, "ok"})
			// Replace the intermediate's file in place: the next connection
			// reads it, no reload.
			writeDir(p.rootCRL, p.crl(t, p.interSigner, 3, RevocationOf(p.good.Cert, ReasonSuperseded, time.Time{})))
			check("ssl_crl_dir file replaced, no reload", want{revoked, "ok", "ok"})
			// Remove the root's CRL file: lock-out below the root.
			rootFile := writeDir(p.rootCRL, p.interCRL)
			h, _ := CRLIssuerHash(p.rootCRL.CRL)
			if err := os.Remove(filepath.Join(rootFile, h+".r0")); err != nil {
				t.Fatal(err)
			}
			check("ssl_crl_dir without the root's CRL", want{unknownCA, revoked, unknownCA})
		})
	}
}

// testCRLAt issues a CRL of s as if at issued, valid for validity.
func testCRLAt(t *testing.T, s *CRLSigner, issued time.Time, validity time.Duration) *IssuedCRL {
	t.Helper()
	c, err := NewCRL(CRLRequest{Number: big.NewInt(issued.Unix()), Validity: validity}, s, issued, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestCRLLibpqClient proves libpq's side (psql 15) against a server whose
// certificate the intermediate revokes: sslcrl and sslcrldir need the CRL of
// every CA in the server's chain (the same CRL_CHECK_ALL), and report a
// revoked server certificate as "certificate verify failed".
func TestCRLLibpqClient(t *testing.T) {
	testserver.RequirePostgres(t)
	p := newCRLPKI(t)
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: p.server.FullchainPEM, KeyPEM: p.server.PrivateKeyPEM, CAPEM: p.root.CertPEM,
		HBA: "hostssl all all 127.0.0.1/32 cert\n", Roles: []string{"good"},
	})
	revokesServer := p.crl(t, p.interSigner, 5, RevocationOf(p.server.Cert, ReasonKeyCompromise, time.Time{}))
	dirOf := func(crls ...*IssuedCRL) string {
		var parsed []*x509.RevocationList
		for _, c := range crls {
			parsed = append(parsed, c.CRL)
		}
		files, err := CRLDirectory(parsed)
		if err != nil {
			t.Fatal(err)
		}
		d := t.TempDir()
		for _, f := range files {
			writeFile(t, d, f.Name, f.PEM)
		}
		return d
	}
	const verifyFailed = "certificate verify failed"
	for _, tc := range []struct {
		name string
		crls []*IssuedCRL
		want string
	}{
		{"root+intermediate", []*IssuedCRL{p.rootCRL, p.interCRL}, "ok"},
		{"intermediate only", []*IssuedCRL{p.interCRL}, verifyFailed},
		{"root only", []*IssuedCRL{p.rootCRL}, verifyFailed},
		{"server revoked", []*IssuedCRL{p.rootCRL, revokesServer}, verifyFailed},
	} {
		var pem strings.Builder
		for _, c := range tc.crls {
			pem.WriteString(c.PEM)
		}
		for _, via := range []string{"sslcrl", "sslcrldir"} {
			var extra map[string]string
			tls := testserver.ClientTLS{}
			if via == "sslcrl" {
				tls.CRLPEM = pem.String()
			} else {
				extra = map[string]string{"sslcrldir": dirOf(tc.crls...)}
			}
			ok, msg := login(t, pg.Host, pg.Port, "good", p.good, extra, tls)
			if tc.want == "ok" && !ok || tc.want != "ok" && (ok || !strings.Contains(msg, tc.want)) {
				t.Errorf("%s via %s: got %q, want %q", tc.name, via, msg, tc.want)
			}
		}
	}
}

// TestCRLPgpool proves Pgpool-II 4.3.5's ssl_crl_file with cert
// authentication in pool_hba.conf: with the root's and the intermediate's
// CRL the revoked client is refused and the others log in; with only the
// intermediate's CRL every client certificate of the chain is refused (it
// sets CRL_CHECK_ALL like PostgreSQL); and Pgpool-II reads the file only at
// start: after a reload the old CRLs stay in force, a restart applies the
// new ones.
func TestCRLPgpool(t *testing.T) {
	testserver.RequirePgpool(t)
	p := newCRLPKI(t)
	backend := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"good", "revoked", "top"}})
	start := func(name, crls string) *testserver.Pgpool {
		f := backend.WriteFile(t, name, crls)
		return testserver.StartPgpool(t, testserver.PgpoolConfig{
			Backend: backend, CertPEM: p.server.FullchainPEM, KeyPEM: p.server.PrivateKeyPEM, CAPEM: p.root.CertPEM,
			Conf:    map[string]string{"ssl_crl_file": "'" + f + "'"},
			PoolHBA: "local all all trust\nhostssl all all 127.0.0.1/32 cert\n",
		})
	}
	check := func(pp *testserver.Pgpool, what, good, revoked, top string) {
		t.Helper()
		for _, c := range []struct {
			user, want string
			cli        *Issued
		}{{"good", good, p.good}, {"revoked", revoked, p.revoked}, {"top", top, p.top}} {
			ok, msg := login(t, pp.Host, pp.Port, c.user, c.cli, nil, testserver.ClientTLS{})
			if c.want == "ok" && !ok || c.want != "ok" && (ok || !strings.Contains(msg, c.want)) {
				t.Errorf("Pgpool-II %s: %s: got %q, want %q\n%s", what, c.user, msg, c.want, tail(pp.Log(), 8))
			}
		}
	}
	const revoked, unknownCA = "certificate revoked", "unknown ca"
	pp := start("pgpool-a.crl", p.rootCRL.PEM+p.interCRL.PEM)
	check(pp, "root+intermediate CRLs", "ok", revoked, "ok")
	check(start("pgpool-b.crl", p.interCRL.PEM), "intermediate CRL only", unknownCA, revoked, unknownCA)

	// A new CRL file and a reload: still the old CRLs.
	backend.WriteFile(t, "pgpool-a.crl", p.rootCRL.PEM+p.emptyCRL.PEM)
	pp.Reload(t)
	check(pp, "CRL file replaced + reload", "ok", revoked, "ok")
	// A (re)start reads it.
	check(start("pgpool-a.crl", p.rootCRL.PEM+p.emptyCRL.PEM), "CRL file replaced + restart", "ok", "ok", "ok")
}

// TestCRLPgBouncer documents PgBouncer 1.18: client_tls_* has no CRL
// setting, and CRLs appended to client_tls_ca_file are not checked, so a
// revoked certificate still logs in with auth_type=cert. What stops it is
// refusing the role: a `reject` line for it in auth_hba_file (auth_type=hba),
// applied by a reload; removing the role from auth_file and reloading does
// not (PgBouncer keeps users it has loaded), only a restart does.
func TestCRLPgBouncer(t *testing.T) {
	testserver.RequirePgBouncer(t)
	p := newCRLPKI(t)
	backend := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"good", "revoked"}})
	start := func(authFile, hba string) *testserver.PgBouncer {
		ini := map[string]string{"auth_type": "cert", "client_tls_sslmode": "verify-full"}
		if hba != "" {
			ini["auth_type"] = "hba"
		}
		return testserver.StartPgBouncer(t, testserver.PgBouncerConfig{
			Backend: backend, CertPEM: p.server.FullchainPEM, KeyPEM: p.server.PrivateKeyPEM,
			CAPEM:    p.root.CertPEM + p.rootCRL.PEM + p.interCRL.PEM,
			AuthFile: authFile, HBA: hba, Ini: ini,
		})
	}
	both := "\"good\" \"\"\n\"revoked\" \"\"\n"
	can := func(b *testserver.PgBouncer, user string, cli *Issued) (bool, string) {
		return login(t, b.Host, b.Port, user, cli, nil, testserver.ClientTLS{})
	}
	bnc := start(both, "")
	for _, c := range []struct {
		user string
		cli  *Issued
	}{{"good", p.good}, {"revoked", p.revoked}} {
		if ok, msg := can(bnc, c.user, c.cli); !ok {
			t.Errorf("PgBouncer with CRLs in client_tls_ca_file: %s refused (%s): if PgBouncer now checks CRLs, update the guide", c.user, msg)
		}
	}
	// Removing the role from auth_file and reloading is not enough.
	bnc.WriteFile(t, "userlist.txt", "\"good\" \"\"\n")
	bnc.Reload(t)
	if ok, msg := can(bnc, "revoked", p.revoked); !ok {
		t.Errorf("after removing the role from auth_file and a reload PgBouncer refused it (%s): update the guide", msg)
	}
	// A PgBouncer started without the role in auth_file refuses it.
	if ok, _ := can(start("\"good\" \"\"\n", ""), "revoked", p.revoked); ok {
		t.Error("a role missing from auth_file at start logs in with auth_type=cert")
	}
	// A reject line in auth_hba_file, added by a reload, refuses the role
	// and keeps the others.
	h := start(both, "hostssl all all 127.0.0.1/32 cert\n")
	if ok, msg := can(h, "revoked", p.revoked); !ok {
		t.Fatalf("auth_type=hba with a cert line refused the revoked role before the reject line: %s", msg)
	}
	h.WriteFile(t, "hba.conf", "hostssl all revoked 127.0.0.1/32 reject\nhostssl all all 127.0.0.1/32 cert\n")
	h.Reload(t)
	if ok, _ := can(h, "revoked", p.revoked); ok {
		t.Errorf("revoked role with a reject line still logs in\n%s", tail(h.Log(), 8))
	}
	if ok, msg := can(h, "good", p.good); !ok {
		t.Errorf("good refused with the reject line: %s\n%s", msg, tail(h.Log(), 8))
	}
}
