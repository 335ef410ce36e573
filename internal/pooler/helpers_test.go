package pooler

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// testPKI is a root CA issuing server and client certificates with pgtls's
// own pki package (ECDSA P-256).
type testPKI struct {
	t      testing.TB
	rootCA *pki.Issued
	iss    *pki.Issuer
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	now := time.Now()
	root, err := pki.NewRootCA(pki.CARequest{Subject: pki.Subject{CommonName: "pgtls pooler test root"}, Validity: 24 * time.Hour, MaxPathLen: -1}, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := pki.ParseIssuer(root.CertPEM, root.PrivateKeyPEM, "")
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{t: t, rootCA: root, iss: iss}
}

func (p *testPKI) rootPEM() string { return p.rootCA.CertPEM }

func (p *testPKI) server() *pki.Issued {
	p.t.Helper()
	c, err := pki.NewServerCert(pki.ServerRequest{DNSNames: []string{"localhost"}, IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}, Validity: time.Hour}, p.iss, time.Now(), nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

func (p *testPKI) client(user string) *pki.Issued {
	p.t.Helper()
	c, err := pki.NewClientCert(pki.ClientRequest{User: user, Validity: time.Hour}, p.iss, time.Now(), nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

// rawClient issues a client certificate with any CN and DNS SANs
// (bypassing pki's role-name rules) to probe how a pooler matches names.
func (p *testPKI) rawClient(cn string, dnsSANs ...string) (certPEM, keyPEM string) {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames:     dnsSANs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.iss.Cert, &key.PublicKey, p.iss.Key)
	if err != nil {
		p.t.Fatal(err)
	}
	pk, _ := x509.MarshalPKCS8PrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}))
}

func i64(n int) *int64 { v := int64(n); return &v }

func strp(s string) *string { return &s }

// psqlAs connects through host "localhost" (hostaddr 127.0.0.1) with
// sslmode verify-full and the given client certificate.
func psqlAs(t testing.TB, port int, user, sslmode string, tls testserver.ClientTLS, sql string) testserver.PsqlResult {
	t.Helper()
	return testserver.Psql(t, map[string]string{
		"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(port), "dbname": "postgres",
		"user": user, "sslmode": sslmode, "connect_timeout": "10",
	}, tls, sql)
}

func mustRender(s string, err error) string {
	if err != nil {
		panic("render: " + err.Error())
	}
	return s
}

func mustContain(t testing.TB, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q does not contain %q", what, got, w)
		}
	}
}

func join(dir, name string) string { return filepath.Join(dir, name) }
