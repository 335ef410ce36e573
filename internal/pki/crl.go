package pki

// Revocation: certificate revocation lists (RFC 5280 section 5) as
// PostgreSQL (ssl_crl_file, ssl_crl_dir), libpq (sslcrl, sslcrldir) and
// Pgpool-II (ssl_crl_file) read them through OpenSSL.
//
// What OpenSSL does with them, and therefore the rules here:
//   - PostgreSQL, libpq and Pgpool-II set X509_V_FLAG_CRL_CHECK and
//     X509_V_FLAG_CRL_CHECK_ALL as soon as a CRL file or directory is
//     configured: EVERY certificate of the peer's chain, the self-signed
//     root included, needs a current CRL from its issuer, or the handshake
//     fails ("unable to get certificate CRL", "CRL has expired"). One
//     missing or expired CRL refuses every certificate below that CA:
//     CheckCRLCoverage finds that before it happens.
//   - A CRL is matched to its CA by issuer name and, when both carry them,
//     by authority/subject key identifier, then its signature is checked
//     with the CA's key; the CA needs the cRLSign key usage.
//   - The hashed directory (`openssl rehash`) names a CA's CRLs
//     "<issuer name hash>.r<n>" (x509util.NameHash), n counting from 0
//     for different CRLs whose issuers hash alike: CRLDirectory.
//
// pgtls issues CRLs v2 with the authority key identifier and CRL number
// extensions, signed with the algorithm the CA's key signs certificates
// with (signatureAlgorithm), thisUpdate backdated like certificates
// (Backdate) and nextUpdate = now + validity.

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

// CRLReason is an RFC 5280 CRLReason code.
type CRLReason int

// The reasons a CRL entry can carry. removeFromCRL (8) exists only in delta
// CRLs, which pgtls does not issue.
const (
	ReasonUnspecified          CRLReason = 0
	ReasonKeyCompromise        CRLReason = 1
	ReasonCACompromise         CRLReason = 2
	ReasonAffiliationChanged   CRLReason = 3
	ReasonSuperseded           CRLReason = 4
	ReasonCessationOfOperation CRLReason = 5
	ReasonCertificateHold      CRLReason = 6
	ReasonPrivilegeWithdrawn   CRLReason = 9
	ReasonAACompromise         CRLReason = 10
)

var reasonNames = []struct {
	r    CRLReason
	name string
}{
	{ReasonUnspecified, "unspecified"},
	{ReasonKeyCompromise, "key_compromise"},
	{ReasonCACompromise, "ca_compromise"},
	{ReasonAffiliationChanged, "affiliation_changed"},
	{ReasonSuperseded, "superseded"},
	{ReasonCessationOfOperation, "cessation_of_operation"},
	{ReasonCertificateHold, "certificate_hold"},
	{ReasonPrivilegeWithdrawn, "privilege_withdrawn"},
	{ReasonAACompromise, "aa_compromise"},
}

// CRLReasonNames lists the reason names ParseCRLReason accepts, in code
// order.
func CRLReasonNames() []string {
	out := make([]string, len(reasonNames))
	for i, r := range reasonNames {
		out[i] = r.name
	}
	return out
}

// ParseCRLReason reads a reason name ("key_compromise"; "" is
// unspecified).
func ParseCRLReason(s string) (CRLReason, error) {
	if s == "" {
		return ReasonUnspecified, nil
	}
	for _, r := range reasonNames {
		if r.name == s {
			return r.r, nil
		}
	}
	return 0, fmt.Errorf("revocation reason %q is not one of %s", s, strings.Join(CRLReasonNames(), ", "))
}

// String is the reason's name, or "reason-<code>" for a code pgtls does not
// issue.
func (r CRLReason) String() string {
	for _, n := range reasonNames {
		if n.r == r {
			return n.name
		}
	}
	return fmt.Sprintf("reason-%d", int(r))
}

// maxSerialOctets is RFC 5280's limit for serial and CRL numbers.
const maxSerialOctets = 20

// maxSerial is the largest positive INTEGER of 20 octets.
var maxSerial = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 8*maxSerialOctets-1), big.NewInt(1))

