// Package pki is the small, Terraform-agnostic PKI behind pgtls: it creates
// root and intermediate certificate authorities, PostgreSQL server
// certificates and client certificates for `cert` authentication, and
// describes certificates the way PostgreSQL and OpenSSL see them.
//
// The package follows the spirit of CloudNativePG's pkg/certs: plain
// crypto/x509 with a handful of rules that make the output work with
// libpq, pgx, PgBouncer and Pgpool-II without surprises:
//
//   - Keys: ECDSA P-256 (default), P-384, RSA 2048/3072/4096 and Ed25519.
//     RSA below 2048 bits is refused (see ParseKeyType). Private keys are
//     always rendered as PKCS#8 "PRIVATE KEY" PEM, public keys as PKIX.
//   - Serials are random positive 128-bit integers; SerialString renders them
//     in decimal.
//   - NotBefore is now minus 5 minutes (clock skew), but never before the
//     issuer's NotBefore; NotAfter is exactly now + Validity. A certificate
//     never outlives its issuer (CheckNotOutliving).
//   - Signatures: ECDSA-SHA256 for P-256 issuers, ECDSA-SHA384 for P-384,
//     SHA256WithRSA (PKCS#1 v1.5) for RSA and Ed25519 for Ed25519 issuers.
//   - CAs: critical basicConstraints CA:TRUE (pathlen when MaxPathLen >= 0),
//     critical keyUsage keyCertSign+cRLSign+digitalSignature, SKI, AKI on
//     intermediates, critical name constraints when any is set.
//   - Leaves: critical basicConstraints CA:FALSE, critical keyUsage
//     digitalSignature (+keyEncipherment for RSA), EKU serverAuth or
//     clientAuth, SKI and AKI. Servers need at least one SAN, because Go
//     (and therefore pgx) never falls back to the common name.
//   - A signing CA (or a CA of its chain) that carries a critical extension
//     OpenSSL or Go does not process is refused when it is parsed
//     (ParseIssuerCert): verifiers reject everything it signs.
//   - The issuer side refuses what a verifier would reject: intermediates
//     beyond a pathlen, names outside a DNS or IP name constraint anywhere up
//     the chain (including a host-like CN when there is no DNS SAN, which
//     OpenSSL checks), an EKU a CA above forbids, certificates outliving
//     their issuer or any CA above it.
//   - Key identifiers are the SHA-1 of the subjectPublicKey BIT STRING
//     (RFC 5280 section 4.2.1.2, method 1).
//   - Fingerprints, key identifiers: lowercase hex without separators.
//   - Distinguished names are rendered exactly as OpenSSL's
//     X509_NAME_print_ex with XN_FLAG_RFC2253 prints them, which is what
//     PostgreSQL compares with `clientname=DN` (RFC2253, SubjectDNFor).
//
// Every function takes the clock (now) and entropy source (rand; nil means
// crypto/rand) as parameters so results are reproducible in tests: with the
// same keys, rand and now the DER is identical (ECDSA signatures are
// randomised by Go itself; Ed25519 and RSA PKCS#1 v1.5 ones are not). Errors name the bad value
// and the rule it breaks, and never contain key material.
//
// PEM parsing, the RFC 2253 DN, OpenSSL's name rules and certificate
// description for algorithms Go lacks come from internal/x509util, shared
// with internal/check.
package pki
