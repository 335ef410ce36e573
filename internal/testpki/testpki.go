// Package testpki is the one test fixture that builds certificate
// authorities, certificates and CRLs by hand with crypto/x509, for the
// tests of internal/x509util, internal/pki, internal/check and
// internal/testserver. It is imported only by tests and by internal/testserver
// (itself test support: its throwaway server certificate comes from here), and
// deliberately not built on internal/pki, so pki's own tests can use it
// without an import cycle and so the certificates it makes are independent
// of the code under test (including ones pki refuses to issue: CN-only
// servers, chosen validity windows, chosen serials).
//
// Defaults: ECDSA P-256 keys, random positive 63-bit serials, validity from
// one hour ago for 30 days (leaves: one day), CAs with critical
// basicConstraints CA:TRUE and keyUsage keyCertSign+cRLSign.
package testpki

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
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority that can issue.
type CA struct {
	Cert   *x509.Certificate
	Key    crypto.Signer
	PEM    string // certificate PEM
	KeyPEM string // PKCS#8 PEM
}

// Leaf is an issued certificate with its key.
type Leaf struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM string // the certificate alone
	KeyPEM  string // PKCS#8 PEM
}

// NewKey returns a fresh ECDSA P-256 key.
func NewKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// CertPEM encodes DER certificates as PEM.
func CertPEM(ders ...[]byte) string {
	var s string
	for _, d := range ders {
		s += string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d}))
	}
	return s
}

// KeyPEM encodes a private key as PKCS#8 PEM.
func KeyPEM(t testing.TB, k crypto.Signer) string {
	t.Helper()
	s, err := keyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keyPEM(k crypto.Signer) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
}

// complete fills the unset fields of tmpl with the defaults.
func complete(tmpl *x509.Certificate, validity time.Duration) error {
	if tmpl.SerialNumber == nil {
		s, err := serial()
		if err != nil {
			return err
		}
		tmpl.SerialNumber = s
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(validity)
	}
	return nil
}

// NewCA makes a self-signed root CA with common name cn.
func NewCA(t testing.TB, cn string) *CA {
	t.Helper()
	return NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}}, nil)
}

// NewCAFrom makes a self-signed root CA from tmpl (unset serial and dates
// get the defaults; basicConstraints CA:TRUE and, when tmpl has none, keyUsage
// keyCertSign+cRLSign are set) with key (nil: a new P-256 key).
func NewCAFrom(t testing.TB, tmpl *x509.Certificate, key crypto.Signer) *CA {
	t.Helper()
	ca, err := newCA(tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func caTemplate(tmpl *x509.Certificate) error {
	if err := complete(tmpl, 30*24*time.Hour); err != nil {
		return err
	}
	tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	return nil
}

func newCA(tmpl *x509.Certificate, key crypto.Signer) (*CA, error) {
	var err error
	if key == nil {
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
	}
	if err := caTemplate(tmpl); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return caOf(der, key)
}

func caOf(der []byte, key crypto.Signer) (*CA, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kp, err := keyPEM(key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c, Key: key, PEM: CertPEM(der), KeyPEM: kp}, nil
}

// AsCA wraps an existing CA certificate and its key (for example one made
// by internal/pki) so it can issue hand-made certificates.
func AsCA(t testing.TB, cert *x509.Certificate, key crypto.Signer) *CA {
	t.Helper()
	ca, err := caOf(cert.Raw, key)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// Intermediate issues a CA below ca with common name cn; its PEM is the
// intermediate alone.
func (ca *CA) Intermediate(t testing.TB, cn string) *CA {
	t.Helper()
	return ca.IntermediateFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}})
}