// ParseSerial reads a certificate serial number as pgtls prints it
// (decimal, serial_number) or as OpenSSL prints it (hex, with an optional
// 0x prefix or colons: `openssl x509 -serial` prints "serial=1A2B"; give it
// as "0x1A2B"). It must be positive and at most 20 octets (RFC 5280).
func ParseSerial(s string) (*big.Int, error) {
	in := strings.TrimSpace(s)
	n := new(big.Int)
	ok := false
	switch {
	case strings.HasPrefix(in, "0x") || strings.HasPrefix(in, "0X"):
		_, ok = n.SetString(in[2:], 16)
	case strings.Contains(in, ":"):
		_, ok = n.SetString(strings.ReplaceAll(in, ":", ""), 16)
	default:
		_, ok = n.SetString(in, 10)
	}
	if !ok || in == "" {
		return nil, fmt.Errorf("serial number %q is not a decimal number (as serial_number shows it) or hex with a 0x prefix or colons (as openssl prints it)", s)
	}
	if err := checkSerialRange(n, "serial number"); err != nil {
		return nil, err
	}
	return n, nil
}

func checkSerialRange(n *big.Int, what string) error {
	if n.Sign() <= 0 {
		return fmt.Errorf("%s %s is not positive: RFC 5280 serial and CRL numbers are positive integers", what, n)
	}
	if n.Cmp(maxSerial) > 0 {
		return fmt.Errorf("%s %s is longer than 20 octets, the most RFC 5280 allows", what, n)
	}
	return nil
}

// Revocation is one entry of a CRL.
type Revocation struct {
	Serial *big.Int
	// Time is the revocation date; zero in a configured entry means "when
	// pgtls first publishes it" (see Revocations).
	Time   time.Time
	Reason CRLReason
	// NotAfter is the revoked certificate's expiry when known (zero
	// otherwise): a retained entry is dropped once it has passed.
	NotAfter time.Time
	// Retained marks an entry kept although it left the configuration:
	// revocation is permanent until the certificate expires.
	Retained bool
}

// RevocationOf is the entry for a certificate (its serial and expiry).
func RevocationOf(c *x509.Certificate, reason CRLReason, at time.Time) Revocation {
	return Revocation{Serial: new(big.Int).Set(c.SerialNumber), Time: at, Reason: reason, NotAfter: c.NotAfter.UTC()}
}

// Revocations computes the entries of the next CRL of a CA from the
// configured entries and the entries its previous CRL published (nil for
// the first):
//   - every configured entry, in configuration order; without a time it
//     keeps the time the previous CRL gave the same serial, else it stays
//     zero (NewCRL gives it the issuing time); its expiry comes from the
//     certificate when given, else from the previous entry;
//   - then every previous entry whose serial is no longer configured,
//     marked Retained, in the previous order: revoking a certificate is
//     permanent until it expires. A certificate_hold entry (a suspension)
//     is released as soon as it leaves the configuration, and an entry
//     whose certificate expired before releaseBefore is released too.
//
// The result depends on no clock: pass the previous CRL's thisUpdate as
// releaseBefore (zero keeps every expired entry, which is also the list to
// compare with the previous one to decide whether anything changed), so the
// plan and the apply compute the same list. The work is linear in the
// number of entries.
func Revocations(configured, previous []Revocation, releaseBefore time.Time) []Revocation {
	prev := make(map[string]Revocation, len(previous))
	for _, p := range previous {
		prev[p.Serial.String()] = p
	}
	out := make([]Revocation, 0, len(configured)+len(previous))
	seen := make(map[string]bool, len(configured))
	for _, c := range configured {
		key := c.Serial.String()
		seen[key] = true
		p, had := prev[key]
		if c.Time.IsZero() && had {
			c.Time = p.Time
		}
		if c.NotAfter.IsZero() && had {
			c.NotAfter = p.NotAfter
		}
		c.Retained = false
		out = append(out, c)
	}
	for _, p := range previous {
		key := p.Serial.String()
		if seen[key] || p.Reason == ReasonCertificateHold {
			continue
		}
		if !releaseBefore.IsZero() && !p.NotAfter.IsZero() && p.NotAfter.Before(releaseBefore) {
			continue
		}
		seen[key] = true
		p.Retained = true
		out = append(out, p)
	}
	return out
}

