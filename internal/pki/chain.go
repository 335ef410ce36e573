package pki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

// ParseCertificatesPEM strictly parses one or more PEM certificates (see
// x509util.ParseCertificatesPEM for the PEM rule). Errors name the 1-based
// block index and its line.
func ParseCertificatesPEM(s string) ([]*x509.Certificate, error) {
	return x509util.ParseCertificatesPEM(s)
}

// EncodeCertificatesPEM renders certificates as concatenated PEM blocks.
func EncodeCertificatesPEM(certs ...*x509.Certificate) string {
	return x509util.EncodeCertificatesPEM(certs...)
}

// ChainError is an error in the chain PEM of an issuer (as opposed to its
// certificate or key), so callers can attach it to the right attribute.
type ChainError struct{ Err error }

func (e *ChainError) Error() string { return "issuer chain: " + e.Err.Error() }
func (e *ChainError) Unwrap() error { return e.Err }

// IsChainError reports whether err is about the issuer's chain PEM.
func IsChainError(err error) bool {
	var ce *ChainError
	return errors.As(err, &ce)
}

// IssuerCert is a parsed and validated signing CA certificate with its chain,
// without the private key (for plan-time checks).
type IssuerCert struct {
	Cert *x509.Certificate
	// Intermediates are the certificates above Cert, ordered upward, root
	// excluded.
	Intermediates []*x509.Certificate
	// Root is the self-signed trust anchor: Cert itself when self-signed,
	// else taken from the chain; nil when the chain does not reach a root.
	Root *x509.Certificate
}

// RootPEM is the PEM of Root, or "" when the root is unknown.
func (ic *IssuerCert) RootPEM() string { return EncodeCertificatesPEM(ic.Root) }

// Issuer is a parsed, validated signing CA with its private key.
type Issuer struct {
	Cert          *x509.Certificate
	Key           crypto.Signer
	Intermediates []*x509.Certificate // above the issuer, ordered upward, root excluded
	Root          *x509.Certificate   // self-signed anchor if known, else nil
}

// RootPEM is the PEM of Root, or "" when the root is unknown.
func (iss *Issuer) RootPEM() string { return EncodeCertificatesPEM(iss.Root) }

// chainAbove lists the CA certificates from the issuer up to the root
// (included when known).
func (iss *Issuer) chainAbove() []*x509.Certificate {
	out := append([]*x509.Certificate{iss.Cert}, iss.Intermediates...)
	if iss.Root != nil && iss.Root != iss.Cert {
		out = append(out, iss.Root)
	}
	return out
}

func describeCert(c *x509.Certificate) string {
	if dn := RFC2253(c); dn != "" {
		return fmt.Sprintf("%q", dn)
	}
	return fmt.Sprintf("with serial %s", SerialString(c))
}

// isSelfSigned reports whether c names itself as issuer and its signature
// verifies with its own key.
func isSelfSigned(c *x509.Certificate) bool { return x509util.IsSelfSigned(c) }

// checkIsCA verifies c may sign certificates.
func checkIsCA(c *x509.Certificate) error {
	if !c.BasicConstraintsValid || !c.IsCA {
		return fmt.Errorf("certificate %s is not a CA: it lacks basicConstraints CA:TRUE", describeCert(c))
	}
	if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
		return fmt.Errorf("certificate %s is a CA but its keyUsage lacks keyCertSign, so it may not sign certificates", describeCert(c))
	}
	switch KeyTypeOf(c.PublicKey) {
	case "unknown":
		return fmt.Errorf("certificate %s has a public key type (%s) pgtls cannot sign with", describeCert(c), c.PublicKeyAlgorithm)
	}
	return nil
}

// checkVerifiable refuses a CA certificate with a critical extension
// OpenSSL or Go does not process: verifiers reject it and everything it
// signs ("unhandled critical extension"). (A CA not valid yet is refused by
// ValidityWindow, an expired one by the outliving checks, both of which
// know the validity.)
func checkVerifiable(c *x509.Certificate) error {
	if exts := x509util.UnhandledCriticalExtensions(c); len(exts) > 0 {
		ids := make([]string, len(exts))
		for i, e := range exts {
			ids[i] = e.String()
		}
		return fmt.Errorf("certificate %s carries the critical extension(s) %s, which OpenSSL (PostgreSQL, libpq) or Go (pgx) does not process: "+
			"verifiers reject it and everything it signs (openssl verify: \"unhandled critical extension\"); reissue the CA without them or mark them non-critical",
			describeCert(c), strings.Join(ids, ", "))
	}
	return nil
}

