package check

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// Test PKI: CAs, ordinary server and client certificates come from the
// provider's own internal/pki (ECDSA P-256). crypto/x509 is used directly only
// for what pki deliberately refuses to issue (a CN-only server certificate, a
// server certificate without serverAuth, certificates with chosen validity
// windows) and for CRLs.

type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	iss  *pki.Issuer
	pem  string
}

type leaf struct {
	cert    *x509.Certificate
	certPEM string
	keyPEM  string
}

var serialCounter int64 = 1000

func nextSerial() *big.Int {
	serialCounter++
	return big.NewInt(serialCounter)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func keyPEM(t testing.TB, k *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

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
	return &testCA{cert: iss.Cert, key: iss.Key, iss: iss, pem: is.CertPEM}
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

func (ca *testCA) issue(t testing.TB, o leafOpts) *leaf {
	t.Helper()
	k := newKey(t)
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: o.cn},
		NotBefore:    o.notBefore,
		NotAfter:     o.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  o.eku,
		DNSNames:     o.dns,
	}
	for _, s := range o.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(s))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &k.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &leaf{cert: c, certPEM: certPEM(der), keyPEM: keyPEM(t, k)}
}

// server issues a serverAuth certificate through pki; certPEM is the full
// chain (leaf plus intermediates) as PostgreSQL's ssl_cert_file wants it. A
// certificate without any SAN (CN only) is refused by pki, so that one is
// made with crypto/x509.
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
	tmpl := &x509.RevocationList{
		Number:     nextSerial(),
		ThisUpdate: thisUpdate,
		NextUpdate: nextUpdate,
	}
	for _, l := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: l.cert.SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}))
}
