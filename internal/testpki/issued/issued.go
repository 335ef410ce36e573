// Package issued issues throwaway certificates for tests with pgtls's own
// issuance code (internal/pki, ECDSA P-256), so the config tests prove their
// outputs with certificates exactly as pgtls makes them: a root CA, server
// certificates for localhost / 127.0.0.1 / ::1, client certificates for
// roles, and CRLs. (internal/testpki builds certificates with crypto/x509
// alone, independent of internal/pki.)
package issued

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net/netip"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/pki"
)

// CA is a root CA able to issue leaves and CRLs.
type CA struct {
	Issued *pki.Issued
	Issuer *pki.Issuer
	// CertPEM is the root certificate (a client's root.crt, the server's
	// ssl_ca_file).
	CertPEM string
}

// Leaf is an issued certificate with its key.
type Leaf struct {
	Cert                  *x509.Certificate
	CertPEM, FullchainPEM string
	KeyPEM                string
}

// NewCA makes a root CA named cn.
func NewCA(t testing.TB, cn string) *CA {
	t.Helper()
	now := time.Now()
	is, err := pki.NewRootCA(pki.CARequest{Subject: pki.Subject{CommonName: cn, Organization: "pgtls tests"},
		Validity: 24 * time.Hour, MaxPathLen: -1}, now, rand.Reader)
	if err != nil {
		t.Fatalf("testpki: root CA: %v", err)
	}
	iss, err := pki.ParseIssuer(is.CertPEM, is.PrivateKeyPEM, "")
	if err != nil {
		t.Fatalf("testpki: parse root: %v", err)
	}
	return &CA{Issued: is, Issuer: iss, CertPEM: is.CertPEM}
}

// Server issues a server certificate for localhost and 127.0.0.1 (plus
// extra DNS names).
func (ca *CA) Server(t testing.TB, dnsNames ...string) Leaf {
	t.Helper()
	is, err := pki.NewServerCert(pki.ServerRequest{DNSNames: append([]string{"localhost"}, dnsNames...),
		IPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}, Validity: 12 * time.Hour},
		ca.Issuer, time.Now(), rand.Reader)
	if err != nil {
		t.Fatalf("testpki: server cert: %v", err)
	}
	return Leaf{Cert: is.Cert, CertPEM: is.CertPEM, FullchainPEM: is.FullchainPEM, KeyPEM: is.PrivateKeyPEM}
}

// Client issues a client certificate with CN=user.
func (ca *CA) Client(t testing.TB, user string) Leaf {
	t.Helper()
	is, err := pki.NewClientCert(pki.ClientRequest{User: user, Validity: 12 * time.Hour}, ca.Issuer, time.Now(), rand.Reader)
	if err != nil {
		t.Fatalf("testpki: client cert: %v", err)
	}
	return Leaf{Cert: is.Cert, CertPEM: is.CertPEM, FullchainPEM: is.FullchainPEM, KeyPEM: is.PrivateKeyPEM}
}

// CRL returns a PEM CRL of ca revoking the given leaves, valid for a day.
func (ca *CA) CRL(t testing.TB, revoked ...Leaf) string {
	t.Helper()
	now := time.Now()
	tmpl := &x509.RevocationList{Number: big.NewInt(now.UnixNano()), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(24 * time.Hour)}
	for _, l := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: l.Cert.SerialNumber, RevocationTime: now.Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Issuer.Cert, ca.Issuer.Key)
	if err != nil {
		t.Fatalf("testpki: CRL: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}))
}
