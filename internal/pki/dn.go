package pki

import (
	"crypto/x509"

	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

// RFC2253 renders the certificate subject exactly as PostgreSQL compares it
// with clientname=DN: OpenSSL's X509_NAME_print_ex(..., XN_FLAG_RFC2253),
// see x509util.RFC2253.
func RFC2253(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return x509util.RFC2253(c.RawSubject)
}

// issuerRFC2253 renders the issuer DN the same way.
func issuerRFC2253(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return x509util.RFC2253(c.RawIssuer)
}

// SubjectDNFor computes, before any certificate exists, the RFC 2253 subject
// string RFC2253 returns for a certificate issued with this subject. It
// returns "" for an invalid subject.
func SubjectDNFor(sub Subject) string {
	if sub.Validate() != nil {
		return ""
	}
	der, err := sub.marshal()
	if err != nil {
		return ""
	}
	return x509util.RFC2253(der)
}
