package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// TestNameConstraintsRefusedLikeGoVerify proves the issuer side refuses
// exactly what Go's verifier rejects: for each case NewServerCert's verdict
// is compared with x509.Verify on a certificate forced past the checks.
func TestNameConstraintsRefusedLikeGoVerify(t *testing.T) {
	r := caReq("constrained", KeyECDSAP256)
	r.PermittedDNSDomains = []string{"example.com", ".internal"}
	r.ExcludedDNSDomains = []string{"secret.example.com"}
	r.PermittedIPRanges = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r.ExcludedIPRanges = []netip.Prefix{netip.MustParsePrefix("10.66.0.0/16")}
	root := mustRoot(t, r)
	// The constraints sit on the root; an unconstrained intermediate below
	// it must still be held to them.
	inter, err := NewIntermediateCA(caReq("free inter", KeyECDSAP256), issuerOf(t, root), t0, testRand(21))
	if err != nil {
		t.Fatal(err)
	}
	iss := issuerOf(t, inter)
	ip := netip.MustParseAddr
	cases := []struct {
		name string
		req  ServerRequest
		ok   bool
		want string
	}{
		{"permitted dns", ServerRequest{DNSNames: []string{"db.example.com"}}, true, ""},
		{"permitted apex", ServerRequest{DNSNames: []string{"example.com"}}, true, ""},
		{"subdomain-only constraint", ServerRequest{DNSNames: []string{"pg.internal"}}, true, ""},
		{"permitted ip", ServerRequest{DNSNames: []string{"db.example.com"}, IPAddresses: []netip.Addr{ip("10.1.2.3")}}, true, ""},
		{"outside dns", ServerRequest{DNSNames: []string{"db.other.com"}}, false, `DNS name "db.other.com" is outside the permitted DNS domains [example.com, .internal] of CA "CN=constrained,O=pgtls tests"`},
		{"suffix trick", ServerRequest{DNSNames: []string{"badexample.com"}}, false, "outside the permitted DNS domains"},
		{"apex of subdomain-only", ServerRequest{DNSNames: []string{"internal"}}, false, "outside the permitted"},
		{"excluded dns", ServerRequest{DNSNames: []string{"x.secret.example.com"}}, false, `falls under the excluded DNS domain "secret.example.com"`},
		{"outside ip", ServerRequest{DNSNames: []string{"db.example.com"}, IPAddresses: []netip.Addr{ip("192.168.1.1")}}, false, "IP address 192.168.1.1 is outside the permitted IP ranges [10.0.0.0/8]"},
		{"ipv6 outside v4 ranges", ServerRequest{DNSNames: []string{"db.example.com"}, IPAddresses: []netip.Addr{ip("fd00::1")}}, false, "outside the permitted IP ranges"},
		{"excluded ip", ServerRequest{DNSNames: []string{"db.example.com"}, IPAddresses: []netip.Addr{ip("10.66.1.1")}}, false, "falls in the excluded IP range 10.66.0.0/16"},
	}
	leafKey, _ := GenerateKey(KeyECDSAP256, testRand(5))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Validity = time.Hour
			_, err := NewServerCert(tc.req, iss, t0, testRand(6))
			if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("NewServerCert err = %v, want ok=%v %q", err, tc.ok, tc.want)
			}
			// Force the certificate past the issuer-side checks and ask Go.
			forced, ferr := newServerCertWithKey(tc.req, iss, leafKey, t0, testRand(6))
			if ferr != nil {
				t.Fatal(ferr)
			}
			_, verr := forced.Cert.Verify(x509.VerifyOptions{Roots: pool(root.Cert), Intermediates: pool(inter.Cert), CurrentTime: t0})
			if tc.ok != (verr == nil) {
				t.Fatalf("Go x509.Verify err = %v, but the issuer side said ok=%v", verr, tc.ok)
			}
			var cie x509.CertificateInvalidError
			if verr != nil && (!errors.As(verr, &cie) || cie.Reason != x509.CANotAuthorizedForThisName) {
				t.Fatalf("Go rejected for another reason: %v", verr)
			}
		})
	}
}

func TestNameConstraintsCNAndClients(t *testing.T) {
	r := caReq("dns only", KeyECDSAP256)
	r.PermittedDNSDomains = []string{"example.com"}
	iss := issuerOf(t, mustRoot(t, r))
	// IP-only server: the default CN "10.0.0.1" looks like a host name to
	// OpenSSL, which checks it against the DNS constraints.
	_, err := NewServerCert(ServerRequest{IPAddresses: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Validity: time.Hour}, iss, t0, testRand(1))
	if err == nil || !strings.Contains(err.Error(), "common name") || !strings.Contains(err.Error(), "10.0.0.1") {
		t.Fatalf("host-like CN: err = %v", err)
	}
	if _, err := NewServerCert(ServerRequest{CommonName: "primary", IPAddresses: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, Validity: time.Hour}, iss, t0, testRand(1)); err != nil {
		t.Errorf("non-host CN: %v", err)
	}
	// With a DNS SAN the CN is not checked.
	if _, err := NewServerCert(ServerRequest{CommonName: "db.other.org", DNSNames: []string{"db.example.com"}, Validity: time.Hour}, iss, t0, testRand(1)); err != nil {
		t.Errorf("CN with DNS SAN: %v", err)
	}
	// Client certificates: plain role names pass, dotted ones are host-like.
	mustClient(t, iss, ClientRequest{User: "app_user", Validity: time.Hour})
	if _, err := NewClientCert(ClientRequest{User: "john.doe", Validity: time.Hour}, iss, t0, testRand(1)); err == nil || !strings.Contains(err.Error(), `"john.doe"`) {
		t.Errorf("dotted client CN under DNS constraints: %v", err)
	}
}

func TestChainEKURestriction(t *testing.T) {
	ca := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "server-only CA"}, NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(1000 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, nil)
	iss, err := ParseIssuer(ca.PEM, ca.KeyPEM, "")
	if err != nil {
		t.Fatal(err)
	}
	mustServer(t, iss, ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour})
	if _, err := NewClientCert(ClientRequest{User: "alice", Validity: time.Hour}, iss, t0, testRand(1)); err == nil || !strings.Contains(err.Error(), "does not allow clientAuth") {
		t.Errorf("client under serverAuth-only CA: %v", err)
	}
	// The issued certificate has no AKI problem when the CA has its own SKI
	// (Go set one): AKI equals it.
	srv := mustServer(t, iss, ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour})
	if string(srv.Cert.AuthorityKeyId) != string(iss.Cert.SubjectKeyId) {
		t.Error("AKI != issuer SKI")
	}
}
