package x509util

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

type sigKind int

const (
	sigRSAPKCS1 sigKind = iota + 1
	sigRSAPSS
	sigECDSA
	sigDSA
	sigEd25519
	sigEd448
)

// sigAlg is a signature algorithm OpenSSL's default provider signs
// certificates with. name follows Go's x509.SignatureAlgorithm names
// ("SHA256-RSA", "ECDSA-SHA256", "Ed25519") and extends them to the
// algorithms Go does not name.
type sigAlg struct {
	oid  asn1.ObjectIdentifier
	name string
	hash crypto.Hash // zero for EdDSA and RSASSA-PSS (in the parameters)
	kind sigKind
}

var sigAlgs = []sigAlg{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}, "MD5-RSA", crypto.MD5, sigRSAPKCS1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, "SHA1-RSA", crypto.SHA1, sigRSAPKCS1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}, "SHA224-RSA", crypto.SHA224, sigRSAPKCS1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, "SHA256-RSA", crypto.SHA256, sigRSAPKCS1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, "SHA384-RSA", crypto.SHA384, sigRSAPKCS1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, "SHA512-RSA", crypto.SHA512, sigRSAPKCS1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 15}, "SHA512-224-RSA", crypto.SHA512_224, sigRSAPKCS1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 16}, "SHA512-256-RSA", crypto.SHA512_256, sigRSAPKCS1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 13}, "SHA3-224-RSA", crypto.SHA3_224, sigRSAPKCS1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 14}, "SHA3-256-RSA", crypto.SHA3_256, sigRSAPKCS1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 15}, "SHA3-384-RSA", crypto.SHA3_384, sigRSAPKCS1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 16}, "SHA3-512-RSA", crypto.SHA3_512, sigRSAPKCS1},
	{oidRSASSAPSS, "RSAPSS", 0, sigRSAPSS},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, "ECDSA-SHA1", crypto.SHA1, sigECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}, "ECDSA-SHA224", crypto.SHA224, sigECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, "ECDSA-SHA256", crypto.SHA256, sigECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, "ECDSA-SHA384", crypto.SHA384, sigECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, "ECDSA-SHA512", crypto.SHA512, sigECDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 9}, "ECDSA-SHA3-224", crypto.SHA3_224, sigECDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 10}, "ECDSA-SHA3-256", crypto.SHA3_256, sigECDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 11}, "ECDSA-SHA3-384", crypto.SHA3_384, sigECDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 12}, "ECDSA-SHA3-512", crypto.SHA3_512, sigECDSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 3}, "DSA-SHA1", crypto.SHA1, sigDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 1}, "DSA-SHA224", crypto.SHA224, sigDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 2}, "DSA-SHA256", crypto.SHA256, sigDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 3}, "DSA-SHA384", crypto.SHA384, sigDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 4}, "DSA-SHA512", crypto.SHA512, sigDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 5}, "DSA-SHA3-224", crypto.SHA3_224, sigDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 6}, "DSA-SHA3-256", crypto.SHA3_256, sigDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 7}, "DSA-SHA3-384", crypto.SHA3_384, sigDSA},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 8}, "DSA-SHA3-512", crypto.SHA3_512, sigDSA},
	{oidEd25519, "Ed25519", 0, sigEd25519},
	{oidEd448, "Ed448", 0, sigEd448},
}

