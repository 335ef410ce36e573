package check

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

// verifyChain checks the server chain the way OpenSSL does for libpq when a
// root certificate is given: chain to a self-signed anchor, validity dates,
// serverAuth EKU, then (with a CRL) revocation of every certificate in the
// chain.
func (m *material) verifyChain(peer []*x509.Certificate, now time.Time) error {
	if len(peer) == 0 {
		return errors.New("server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	for _, c := range m.extra {
		inter.AddCert(c)
	}
	roots := m.roots
	if roots == nil {
		roots = x509.NewCertPool()
	}
	chains, err := peer[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return describeVerifyError(err)
	}
	if err := checkCNConstraints(chains[0]); err != nil {
		return err
	}
	if len(m.crls) > 0 {
		return m.checkCRL(chains[0], now)
	}
	return nil
}

// checkCNConstraints adds what OpenSSL checks and Go does not: a leaf
// without dNSName SANs has every host-like subject CN checked against the
// DNS name constraints of the CAs above it (NAME_CONSTRAINTS_check_CN).
func checkCNConstraints(chain []*x509.Certificate) error {
	constrained := false
	for _, ca := range chain[1:] {
		constrained = constrained || hasNameConstraints(ca)
	}
	if !constrained {
		return nil
	}
	leaf := chain[0]
	cns, err := x509util.HostLikeCommonNames(leaf)
	if err != nil {
		return fmt.Errorf("certificate verify failed: unsupported or invalid name syntax (subject of %s: %w)", dn(leaf), err)
	}
	for _, cn := range cns {
		for _, ca := range chain[1:] {
			var nce *x509util.NameConstraintError
			if err := x509util.CheckDNSConstraints(cn, ca); errors.As(err, &nce) {
				if nce.Excluded {
					return fmt.Errorf("certificate verify failed: excluded subtree violation (subject CN %q is excluded by the DNS name constraints of %s)", cn, dn(ca))
				}
				return fmt.Errorf("certificate verify failed: permitted subtree violation (subject CN %q is outside the DNS name constraints of %s)", cn, dn(ca))
			}
		}
	}
	return nil
}

var oidNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}

func hasNameConstraints(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidNameConstraints) {
			return true
		}
	}
	return false
}

// dn quotes a certificate's subject in the RFC 2253 form OpenSSL prints.
func dn(c *x509.Certificate) string { return fmt.Sprintf("%q", x509util.RFC2253(c.RawSubject)) }

func describeVerifyError(err error) error {
	var ua x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("certificate verify failed: unable to get local issuer certificate (no chain from %q to the given root certificate)", x509util.RFC2253(ua.Cert.RawSubject))
	case errors.As(err, &inv):
		switch inv.Reason {
		case x509.Expired:
			if inv.Cert.NotAfter.Before(time.Now()) {
				return fmt.Errorf("certificate verify failed: certificate has expired (%s, notAfter %s)", dn(inv.Cert), inv.Cert.NotAfter.UTC().Format(time.RFC3339))
			}
			return fmt.Errorf("certificate verify failed: certificate is not yet valid (%s, notBefore %s)", dn(inv.Cert), inv.Cert.NotBefore.UTC().Format(time.RFC3339))
		case x509.IncompatibleUsage:
			return fmt.Errorf("certificate verify failed: unsupported certificate purpose (%s lacks the serverAuth extended key usage)", dn(inv.Cert))
		}
	}
	return fmt.Errorf("certificate verify failed: %w", err)
}

// checkCRL mirrors X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL, which
// libpq sets when a CRL is loaded: every certificate of the chain needs a
// valid CRL from its issuer and must not be listed in it.
func (m *material) checkCRL(chain []*x509.Certificate, now time.Time) error {
	for i, c := range chain {
		issuer := c
		if i+1 < len(chain) {
			issuer = chain[i+1]
		}
		var crl *x509.RevocationList
		for _, l := range m.crls {
			if bytes.Equal(l.RawIssuer, issuer.RawSubject) && l.CheckSignatureFrom(issuer) == nil {
				crl = l
				break
			}
		}
		if crl == nil {
			return fmt.Errorf("certificate verify failed: unable to get certificate CRL (no CRL from %s for %s)", dn(issuer), dn(c))
		}
		if now.Before(crl.ThisUpdate) {
			return fmt.Errorf("certificate verify failed: CRL is not yet valid (CRL of %s)", dn(issuer))
		}
		if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
			return fmt.Errorf("certificate verify failed: CRL has expired (CRL of %s, nextUpdate %s)", dn(issuer), crl.NextUpdate.UTC().Format(time.RFC3339))
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber != nil && e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				return fmt.Errorf("certificate verify failed: certificate revoked (%s, serial %s)", dn(c), c.SerialNumber.Text(16))
			}
		}
	}
	return nil
}

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// firstCommonName returns the first CN attribute of the subject, as
// OpenSSL's X509_NAME_get_index_by_NID(..., -1) finds it (Go's
// Subject.CommonName keeps the last one).
func firstCommonName(c *x509.Certificate) (string, bool) {
	var rdn pkix.RDNSequence
	if _, err := asn1.Unmarshal(c.RawSubject, &rdn); err != nil {
		return "", false
	}
	for _, set := range rdn {
		for _, atv := range set {
			if atv.Type.Equal(oidCommonName) {
				s, ok := atv.Value.(string)
				return s, ok
			}
		}
	}
	return "", false
}