// IntermediateFrom issues a CA below ca from tmpl, completed as in
// NewCAFrom.
func (ca *CA) IntermediateFrom(t testing.TB, tmpl *x509.Certificate) *CA {
	t.Helper()
	key := NewKey(t)
	if err := caTemplate(tmpl); err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	out, err := caOf(der, key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Issue signs tmpl (unset serial and dates get the defaults, validity one
// day) for a new P-256 key.
func (ca *CA) Issue(t testing.TB, tmpl *x509.Certificate) *Leaf {
	t.Helper()
	return ca.IssueWithKey(t, tmpl, NewKey(t))
}

// IssueWithKey is Issue for a given key.
func (ca *CA) IssueWithKey(t testing.TB, tmpl *x509.Certificate, key crypto.Signer) *Leaf {
	t.Helper()
	l, err := ca.issue(tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// IssueDER signs tmpl for key and returns the DER without parsing it, for
// certificates crypto/x509 writes but refuses to read (RawSubject with
// string types Go does not parse, for example).
func (ca *CA) IssueDER(t testing.TB, tmpl *x509.Certificate, key crypto.Signer) []byte {
	t.Helper()
	if err := complete(tmpl, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (ca *CA) issue(tmpl *x509.Certificate, key crypto.Signer) (*Leaf, error) {
	if err := complete(tmpl, 24*time.Hour); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kp, err := keyPEM(key)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: c, Key: key, CertPEM: CertPEM(der), KeyPEM: kp}, nil
}

// ServerTemplate is a serverAuth template with common name cn and the given
// names as DNS or IP SANs (an IP literal becomes an IP SAN). Without names
// the certificate has the CN only.
func ServerTemplate(cn string, names ...string) *x509.Certificate {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if a, err := netip.ParseAddr(n); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(a.AsSlice()))
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return tmpl
}

// Server issues a serverAuth certificate (see ServerTemplate).
func (ca *CA) Server(t testing.TB, cn string, names ...string) *Leaf {
	t.Helper()
	return ca.Issue(t, ServerTemplate(cn, names...))
}

// Client issues a clientAuth certificate with common name cn.
func (ca *CA) Client(t testing.TB, cn string) *Leaf {
	t.Helper()
	return ca.Issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// CRL returns a PEM CRL signed by ca, valid from thisUpdate to nextUpdate,
// revoking the given serials.
func (ca *CA) CRL(t testing.TB, thisUpdate, nextUpdate time.Time, revoked ...*big.Int) string {
	t.Helper()
	tmpl := &x509.RevocationList{ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	var err error
	if tmpl.Number, err = serial(); err != nil {
		t.Fatal(err)
	}
	for _, s := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: s, RevocationTime: thisUpdate})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}))
}

// SelfSignedServer returns a throwaway self-signed P-256 server certificate
// for localhost and 127.0.0.1, valid from an hour ago for a day, that is
// also its own trust anchor (CA:TRUE, serverAuth), and its PKCS#8 key. It
// returns an error instead of failing a test, for test servers that start
// outside a test function.
func SelfSignedServer() (certPEM, keyPEM string, err error) {
	tmpl := ServerTemplate("localhost", "localhost", "127.0.0.1")
	tmpl.Subject.Organization = []string{"pgtls testserver throwaway"}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	ca, err := newCA(tmpl, nil)
	if err != nil {
		return "", "", err
	}
	return ca.PEM, ca.KeyPEM, nil
}

// OpenSSLCADir prepares dir for `openssl ca -config <returned path>`: an
// empty index, serial and CRL number, and a config whose default CA signs
// with SHA-256, accepts any subject with a common name, keeps the request's
// subject order, and whose extension section "v3_ca" makes a CA
// (critical basicConstraints CA:TRUE, keyUsage keyCertSign+cRLSign, SKI).
// The CA certificate and key are passed on the command line (-cert,
// -keyfile) or with -selfsign.
func OpenSSLCADir(t testing.TB, dir string) string {
	t.Helper()
	files := map[string]string{
		"index.txt": "",
		"serial":    "1000\n",
		"crlnumber": "01\n",
		"ca.cnf": `[ ca ]
default_ca = CA_default
[ CA_default ]
dir              = .
database         = index.txt
new_certs_dir    = .
serial           = serial
crlnumber        = crlnumber
default_md       = sha256
default_days     = 30
default_crl_days = 1
policy           = policy_any
unique_subject   = no
preserve         = yes
email_in_dn      = yes
copy_extensions  = none
[ policy_any ]
commonName = supplied
[ v3_ca ]
basicConstraints     = critical,CA:TRUE
keyUsage             = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ req ]
distinguished_name = req_dn
[ req_dn ]
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "ca.cnf")
}