// CRLRequest asks for a CRL.
type CRLRequest struct {
	// Number is the cRLNumber: positive, at most 20 octets, and larger than
	// any number the CA used before (see NextCRLNumber).
	Number *big.Int
	// Validity is nextUpdate - issuing time.
	Validity time.Duration
	Revoked  []Revocation
}

// Validate checks the request alone: the number, the validity and every
// entry (serial range, reason, a revocation time RFC 5280 can encode and
// not in the future beyond Backdate of now, no serial twice). Errors name
// the entry by its 1-based position.
func (r CRLRequest) Validate(now time.Time) error {
	if r.Number == nil {
		return errors.New("no CRL number given")
	}
	if err := checkSerialRange(r.Number, "CRL number"); err != nil {
		return err
	}
	if r.Validity <= 0 {
		return blame(InputValidity, fmt.Errorf("CRL validity %s must be positive", r.Validity))
	}
	seen := make(map[string]int, len(r.Revoked))
	for i, e := range r.Revoked {
		if err := e.validate(now); err != nil {
			return &EntryError{Index: i, Err: err}
		}
		key := e.Serial.String()
		if j, dup := seen[key]; dup {
			return &EntryError{Index: i, Err: fmt.Errorf("serial number %s is revoked twice (also entry %d): list each certificate once", key, j+1)}
		}
		seen[key] = i
	}
	return nil
}