// Public key algorithm and curve OIDs.
var (
	oidRSA         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSASSAPSS   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidDSA         = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidX25519      = asn1.ObjectIdentifier{1, 3, 101, 110}
	oidX448        = asn1.ObjectIdentifier{1, 3, 101, 111}
	oidEd25519     = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidEd448       = asn1.ObjectIdentifier{1, 3, 101, 113}
	oidMGF1        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	hashAlgorithms = map[string]crypto.Hash{
		"1.3.14.3.2.26":           crypto.SHA1,
		"2.16.840.1.101.3.4.2.4":  crypto.SHA224,
		"2.16.840.1.101.3.4.2.1":  crypto.SHA256,
		"2.16.840.1.101.3.4.2.2":  crypto.SHA384,
		"2.16.840.1.101.3.4.2.3":  crypto.SHA512,
		"2.16.840.1.101.3.4.2.5":  crypto.SHA512_224,
		"2.16.840.1.101.3.4.2.6":  crypto.SHA512_256,
		"2.16.840.1.101.3.4.2.7":  crypto.SHA3_224,
		"2.16.840.1.101.3.4.2.8":  crypto.SHA3_256,
		"2.16.840.1.101.3.4.2.9":  crypto.SHA3_384,
		"2.16.840.1.101.3.4.2.10": crypto.SHA3_512,
	}
)

// publicKeyNames are the names ParsePublicKeyInfo gives key algorithms.
var publicKeyNames = map[string]string{
	oidRSA.String():         "rsa",
	oidRSASSAPSS.String():   "rsa-pss",
	oidECPublicKey.String(): "ecdsa",
	oidDSA.String():         "dsa",
	oidX25519.String():      "x25519",
	oidX448.String():        "x448",
	oidEd25519.String():     "ed25519",
	oidEd448.String():       "ed448",
}

// curveNames names the elliptic curves OpenSSL knows by their NIST name
// where one exists (as Go names them), else by OpenSSL's short name.
var curveNames = map[string]string{
	"1.2.840.10045.3.1.1":   "P-192",
	"1.3.132.0.33":          "P-224",
	"1.2.840.10045.3.1.7":   "P-256",
	"1.3.132.0.34":          "P-384",
	"1.3.132.0.35":          "P-521",
	"1.3.132.0.10":          "secp256k1",
	"1.3.36.3.3.2.8.1.1.1":  "brainpoolP160r1",
	"1.3.36.3.3.2.8.1.1.3":  "brainpoolP192r1",
	"1.3.36.3.3.2.8.1.1.5":  "brainpoolP224r1",
	"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
	"1.3.36.3.3.2.8.1.1.8":  "brainpoolP256t1",
	"1.3.36.3.3.2.8.1.1.9":  "brainpoolP320r1",
	"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
	"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
	"1.2.156.10197.1.301":   "SM2",
}

func hashName(h crypto.Hash) string {
	// crypto.Hash.String gives "SHA-256", "SHA3-256", "SHA-512/224", "MD5".
	s := h.String()
	if strings.HasPrefix(s, "SHA-") {
		s = "SHA" + strings.TrimPrefix(s, "SHA-")
	}
	return strings.ReplaceAll(s, "/", "-")
}

// AlgorithmIdentifier is an algorithm OID with its raw DER parameters
// (nil when absent).
type AlgorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters []byte
}

// signatureAlgorithmOf reads the outer signatureAlgorithm of a certificate.
func signatureAlgorithmOf(c *x509.Certificate) (AlgorithmIdentifier, error) {
	in := cryptobyte.String(c.Raw)
	var cert, tbs, ai cryptobyte.String
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) || !cert.ReadASN1(&ai, cbasn1.SEQUENCE) {
		return AlgorithmIdentifier{}, errors.New("malformed certificate")
	}
	return parseAlgorithmIdentifier(ai)
}

func parseAlgorithmIdentifier(ai cryptobyte.String) (AlgorithmIdentifier, error) {
	var out AlgorithmIdentifier
	if !ai.ReadASN1ObjectIdentifier(&out.Algorithm) {
		return out, errors.New("malformed algorithm identifier")
	}
	if !ai.Empty() {
		var params cryptobyte.String
		var tag cbasn1.Tag
		if !ai.ReadAnyASN1Element(&params, &tag) {
			return out, errors.New("malformed algorithm parameters")
		}
		out.Parameters = params
	}
	return out, nil
}

