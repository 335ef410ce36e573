// Package x509util is the one home of the X.509 rules pgtls shares between
// issuing certificates (internal/pki) and checking a live server
// (internal/check): strict PEM parsing, the name rules OpenSSL applies,
// the RFC 2253 distinguished-name format PostgreSQL compares, and reading
// certificates Go refuses but OpenSSL accepts. It imports no Terraform
// package and holds no policy (key sizes, validity): callers add that.
//
// # PEM: what may surround the blocks
//
// OpenSSL's PEM readers (and therefore PostgreSQL's ssl_*_file settings
// and libpq's sslrootcert, sslcert, sslkey and sslcrl files) skip any text
// outside the "-----BEGIN ...-----" / "-----END ...-----" lines: a comment
// before a bundle, the output of `openssl x509 -text` above the block,
// certificate names between the blocks of a CA bundle. pgtls accepts that
// text too, so a file PostgreSQL loads is never refused for it.
//
// What pgtls refuses is text that looks like PEM armor but is not part of
// a well-formed block: a "-----BEGIN" or "-----END" marker outside a block,
// a block with bad base64, a BEGIN without its matching END. OpenSSL's own
// tools disagree on such input (`openssl verify -CAfile` and libpq fail to
// load the whole file, while `openssl x509` silently skips the broken block
// and reads the next one), and Go's encoding/pem skips it silently, so
// accepting it would mean a certificate the user pasted is dropped without
// a word. This is the single rule for every PEM input: certificates, keys
// and CRLs.
//
// Blocks must be of the expected type (CERTIFICATE, X509 CRL, or PRIVATE
// KEY / RSA PRIVATE KEY / EC PRIVATE KEY; an "EC PARAMETERS" block as
// written by `openssl ecparam -genkey` is allowed beside an EC key), must
// not carry PEM headers (a DEK-Info header means an encrypted key, which is
// refused), and errors name blocks by their 1-based index and line number,
// never by their content.
//
// # Names
//
// RFC2253 renders a DER Name exactly as OpenSSL's X509_NAME_print_ex with
// XN_FLAG_RFC2253 (`openssl x509 -nameopt RFC2253`), which is the string
// PostgreSQL compares with `clientname=DN` and shows as the certificate
// DN. (pg_stat_ssl.client_dn and issuer_dn use OpenSSL's older one-line
// form, "/CN=app", instead.) CNAsDNSID and CheckDNSConstraints are
// OpenSSL's cn2dnsid and nc_dns: which subject common names OpenSSL treats
// as host names, and how DNS name constraints match them.
//
// # Certificates Go refuses
//
// ParseCertificateLax reads, for describing only, certificates OpenSSL
// reads but crypto/x509 refuses because of a negative serial number or a
// public key Go cannot decode (an elliptic curve outside P-224..P-521,
// explicit curve parameters). SignatureAlgorithmName, ParsePublicKeyInfo
// and SelfSigned describe algorithms Go does not know (Ed448, RSASSA-PSS
// with any parameters, SHA-224 and SHA-3 digests) by OpenSSL's names.
package x509util