func (e Revocation) validate(now time.Time) error {
	if e.Serial == nil {
		return errors.New("no serial number given")
	}
	if err := checkSerialRange(e.Serial, "serial number"); err != nil {
		return err
	}
	if e.Reason.String() == fmt.Sprintf("reason-%d", int(e.Reason)) {
		return fmt.Errorf("revocation reason code %d is not one pgtls issues (%s)", int(e.Reason), strings.Join(CRLReasonNames(), ", "))
	}
	if !e.Time.IsZero() {
		if e.Time.Before(EarliestCertTime) || e.Time.After(LatestCertTime) {
			return fmt.Errorf("revocation time %s is outside what RFC 5280 can encode (%s to %s)",
				e.Time.UTC().Format(time.RFC3339), EarliestCertTime.Format(time.RFC3339), LatestCertTime.Format(time.RFC3339))
		}
		if e.Time.After(now.Add(Backdate)) {
			return fmt.Errorf("revocation time %s is in the future (now is %s): a CRL records revocations that happened; "+
				"leave the time out to use the time of publication", e.Time.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// EntryError is a refusal about one revoked entry (Index is 0-based).
type EntryError struct {
	Index int
	Err   error
}

func (e *EntryError) Error() string { return fmt.Sprintf("revoked entry %d: %v", e.Index+1, e.Err) }
func (e *EntryError) Unwrap() error { return e.Err }

// EntryOf returns the 0-based entry an error is about, or -1.
func EntryOf(err error) int {
	var ee *EntryError
	if errors.As(err, &ee) {
		return ee.Index
	}
	return -1
}

// NextCRLNumber is the number of the next CRL of a CA: prev + 1, or, for
// the first CRL (prev nil: a new resource, also one that replaces or
// re-creates a lost one), the Unix time of now in seconds (at least 1).
// The clock keeps numbers increasing across a lost history as long as CRLs
// were not re-issued faster than once per second on average; importing the
// last CRL (or its number) continues the count exactly.
func NextCRLNumber(prev *big.Int, now time.Time) *big.Int {
	if prev != nil {
		return new(big.Int).Add(prev, big.NewInt(1))
	}
	return big.NewInt(max(now.Unix(), 1))
}

// CheckCRLIssuer refuses a CA certificate that cannot sign CRLs OpenSSL
// accepts: not a CA, or a keyUsage without cRLSign (OpenSSL: "key usage does
// not include CRL signing"; Go also needs the keyUsage extension to be
// present), or a key type pgtls cannot sign with.
func CheckCRLIssuer(ca *x509.Certificate) error {
	if ca == nil {
		return blame(InputIssuer, errors.New("no CA certificate given"))
	}
	if !ca.BasicConstraintsValid || !ca.IsCA {
		return blame(InputIssuer, fmt.Errorf("certificate %s is not a CA (no basicConstraints CA:TRUE): only the CA that issued a certificate can sign its CRL", describeCert(ca)))
	}
	if ca.KeyUsage == 0 {
		return blame(InputIssuer, fmt.Errorf("CA %s has no keyUsage extension: pgtls signs CRLs only for CAs whose keyUsage includes cRLSign; reissue the CA with keyUsage keyCertSign, cRLSign", describeCert(ca)))
	}
	if ca.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return blame(InputIssuer, fmt.Errorf("CA %s lacks the cRLSign key usage: OpenSSL (PostgreSQL, libpq, Pgpool-II) rejects CRLs it signs "+
			"(\"key usage does not include CRL signing\"), which refuses every certificate below it once a CRL is configured; reissue the CA with cRLSign", describeCert(ca)))
	}
	if _, err := signatureAlgorithm(ca.PublicKey); err != nil {
		return blame(InputIssuer, fmt.Errorf("CA %s: %w", describeCert(ca), err))
	}
	return nil
}

// CheckIssuedBy refuses to revoke a certificate ca did not issue: its
// issuer name must be ca's subject and its signature must verify with ca's
// key. (A CRL only ever revokes certificates of its own CA; an entry for
// another CA's certificate has no effect.)
func CheckIssuedBy(c, ca *x509.Certificate) error {
	if !bytes.Equal(c.RawIssuer, ca.RawSubject) {
		return fmt.Errorf("certificate %s (serial %s) was issued by %q, not by this CRL's CA %s: a CRL can only revoke its own CA's certificates; "+
			"put the entry on the CRL of %q", describeCert(c), SerialString(c), issuerRFC2253(c), describeCert(ca), issuerRFC2253(c))
	}
	if err := x509util.CheckSignatureFrom(c, ca); err != nil {
		return fmt.Errorf("certificate %s (serial %s) names this CRL's CA %s as its issuer but was not signed by its key "+
			"(another CA with the same name issued it): %w", describeCert(c), SerialString(c), describeCert(ca), err)
	}
	return nil
}

// IssuedCRL is a signed CRL.
type IssuedCRL struct {
	CRL *x509.RevocationList
	PEM string
}

// CRLSigner is a CA that signs CRLs: its certificate and private key
// (no chain is needed: a CRL names only its issuer).
type CRLSigner struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// ParseCRLSigner parses a CA certificate (exactly one) and its private key
// and checks they can sign CRLs (CheckCRLIssuer) and belong together.
func ParseCRLSigner(certPEM, keyPEM string) (*CRLSigner, error) {
	ca, err := ParseCRLIssuerCert(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, &KeyError{fmt.Errorf("CA private key: %w", err)}
	}
	if !publicKeysEqual(key.Public(), ca.PublicKey) {
		return nil, &KeyError{fmt.Errorf("CA private key (%s) does not match the public key (%s) of the CA certificate %s: "+
			"a CRL signed with it would fail verification (\"CRL signature failure\") and refuse every certificate of the CA",
			KeyTypeOf(key.Public()), KeyTypeOf(ca.PublicKey), describeCert(ca))}
	}
	return &CRLSigner{Cert: ca, Key: key}, nil
}

// ParseCRLIssuerCert parses the CA certificate of a CRL (exactly one) and
// runs CheckCRLIssuer, for plan-time checks without the key.
func ParseCRLIssuerCert(certPEM string) (*x509.Certificate, error) {
	certs, err := ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("CA certificate PEM holds %d certificates: give exactly the CA that signs the CRL", len(certs))
	}
	if err := CheckCRLIssuer(certs[0]); err != nil {
		return nil, err
	}
	return certs[0], nil
}

// KeyError is a refusal about the CA's private key.
type KeyError struct{ Err error }

func (e *KeyError) Error() string { return e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// IsKeyError reports whether err is about the private key.
func IsKeyError(err error) bool {
	var ke *KeyError
	return errors.As(err, &ke)
}

// CRLWindow is thisUpdate and nextUpdate of a CRL issued at now: now
// (truncated to the second) minus Backdate, and now + validity, refusing a
// window RFC 5280 cannot encode.
func CRLWindow(now time.Time, validity time.Duration) (thisUpdate, nextUpdate time.Time, err error) {
	return ValidityWindow(nil, now, validity)
}

// NewCRL issues a CRL signed by s at now. Entries without a time get now.
func NewCRL(req CRLRequest, s *CRLSigner, now time.Time, rnd io.Reader) (*IssuedCRL, error) {
	if s == nil || s.Cert == nil || s.Key == nil {
		return nil, blame(InputIssuer, errors.New("no CA given: a CRL needs the CA certificate and its private key"))
	}
	if err := CheckCRLIssuer(s.Cert); err != nil {
		return nil, err
	}
	if !publicKeysEqual(s.Key.Public(), s.Cert.PublicKey) {
		return nil, &KeyError{fmt.Errorf("CA private key does not match the CA certificate %s", describeCert(s.Cert))}
	}
	if err := req.Validate(now); err != nil {
		return nil, err
	}
	thisUpdate, nextUpdate, err := CRLWindow(now, req.Validity)
	if err != nil {
		return nil, err
	}
	issuer := s.Cert
	if len(issuer.SubjectKeyId) == 0 {
		// Go copies the CA's SKI into the CRL's authority key identifier;
		// compute it (RFC 5280 method 1) for a CA made without one.
		cp := *issuer
		if cp.SubjectKeyId, err = keyID(issuer.PublicKey); err != nil {
			return nil, err
		}
		issuer = &cp
	}
	alg, err := signatureAlgorithm(s.Key.Public())
	if err != nil {
		return nil, blame(InputIssuer, err)
	}
	tmpl := &x509.RevocationList{
		SignatureAlgorithm: alg,
		Number:             req.Number,
		ThisUpdate:         thisUpdate,
		NextUpdate:         nextUpdate,
	}
	at := now.UTC().Truncate(time.Second)
	for _, e := range req.Revoked {
		t := e.Time
		if t.IsZero() {
			t = at
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: e.Serial, RevocationTime: t.UTC(), ReasonCode: int(e.Reason),
		})
	}
	der, err := x509.CreateRevocationList(randOrDefault(rnd), tmpl, issuer, s.Key)
	if err != nil {
		return nil, fmt.Errorf("cannot sign the CRL: %w", err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the new CRL: %w", err)
	}
	return &IssuedCRL{CRL: crl, PEM: EncodeCRLPEM(crl)}, nil
}

// EncodeCRLPEM renders a CRL as an "X509 CRL" PEM block.
func EncodeCRLPEM(crl *x509.RevocationList) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: x509util.BlockCRL, Bytes: crl.Raw}))
}

