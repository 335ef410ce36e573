package x509util

import (
	"crypto/x509"
	"encoding/asn1"
)

// opensslHandled are the extensions OpenSSL 3.0's verifier processes
// (X509_supported_extension in crypto/x509/v3_purp.c): a critical
// extension outside this list fails verification with "unhandled critical
// extension". Note what is missing: a critical subjectKeyIdentifier,
// authorityKeyIdentifier or issuerAltName fails too.
var opensslHandled = map[string]string{
	"2.16.840.1.113730.1.1": "nsCertType",
	"2.5.29.15":             "keyUsage",
	"2.5.29.17":             "subjectAltName",
	"2.5.29.19":             "basicConstraints",
	"2.5.29.32":             "certificatePolicies",
	"2.5.29.31":             "crlDistributionPoints",
	"2.5.29.37":             "extendedKeyUsage",
	"1.3.6.1.5.5.7.1.7":     "sbgp-ipAddrBlock",
	"1.3.6.1.5.5.7.1.8":     "sbgp-autonomousSysNum",
	"1.3.6.1.5.5.7.48.1.5":  "OCSP noCheck",
	"2.5.29.36":             "policyConstraints",
	"1.3.6.1.5.5.7.1.14":    "proxyCertInfo",
	"2.5.29.30":             "nameConstraints",
	"2.5.29.33":             "policyMappings",
	"2.5.29.54":             "inhibitAnyPolicy",
}

// UnhandledCriticalExtensions lists the critical extensions of c that
// OpenSSL's verifier (used by PostgreSQL and libpq) or Go's (used by pgx)
// does not process, in certificate order. Either verifier then rejects c
// and every certificate below it ("unhandled critical extension").
func UnhandledCriticalExtensions(c *x509.Certificate) []asn1.ObjectIdentifier {
	var out []asn1.ObjectIdentifier
	for _, e := range c.Extensions {
		if !e.Critical {
			continue
		}
		_, ok := opensslHandled[e.Id.String()]
		for _, u := range c.UnhandledCriticalExtensions {
			if u.Equal(e.Id) {
				ok = false
			}
		}
		if !ok {
			out = append(out, e.Id)
		}
	}
	return out
}
