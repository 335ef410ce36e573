package pki

import (
	"bytes"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestCrossSigningWithPostgres finds out what libpq (psql 15) and
// PostgreSQL 15 accept when a new root N is cross-signed by the old root O
// (X: N's name and key, issued by O), for the guide's comparison with a
// trust-bundle rollover:
//   - a client trusting only O verifies a server certificate from N when
//     the server sends X after it (ssl_cert_file = leaf + X), and not
//     without X;
//   - a client trusting only N verifies the same chain (OpenSSL prefers the
//     trusted N over the X the server sends);
//   - a server trusting only O accepts a client certificate from N when
//     the client sends X (sslcert = leaf + X), not without it;
//   - with CRLs, the path through X needs O's CRL (for X and O) and N's CRL
//     (for the leaf, verified with X's key, which is N's): O's alone locks
//     the client out.
func TestCrossSigningWithPostgres(t *testing.T) {
	testserver.RequirePostgres(t)
	now := time.Now()
	old, err := NewRootCA(caReq("cross old root", KeyECDSAP256), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := NewRootCA(caReq("cross new root", KeyECDSAP256), now, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := CrossSignCA(nw.Cert, issuerOf(t, old), 24*time.Hour, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Cert.RawSubject, nw.Cert.RawSubject) || !bytes.Equal(x.Cert.SubjectKeyId, nw.Cert.SubjectKeyId) ||
		!bytes.Equal(x.Cert.RawIssuer, old.Cert.RawSubject) || x.PublicKeyPEM != nw.PublicKeyPEM || x.PrivateKeyPEM != "" {
		t.Fatal("the cross-signed certificate is not N's name and key issued by O")
	}
	newIss := issuerOf(t, nw)
	srv, err := NewServerCert(ServerRequest{DNSNames: []string{"localhost"}, IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Validity: time.Hour}, newIss, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := NewClientCert(ClientRequest{User: "app", Validity: time.Hour}, newIss, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	crl := func(is *Issued) string {
		c, err := NewCRL(CRLRequest{Number: big.NewInt(1), Validity: time.Hour}, signerOf(t, is), now, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.PEM
	}
	type server struct {
		name, certChain, ca, crl string
	}
	type clientSide struct {
		name, root, certChain string
	}
	cases := []struct {
		srv  server
		cli  clientSide
		want string // "ok" or a fragment of psql's error
	}{
		{server{"server sends leaf + X, trusts N", srv.CertPEM + x.CertPEM, nw.CertPEM, ""}, clientSide{"client trusts O", old.CertPEM, cli.CertPEM}, "ok"},
		{server{"server sends the leaf only", srv.CertPEM, nw.CertPEM, ""}, clientSide{"client trusts O", old.CertPEM, cli.CertPEM}, "certificate verify failed"},
		{server{"server sends leaf + X", srv.CertPEM + x.CertPEM, nw.CertPEM, ""}, clientSide{"client trusts N", nw.CertPEM, cli.CertPEM}, "ok"},
		{server{"server trusts O only", srv.CertPEM, old.CertPEM, ""}, clientSide{"client sends leaf + X", nw.CertPEM, cli.CertPEM + x.CertPEM}, "ok"},
		{server{"server trusts O only", srv.CertPEM, old.CertPEM, ""}, clientSide{"client sends the leaf only", nw.CertPEM, cli.CertPEM}, "unknown ca"},
		{server{"server trusts O, CRLs of O and N", srv.CertPEM, old.CertPEM, crl(old) + crl(nw)}, clientSide{"client sends leaf + X", nw.CertPEM, cli.CertPEM + x.CertPEM}, "ok"},
		{server{"server trusts O, CRL of O only", srv.CertPEM, old.CertPEM, crl(old)}, clientSide{"client sends leaf + X", nw.CertPEM, cli.CertPEM + x.CertPEM}, "unknown ca"},
	}
	for _, tc := range cases {
		t.Run(tc.srv.name+"/"+tc.cli.name, func(t *testing.T) {
			pg := testserver.StartPostgres(t, testserver.PostgresConfig{SSL: true, CertPEM: tc.srv.certChain, KeyPEM: srv.PrivateKeyPEM,
				CAPEM: tc.srv.ca, CRLPEM: tc.srv.crl, HBA: "hostssl all app 127.0.0.1/32 cert\n", Roles: []string{"app"}})
			r := testserver.Psql(t, map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(pg.Port), "user": "app",
				"dbname": "postgres", "sslmode": "verify-full", "connect_timeout": "10"},
				testserver.ClientTLS{RootCertPEM: tc.cli.root, CertPEM: tc.cli.certChain, KeyPEM: cli.PrivateKeyPEM}, "SELECT current_user")
			ok := r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == "app"
			if tc.want == "ok" && !ok || tc.want != "ok" && (ok || !strings.Contains(r.Stderr, tc.want)) {
				t.Errorf("got ok=%v %q, want %q", ok, strings.TrimSpace(r.Stderr), tc.want)
			}
		})
	}
}

func TestCrossSignCARefusals(t *testing.T) {
	root := mustRoot(t, caReq("cross refusals root", KeyECDSAP256))
	other := mustRoot(t, caReq("cross refusals other", KeyECDSAP384))
	leaf := mustClient(t, issuerOf(t, other), ClientRequest{User: "x", Validity: time.Hour})
	if _, err := CrossSignCA(leaf.Cert, issuerOf(t, root), time.Hour, t0, nil); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("cross-signing a leaf: %v", err)
	}
	if _, err := CrossSignCA(other.Cert, issuerOf(t, root), 20*365*24*time.Hour, t0, nil); err == nil || InputOf(err) != InputValidity {
		t.Errorf("a cross-signed CA outliving its issuer: %v", err)
	}
	x, err := CrossSignCA(other.Cert, issuerOf(t, root), time.Hour, t0, nil)
	if err != nil || x.Cert.MaxPathLen != other.Cert.MaxPathLen || x.Cert.KeyUsage != other.Cert.KeyUsage || x.ChainPEM != x.CertPEM {
		t.Errorf("cross-signed CA: %v", err)
	}
}