// ParseCRLsPEM strictly parses one or more PEM CRLs (see
// x509util.ParseCRLsPEM).
func ParseCRLsPEM(s string) ([]*x509.RevocationList, error) { return x509util.ParseCRLsPEM(s) }

// CRLIssuerHash is the OpenSSL hash of a CRL's issuer name (`openssl crl
// -hash`), 8 lowercase hex digits.
func CRLIssuerHash(crl *x509.RevocationList) (string, error) {
	return x509util.NameHashHex(crl.RawIssuer)
}

// SubjectHash is the OpenSSL subject hash of a certificate (`openssl x509
// -hash`), which is the hash of the CRLs it signs.
func SubjectHash(c *x509.Certificate) (string, error) { return x509util.NameHashHex(c.RawSubject) }

// crlIssuerDN renders a CRL's issuer in RFC 2253.
func crlIssuerDN(crl *x509.RevocationList) string {
	return x509util.RFC2253(crl.RawIssuer)
}

func describeCRL(crl *x509.RevocationList) string {
	n := "without a number"
	if crl.Number != nil {
		n = "number " + crl.Number.String()
	}
	return fmt.Sprintf("the CRL of %q (%s)", crlIssuerDN(crl), n)
}

// sameIssuer reports whether a CRL names c as its issuer: the names are
// equal and, when both carry key identifiers, they match (what OpenSSL
// compares before the signature).
func crlNamesIssuer(crl *x509.RevocationList, c *x509.Certificate) bool {
	if !bytes.Equal(crl.RawIssuer, c.RawSubject) {
		return false
	}
	if len(crl.AuthorityKeyId) > 0 && len(c.SubjectKeyId) > 0 && !bytes.Equal(crl.AuthorityKeyId, c.SubjectKeyId) {
		return false
	}
	return true
}

