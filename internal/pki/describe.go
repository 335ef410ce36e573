package pki

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

// CertInfo describes a certificate as OpenSSL reads it.
type CertInfo struct {
	PEM                                   string // the certificate alone
	Subject, Issuer                       string // RFC 2253, as RFC2253 renders them
	CommonName                            string // the first CN, the one PostgreSQL and libpq use
	DNSNames, IPAddresses, EmailAddresses []string
	Serial                                string // decimal, negative when the certificate says so
	NotBefore, NotAfter                   time.Time
	FingerprintSHA256, FingerprintSHA1    string // lowercase hex, no separators
	IsCA                                  bool
	KeyType                               string // see KeyTypeOfCertificate
	SignatureAlgorithm                    string // x509util.SignatureAlgorithmName: "ECDSA-SHA256", "Ed448", ...
	SubjectKeyID, AuthorityKeyID          string // lowercase hex, "" when absent
	// SelfSigned: the subject names itself as issuer and the signature
	// verifies with the certificate's own key; nil when the names match but
	// pgtls cannot check the signature (ECDSA on curves Go lacks, RSASSA-PSS
	// with an MGF1 hash other than the message hash).
	SelfSigned *bool
}

// FingerprintSHA256 is the SHA-256 of the DER certificate in lowercase hex
// without separators.
func FingerprintSHA256(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// FingerprintSHA1 is the SHA-1 of the DER certificate in lowercase hex
// without separators.
func FingerprintSHA1(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	sum := sha1.Sum(c.Raw)
	return hex.EncodeToString(sum[:])
}

// SubjectKeyIDHex is the subject key identifier in lowercase hex ("" if
// absent).
func SubjectKeyIDHex(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return hex.EncodeToString(c.SubjectKeyId)
}

// SerialString is the serial number in decimal (as the hashicorp/tls
// provider renders it).
func SerialString(c *x509.Certificate) string {
	if c == nil || c.SerialNumber == nil {
		return ""
	}
	return c.SerialNumber.String()
}

// KeyTypeOfCertificate names the public key of c in key_type terms: the
// KeyType names and "rsa-<bits>" / "ecdsa-<curve>" as KeyTypeOf gives them
// for keys Go decodes; "rsa-pss-<bits>" for RSASSA-PSS keys, "ed448",
// "x25519", "x448", "dsa-<bits>", "ecdsa-<curve>" with OpenSSL's lower-case
// curve name ("ecdsa-brainpoolp256r1", "ecdsa-secp256k1"),
// "ecdsa-explicit" for explicit curve parameters; the dotted OID of any
// other algorithm.
func KeyTypeOfCertificate(c *x509.Certificate) string {
	info, err := x509util.ParsePublicKeyInfo(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return "unknown"
	}
	if info.Name != "rsa-pss" && c.PublicKey != nil {
		if kt := KeyTypeOf(c.PublicKey); kt != "unknown" {
			return kt
		}
	}
	bits := func(prefix string) string {
		if info.Bits == 0 {
			return prefix
		}
		return fmt.Sprintf("%s-%d", prefix, info.Bits)
	}
	switch info.Name {
	case "rsa", "rsa-pss", "dsa":
		return bits(info.Name)
	case "ecdsa":
		return "ecdsa-" + strings.ToLower(strings.ReplaceAll(info.Curve, "-", ""))
	}
	return info.Name
}

// Describe summarises a certificate (the zero CertInfo for nil). It handles
// certificates from x509util.ParseCertificateLax.
func Describe(c *x509.Certificate) CertInfo {
	if c == nil {
		return CertInfo{}
	}
	info := CertInfo{
		PEM:                EncodeCertificatesPEM(c),
		Subject:            RFC2253(c),
		Issuer:             issuerRFC2253(c),
		DNSNames:           append([]string{}, c.DNSNames...),
		IPAddresses:        []string{},
		EmailAddresses:     append([]string{}, c.EmailAddresses...),
		Serial:             SerialString(c),
		NotBefore:          c.NotBefore.UTC(),
		NotAfter:           c.NotAfter.UTC(),
		FingerprintSHA256:  FingerprintSHA256(c),
		FingerprintSHA1:    FingerprintSHA1(c),
		IsCA:               c.BasicConstraintsValid && c.IsCA,
		KeyType:            KeyTypeOfCertificate(c),
		SignatureAlgorithm: x509util.SignatureAlgorithmName(c),
		SubjectKeyID:       SubjectKeyIDHex(c),
		AuthorityKeyID:     hex.EncodeToString(c.AuthorityKeyId),
	}
	if cns, _ := x509util.CommonNames(c.RawSubject); len(cns) > 0 {
		info.CommonName = cns[0]
	}
	for _, ip := range c.IPAddresses {
		info.IPAddresses = append(info.IPAddresses, ip.String())
	}
	if ss, known := x509util.SelfSigned(c); known {
		info.SelfSigned = &ss
	}
	return info
}

// DescribeCertificatesPEM describes every certificate of a PEM text that
// OpenSSL can read, including those crypto/x509 refuses (negative serials,
// curves Go lacks; see x509util.ParseCertificateLax), in order. The PEM
// rule is x509util's.
func DescribeCertificatesPEM(s string) ([]CertInfo, error) {
	certs, err := x509util.ParseCertificatesPEMLax(s)
	if err != nil {
		return nil, err
	}
	out := make([]CertInfo, len(certs))
	for i, c := range certs {
		out[i] = Describe(c)
	}
	return out, nil
}