func lookupSigAlg(oid asn1.ObjectIdentifier) (sigAlg, bool) {
	for _, a := range sigAlgs {
		if a.oid.Equal(oid) {
			return a, true
		}
	}
	return sigAlg{}, false
}

// pssParams are decoded RSASSA-PSS-params (RFC 4055) with their defaults.
type pssParams struct {
	hash, mgfHash crypto.Hash
	saltLength    int
	trailer       int
}

// parsePSSParams decodes RSASSA-PSS-params. Hashes Go does not know are
// reported as an error.
func parsePSSParams(der []byte) (pssParams, error) {
	p := pssParams{hash: crypto.SHA1, mgfHash: crypto.SHA1, saltLength: 20, trailer: 1}
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return p, errors.New("malformed RSASSA-PSS parameters")
	}
	hashOf := func(ai cryptobyte.String) (crypto.Hash, error) {
		id, err := parseAlgorithmIdentifier(ai)
		if err != nil {
			return 0, err
		}
		h, ok := hashAlgorithms[id.Algorithm.String()]
		if !ok {
			return 0, fmt.Errorf("unknown RSASSA-PSS hash %s", id.Algorithm)
		}
		return h, nil
	}
	var field cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return p, errors.New("malformed RSASSA-PSS hash")
	}
	if present {
		var ai cryptobyte.String
		if !field.ReadASN1(&ai, cbasn1.SEQUENCE) {
			return p, errors.New("malformed RSASSA-PSS hash")
		}
		h, err := hashOf(ai)
		if err != nil {
			return p, err
		}
		p.hash = h
	}
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return p, errors.New("malformed RSASSA-PSS mask generation function")
	}
	if present {
		var ai cryptobyte.String
		if !field.ReadASN1(&ai, cbasn1.SEQUENCE) {
			return p, errors.New("malformed RSASSA-PSS mask generation function")
		}
		mgf, err := parseAlgorithmIdentifier(ai)
		if err != nil {
			return p, err
		}
		if !mgf.Algorithm.Equal(oidMGF1) {
			return p, fmt.Errorf("unknown RSASSA-PSS mask generation function %s", mgf.Algorithm)
		}
		in := cryptobyte.String(mgf.Parameters)
		var hai cryptobyte.String
		if !in.ReadASN1(&hai, cbasn1.SEQUENCE) {
			return p, errors.New("malformed MGF1 hash")
		}
		h, err := hashOf(hai)
		if err != nil {
			return p, err
		}
		p.mgfHash = h
	}
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(2).Constructed().ContextSpecific()) {
		return p, errors.New("malformed RSASSA-PSS salt length")
	}
	if present && (!field.ReadASN1Integer(&p.saltLength) || p.saltLength < 0) {
		return p, errors.New("malformed RSASSA-PSS salt length")
	}
	if !seq.ReadOptionalASN1(&field, &present, cbasn1.Tag(3).Constructed().ContextSpecific()) {
		return p, errors.New("malformed RSASSA-PSS trailer field")
	}
	if present && !field.ReadASN1Integer(&p.trailer) {
		return p, errors.New("malformed RSASSA-PSS trailer field")
	}
	if !seq.Empty() {
		return p, errors.New("malformed RSASSA-PSS parameters")
	}
	return p, nil
}