// HashedFile is one file of a hashed CRL directory.
type HashedFile struct {
	Name string // "<hash>.r<n>"
	PEM  string
}

// CRLDirectory lays out CRLs as `openssl rehash` names them, for
// ssl_crl_dir (PostgreSQL 14+) and libpq's sslcrldir: "<issuer hash>.r<n>"
// with n counting from 0, in input order, among different CRLs whose
// issuer names hash alike (OpenSSL reads .r0, .r1, ... until one is
// missing). A CRL given twice (the same DER) is listed once, as rehash
// does. Two different CRLs from the same CA are refused (see
// CheckCRLsDistinct).
func CRLDirectory(crls []*x509.RevocationList) ([]HashedFile, error) {
	if err := CheckCRLsDistinct(crls); err != nil {
		return nil, err
	}
	next := map[string]int{}
	seen := map[string]bool{}
	var out []HashedFile
	for _, crl := range crls {
		if seen[string(crl.Raw)] {
			continue
		}
		seen[string(crl.Raw)] = true
		h, err := CRLIssuerHash(crl)
		if err != nil {
			return nil, fmt.Errorf("%s: issuer name: %w", describeCRL(crl), err)
		}
		out = append(out, HashedFile{Name: fmt.Sprintf("%s.r%d", h, next[h]), PEM: EncodeCRLPEM(crl)})
		next[h]++
	}
	return out, nil
}

// CheckCRLsDistinct refuses two different CRLs from the same CA (same
// issuer name and authority key identifier): OpenSSL loads both and
// picks one by its own scoring, so an old CRL next to the current one can
// hide a revocation. Identical copies are allowed (they are deduplicated).
func CheckCRLsDistinct(crls []*x509.RevocationList) error {
	type key struct{ issuer, aki string }
	first := map[key]*x509.RevocationList{}
	for _, crl := range crls {
		k := key{string(crl.RawIssuer), string(crl.AuthorityKeyId)}
		if f, ok := first[k]; ok && !bytes.Equal(f.Raw, crl.Raw) {
			return fmt.Errorf("two different CRLs from the same CA: %s and %s: OpenSSL would load both and use one of its choosing; "+
				"give only the current CRL of each CA", describeCRL(f), describeCRL(crl))
		}
		first[k] = crl
	}
	return nil
}

// CoverageProblem is a CA whose certificates a CRL set would refuse.
type CoverageProblem struct {
	CA  *x509.Certificate
	Err error
}

// CheckCRLCoverage applies OpenSSL's CRL_CHECK_ALL rule to a CRL set at
// now: every CA in cas (the CAs of the chains a server or client verifies:
// roots and intermediates) needs a CRL it signed that is current (thisUpdate
// <= now < nextUpdate), or every certificate below that CA is refused.
// The CRL of a CA must verify with the CA's key. CAs in pending have a CRL
// being issued (not known yet, fresh when it is): they count as covered. It
// returns one problem per CA, in the order of cas; the work is linear in
// CAs plus CRLs.
func CheckCRLCoverage(cas []*x509.Certificate, crls []*x509.RevocationList, pending []*x509.Certificate, now time.Time) []CoverageProblem {
	byIssuer := map[string][]*x509.RevocationList{}
	for _, crl := range crls {
		byIssuer[string(crl.RawIssuer)] = append(byIssuer[string(crl.RawIssuer)], crl)
	}
	isPending := make(map[string]bool, len(pending))
	for _, p := range pending {
		isPending[string(p.Raw)] = true
	}
	var problems []CoverageProblem
	for _, ca := range cas {
		if isPending[string(ca.Raw)] {
			continue
		}
		var found *x509.RevocationList
		var sigErr error
		for _, crl := range byIssuer[string(ca.RawSubject)] {
			if !crlNamesIssuer(crl, ca) {
				continue
			}
			if err := crl.CheckSignatureFrom(ca); err != nil {
				sigErr = err
				continue
			}
			found = crl
			break
		}
		what := "a certificate"
		if isSelfSigned(ca) {
			what = "its own certificate (a root needs a CRL it signs itself, usually empty)"
		}
		switch {
		case found == nil && sigErr != nil:
			problems = append(problems, CoverageProblem{ca, fmt.Errorf("the CRL naming CA %s as issuer was not signed by its key (%v): "+
				"OpenSSL reports \"CRL signature failure\" and refuses every certificate below this CA", describeCert(ca), sigErr)})
		case found == nil:
			problems = append(problems, CoverageProblem{ca, fmt.Errorf("no CRL from CA %s (subject hash %s): PostgreSQL, libpq and Pgpool-II check "+
				"the CRL of every CA in a chain once any CRL is configured (OpenSSL CRL_CHECK_ALL), so every certificate below this CA "+
				"would be refused (\"unable to get certificate CRL\"), %s included; add the CA's CRL",
				describeCert(ca), hashOrUnknown(ca), what)})
		case now.Before(found.ThisUpdate):
			problems = append(problems, CoverageProblem{ca, fmt.Errorf("%s is not valid before %s (now is %s): OpenSSL refuses "+
				"every certificate below the CA until then (\"CRL is not yet valid\")", describeCRL(found),
				found.ThisUpdate.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))})
		case !found.NextUpdate.IsZero() && !now.Before(found.NextUpdate):
			problems = append(problems, CoverageProblem{ca, fmt.Errorf("%s expired at %s (now is %s): OpenSSL refuses every "+
				"certificate below the CA (\"CRL has expired\"); re-issue it", describeCRL(found),
				found.NextUpdate.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))})
		}
	}
	return problems
}

