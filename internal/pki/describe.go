package pki

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"time"
)

// CertInfo describes a certificate.
type CertInfo struct {
	Subject, Issuer                       string // RFC 2253, as RFC2253 renders them
	CommonName                            string
	DNSNames, IPAddresses, EmailAddresses []string
	Serial                                string // decimal
	NotBefore, NotAfter                   time.Time
	FingerprintSHA256, FingerprintSHA1    string // lowercase hex, no separators
	IsCA                                  bool
	KeyType                               string // a KeyType name, or "rsa-<bits>"
	SignatureAlgorithm                    string // Go's name, e.g. "ECDSA-SHA256"
	SubjectKeyID, AuthorityKeyID          string // lowercase hex, "" when absent
	SelfSigned                            bool
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

// Describe summarises a certificate (the zero CertInfo for nil).
func Describe(c *x509.Certificate) CertInfo {
	if c == nil {
		return CertInfo{}
	}
	info := CertInfo{
		Subject:            RFC2253(c),
		Issuer:             issuerRFC2253(c),
		CommonName:         c.Subject.CommonName,
		DNSNames:           append([]string{}, c.DNSNames...),
		IPAddresses:        []string{},
		EmailAddresses:     append([]string{}, c.EmailAddresses...),
		Serial:             SerialString(c),
		NotBefore:          c.NotBefore.UTC(),
		NotAfter:           c.NotAfter.UTC(),
		FingerprintSHA256:  FingerprintSHA256(c),
		FingerprintSHA1:    FingerprintSHA1(c),
		IsCA:               c.BasicConstraintsValid && c.IsCA,
		KeyType:            KeyTypeOf(c.PublicKey),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		SubjectKeyID:       SubjectKeyIDHex(c),
		AuthorityKeyID:     hex.EncodeToString(c.AuthorityKeyId),
		SelfSigned:         isSelfSigned(c),
	}
	for _, ip := range c.IPAddresses {
		info.IPAddresses = append(info.IPAddresses, ip.String())
	}
	return info
}
