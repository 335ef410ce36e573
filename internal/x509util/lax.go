package x509util

import (
	"crypto/x509"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// emptyName is an empty RDNSequence.
var emptyName = []byte{0x30, 0x00}

// placeholderSPKI is an Ed25519 subjectPublicKeyInfo (all-zero key) that
// stands in for a key crypto/x509 cannot decode while the rest of the
// certificate is parsed.
var placeholderSPKI = func() []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidEd25519) })
		b.AddASN1BitString(make([]byte, 32))
	})
	return b.BytesOrPanic()
}()

// ParseCertificateLax parses a DER certificate like x509.ParseCertificate
// and also reads the certificates OpenSSL reads but crypto/x509 refuses
// only because of
//   - a negative serial number ("x509: negative serial number"),
//   - a public key Go cannot decode (an elliptic curve Go lacks, such as
//     brainpoolP256r1 or secp256k1, or explicit curve parameters), or
//   - a subject or issuer name with values Go does not read
//     (VisibleString, UniversalString, OCTET STRING, invalid UTF-8).
//
// For those, every other field comes from crypto/x509, while SerialNumber
// (negative), Raw, RawTBSCertificate, RawSubject, RawIssuer and
// RawSubjectPublicKeyInfo are the certificate's own. When the key was the
// problem, PublicKey is nil and PublicKeyAlgorithm is
// x509.UnknownPublicKeyAlgorithm (see ParsePublicKeyInfo); when the names
// were, Subject and Issuer are empty (use RFC2253 and CommonNames on the raw
// names). Such a certificate is for describing only: never verify with it.
// Anything else Go refuses is still an error, with Go's reason.
func ParseCertificateLax(der []byte) (*x509.Certificate, error) {
	c, goErr := x509.ParseCertificate(der)
	if goErr == nil {
		return c, nil
	}
	in := cryptobyte.String(der)
	var cert, tbsRaw, tbs cryptobyte.String
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !in.Empty() || !cert.ReadASN1Element(&tbsRaw, cbasn1.SEQUENCE) {
		return nil, goErr
	}
	rest := []byte(cert) // signatureAlgorithm and signatureValue, unchanged
	if outer := tbsRaw; !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, goErr
	}
	var version cryptobyte.String
	versionTag := cbasn1.Tag(0).Constructed().ContextSpecific()
	hasVersion := tbs.PeekASN1Tag(versionTag)
	if hasVersion && !tbs.ReadASN1Element(&version, versionTag) {
		return nil, goErr
	}
	var serialRaw cryptobyte.String
	if !tbs.ReadASN1Element(&serialRaw, cbasn1.INTEGER) {
		return nil, goErr
	}
	serial := new(big.Int)
	if s := serialRaw; !s.ReadASN1Integer(serial) {
		return nil, goErr
	}
	var sigAI, issuer, validity, subject, spki cryptobyte.String
	if !tbs.ReadASN1Element(&sigAI, cbasn1.SEQUENCE) || !tbs.ReadASN1Element(&issuer, cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&validity, cbasn1.SEQUENCE) || !tbs.ReadASN1Element(&subject, cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&spki, cbasn1.SEQUENCE) {
		return nil, goErr
	}
	tail := []byte(tbs) // unique identifiers and extensions, unchanged

	newSerial := []byte(serialRaw)
	if serial.Sign() < 0 {
		var b cryptobyte.Builder
		b.AddASN1Int64(1)
		newSerial = b.BytesOrPanic()
	}
	newSPKI := []byte(spki)
	keyReplaced := false
	if _, err := x509.ParsePKIXPublicKey(spki); err != nil {
		newSPKI, keyReplaced = placeholderSPKI, true
	}
	build := func(issuer, subject []byte) []byte {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				if hasVersion {
					b.AddBytes(version)
				}
				b.AddBytes(newSerial)
				b.AddBytes(sigAI)
				b.AddBytes(issuer)
				b.AddBytes(validity)
				b.AddBytes(subject)
				b.AddBytes(newSPKI)
				b.AddBytes(tail)
			})
			b.AddBytes(rest)
		})
		return b.BytesOrPanic() // lengths of parsed elements always fit
	}
	namesReplaced := false
	c, err := x509.ParseCertificate(build(issuer, subject))
	if err != nil {
		// Retry with empty names in case Go refused a name.
		c2, err2 := x509.ParseCertificate(build(emptyName, emptyName))
		if err2 != nil {
			// What Go refuses besides the serial, the key or the names.
			return nil, err
		}
		c, namesReplaced = c2, true
	}
	c.Raw = der
	c.RawTBSCertificate = []byte(tbsRaw)
	c.SerialNumber = serial
	if namesReplaced {
		c.RawIssuer, c.RawSubject = []byte(issuer), []byte(subject)
	}
	if keyReplaced {
		c.RawSubjectPublicKeyInfo = []byte(spki)
		c.PublicKey = nil
		c.PublicKeyAlgorithm = x509.UnknownPublicKeyAlgorithm
	}
	return c, nil
}