// SignatureAlgorithmName names the signature algorithm of c: Go's name
// (x509.SignatureAlgorithm.String, e.g. "ECDSA-SHA256", "SHA256-RSAPSS")
// when Go knows it; the same style for the algorithms OpenSSL signs with
// that Go does not name ("Ed448", "ECDSA-SHA224", "SHA3-256-RSA",
// "DSA-SHA224", "SHA256-RSAPSS (MGF1-SHA256, salt 222)" for RSASSA-PSS
// with parameters Go does not accept); else the dotted OID, as OpenSSL
// prints an algorithm it does not know.
func SignatureAlgorithmName(c *x509.Certificate) string {
	if c.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return c.SignatureAlgorithm.String()
	}
	ai, err := signatureAlgorithmOf(c)
	if err != nil {
		return "unknown"
	}
	a, ok := lookupSigAlg(ai.Algorithm)
	if !ok {
		return ai.Algorithm.String()
	}
	if a.kind != sigRSAPSS {
		return a.name
	}
	p, err := parsePSSParams(ai.Parameters)
	if err != nil {
		return fmt.Sprintf("RSASSA-PSS (%s)", err)
	}
	name := hashName(p.hash) + "-RSAPSS"
	if p.mgfHash != p.hash || p.saltLength != p.hash.Size() || p.trailer != 1 {
		name += fmt.Sprintf(" (MGF1-%s, salt %d", hashName(p.mgfHash), p.saltLength)
		if p.trailer != 1 {
			name += fmt.Sprintf(", trailer %d", p.trailer)
		}
		name += ")"
	}
	return name
}

// PublicKeyInfo describes a SubjectPublicKeyInfo, including algorithms Go
// cannot decode.
type PublicKeyInfo struct {
	Algorithm asn1.ObjectIdentifier
	// Name is "rsa", "rsa-pss", "ecdsa", "dsa", "ed25519", "ed448",
	// "x25519", "x448", or the dotted OID of an algorithm not listed.
	Name string
	// Curve names the curve of an "ecdsa" key: "P-256" and the other NIST
	// curves as Go names them, OpenSSL's short name for the others
	// ("brainpoolP256r1", "secp256k1"), the dotted OID of a curve OpenSSL
	// does not know, or "explicit" for explicit curve parameters.
	Curve string
	// Bits is the modulus size of RSA and RSA-PSS keys and the prime size
	// of DSA keys, 0 otherwise or when the key does not decode.
	Bits int
	// Key is the subjectPublicKey BIT STRING content.
	Key []byte
}

// ParsePublicKeyInfo decodes a DER SubjectPublicKeyInfo.
func ParsePublicKeyInfo(spki []byte) (PublicKeyInfo, error) {
	var info PublicKeyInfo
	in := cryptobyte.String(spki)
	var seq, ai cryptobyte.String
	var key asn1.BitString
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&ai, cbasn1.SEQUENCE) || !seq.ReadASN1BitString(&key) {
		return info, errors.New("malformed subjectPublicKeyInfo")
	}
	id, err := parseAlgorithmIdentifier(ai)
	if err != nil {
		return info, err
	}
	info.Algorithm = id.Algorithm
	info.Key = key.RightAlign()
	info.Name = publicKeyNames[id.Algorithm.String()]
	if info.Name == "" {
		info.Name = id.Algorithm.String()
	}
	switch info.Name {
	case "rsa", "rsa-pss":
		var n *big.Int
		if n, err = rsaModulus(info.Key); err == nil {
			info.Bits = n.BitLen()
		}
	case "dsa":
		params := cryptobyte.String(id.Parameters)
		var pqg cryptobyte.String
		p := new(big.Int)
		if params.ReadASN1(&pqg, cbasn1.SEQUENCE) && pqg.ReadASN1Integer(p) {
			info.Bits = p.BitLen()
		}
	case "ecdsa":
		params := cryptobyte.String(id.Parameters)
		var curve asn1.ObjectIdentifier
		switch {
		case params.PeekASN1Tag(cbasn1.OBJECT_IDENTIFIER) && params.ReadASN1ObjectIdentifier(&curve):
			info.Curve = curveNames[curve.String()]
			if info.Curve == "" {
				info.Curve = curve.String()
			}
		case params.PeekASN1Tag(cbasn1.SEQUENCE):
			info.Curve = "explicit"
		}
	}
	return info, nil
}

// rsaModulus reads the modulus of a PKCS#1 RSAPublicKey.
func rsaModulus(der []byte) (*big.Int, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	n := new(big.Int)
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(n) || n.Sign() <= 0 {
		return nil, errors.New("malformed RSA public key")
	}
	return n, nil
}