func hashOrUnknown(c *x509.Certificate) string {
	h, err := SubjectHash(c)
	if err != nil {
		return "unknown"
	}
	return h
}

// CRLInfo describes a CRL.
type CRLInfo struct {
	Issuer             string // RFC 2253
	IssuerHash         string // `openssl crl -hash`
	Number             string // decimal, "" when absent
	ThisUpdate         time.Time
	NextUpdate         time.Time // zero when absent
	AuthorityKeyID     string    // lowercase hex
	SignatureAlgorithm string
	Entries            int
}

// DescribeCRL summarises a CRL.
func DescribeCRL(crl *x509.RevocationList) CRLInfo {
	info := CRLInfo{
		Issuer:             crlIssuerDN(crl),
		ThisUpdate:         crl.ThisUpdate.UTC(),
		NextUpdate:         crl.NextUpdate.UTC(),
		AuthorityKeyID:     hex.EncodeToString(crl.AuthorityKeyId),
		SignatureAlgorithm: crl.SignatureAlgorithm.String(),
		Entries:            len(crl.RevokedCertificateEntries),
	}
	if crl.Number != nil {
		info.Number = crl.Number.String()
	}
	info.IssuerHash, _ = CRLIssuerHash(crl)
	return info
}

// RevocationsOf reads the entries of an existing CRL (to adopt it: its
// entries become the previous entries of the next CRL). Expiries are
// unknown.
func RevocationsOf(crl *x509.RevocationList) []Revocation {
	out := make([]Revocation, 0, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		out = append(out, Revocation{Serial: new(big.Int).Set(e.SerialNumber), Time: e.RevocationTime.UTC(), Reason: CRLReason(e.ReasonCode)})
	}
	return out
}

// CRLIssuerFacts are what every CRL of a CA says about the CA, known from
// its certificate alone (so at plan time).
type CRLIssuerFacts struct {
	DN                 string // the CA's subject, RFC 2253
	Hash               string // OpenSSL subject hash: the CRL's name in a hashed directory
	AuthorityKeyID     string // lowercase hex: the CA's SKI (computed when it has none)
	SignatureAlgorithm string // Go's name, as pgtls_certificate reports it ("ECDSA-SHA256")
}

// CRLIssuerFactsOf describes the CRLs ca signs (CheckCRLIssuer must pass).
func CRLIssuerFactsOf(ca *x509.Certificate) (CRLIssuerFacts, error) {
	if err := CheckCRLIssuer(ca); err != nil {
		return CRLIssuerFacts{}, err
	}
	alg, err := signatureAlgorithm(ca.PublicKey)
	if err != nil {
		return CRLIssuerFacts{}, err
	}
	aki := ca.SubjectKeyId
	if len(aki) == 0 {
		if aki, err = keyID(ca.PublicKey); err != nil {
			return CRLIssuerFacts{}, err
		}
	}
	h, err := SubjectHash(ca)
	if err != nil {
		return CRLIssuerFacts{}, fmt.Errorf("CA %s: subject: %w", describeCert(ca), err)
	}
	return CRLIssuerFacts{DN: RFC2253(ca), Hash: h, AuthorityKeyID: hex.EncodeToString(aki), SignatureAlgorithm: alg.String()}, nil
}

