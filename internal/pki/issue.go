package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Backdate is how far NotBefore lies before the issuing time, to tolerate
// clock skew between the machine running Terraform and the servers.
const Backdate = 5 * time.Minute

// CARequest asks for a root or intermediate CA.
type CARequest struct {
	Subject  Subject
	KeyType  KeyType // "" means DefaultKeyType
	Validity time.Duration
	// MaxPathLen is the basicConstraints pathLenConstraint: -1 sets none
	// (unlimited), 0 lets the CA sign only leaves.
	MaxPathLen                              int
	PermittedDNSDomains, ExcludedDNSDomains []string
	PermittedIPRanges, ExcludedIPRanges     []netip.Prefix
}

// ServerRequest asks for a PostgreSQL (or pooler) server certificate.
// CommonName defaults to the first DNS name, else the first IP address.
type ServerRequest struct {
	CommonName  string
	DNSNames    []string
	IPAddresses []netip.Addr
	KeyType     KeyType
	Validity    time.Duration
}

// ClientRequest asks for a client certificate for the PostgreSQL role User.
// With Subject nil the subject is CN=User; a Subject without CommonName gets
// CN=User too (see EffectiveSubject).
type ClientRequest struct {
	User     string
	Subject  *Subject
	KeyType  KeyType
	Validity time.Duration
}

// Issued is a freshly issued certificate with its key.
type Issued struct {
	Cert *x509.Certificate
	// CertPEM is just this certificate.
	CertPEM string
	// ChainPEM is this certificate followed by the intermediates above it,
	// root excluded (what an intermediate CA hands down; for a root CA it
	// is empty).
	ChainPEM string
	// FullchainPEM is, for leaves, the leaf followed by the intermediates
	// above it, root excluded: what PostgreSQL's ssl_cert_file (or a
	// client's sslcert) must hold. Empty for CAs.
	FullchainPEM string
	// CABundlePEM is the self-signed root anchoring the certificate (what
	// clients put in root.crt); "" when the issuer's chain does not reach a
	// root.
	CABundlePEM string
	// PrivateKeyPEM is the key as PKCS#8 "PRIVATE KEY".
	PrivateKeyPEM string
	// PublicKeyPEM is the public key as PKIX "PUBLIC KEY".
	PublicKeyPEM string
}

// ReadyForRenewal reports whether now >= notAfter - earlyRenewal.
func ReadyForRenewal(notAfter time.Time, earlyRenewal time.Duration, now time.Time) bool {
	return !now.Before(notAfter.Add(-earlyRenewal))
}

// validityWindow returns NotBefore and NotAfter for a certificate issued at
// now: now is truncated to the second (X.509 time precision), NotAfter is
// now + validity and NotBefore is now - Backdate, but not before the
// issuer's NotBefore (nil issuer: self-signed).
func validityWindow(issuer *x509.Certificate, now time.Time, validity time.Duration) (time.Time, time.Time) {
	now = now.UTC().Truncate(time.Second)
	nb := now.Add(-Backdate)
	if issuer != nil && nb.Before(issuer.NotBefore) {
		nb = issuer.NotBefore.UTC()
	}
	return nb, now.Add(validity)
}

// CheckNotOutliving refuses a certificate issued at now for validity that
// would expire after its issuer. NotAfter is now + validity (see
// validityWindow); the error names both dates in RFC 3339.
func CheckNotOutliving(issuer *x509.Certificate, now time.Time, validity time.Duration) error {
	if issuer == nil {
		return errors.New("no issuer certificate given")
	}
	_, na := validityWindow(issuer, now, validity)
	if !na.After(issuer.NotAfter) {
		return nil
	}
	inAfter := issuer.NotAfter.UTC()
	if !now.Before(inAfter) {
		return fmt.Errorf("issuer %s expired at %s (now is %s): renew the issuer first",
			describeCert(issuer), inAfter.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	maxHours := int64(inAfter.Sub(now.UTC().Truncate(time.Second)) / time.Hour)
	return fmt.Errorf("the certificate would be valid until %s (now + %s), after its issuer %s expires at %s: "+
		"a certificate must not outlive its issuer; shorten the validity to at most %d hours or renew the issuer first",
		na.Format(time.RFC3339), humanDuration(validity), describeCert(issuer), inAfter.Format(time.RFC3339), maxHours)
}

// checkChainNotOutliving applies CheckNotOutliving to the issuer and every
// certificate above it: verifiers reject the chain as soon as any of them
// expires. For the issuer the error is exactly CheckNotOutliving's.
func checkChainNotOutliving(iss *Issuer, now time.Time, validity time.Duration) error {
	for _, c := range iss.chainAbove() {
		if err := CheckNotOutliving(c, now, validity); err != nil {
			if c != iss.Cert {
				return fmt.Errorf("%w (that CA is above the issuer in its chain: verifiers reject the chain once it expires)", err)
			}
			return err
		}
	}
	return nil
}

func humanDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", int64(d/time.Hour))
	}
	return d.String()
}

