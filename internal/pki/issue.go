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
	"net/url"
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
// The common name defaults to the first DNS name, else the first IP address
// (see EffectiveSubject). CommonName is a shortcut for Subject.CommonName:
// set at most one of them.
type ServerRequest struct {
	CommonName  string
	Subject     *Subject
	DNSNames    []string
	IPAddresses []netip.Addr
	KeyType     KeyType
	Validity    time.Duration
}

// ClientRequest asks for a client certificate for the PostgreSQL role User.
// With Subject nil the subject is CN=User; a Subject without CommonName gets
// CN=User too (see EffectiveSubject). The subjectAltName entries are
// optional: PostgreSQL's cert authentication reads only the subject (CN,
// or the DN with clientname=DN), never the SANs.
type ClientRequest struct {
	User           string
	Subject        *Subject
	DNSNames       []string
	EmailAddresses []string
	URIs           []string
	KeyType        KeyType
	Validity       time.Duration
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

// Input names the part of a request an issuance check refuses, so callers
// can attach the error to the input the user has to change.
type Input int

const (
	InputOther           Input = iota // not attributed to one input
	InputIssuer                       // the issuing CA: its certificate, chain or key
	InputValidity                     // the validity period
	InputKeyType                      // the key type
	InputSubject                      // the subject (its common name or emailAddress)
	InputUser                         // the client certificate's role name
	InputDNSNames                     // the dNSName SANs
	InputIPAddresses                  // the iPAddress SANs
	InputEmailAddresses               // the rfc822Name SANs
	InputURIs                         // the URI SANs
	InputMaxPathLen                   // a CA's max path length
	InputNameConstraints              // a CA's own name constraints
)

// IssueError is a refusal by an issuance check, with the input it is
// about.
type IssueError struct {
	Input Input
	Err   error
}

func (e *IssueError) Error() string { return e.Err.Error() }
func (e *IssueError) Unwrap() error { return e.Err }

func blame(in Input, err error) error {
	if err == nil {
		return nil
	}
	return &IssueError{Input: in, Err: err}
}

// InputOf returns the input an error from this package is about
// (InputOther when it does not say).
func InputOf(err error) Input {
	var ie *IssueError
	if errors.As(err, &ie) {
		return ie.Input
	}
	return InputOther
}

// CheckNotOutliving refuses a certificate issued at now for validity that
// would expire after its issuer. NotAfter is now + validity (see
// ValidityWindow); the error names both dates in RFC 3339 and is about
// InputValidity (InputIssuer when the issuer has already expired).
func CheckNotOutliving(issuer *x509.Certificate, now time.Time, validity time.Duration) error {
	if issuer == nil {
		return blame(InputIssuer, errors.New("no issuer certificate given"))
	}
	now = now.UTC().Truncate(time.Second)
	na := now.Add(validity)
	if !na.After(issuer.NotAfter) {
		return nil
	}
	inAfter := issuer.NotAfter.UTC()
	if !now.Before(inAfter) {
		return blame(InputIssuer, fmt.Errorf("issuer %s expired at %s (now is %s): renew the issuer first",
			describeCert(issuer), inAfter.Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	maxHours := int64(inAfter.Sub(now) / time.Hour)
	return blame(InputValidity, fmt.Errorf("the certificate would be valid until %s (now + %s), after its issuer %s expires at %s: "+
		"a certificate must not outlive its issuer; shorten the validity to at most %d hours or renew the issuer first",
		na.Format(time.RFC3339), humanDuration(validity), describeCert(issuer), inAfter.Format(time.RFC3339), maxHours))
}

// checkChainNotOutliving applies CheckNotOutliving to the issuer and every
// certificate above it (chain, issuer first): verifiers reject the chain
// as soon as any of them expires. For the issuer the error is exactly
// CheckNotOutliving's.
func checkChainNotOutliving(chain []*x509.Certificate, now time.Time, validity time.Duration) error {
	for i, c := range chain {
		if err := CheckNotOutliving(c, now, validity); err != nil {
			if i > 0 {
				return &IssueError{Input: InputOf(err), Err: fmt.Errorf("%w (that CA is above the issuer in its chain: verifiers reject the chain once it expires)", err)}
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
			return nil, fmt.Errorf("cannot read random serial number: %w", err)
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
		return nil, fmt.Errorf("cannot encode public key: %w", err)
	}
	var spki struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("cannot decode public key: %w", err)
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
		return blame(InputIssuer, errors.New("no issuer given: an issuer needs a certificate and its private key"))
	}
	if err := checkIsCA(iss.Cert); err != nil {
		return blame(InputIssuer, fmt.Errorf("issuer: %w", err))
	}
	if !publicKeysEqual(iss.Key.Public(), iss.Cert.PublicKey) {
		return blame(InputIssuer, fmt.Errorf("issuer private key does not match the issuer certificate %s", describeCert(iss.Cert)))
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
		return nil, fmt.Errorf("cannot sign the certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the new certificate: %w", err)
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
	return issueRootCA(req, nil, now, rnd)
}

// keyFor returns the key to issue with: keep (checked against the request's
// key type) for a renewal that keeps the key, else a new key of kt.
func keyFor(kt KeyType, keep crypto.Signer, rnd io.Reader) (crypto.Signer, error) {
	if keep != nil {
		if err := CheckRenewalKey(kt, keep); err != nil {
			return nil, err
		}
		return keep, nil
	}
	return GenerateKey(kt, rnd)
}

// CheckRenewalKey refuses to renew with a key of another type than the
// request's (the key type is part of what a renewal keeps).
func CheckRenewalKey(kt KeyType, key crypto.Signer) error {
	if key == nil {
		return blame(InputKeyType, errors.New("no key given to renew with"))
	}
	if got := KeyTypeOf(key.Public()); got != string(kt.orDefault()) {
		return blame(InputKeyType, fmt.Errorf("the key to keep is %s but key_type is %s: a renewal that keeps the key keeps its type", got, kt.orDefault()))
	}
	return nil
}

// RenewRootCA issues a root CA for req with an existing key (a renewal
// that keeps the key: certificates the previous root signed still verify
// against the new one, which has the same name and key).
func RenewRootCA(req CARequest, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	if key == nil {
		return nil, CheckRenewalKey(req.KeyType, nil)
	}
	return issueRootCA(req, key, now, rnd)
}

// issueRootCA issues a root with keep, or a new key when keep is nil.
func issueRootCA(req CARequest, keep crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := req.CheckRoot(now); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	key, err := keyFor(req.KeyType, keep, rnd)
	if err != nil {
		return nil, err
	}
	return newRootCAWithKey(req, key, now, rnd)
}

// CheckRoot runs the checks of a root CA issued at now that Validate
// cannot: its validity window (see ValidityWindow).
func (r CARequest) CheckRoot(now time.Time) error {
	_, _, err := ValidityWindow(nil, now, r.Validity)
	return err
}

func newRootCAWithKey(req CARequest, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, err
	}
	nb, na, err := ValidityWindow(nil, now, req.Validity)
	if err != nil {
		return nil, err
	}
	t, err := caTemplate(req, serial, nb, na)
	if err != nil {
		return nil, err
	}
	return sign(t, nil, key, rnd)
}

// certs is the certificate side of an issuer.
func (iss *Issuer) certs() *IssuerCert {
	return &IssuerCert{Cert: iss.Cert, Intermediates: iss.Intermediates, Root: iss.Root}
}

// chain lists the CA certificates from the issuer up to the root
// (included when known).
func (ic *IssuerCert) chain() []*x509.Certificate {
	return (&Issuer{Cert: ic.Cert, Intermediates: ic.Intermediates, Root: ic.Root}).chainAbove()
}

// CheckIssuer runs every check of an intermediate CA issued at now by ic
// that needs only the issuer's certificates, not its key, so it can run at
// plan time: the issuer may sign CAs, every CA up the chain allows one more
// level, the validity window fits and ends before the issuer and every CA
// above it expire, and the subject's emailAddress is not below an email
// name constraint pgtls does not evaluate. NewIntermediateCA runs the same
// checks. Errors are *IssueError.
func (r CARequest) CheckIssuer(ic *IssuerCert, now time.Time) error {
	if ic == nil || ic.Cert == nil {
		return blame(InputIssuer, errors.New("no issuer certificate given"))
	}
	if err := CheckCanSignCA(ic.Cert); err != nil {
		return blame(InputIssuer, fmt.Errorf("issuer: %w", err))
	}
	chain := ic.chain()
	if err := checkPathLen(chain, true); err != nil {
		return blame(InputIssuer, err)
	}
	if _, _, err := ValidityWindow(ic.Cert, now, r.Validity); err != nil {
		return err
	}
	if err := checkChainNotOutliving(chain, now, r.Validity); err != nil {
		return err
	}
	return checkUnevaluatedConstraints(chain, leafNames{subjectEmail: r.Subject.EmailAddress})
}

// NewIntermediateCA creates a CA signed by iss. It refuses when the result
// would outlive the issuer or break a pathlen constraint above it.
func NewIntermediateCA(req CARequest, iss *Issuer, now time.Time, rnd io.Reader) (*Issued, error) {
	return issueIntermediateCA(req, iss, nil, now, rnd)
}

// RenewIntermediateCA is NewIntermediateCA with an existing key (a renewal
// that keeps the key).
func RenewIntermediateCA(req CARequest, iss *Issuer, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	if key == nil {
		return nil, CheckRenewalKey(req.KeyType, nil)
	}
	return issueIntermediateCA(req, iss, key, now, rnd)
}

// issueIntermediateCA issues with keep, or a new key when keep is nil.
func issueIntermediateCA(req CARequest, iss *Issuer, keep crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := checkIssuer(iss); err != nil {
		return nil, err
	}
	if err := req.CheckIssuer(iss.certs(), now); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	key, err := keyFor(req.KeyType, keep, rnd)
	if err != nil {
		return nil, err
	}
	return newIntermediateCAWithKey(req, iss, key, now, rnd)
}

func newIntermediateCAWithKey(req CARequest, iss *Issuer, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, err
	}
	nb, na, err := ValidityWindow(iss.Cert, now, req.Validity)
	if err != nil {
		return nil, err
	}
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

// leafNames are the names of a new certificate that name constraints up
// the chain apply to.
type leafNames struct {
	dns          []string
	ips          []netip.Addr
	cn           string
	subjectEmail string
	emails       []string
	uris         []string
}

// checkLeafIssuer runs the issuer-side checks of a leaf that need only the
// issuer's certificates.
func checkLeafIssuer(ic *IssuerCert, now time.Time, validity time.Duration, eku x509.ExtKeyUsage, ekuName string, names leafNames) error {
	if ic == nil || ic.Cert == nil {
		return blame(InputIssuer, errors.New("no issuer certificate given"))
	}
	if err := checkIsCA(ic.Cert); err != nil {
		return blame(InputIssuer, fmt.Errorf("issuer: %w", err))
	}
	chain := ic.chain()
	if err := checkPathLen(chain, false); err != nil {
		return blame(InputIssuer, err)
	}
	if err := checkChainEKU(chain, eku, ekuName); err != nil {
		return blame(InputIssuer, err)
	}
	if _, _, err := ValidityWindow(ic.Cert, now, validity); err != nil {
		return err
	}
	if err := checkChainNotOutliving(chain, now, validity); err != nil {
		return err
	}
	// One kind of name at a time, so the error names the input to change;
	// the verdict is the same as checking them together.
	if err := checkNameConstraints(chain, names.dns, nil, ""); err != nil {
		return blame(InputDNSNames, err)
	}
	if err := checkNameConstraints(chain, nil, names.ips, ""); err != nil {
		return blame(InputIPAddresses, err)
	}
	if len(names.dns) == 0 {
		if err := checkNameConstraints(chain, nil, nil, names.cn); err != nil {
			return blame(InputSubject, err)
		}
	}
	return checkUnevaluatedConstraints(chain, names)
}

// checkUnevaluatedConstraints refuses names under the kinds of name
// constraints pgtls does not evaluate: rfc822Name (which OpenSSL applies to
// email SANs and to the subject's emailAddress) and URI. Such constraints
// come only with CAs made elsewhere; rather than guess how a verifier
// matches them, the request is refused with the reason.
func checkUnevaluatedConstraints(chain []*x509.Certificate, names leafNames) error {
	for _, ca := range chain {
		if len(ca.PermittedEmailAddresses)+len(ca.ExcludedEmailAddresses) > 0 {
			const why = "carries email (rfc822Name) name constraints, which pgtls does not evaluate: leave out the email address or use a CA without them"
			if len(names.emails) > 0 {
				return blame(InputEmailAddresses, fmt.Errorf("email address %q: CA %s %s", names.emails[0], describeCert(ca), why))
			}
			if names.subjectEmail != "" {
				return blame(InputSubject, fmt.Errorf("subject email_address %q: CA %s %s", names.subjectEmail, describeCert(ca), why))
			}
		}
		if len(ca.PermittedURIDomains)+len(ca.ExcludedURIDomains) > 0 && len(names.uris) > 0 {
			return blame(InputURIs, fmt.Errorf("URI %q: CA %s carries URI name constraints, which pgtls does not evaluate: "+
				"leave out the URI or use a CA without them", names.uris[0], describeCert(ca)))
		}
	}
	return nil
}

// CheckIssuer runs every check of a server certificate issued at now by ic
// that needs only the issuer's certificates, not its key, so it can run at
// plan time: the issuer is a CA, no pathlen above forbids a leaf, no CA
// restricts the extended key usage against serverAuth, the validity window
// fits and ends before every CA up the chain expires, and the names are
// inside every name constraint up the chain. NewServerCert runs the same
// checks. Errors are *IssueError.
func (r ServerRequest) CheckIssuer(ic *IssuerCert, now time.Time) error {
	sub := r.EffectiveSubject()
	return checkLeafIssuer(ic, now, r.Validity, x509.ExtKeyUsageServerAuth, "serverAuth", leafNames{
		dns: r.DNSNames, ips: r.IPAddresses, cn: sub.CommonName, subjectEmail: sub.EmailAddress,
	})
}

// NewServerCert creates a server certificate (EKU serverAuth) signed by iss.
func NewServerCert(req ServerRequest, iss *Issuer, now time.Time, rnd io.Reader) (*Issued, error) {
	return issueServerCert(req, iss, nil, now, rnd)
}

// RenewServerCert is NewServerCert with an existing key (a renewal that
// keeps the key, for clients that pin it).
func RenewServerCert(req ServerRequest, iss *Issuer, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	if key == nil {
		return nil, CheckRenewalKey(req.KeyType, nil)
	}
	return issueServerCert(req, iss, key, now, rnd)
}

// issueServerCert issues with keep, or a new key when keep is nil.
func issueServerCert(req ServerRequest, iss *Issuer, keep crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := checkIssuer(iss); err != nil {
		return nil, err
	}
	if err := req.CheckIssuer(iss.certs(), now); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	key, err := keyFor(req.KeyType, keep, rnd)
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
	nb, na, err := ValidityWindow(iss.Cert, now, req.Validity)
	if err != nil {
		return nil, err
	}
	t, err := leafTemplate(req.EffectiveSubject(), KeyType(KeyTypeOf(key.Public())), x509.ExtKeyUsageServerAuth, serial, nb, na)
	if err != nil {
		return nil, err
	}
	t.DNSNames = lowerAll(req.DNSNames)
	for _, a := range req.IPAddresses {
		t.IPAddresses = append(t.IPAddresses, net.IP(a.Unmap().AsSlice()))
	}
	return sign(t, iss, key, rnd)
}

// CheckIssuer is ServerRequest.CheckIssuer for a client certificate
// (clientAuth; the common name, DNS, email and URI names).
func (r ClientRequest) CheckIssuer(ic *IssuerCert, now time.Time) error {
	sub := r.EffectiveSubject()
	return checkLeafIssuer(ic, now, r.Validity, x509.ExtKeyUsageClientAuth, "clientAuth", leafNames{
		dns: r.DNSNames, cn: sub.CommonName, subjectEmail: sub.EmailAddress, emails: r.EmailAddresses, uris: r.URIs,
	})
}

// NewClientCert creates a client certificate (EKU clientAuth) signed by iss
// for PostgreSQL cert authentication.
func NewClientCert(req ClientRequest, iss *Issuer, now time.Time, rnd io.Reader) (*Issued, error) {
	return issueClientCert(req, iss, nil, now, rnd)
}

// RenewClientCert is NewClientCert with an existing key (a renewal that
// keeps the key).
func RenewClientCert(req ClientRequest, iss *Issuer, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	if key == nil {
		return nil, CheckRenewalKey(req.KeyType, nil)
	}
	return issueClientCert(req, iss, key, now, rnd)
}

// issueClientCert issues with keep, or a new key when keep is nil.
func issueClientCert(req ClientRequest, iss *Issuer, keep crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := checkIssuer(iss); err != nil {
		return nil, err
	}
	if err := req.CheckIssuer(iss.certs(), now); err != nil {
		return nil, err
	}
	rnd = randOrDefault(rnd)
	key, err := keyFor(req.KeyType, keep, rnd)
	if err != nil {
		return nil, err
	}
	return newClientCertWithKey(req, iss, key, now, rnd)
}

func newClientCertWithKey(req ClientRequest, iss *Issuer, key crypto.Signer, now time.Time, rnd io.Reader) (*Issued, error) {
	serial, err := newSerial(rnd)
	if err != nil {
		return nil, err
	}
	nb, na, err := ValidityWindow(iss.Cert, now, req.Validity)
	if err != nil {
		return nil, err
	}
	t, err := leafTemplate(req.EffectiveSubject(), req.KeyType.orDefault(), x509.ExtKeyUsageClientAuth, serial, nb, na)
	if err != nil {
		return nil, err
	}
	t.DNSNames = lowerAll(req.DNSNames)
	t.EmailAddresses = append([]string(nil), req.EmailAddresses...)
	for _, u := range req.URIs {
		parsed, err := url.Parse(u)
		if err != nil {
			return nil, blame(InputURIs, fmt.Errorf("URI %q: %w", u, err)) // unreachable after Validate
		}
		t.URIs = append(t.URIs, parsed)
	}
	return sign(t, iss, key, rnd)
}