// RevocationField names the part of a configured entry an error is about.
type RevocationField int

const (
	FieldEntry  RevocationField = iota // the entry as a whole
	FieldSerial                        // serial_number
	FieldCert                          // cert_pem
	FieldReason                        // reason
	FieldTime                          // revocation_time
)

// FieldError is a refusal of one field of a configured entry.
type FieldError struct {
	Field RevocationField
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// FieldOf returns the field an error is about (FieldEntry when it does not
// say).
func FieldOf(err error) RevocationField {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return FieldEntry
}

// RevocationInput is a configured entry as written: "" means not given.
type RevocationInput struct {
	Serial  string // decimal, or hex as ParseSerial reads it
	CertPEM string // the revoked certificate
	Reason  string // a CRLReasonNames name
	Time    string // RFC 3339
}

// ParseRevocation reads a configured entry: the serial comes from the
// certificate when given (a serial given too must be the same), and with a
// certificate and the CA known (ca not nil) the certificate must be one the
// CA issued (CheckIssuedBy). Errors are *FieldError.
func ParseRevocation(in RevocationInput, ca *x509.Certificate) (Revocation, error) {
	var r Revocation
	fail := func(f RevocationField, err error) (Revocation, error) { return Revocation{}, &FieldError{f, err} }
	if in.Serial == "" && in.CertPEM == "" {
		return fail(FieldEntry, errors.New("give the revoked certificate (cert_pem, or a whole certificate resource) or its serial_number"))
	}
	if in.Serial != "" {
		n, err := ParseSerial(in.Serial)
		if err != nil {
			return fail(FieldSerial, err)
		}
		r.Serial = n
	}
	if in.CertPEM != "" {
		certs, err := ParseCertificatesPEM(in.CertPEM)
		if err != nil {
			return fail(FieldCert, fmt.Errorf("revoked certificate: %w", err))
		}
		if len(certs) != 1 {
			return fail(FieldCert, fmt.Errorf("revoked certificate PEM holds %d certificates: give exactly one (cert_pem, not fullchain_pem)", len(certs)))
		}
		c := certs[0]
		if r.Serial != nil && r.Serial.Cmp(c.SerialNumber) != 0 {
			return fail(FieldSerial, fmt.Errorf("serial number %s does not match the certificate given in cert_pem (serial %s)", r.Serial, SerialString(c)))
		}
		if err := checkSerialRange(c.SerialNumber, "the certificate's serial number"); err != nil {
			return fail(FieldCert, err)
		}
		if ca != nil {
			if err := CheckIssuedBy(c, ca); err != nil {
				return fail(FieldCert, err)
			}
		}
		r.Serial = new(big.Int).Set(c.SerialNumber)
		r.NotAfter = c.NotAfter.UTC()
	}
	reason, err := ParseCRLReason(in.Reason)
	if err != nil {
		return fail(FieldReason, err)
	}
	r.Reason = reason
	if in.Time != "" {
		t, err := time.Parse(time.RFC3339, in.Time)
		if err != nil {
			return fail(FieldTime, fmt.Errorf("revocation time %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", in.Time))
		}
		r.Time = t.UTC().Truncate(time.Second)
	}
	return r, nil
}

// BundleCRLs is what a server or client needs from a set of CRLs: pemText,
// every CRL once in input order (for PostgreSQL's ssl_crl_file, libpq's
// sslcrl and Pgpool-II's ssl_crl_file, which read every CRL of a PEM file),
// and the hashed directory (CRLDirectory) for ssl_crl_dir and sslcrldir.
// Two different CRLs of one CA are refused (CheckCRLsDistinct).
func BundleCRLs(crls []*x509.RevocationList) (pemText string, files []HashedFile, err error) {
	if files, err = CRLDirectory(crls); err != nil {
		return "", nil, err
	}
	var b strings.Builder
	for _, f := range files {
		b.WriteString(f.PEM)
	}
	return b.String(), files, nil
}