// newSerial returns a random positive serial of at most 128 bits.
func newSerial(r io.Reader) (*big.Int, error) {
	var b [16]byte
	for range 8 {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("cannot read random serial number: %v", err)
		}
		if n := new(big.Int).SetBytes(b[:]); n.Sign() > 0 {
			return n, nil
		}
	}
	return nil, errors.New("the entropy source keeps returning zero serial numbers")
}

// keyID is the RFC 5280 method 1 key identifier: the SHA-1 of the
// subjectPublicKey BIT STRING.
func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("cannot encode public key: %v", err)
	}
	var spki struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("cannot decode public key: %v", err)
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

// signatureAlgorithm picks the signature for an issuer key: ECDSA with
// SHA-256/384/512 by curve, SHA256WithRSA (PKCS#1 v1.5) or Ed25519.
func signatureAlgorithm(pub crypto.PublicKey) (x509.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return x509.ECDSAWithSHA256, nil
		case elliptic.P384():
			return x509.ECDSAWithSHA384, nil
		case elliptic.P521():
			return x509.ECDSAWithSHA512, nil
		}
	case *rsa.PublicKey:
		return x509.SHA256WithRSA, nil
	case ed25519.PublicKey:
		return x509.PureEd25519, nil
	}
	return 0, fmt.Errorf("cannot sign with a %s issuer key", KeyTypeOf(pub))
}

// checkIssuer verifies an Issuer is usable (it may have been built by hand).
func checkIssuer(iss *Issuer) error {
	if iss == nil || iss.Cert == nil || iss.Key == nil {
		return errors.New("no issuer given: an issuer needs a certificate and its private key")
	}
	if err := checkIsCA(iss.Cert); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if !publicKeysEqual(iss.Key.Public(), iss.Cert.PublicKey) {
		return fmt.Errorf("issuer private key does not match the issuer certificate %s", describeCert(iss.Cert))
	}
	return nil
}

// sign creates the certificate and renders the outputs. parent nil means
// self-signed.
func sign(tmpl *x509.Certificate, iss *Issuer, key crypto.Signer, rnd io.Reader) (*Issued, error) {
	var err error
	tmpl.SubjectKeyId, err = keyID(key.Public())
	if err != nil {
		return nil, err
	}
	parent, signer := tmpl, key
	if iss != nil {
		parent, signer = iss.Cert, iss.Key
		if len(iss.Cert.SubjectKeyId) == 0 {
			// Go copies the issuer's SKI into the AKI; compute it when the
			// issuer has none.
			if tmpl.AuthorityKeyId, err = keyID(iss.Cert.PublicKey); err != nil {
				return nil, err
			}
		}
	}
	if tmpl.SignatureAlgorithm, err = signatureAlgorithm(signer.Public()); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rnd, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("cannot sign the certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the new certificate: %v", err)
	}
	out := &Issued{Cert: cert, CertPEM: EncodeCertificatesPEM(cert)}
	if out.PrivateKeyPEM, err = MarshalPrivateKeyPEM(key); err != nil {
		return nil, err
	}
	if out.PublicKeyPEM, err = MarshalPublicKeyPEM(key.Public()); err != nil {
		return nil, err
	}
	if iss == nil {
		out.CABundlePEM = out.CertPEM
		return out, nil
	}
	chain := []*x509.Certificate{cert}
	if !isSelfSigned(iss.Cert) {
		chain = append(chain, iss.Cert)
	}
	chain = append(chain, iss.Intermediates...)
	out.ChainPEM = EncodeCertificatesPEM(chain...)
	if !cert.IsCA {
		out.FullchainPEM = out.ChainPEM
	}
	out.CABundlePEM = iss.RootPEM()
	return out, nil
}

func caTemplate(req CARequest, serial *big.Int, nb, na time.Time) (*x509.Certificate, error) {
	raw, err := req.Subject.marshal()
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          serial,
		RawSubject:            raw,
		NotBefore:             nb,
		NotAfter:              na,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            req.MaxPathLen,
		MaxPathLenZero:        req.MaxPathLen == 0,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	if req.hasConstraints() {
		t.PermittedDNSDomainsCritical = true
		t.PermittedDNSDomains = lowerAll(req.PermittedDNSDomains)
		t.ExcludedDNSDomains = lowerAll(req.ExcludedDNSDomains)
		t.PermittedIPRanges = ipNets(req.PermittedIPRanges)
		t.ExcludedIPRanges = ipNets(req.ExcludedIPRanges)
	}
	return t, nil
}

func lowerAll(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.ToLower(s))
	}
	return out
}

func ipNets(ps []netip.Prefix) []*net.IPNet {
	var out []*net.IPNet
	for _, p := range ps {
		a := p.Addr()
		out = append(out, &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(p.Bits(), a.BitLen())})
	}
	return out
}