// ParseIssuerCert parses and checks a signing CA certificate and its chain:
// certPEM must hold exactly one CA certificate (basicConstraints CA:TRUE,
// keyCertSign when keyUsage is present); chainPEM (optional, any order,
// copies of the issuer itself are ignored) holds the CA certificates above
// it, optionally including the self-signed root. Every chain certificate
// must link into the path from the issuer upward. The issuer and every
// chain certificate must carry no critical extension a verifier does not
// process (checkVerifiable). Errors about chainPEM are *ChainError.
func ParseIssuerCert(certPEM, chainPEM string) (*IssuerCert, error) {
	certs, err := ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("issuer certificate: %w", err)
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("issuer certificate PEM holds %d certificates: give exactly one, and put the certificates above it in the chain", len(certs))
	}
	ic := &IssuerCert{Cert: certs[0]}
	if err := checkIsCA(ic.Cert); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if err := checkVerifiable(ic.Cert); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	var pool []*x509.Certificate
	var poolIdx []int
	if strings.TrimSpace(chainPEM) != "" {
		chain, err := ParseCertificatesPEM(chainPEM)
		if err != nil {
			return nil, &ChainError{err}
		}
	next:
		for i, c := range chain {
			if bytes.Equal(c.Raw, ic.Cert.Raw) {
				continue
			}
			for _, p := range pool {
				if bytes.Equal(c.Raw, p.Raw) {
					continue next
				}
			}
			if err := checkIsCA(c); err != nil {
				return nil, &ChainError{fmt.Errorf("certificate %d: %w", i+1, err)}
			}
			if err := checkVerifiable(c); err != nil {
				return nil, &ChainError{fmt.Errorf("certificate %d: %w", i+1, err)}
			}
			pool = append(pool, c)
			poolIdx = append(poolIdx, i+1)
		}
	}
	cur := ic.Cert
	for {
		if isSelfSigned(cur) {
			ic.Root = cur
			break
		}
		found := -1
		var nameOnly error
		for i, c := range pool {
			if !bytes.Equal(c.RawSubject, cur.RawIssuer) {
				continue
			}
			if err := cur.CheckSignatureFrom(c); err != nil {
				if nameOnly == nil {
					nameOnly = &ChainError{fmt.Errorf("certificate %d %s has the name of the issuer of %s but did not sign it: %w",
						poolIdx[i], describeCert(c), describeCert(cur), err)}
				}
				continue
			}
			found = i
			break
		}
		if found < 0 {
			if nameOnly != nil {
				return nil, nameOnly
			}
			break
		}
		c := pool[found]
		pool = append(pool[:found], pool[found+1:]...)
		poolIdx = append(poolIdx[:found], poolIdx[found+1:]...)
		if isSelfSigned(c) {
			ic.Root = c
			break
		}
		ic.Intermediates = append(ic.Intermediates, c)
		cur = c
	}
	if len(pool) > 0 {
		top := ic.Cert
		if n := len(ic.Intermediates); n > 0 {
			top = ic.Intermediates[n-1]
		}
		why := fmt.Sprintf("the path from the issuer ends at %s", describeCert(top))
		if ic.Root != nil {
			why = fmt.Sprintf("the path from the issuer already reaches the self-signed root %s", describeCert(ic.Root))
		} else {
			why += fmt.Sprintf(", whose issuer is %q", issuerRFC2253(top))
		}
		return nil, &ChainError{fmt.Errorf("certificate %d %s does not link to the issuer: %s",
			poolIdx[0], describeCert(pool[0]), why)}
	}
	return ic, nil
}

// ParseIssuer is ParseIssuerCert plus the issuer's private key (PKCS#8,
// PKCS#1 or SEC1 PEM), which must match the certificate's public key.
func ParseIssuer(certPEM, keyPEM, chainPEM string) (*Issuer, error) {
	ic, err := ParseIssuerCert(certPEM, chainPEM)
	if err != nil {
		return nil, err
	}
	return issuerWithKey(ic, keyPEM)
}

// issuerWithKey completes a parsed issuer certificate with its private key,
// which must match it.
func issuerWithKey(ic *IssuerCert, keyPEM string) (*Issuer, error) {
	key, err := ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("issuer private key: %w", err)
	}
	if !publicKeysEqual(key.Public(), ic.Cert.PublicKey) {
		return nil, fmt.Errorf("issuer private key (%s) does not match the public key (%s) of the issuer certificate %s",
			KeyTypeOf(key.Public()), KeyTypeOf(ic.Cert.PublicKey), describeCert(ic.Cert))
	}
	return &Issuer{Cert: ic.Cert, Key: key, Intermediates: ic.Intermediates, Root: ic.Root}, nil
}

// pathLen returns the pathLenConstraint of a CA and whether it has one.
func pathLen(c *x509.Certificate) (int, bool) {
	if c.MaxPathLen > 0 || c.MaxPathLen == 0 && c.MaxPathLenZero {
		return c.MaxPathLen, true
	}
	return -1, false
}

// CheckCanSignCA reports whether issuer may sign an intermediate CA as far
// as the certificate alone tells: it must be a CA and not have pathlen:0.
func CheckCanSignCA(issuer *x509.Certificate) error {
	if issuer == nil {
		return errors.New("no issuer certificate given")
	}
	if err := checkIsCA(issuer); err != nil {
		return err
	}
	if n, ok := pathLen(issuer); ok && n == 0 {
		return fmt.Errorf("issuer %s has pathlen:0 (max_path_length = 0): it may sign only server and client certificates, verifiers reject any CA below it", describeCert(issuer))
	}
	return nil
}

// checkPathLen verifies every CA from the issuer upward allows one more
// level below it: with newCA the new certificate is itself a CA.
func checkPathLen(chain []*x509.Certificate, newCA bool) error {
	for k, c := range chain {
		below := k // intermediates between c and the new certificate
		if newCA {
			below++
		}
		if n, ok := pathLen(c); ok && below > n {
			what := "this certificate"
			if newCA {
				what = "this intermediate CA"
			}
			return fmt.Errorf("%s would put %d intermediate CA(s) below %s, whose pathlen:%d allows %d: verifiers would reject the chain",
				what, below, describeCert(c), n, n)
		}
	}
	return nil
}