// matchHostName implements libpq's verify-full check
// (pgtls_verify_peer_name_matches_certificate_guts, PostgreSQL 15+).
func matchHostName(c *x509.Certificate, host string) error {
	if host == "" {
		return errors.New("host name must be specified for a verified SSL connection")
	}
	hostIsIP := isIPHost(host)
	checkCN := true
	var names []string
	// Go splits the SAN extension by type; libpq walks it in order, but the
	// outcome (any match wins, any SAN of the host's type disables the CN)
	// does not depend on the order.
	if hostIsIP && len(c.IPAddresses) > 0 {
		checkCN = false
	}
	if !hostIsIP && len(c.DNSNames) > 0 {
		checkCN = false
	}
	for _, n := range c.DNSNames {
		names = append(names, n)
		if strings.ContainsRune(n, 0) {
			return errors.New("SSL certificate's name contains embedded null")
		}
		if nameMatches(n, host) {
			return nil
		}
	}
	for _, ip := range c.IPAddresses {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return errors.New("SSL certificate's address entry is of an unknown length")
		}
		names = append(names, a.String())
		if ipMatches([]byte(ip), host) {
			return nil
		}
	}
	if checkCN {
		if cn, ok := firstCommonName(c); ok {
			names = append(names, cn)
			if strings.ContainsRune(cn, 0) {
				return errors.New("SSL certificate's name contains embedded null")
			}
			if nameMatches(cn, host) {
				return nil
			}
		}
	}
	switch len(names) {
	case 0:
		return errors.New("could not get server's host name from server certificate")
	case 1:
		return fmt.Errorf("server certificate for %q does not match host name %q", names[0], host)
	default:
		return fmt.Errorf("server certificate for %q (and %d other name(s)) does not match host name %q", names[0], len(names)-1, host)
	}
}

// nameMatches is pq_verify_peer_name_matches_certificate_name: a
// case-insensitive comparison or wildcard_certificate_match.
func nameMatches(name, host string) bool {
	if strings.EqualFold(name, host) {
		return true
	}
	return wildcardMatch(name, host)
}

// wildcardMatch is libpq's wildcard_certificate_match: the pattern must
// start with "*." and the "*" matches exactly one non-empty label.
func wildcardMatch(pattern, s string) bool {
	lp, ls := len(pattern), len(s)
	if lp < 3 || pattern[0] != '*' || pattern[1] != '.' {
		return false
	}
	if lp > ls {
		return false
	}
	if !strings.EqualFold(pattern[1:], s[ls-lp+1:]) {
		return false
	}
	// A dot left of where the pattern matched means "*" would span labels.
	if i := strings.IndexByte(s, '.'); i < ls-lp {
		return false
	}
	return true
}

// ipMatches is openssl_verify_peer_name_matches_certificate_ip: a 4-byte
// entry matches an IPv4 host, a 16-byte entry an IPv6 host, byte for byte.
func ipMatches(raw []byte, host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return false
	}
	switch len(raw) {
	case 4:
		if !a.Is4() {
			return false
		}
		b := a.As4()
		return bytes.Equal(raw, b[:])
	case 16:
		if a.Is4() {
			return false
		}
		b := a.As16()
		return bytes.Equal(raw, b[:])
	}
	return false
}

func summarizeCert(c *x509.Certificate) *ServerCert {
	sum := sha256.Sum256(c.Raw)
	sc := &ServerCert{
		Subject:           x509util.RFC2253(c.RawSubject),
		Issuer:            x509util.RFC2253(c.RawIssuer),
		DNSNames:          append([]string(nil), c.DNSNames...),
		NotAfter:          c.NotAfter.UTC(),
		FingerprintSHA256: hex.EncodeToString(sum[:]),
	}
	for _, ip := range c.IPAddresses {
		sc.IPAddresses = append(sc.IPAddresses, ip.String())
	}
	return sc
}