func randOrDefault(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// NewRootCA creates a self-signed root CA.
func NewRootCA(req CARequest, now time.Time, rnd io.Reader) (*Issued, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	key, err := GenerateKey(req.KeyType, rnd)
	if err != nil {
		return nil, err
	}
	return newRootCAWithKey(req, key, now, rnd)
}

func newRootCAWithKey(req CARequest, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, err
	}
	nb, na := validityWindow(nil, now, req.Validity)
	t, err := caTemplate(req, serial, nb, na)
	if err != nil {
		return nil, err
	}
	return sign(t, nil, key, rnd)
}

// NewIntermediateCA creates a CA signed by iss. It refuses when the result
// would outlive the issuer or break a pathlen constraint above it.
func NewIntermediateCA(req CARequest, iss *Issuer, now time.Time, rnd io.Reader) (*Issued, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := checkIssuer(iss); err != nil {
		return nil, err
	}
	if err := checkChainNotOutliving(iss, now, req.Validity); err != nil {
		return nil, err
	}
	if err := checkPathLen(iss.chainAbove(), true); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	key, err := GenerateKey(req.KeyType, rnd)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, err
	}
	nb, na := validityWindow(iss.Cert, now, req.Validity)
	t, err := caTemplate(req, serial, nb, na)
	if err != nil {
		return nil, err
	}
	return sign(t, iss, key, rnd)
}

func leafTemplate(sub Subject, kt KeyType, eku x509.ExtKeyUsage, serial *big.Int, nb, na time.Time) (*x509.Certificate, error) {
	raw, err := sub.marshal()
	if err != nil {
		return nil, err
	}
	ku := x509.KeyUsageDigitalSignature
	if strings.HasPrefix(string(kt), "rsa-") {
		ku |= x509.KeyUsageKeyEncipherment
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		RawSubject:            raw,
		NotBefore:             nb,
		NotAfter:              na,
		BasicConstraintsValid: true,
		IsCA:                  false,
		MaxPathLen:            -1,
		KeyUsage:              ku,
		ExtKeyUsage:           []x509.ExtKeyUsage{eku},
	}, nil
}

// checkLeaf runs the issuer-side checks shared by leaves.
func checkLeaf(iss *Issuer, now time.Time, validity time.Duration, eku x509.ExtKeyUsage, ekuName string, dns []string, ips []netip.Addr, cn string) error {
	if err := checkIssuer(iss); err != nil {
		return err
	}
	if err := checkChainNotOutliving(iss, now, validity); err != nil {
		return err
	}
	chain := iss.chainAbove()
	if err := checkPathLen(chain, false); err != nil {
		return err
	}
	if err := checkChainEKU(chain, eku, ekuName); err != nil {
		return err
	}
	return checkNameConstraints(chain, dns, ips, cn)
}

// NewServerCert creates a server certificate (EKU serverAuth) signed by iss.
func NewServerCert(req ServerRequest, iss *Issuer, now time.Time, rnd io.Reader) (*Issued, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := checkLeaf(iss, now, req.Validity, x509.ExtKeyUsageServerAuth, "serverAuth", req.DNSNames, req.IPAddresses, req.EffectiveCommonName()); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	key, err := GenerateKey(req.KeyType, rnd)
	if err != nil {
		return nil, err
	}
	return newServerCertWithKey(req, iss, key, now, rnd)
}

func newServerCertWithKey(req ServerRequest, iss *Issuer, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, err
	}
	nb, na := validityWindow(iss.Cert, now, req.Validity)
	t, err := leafTemplate(Subject{CommonName: req.EffectiveCommonName()}, KeyType(KeyTypeOf(key.Public())), x509.ExtKeyUsageServerAuth, serial, nb, na)
	if err != nil {
		return nil, err
	}
	t.DNSNames = lowerAll(req.DNSNames)
	for _, a := range req.IPAddresses {
		t.IPAddresses = append(t.IPAddresses, net.IP(a.Unmap().AsSlice()))
	}
	return sign(t, iss, key, rnd)
}

// NewClientCert creates a client certificate (EKU clientAuth) signed by iss
// for PostgreSQL cert authentication.
func NewClientCert(req ClientRequest, iss *Issuer, now time.Time, rnd io.Reader) (*Issued, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	sub := req.EffectiveSubject()
	if err := checkLeaf(iss, now, req.Validity, x509.ExtKeyUsageClientAuth, "clientAuth", nil, nil, sub.CommonName); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	key, err := GenerateKey(req.KeyType, rnd)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, err
	}
	nb, na := validityWindow(iss.Cert, now, req.Validity)
	t, err := leafTemplate(sub, req.KeyType.orDefault(), x509.ExtKeyUsageClientAuth, serial, nb, na)
	if err != nil {
		return nil, err
	}
	return sign(t, iss, key, rnd)
}
