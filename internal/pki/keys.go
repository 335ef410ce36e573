package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

// KeyType names a key algorithm and size.
type KeyType string

// Supported key types.
const (
	KeyECDSAP256 KeyType = "ecdsa-p256"
	KeyECDSAP384 KeyType = "ecdsa-p384"
	KeyRSA2048   KeyType = "rsa-2048"
	KeyRSA3072   KeyType = "rsa-3072"
	KeyRSA4096   KeyType = "rsa-4096"
	KeyEd25519   KeyType = "ed25519"
)

// DefaultKeyType is used when a request leaves KeyType empty.
const DefaultKeyType = KeyECDSAP256

var keyTypes = []KeyType{KeyECDSAP256, KeyECDSAP384, KeyRSA2048, KeyRSA3072, KeyRSA4096, KeyEd25519}

// KeyTypes lists the supported key type names, default first.
func KeyTypes() []string {
	out := make([]string, len(keyTypes))
	for i, k := range keyTypes {
		out[i] = string(k)
	}
	return out
}

// ParseKeyType validates a key type name. RSA keys below 2048 bits are
// refused with an explanation; unknown names list the valid ones.
func ParseKeyType(s string) (KeyType, error) {
	for _, k := range keyTypes {
		if s == string(k) {
			return k, nil
		}
	}
	if bits, ok := strings.CutPrefix(strings.ToLower(s), "rsa-"); ok {
		if n, err := strconv.Atoi(bits); err == nil && n > 0 && n < 2048 {
			return "", fmt.Errorf("key type %q is too weak: RSA keys must have at least 2048 bits "+
				"(NIST has disallowed RSA below 2048 bits since 2014 and OpenSSL's default security level 2 "+
				"refuses them, so PostgreSQL and libpq would reject the certificate); use one of %s",
				s, strings.Join(KeyTypes(), ", "))
		}
	}
	return "", fmt.Errorf("unsupported key type %q: valid values are %s", s, strings.Join(KeyTypes(), ", "))
}

// orDefault returns DefaultKeyType for the empty key type.
func (kt KeyType) orDefault() KeyType {
	if kt == "" {
		return DefaultKeyType
	}
	return kt
}

// GenerateKey creates a private key of the given type ("" means the default).
func GenerateKey(kt KeyType, rand io.Reader) (crypto.Signer, error) {
	if rand == nil {
		return nil, errors.New("no entropy source given")
	}
	switch kt.orDefault() {
	case KeyECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand)
	case KeyECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand)
	case KeyRSA2048:
		return rsa.GenerateKey(rand, 2048)
	case KeyRSA3072:
		return rsa.GenerateKey(rand, 3072)
	case KeyRSA4096:
		return rsa.GenerateKey(rand, 4096)
	case KeyEd25519:
		_, priv, err := ed25519.GenerateKey(rand)
		if err != nil {
			return nil, err
		}
		return priv, nil
	}
	_, err := ParseKeyType(string(kt))
	return nil, err
}

// CAKeyTypeWarning returns a warning for CA key types that work but break
// something downstream, or "" when the key type is fine for a CA.
func CAKeyTypeWarning(kt KeyType) string {
	if kt == KeyEd25519 {
		return "Certificates signed by an Ed25519 CA break SCRAM authentication over TLS in libpq: " +
			"channel binding (tls-server-end-point) hashes the server certificate with the digest of its " +
			"signature algorithm and Ed25519 has none, so psql and every libpq client fail with " +
			"\"could not find digest for NID UNDEF\" under channel_binding=require and also under the " +
			"default channel_binding=prefer; only channel_binding=disable connects. Use ecdsa-p256, " +
			"ecdsa-p384 or an RSA key type for CAs that sign PostgreSQL server certificates."
	}
	return ""
}

// KeyTypeOf names the type of a public key: one of the KeyType values, or
// "rsa-<bits>" for RSA sizes outside the list, "ecdsa-<curve>" for other
// curves, "unknown" otherwise.
func KeyTypeOf(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return string(KeyECDSAP256)
		case elliptic.P384():
			return string(KeyECDSAP384)
		}
		return "ecdsa-" + strings.ToLower(strings.ReplaceAll(k.Curve.Params().Name, "-", ""))
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", k.N.BitLen())
	case ed25519.PublicKey:
		return string(KeyEd25519)
	}
	return "unknown"
}

// ParsePrivateKeyPEM reads exactly one unencrypted private key PEM block
// (PKCS#8, PKCS#1 or SEC1; see x509util.ParsePrivateKeyPEM for the PEM
// rule) and applies pgtls's key policy: RSA keys need at least 2048 bits,
// ECDSA keys a P-256, P-384 or P-521 curve. Errors never contain key
// material.
func ParsePrivateKeyPEM(s string) (crypto.Signer, error) {
	signer, err := x509util.ParsePrivateKeyPEM(s)
	if err != nil {
		return nil, err
	}
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA private key has %d bits: at least 2048 are required", k.N.BitLen())
		}
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() && k.Curve != elliptic.P521() {
			return nil, fmt.Errorf("ECDSA private key on unsupported curve %s", k.Curve.Params().Name)
		}
	}
	return signer, nil
}

// MarshalPrivateKeyPEM renders a key as PKCS#8 "PRIVATE KEY" PEM.
func MarshalPrivateKeyPEM(key crypto.Signer) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("cannot encode private key as PKCS#8: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// MarshalPublicKeyPEM renders a public key as PKIX "PUBLIC KEY" PEM.
func MarshalPublicKeyPEM(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("cannot encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// PKCS8DERBase64 returns the unencrypted PKCS#8 DER encoding of key, base64
// encoded (standard alphabet, padded): decode it to get the .pk8 file pgJDBC
// wants for sslkey.
func PKCS8DERBase64(key crypto.Signer) (string, error) {
	if key == nil {
		return "", errors.New("no private key given")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("cannot encode private key as PKCS#8: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// publicKeysEqual reports whether two public keys are the same key.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}
