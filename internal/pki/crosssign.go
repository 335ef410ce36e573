package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"
)

// CrossSignCA issues, with iss, a CA certificate for an existing CA: same
// subject, public key, subject key identifier, basic constraints, key usage
// and name constraints as ca, signed by iss. Certificates ca signed then
// chain to iss's root through it (leaf -> cross-signed CA -> iss), so peers
// that trust only iss's root accept them, as long as the cross-signed
// certificate travels in the chain (the server's ssl_cert_file, the
// client's sslcert). It carries no key: the key stays ca's. The validity
// window follows the issuance rules (within iss and every CA above it).
func CrossSignCA(ca *x509.Certificate, iss *Issuer, validity time.Duration, now time.Time, rnd io.Reader) (*Issued, error) {
	if ca == nil {
		return nil, errors.New("no CA certificate to cross-sign")
	}
	if err := checkIsCA(ca); err != nil {
		return nil, fmt.Errorf("certificate to cross-sign: %w", err)
	}
	if err := checkIssuer(iss); err != nil {
		return nil, err
	}
	if err := CheckCanSignCA(iss.Cert); err != nil {
		return nil, blame(InputIssuer, fmt.Errorf("issuer: %w", err))
	}
	if err := checkChainNotOutliving(iss.chainAbove(), now, validity); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, err
	}
	nb, na, err := ValidityWindow(iss.Cert, now, validity)
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber:                serial,
		RawSubject:                  ca.RawSubject,
		NotBefore:                   nb,
		NotAfter:                    na,
		BasicConstraintsValid:       true,
		IsCA:                        true,
		MaxPathLen:                  ca.MaxPathLen,
		MaxPathLenZero:              ca.MaxPathLenZero,
		KeyUsage:                    ca.KeyUsage,
		SubjectKeyId:                ca.SubjectKeyId,
		PermittedDNSDomainsCritical: ca.PermittedDNSDomainsCritical,
		PermittedDNSDomains:         ca.PermittedDNSDomains,
		ExcludedDNSDomains:          ca.ExcludedDNSDomains,
		PermittedIPRanges:           ca.PermittedIPRanges,
		ExcludedIPRanges:            ca.ExcludedIPRanges,
	}
	if len(t.SubjectKeyId) == 0 {
		if t.SubjectKeyId, err = keyID(ca.PublicKey); err != nil {
			return nil, err
		}
	}
	if len(iss.Cert.SubjectKeyId) == 0 {
		if t.AuthorityKeyId, err = keyID(iss.Cert.PublicKey); err != nil {
			return nil, err
		}
	}
	if t.SignatureAlgorithm, err = signatureAlgorithm(iss.Key.Public()); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rnd, t, iss.Cert, ca.PublicKey, iss.Key)
	if err != nil {
		return nil, fmt.Errorf("cannot sign the cross-signed CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the cross-signed CA: %w", err)
	}
	out := &Issued{Cert: cert, CertPEM: EncodeCertificatesPEM(cert), CABundlePEM: iss.RootPEM()}
	chain := []*x509.Certificate{cert}
	if !isSelfSigned(iss.Cert) {
		chain = append(chain, iss.Cert)
	}
	out.ChainPEM = EncodeCertificatesPEM(append(chain, iss.Intermediates...)...)
	if out.PublicKeyPEM, err = MarshalPublicKeyPEM(ca.PublicKey); err != nil {
		return nil, err
	}
	return out, nil
}
