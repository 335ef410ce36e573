package x509util

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // DSA certificates exist; OpenSSL still reads and verifies them
	"crypto/ecdsa"
	"crypto/ed25519"
	_ "crypto/md5" // registers crypto.MD5 for old certificates
	"crypto/rsa"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha3"
	_ "crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"

	"github.com/cloudflare/circl/sign/ed448"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrUnsupportedSignature means pgtls cannot check a signature of this
// algorithm or key (for example ECDSA on brainpool curves, or RSA keys below
// the 1024 bits Go still handles): the signature is neither valid nor
// invalid as far as pgtls knows.
var ErrUnsupportedSignature = errors.New("signature algorithm or key not supported for verification")

// CheckSignatureFrom verifies c's signature with the public key of parent
// (c itself for a self-signed certificate), for every algorithm in
// SignatureAlgorithmName's list, including those crypto/x509 refuses
// (SHA-1 and MD5 digests, Ed448, RSASSA-PSS with any parameters, DSA). It
// checks only the signature, not whether parent may sign: nil means valid,
// ErrUnsupportedSignature (wrapped) that pgtls cannot tell, any other error
// that the signature does not verify.
func CheckSignatureFrom(c, parent *x509.Certificate) error {
	ai, err := signatureAlgorithmOf(c)
	if err != nil {
		return err
	}
	alg, ok := lookupSigAlg(ai.Algorithm)
	if !ok {
		return fmt.Errorf("%w: algorithm %s", ErrUnsupportedSignature, ai.Algorithm)
	}
	pub, err := publicKeyOf(parent)
	if err != nil {
		return err
	}
	signed, sig := c.RawTBSCertificate, c.Signature
	hash := alg.hash
	var pss *pssParams
	if alg.kind == sigRSAPSS {
		p, err := parsePSSParams(ai.Parameters)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnsupportedSignature, err)
		}
		if p.mgfHash != p.hash || p.trailer != 1 {
			return fmt.Errorf("%w: RSASSA-PSS with an MGF1 hash other than the message hash", ErrUnsupportedSignature)
		}
		pss, hash = &p, p.hash
	}
	var digest []byte
	if hash != 0 {
		if !hash.Available() {
			return fmt.Errorf("%w: hash %s", ErrUnsupportedSignature, hash)
		}
		h := hash.New()
		h.Write(signed)
		digest = h.Sum(nil)
	}
	// A key of another kind cannot have made the signature (OpenSSL's
	// check_sig_alg_match): a definite failure.
	mismatch := func() error {
		return fmt.Errorf("the signing key is a %T, which cannot make %s signatures", pub, alg.name)
	}
	switch alg.kind {
	case sigRSAPKCS1, sigRSAPSS:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return mismatch()
		}
		if k.N.BitLen() < 1024 {
			return fmt.Errorf("%w: %d-bit RSA key", ErrUnsupportedSignature, k.N.BitLen())
		}
		if pss != nil {
			return rsa.VerifyPSS(k, hash, digest, sig, &rsa.PSSOptions{SaltLength: pss.saltLength, Hash: hash})
		}
		return rsa.VerifyPKCS1v15(k, hash, digest, sig)
	case sigECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return mismatch()
		}
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	case sigDSA:
		k, ok := pub.(*dsa.PublicKey)
		if !ok {
			return mismatch()
		}
		r, s, ok := parseDSASignature(sig)
		if !ok {
			return errors.New("malformed DSA signature")
		}
		if n := (k.Q.BitLen() + 7) / 8; len(digest) > n {
			digest = digest[:n]
		}
		if !dsa.Verify(k, digest, r, s) {
			return errors.New("DSA signature does not verify")
		}
		return nil
	case sigEd25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return mismatch()
		}
		if !ed25519.Verify(k, signed, sig) {
			return errors.New("Ed25519 signature does not verify")
		}
		return nil
	case sigEd448:
		k, ok := pub.(ed448.PublicKey)
		if !ok {
			return mismatch()
		}
		if !ed448.Verify(k, signed, sig, "") {
			return errors.New("Ed448 signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("%w: algorithm %s", ErrUnsupportedSignature, ai.Algorithm)
}

// publicKeyOf returns c's public key, decoding the kinds crypto/x509 leaves
// nil: Ed448 and RSA-PSS (RSASSA-PSS subjectPublicKeyInfo) keys.
func publicKeyOf(c *x509.Certificate) (crypto.PublicKey, error) {
	if c.PublicKey != nil {
		return c.PublicKey, nil
	}
	info, err := ParsePublicKeyInfo(c.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, err
	}
	switch info.Name {
	case "x25519", "x448":
		return nil, fmt.Errorf("%s keys cannot sign", info.Name)
	case "ed448":
		if len(info.Key) != ed448.PublicKeySize {
			return nil, errors.New("malformed Ed448 public key")
		}
		return ed448.PublicKey(info.Key), nil
	case "rsa-pss":
		k, err := x509.ParsePKCS1PublicKey(info.Key)
		if err != nil {
			return nil, fmt.Errorf("malformed RSA-PSS public key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: public key algorithm %s", ErrUnsupportedSignature, info.Name)
}

func parseDSASignature(sig []byte) (r, s *big.Int, ok bool) {
	in := cryptobyte.String(sig)
	var seq cryptobyte.String
	r, s = new(big.Int), new(big.Int)
	ok = in.ReadASN1(&seq, cbasn1.SEQUENCE) && in.Empty() && seq.ReadASN1Integer(r) && seq.ReadASN1Integer(s) && seq.Empty()
	return r, s, ok
}

// SelfSigned reports whether c names itself as its issuer and its
// signature verifies with its own public key. known is false when the names
// match but pgtls cannot check the signature (ErrUnsupportedSignature):
// then selfSigned is false too and must not be read as "not self-signed".
func SelfSigned(c *x509.Certificate) (selfSigned, known bool) {
	if !bytes.Equal(c.RawSubject, c.RawIssuer) {
		return false, true
	}
	err := CheckSignatureFrom(c, c)
	if errors.Is(err, ErrUnsupportedSignature) {
		return false, false
	}
	return err == nil, true
}

// IsSelfSigned is SelfSigned for callers that need a yes: true only when
// the self-signature is known to verify.
func IsSelfSigned(c *x509.Certificate) bool {
	ok, known := SelfSigned(c)
	return ok && known
}
