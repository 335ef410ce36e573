package pki

import (
	"crypto/x509"
	"encoding/asn1"
	"hash/fnv"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// t0 is the fixed issuing time of the tests.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testRand is a deterministic entropy source.
func testRand(seed uint64) io.Reader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return mrand.NewChaCha8(s)
}

func caReq(cn string, kt KeyType) CARequest {
	return CARequest{Subject: Subject{CommonName: cn, Organization: "pgtls tests"}, KeyType: kt, Validity: 10 * 365 * 24 * time.Hour, MaxPathLen: -1}
}

func mustRoot(t testing.TB, req CARequest) *Issued {
	t.Helper()
	// Distinct CAs get distinct entropy (hence distinct keys).
	h := fnv.New64a()
	h.Write([]byte(SubjectDNFor(req.Subject) + string(req.KeyType)))
	is, err := NewRootCA(req, t0, testRand(h.Sum64()))
	if err != nil {
		t.Fatalf("NewRootCA: %v", err)
	}
	return is
}

// issuerOf turns an issued CA into an Issuer; chain is its ChainPEM plus the
// root, as a user would pass them.
func issuerOf(t testing.TB, is *Issued) *Issuer {
	t.Helper()
	iss, err := ParseIssuer(is.CertPEM, is.PrivateKeyPEM, is.ChainPEM+is.CABundlePEM)
	if err != nil {
		t.Fatalf("ParseIssuer: %v", err)
	}
	return iss
}

func mustServer(t testing.TB, iss *Issuer, req ServerRequest) *Issued {
	t.Helper()
	is, err := NewServerCert(req, iss, t0, testRand(2))
	if err != nil {
		t.Fatalf("NewServerCert: %v", err)
	}
	return is
}

func mustClient(t testing.TB, iss *Issuer, req ClientRequest) *Issued {
	t.Helper()
	is, err := NewClientCert(req, iss, t0, testRand(3))
	if err != nil {
		t.Fatalf("NewClientCert: %v", err)
	}
	return is
}

// ext finds an extension by OID.
func ext(c *x509.Certificate, oid asn1.ObjectIdentifier) (x509Ext, bool) {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return x509Ext{e.Critical, e.Value}, true
		}
	}
	return x509Ext{}, false
}

type x509Ext struct {
	Critical bool
	Value    []byte
}

var (
	oidExtBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtSKI              = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtAKI              = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtSAN              = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtNameConstraints  = asn1.ObjectIdentifier{2, 5, 29, 30}
)

// requireOpenSSL is the shared oracle check: skip loudly, fail under CI.
func requireOpenSSL(t testing.TB) string {
	t.Helper()
	return testserver.RequireOpenSSL(t)
}

// openssl runs the openssl binary and returns combined output and error.
func openssl(t testing.TB, stdin string, args ...string) (string, error) {
	t.Helper()
	return testpki.OpenSSL{Bin: requireOpenSSL(t)}.Run(t, stdin, args...)
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
