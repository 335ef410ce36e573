package check

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"net/netip"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// Test PKI: CAs, ordinary server and client certificates come from the
// provider's own internal/pki (ECDSA P-256). What pki deliberately refuses to
// issue (a CN-only server certificate, a server certificate without
// serverAuth, certificates with chosen validity windows) and CRLs come from
// the shared hand-built fixture, internal/testpki, signing with the same CA.

type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	iss  *pki.Issuer
	pem  string
	tp   *testpki.CA // the same CA, for hand-made certificates and CRLs
}

type leaf struct {
	cert    *x509.Certificate
	certPEM string
	keyPEM  string
}

func leafOf(l *testpki.Leaf) *leaf { return &leaf{cert: l.Cert, certPEM: l.CertPEM, keyPEM: l.KeyPEM} }

// caEpoch backdates test CAs so that expired leaves can be issued under them.
var caEpoch = time.Now().Add(-7 * 24 * time.Hour)

func newCA(t testing.TB, cn string) *testCA {
	t.Helper()
	return newCAKeyType(t, cn, pki.KeyECDSAP256)
}

func newCAKeyType(t testing.TB, cn string, kt pki.KeyType) *testCA {
	t.Helper()
	is, err := pki.NewRootCA(pki.CARequest{Subject: pki.Subject{CommonName: cn, Organization: "pgtls check tests"}, KeyType: kt, Validity: 30 * 24 * time.Hour, MaxPathLen: -1}, caEpoch, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return caFromIssued(t, is, "")
}

func caFromIssued(t testing.TB, is *pki.Issued, chainPEM string) *testCA {
	t.Helper()
	iss, err := pki.ParseIssuer(is.CertPEM, is.PrivateKeyPEM, chainPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: iss.Cert, key: iss.Key, iss: iss, pem: is.CertPEM, tp: testpki.AsCA(t, iss.Cert, iss.Key)}
}

// intermediate issues a CA below ca; its pem is the intermediate alone.
func (ca *testCA) intermediate(t testing.TB, cn string) *testCA {
	t.Helper()
	is, err := pki.NewIntermediateCA(pki.CARequest{Subject: pki.Subject{CommonName: cn}, Validity: 20 * 24 * time.Hour, MaxPathLen: 0}, ca.iss, time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return caFromIssued(t, is, ca.pem)
}

type leafOpts struct {
	cn        string
	dns       []string
	ips       []string
	eku       []x509.ExtKeyUsage
	notBefore time.Time
	notAfter  time.Time
}

// issue hand-makes a certificate under ca (testpki).
func (ca *testCA) issue(t testing.TB, o leafOpts) *leaf {
	t.Helper()
	tmpl := testpki.ServerTemplate(o.cn, append(append([]string{}, o.dns...), o.ips...)...)
	tmpl.ExtKeyUsage = o.eku
	tmpl.NotBefore, tmpl.NotAfter = o.notBefore, o.notAfter
	return leafOf(ca.tp.Issue(t, tmpl))
}

// server issues a serverAuth certificate through pki; certPEM is the full
// chain (leaf plus intermediates) as PostgreSQL's ssl_cert_file wants it. A
// certificate without any SAN (CN only) is refused by pki, so that one is
// hand-made.
func (ca *testCA) server(t testing.TB, cn string, dns []string, ips ...string) *leaf {
	t.Helper()
	if len(dns) == 0 && len(ips) == 0 {
		return ca.issue(t, leafOpts{cn: cn, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	}
	req := pki.ServerRequest{CommonName: cn, DNSNames: dns, Validity: 24 * time.Hour}
	for _, s := range ips {
		req.IPAddresses = append(req.IPAddresses, netip.MustParseAddr(s))
	}
	is, err := pki.NewServerCert(req, ca.iss, time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &leaf{cert: is.Cert, certPEM: is.FullchainPEM, keyPEM: is.PrivateKeyPEM}
}

// client issues a clientAuth certificate for role cn through pki.
func (ca *testCA) client(t testing.TB, cn string) *leaf {
	t.Helper()
	is, err := pki.NewClientCert(pki.ClientRequest{User: cn, Validity: 24 * time.Hour}, ca.iss, time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &leaf{cert: is.Cert, certPEM: is.FullchainPEM, keyPEM: is.PrivateKeyPEM}
}

func (ca *testCA) crl(t testing.TB, revoked ...*leaf) string {
	t.Helper()
	return ca.crlAt(t, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), revoked...)
}

func (ca *testCA) crlAt(t testing.TB, thisUpdate, nextUpdate time.Time, revoked ...*leaf) string {
	t.Helper()
	var serials []*big.Int
	for _, l := range revoked {
		serials = append(serials, l.cert.SerialNumber)
	}
	return ca.tp.CRL(t, thisUpdate, nextUpdate, serials...)
}
