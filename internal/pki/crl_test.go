package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
)

// crlAt is t0 plus a minute: what openssl is asked about (-attime).
var crlAt = t0.Add(time.Minute)

func signerOf(t testing.TB, is *Issued) *CRLSigner {
	t.Helper()
	s, err := ParseCRLSigner(is.CertPEM, is.PrivateKeyPEM)
	if err != nil {
		t.Fatalf("ParseCRLSigner: %v", err)
	}
	return s
}

func mustCRL(t testing.TB, s *CRLSigner, number int64, revoked ...Revocation) *IssuedCRL {
	t.Helper()
	crl, err := NewCRL(CRLRequest{Number: big.NewInt(number), Validity: 7 * 24 * time.Hour, Revoked: revoked}, s, t0, testRand(9))
	if err != nil {
		t.Fatalf("NewCRL: %v", err)
	}
	return crl
}

func attime() []string { return []string{"-attime", strconv.FormatInt(crlAt.Unix(), 10)} }

// TestNewCRLEveryKeyType issues CRLs with every CA key type and reads them
// back with Go and openssl: v2, the CA's signature algorithm, the authority
// key identifier (the CA's SKI), the CRL number, thisUpdate backdated and
// nextUpdate = now + validity, entries with their time and reason (no
// reason extension for unspecified, RFC 5280 5.3.1), `openssl crl -verify`
// against the CA.
func TestNewCRLEveryKeyType(t *testing.T) {
	requireOpenSSL(t)
	for _, kt := range fastKeyTypes {
		t.Run(string(kt), func(t *testing.T) {
			dir := t.TempDir()
			root := mustRoot(t, caReq("crl root "+string(kt), kt))
			iss := issuerOf(t, root)
			a := mustClient(t, iss, ClientRequest{User: "a", Validity: 24 * time.Hour})
			b, err := NewClientCert(ClientRequest{User: "b", Validity: 24 * time.Hour}, iss, t0, testRand(4))
			if err != nil {
				t.Fatal(err)
			}
			when := t0.Add(-time.Hour)
			crl := mustCRL(t, signerOf(t, root), 1234567890123,
				RevocationOf(a.Cert, ReasonKeyCompromise, when),
				Revocation{Serial: b.Cert.SerialNumber})
			c := crl.CRL
			if c.SignatureAlgorithm != wantSigAlg(kt) {
				t.Errorf("signature algorithm %s, want %s (the CA's)", c.SignatureAlgorithm, wantSigAlg(kt))
			}
			if string(c.AuthorityKeyId) != string(root.Cert.SubjectKeyId) {
				t.Errorf("AKI %x, want the CA's SKI %x", c.AuthorityKeyId, root.Cert.SubjectKeyId)
			}
			if c.Number.Int64() != 1234567890123 {
				t.Errorf("number %s", c.Number)
			}
			if !c.ThisUpdate.Equal(t0.Add(-Backdate)) || !c.NextUpdate.Equal(t0.Add(7*24*time.Hour)) {
				t.Errorf("window %s .. %s", c.ThisUpdate, c.NextUpdate)
			}
			if err := c.CheckSignatureFrom(root.Cert); err != nil {
				t.Errorf("signature: %v", err)
			}
			if len(c.RevokedCertificateEntries) != 2 {
				t.Fatalf("%d entries", len(c.RevokedCertificateEntries))
			}
			e0, e1 := c.RevokedCertificateEntries[0], c.RevokedCertificateEntries[1]
			if e0.SerialNumber.Cmp(a.Cert.SerialNumber) != 0 || !e0.RevocationTime.Equal(when) || e0.ReasonCode != 1 {
				t.Errorf("entry 1: %s %s %d", e0.SerialNumber, e0.RevocationTime, e0.ReasonCode)
			}
			if e1.SerialNumber.Cmp(b.Cert.SerialNumber) != 0 || !e1.RevocationTime.Equal(t0) || len(e1.Extensions) != 0 {
				t.Errorf("entry 2 (no time: issuing time; unspecified: no extension): %s %s %v", e1.SerialNumber, e1.RevocationTime, e1.Extensions)
			}
			crlFile := writeFile(t, dir, "crl.pem", crl.PEM)
			caFile := writeFile(t, dir, "ca.pem", root.CertPEM)
			out, err := openssl(t, "", "crl", "-in", crlFile, "-noout", "-verify", "-CAfile", caFile)
			if err != nil || !strings.Contains(out, "verify OK") {
				t.Errorf("openssl crl -verify: %v\n%s", err, out)
			}
			text, err := openssl(t, "", "crl", "-in", crlFile, "-noout", "-text")
			if err != nil {
				t.Fatal(err)
			}
			certText, _ := openssl(t, "", "x509", "-in", caFile, "-noout", "-text")
			sigLine := func(s string) string {
				for _, l := range strings.Split(s, "\n") {
					if strings.Contains(l, "Signature Algorithm:") {
						return strings.TrimSpace(l)
					}
				}
				return ""
			}
			for _, want := range []string{"Version 2 (0x1)", "X509v3 CRL Number:", "1234567890123", "X509v3 Authority Key Identifier:",
				"X509v3 CRL Reason Code:", "Key Compromise", sigLine(certText)} {
				if !strings.Contains(text, want) {
					t.Errorf("openssl crl -text lacks %q:\n%s", want, text)
				}
			}
			if strings.Count(text, "CRL Reason Code") != 1 {
				t.Errorf("want exactly one reason code extension:\n%s", text)
			}
			hash, err := CRLIssuerHash(c)
			if err != nil {
				t.Fatal(err)
			}
			if out, _ := openssl(t, "", "crl", "-in", crlFile, "-noout", "-hash"); strings.TrimSpace(out) != hash {
				t.Errorf("CRLIssuerHash %s, openssl crl -hash %s", hash, out)
			}
		})
	}
}

// TestCRLVerifyAgreesWithCRLCheck runs, for a chain root -> intermediate ->
// leaves and a set of CRL combinations, `openssl crl -verify` on each CRL,
// `openssl verify -crl_check_all` (what PostgreSQL, libpq and Pgpool-II
// enable) and `-crl_check` on a revoked and a non-revoked leaf, and compares
// them with each other and with CheckCRLCoverage: the leaf is accepted
// exactly when every CRL verifies, the coverage check finds no problem and
// the leaf is not listed.
func TestCRLVerifyAgreesWithCRLCheck(t *testing.T) {
	requireOpenSSL(t)
	dir := t.TempDir()
	root := mustRoot(t, caReq("agree root", KeyECDSAP256))
	inter, err := NewIntermediateCA(caReq("agree intermediate", KeyECDSAP384), issuerOf(t, root), t0, testRand(11))
	if err != nil {
		t.Fatal(err)
	}
	interIss := issuerOf(t, inter)
	good := mustClient(t, interIss, ClientRequest{User: "good", Validity: 24 * time.Hour})
	bad, err := NewClientCert(ClientRequest{User: "bad", Validity: 24 * time.Hour}, interIss, t0, testRand(12))
	if err != nil {
		t.Fatal(err)
	}
	rootCRL := mustCRL(t, signerOf(t, root), 1)
	interCRL := mustCRL(t, signerOf(t, inter), 1, RevocationOf(bad.Cert, ReasonSuperseded, t0))
	// Expired and not-yet-valid CRLs of the intermediate, made by hand.
	interTP := testpki.AsCA(t, inter.Cert, signerOf(t, inter).Key)
	expired := interTP.CRL(t, t0.Add(-48*time.Hour), t0.Add(-time.Hour), bad.Cert.SerialNumber)
	future := interTP.CRL(t, t0.Add(time.Hour), t0.Add(48*time.Hour), bad.Cert.SerialNumber)
	// A CRL with the intermediate's name and key id but another key.
	impostor := testpki.NewCAFrom(t, &x509.Certificate{RawSubject: inter.Cert.RawSubject, SubjectKeyId: inter.Cert.SubjectKeyId}, nil)
	forged := impostor.CRL(t, t0.Add(-time.Hour), t0.Add(48*time.Hour))

	cases := []struct {
		name string
		crls []string
	}{
		{"both", []string{rootCRL.PEM, interCRL.PEM}},
		{"intermediate only", []string{interCRL.PEM}},
		{"root only", []string{rootCRL.PEM}},
		{"intermediate expired", []string{rootCRL.PEM, expired}},
		{"intermediate not yet valid", []string{rootCRL.PEM, future}},
		{"intermediate forged", []string{rootCRL.PEM, forged}},
	}
	cas := []*x509.Certificate{root.Cert, inter.Cert}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var crls []*x509.RevocationList
			allVerify := true
			for i, p := range tc.crls {
				parsed, err := ParseCRLsPEM(p)
				if err != nil {
					t.Fatal(err)
				}
				crls = append(crls, parsed...)
				ca := root.CertPEM
				if string(parsed[0].RawIssuer) == string(inter.Cert.RawSubject) {
					ca = inter.CertPEM
				}
				out, _ := openssl(t, "", "crl", "-in", writeFile(t, dir, "one.crl", p), "-noout", "-verify", "-CAfile", writeFile(t, dir, "one-ca.pem", ca))
				ok := strings.Contains(out, "verify OK")
				allVerify = allVerify && ok
				// Go's signature check is the same verdict.
				if goOK := parsed[0].CheckSignatureFrom(map[bool]*x509.Certificate{true: root.Cert, false: inter.Cert}[ca == root.CertPEM]) == nil; goOK != ok {
					t.Errorf("CRL %d: openssl crl -verify says %v, Go %v: %s", i+1, ok, goOK, out)
				}
			}
			problems := CheckCRLCoverage(cas, crls, nil, crlAt)
			crlFile := writeFile(t, dir, "crls.pem", strings.Join(tc.crls, ""))
			for _, leaf := range []*Issued{good, bad} {
				for _, flag := range []string{"-crl_check_all", "-crl_check"} {
					args := append([]string{"verify", "-CAfile", writeFile(t, dir, "root.pem", root.CertPEM), "-untrusted", writeFile(t, dir, "inter.pem", inter.CertPEM),
						"-CRLfile", crlFile, flag}, attime()...)
					out, err := openssl(t, "", append(args, writeFile(t, dir, "leaf.pem", leaf.CertPEM))...)
					accepted := err == nil && strings.Contains(out, ": OK")
					t.Logf("%s %s accepted=%v %s", leaf.Cert.Subject.CommonName, flag, accepted, lastLine(out))
					leafListed := leaf == bad
					if flag == "-crl_check_all" {
						want := len(problems) == 0 && allVerify && !leafListed
						if accepted != want {
							t.Errorf("%s %s: openssl accepted=%v, want %v (coverage problems %v, all CRLs verify %v, leaf listed %v)\n%s",
								leaf.Cert.Subject.CommonName, flag, accepted, want, problems, allVerify, leafListed, out)
						}
					}
					if accepted && leafListed {
						t.Errorf("%s: openssl %s accepted a revoked leaf:\n%s", leaf.Cert.Subject.CommonName, flag, out)
					}
				}
			}
		})
	}
}

// TestCheckCRLIssuer: CAs that cannot sign CRLs OpenSSL accepts are
// refused, and openssl agrees: a CRL made with `openssl ca -gencrl` by a
// CA without cRLSign makes `openssl verify -crl_check` fail with "key usage
// does not include CRL signing".
func TestCheckCRLIssuer(t *testing.T) {
	requireOpenSSL(t)
	noCRLSign := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "no crl sign"}, KeyUsage: x509.KeyUsageCertSign}, nil)
	err := CheckCRLIssuer(noCRLSign.Cert)
	if err == nil || !strings.Contains(err.Error(), "cRLSign") || InputOf(err) != InputIssuer {
		t.Errorf("CA without cRLSign: %v", err)
	}
	leaf := testpki.NewCA(t, "x").Client(t, "leaf")
	if err := CheckCRLIssuer(leaf.Cert); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("leaf as CRL issuer: %v", err)
	}
	good := testpki.NewCA(t, "good")
	if err := CheckCRLIssuer(good.Cert); err != nil {
		t.Errorf("good CA: %v", err)
	}

	// openssl: sign a CRL with the CA without cRLSign, then verify.
	dir := t.TempDir()
	cnf := testpki.OpenSSLCADir(t, dir)
	o := testpki.OpenSSL{Bin: requireOpenSSL(t), Dir: dir}
	writeFile(t, dir, "ca.pem", noCRLSign.PEM)
	writeFile(t, dir, "ca.key", noCRLSign.KeyPEM)
	o.Must(t, "", "ca", "-config", cnf, "-gencrl", "-cert", "ca.pem", "-keyfile", "ca.key", "-out", "ca.crl")
	client := noCRLSign.Client(t, "app")
	writeFile(t, dir, "client.pem", client.CertPEM)
	out, err := o.Run(t, "", "verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "ca.crl", "client.pem")
	if err == nil || !strings.Contains(out, "key usage does not include CRL signing") {
		t.Errorf("openssl verify with a CRL from a CA without cRLSign: %v\n%s", err, out)
	}
	// And without cRLSign pgtls refuses to sign at all.
	s := &CRLSigner{Cert: noCRLSign.Cert, Key: noCRLSign.Key}
	if _, err := NewCRL(CRLRequest{Number: big.NewInt(1), Validity: time.Hour}, s, t0, nil); err == nil {
		t.Error("NewCRL signed for a CA without cRLSign")
	}
}

// TestCRLSignerKeyMismatch: a key that is not the CA's is refused with an
// error that names both key types and no key material.
func TestCRLSignerKeyMismatch(t *testing.T) {
	ca := mustRoot(t, caReq("mismatch ca", KeyECDSAP256))
	other := mustRoot(t, caReq("mismatch other", KeyECDSAP384))
	_, err := ParseCRLSigner(ca.CertPEM, other.PrivateKeyPEM)
	if err == nil || !IsKeyError(err) || !strings.Contains(err.Error(), "does not match") || !strings.Contains(err.Error(), "ecdsa-p384") {
		t.Fatalf("mismatched key: %v", err)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), other.PrivateKeyPEM[40:80]) {
		t.Errorf("error echoes the key: %v", err)
	}
	if _, err := ParseCRLSigner(ca.CertPEM, "not a key"); err == nil || !IsKeyError(err) {
		t.Errorf("garbage key: %v", err)
	}
	if _, err := ParseCRLSigner(ca.CertPEM+other.CertPEM, ca.PrivateKeyPEM); err == nil || IsKeyError(err) {
		t.Errorf("two CA certificates: %v", err)
	}
}

func TestCheckIssuedBy(t *testing.T) {
	ca := testpki.NewCA(t, "issuer")
	twin := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "issuer"}}, nil)
	other := testpki.NewCA(t, "other")
	if err := CheckIssuedBy(ca.Client(t, "a").Cert, ca.Cert); err != nil {
		t.Errorf("own certificate: %v", err)
	}
	if err := CheckIssuedBy(other.Client(t, "b").Cert, ca.Cert); err == nil || !strings.Contains(err.Error(), `issued by "CN=other"`) {
		t.Errorf("another CA's certificate: %v", err)
	}
	if err := CheckIssuedBy(twin.Client(t, "c").Cert, ca.Cert); err == nil || !strings.Contains(err.Error(), "not signed by its key") {
		t.Errorf("a same-name CA's certificate: %v", err)
	}
}

func TestCRLRequestValidate(t *testing.T) {
	one := big.NewInt(1)
	cases := []struct {
		name string
		req  CRLRequest
		want string
		idx  int
	}{
		{"ok", CRLRequest{Number: one, Validity: time.Hour, Revoked: []Revocation{{Serial: big.NewInt(5)}, {Serial: big.NewInt(6), Reason: ReasonKeyCompromise, Time: t0}}}, "", -1},
		{"no number", CRLRequest{Validity: time.Hour}, "no CRL number", -1},
		{"zero number", CRLRequest{Number: big.NewInt(0), Validity: time.Hour}, "not positive", -1},
		{"number too long", CRLRequest{Number: new(big.Int).Lsh(one, 160), Validity: time.Hour}, "longer than 20 octets", -1},
		{"largest number", CRLRequest{Number: maxSerial, Validity: time.Hour}, "", -1},
		{"no validity", CRLRequest{Number: one}, "must be positive", -1},
		{"duplicate", CRLRequest{Number: one, Validity: time.Hour, Revoked: []Revocation{{Serial: big.NewInt(5)}, {Serial: big.NewInt(7)}, {Serial: big.NewInt(5)}}}, "revoked twice (also entry 1)", 2},
		{"negative serial", CRLRequest{Number: one, Validity: time.Hour, Revoked: []Revocation{{Serial: big.NewInt(-5)}}}, "not positive", 0},
		{"future time", CRLRequest{Number: one, Validity: time.Hour, Revoked: []Revocation{{Serial: one, Time: t0.Add(time.Hour)}}}, "in the future", 0},
		{"ancient time", CRLRequest{Number: one, Validity: time.Hour, Revoked: []Revocation{{Serial: one, Time: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}}}, "RFC 5280", 0},
		{"remove from crl", CRLRequest{Number: one, Validity: time.Hour, Revoked: []Revocation{{Serial: one, Reason: 8}}}, "not one pgtls issues", 0},
	}
	for _, tc := range cases {
		err := tc.req.Validate(t0)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if EntryOf(err) != tc.idx {
			t.Errorf("%s: entry %d, want %d", tc.name, EntryOf(err), tc.idx)
		}
	}
}

func TestParseSerialAndReason(t *testing.T) {
	for in, want := range map[string]string{"255": "255", "0xff": "255", "0XFF": "255", "00:ff": "255", "1A:2b": "6699", " 42 ": "42"} {
		n, err := ParseSerial(in)
		if err != nil || n.String() != want {
			t.Errorf("ParseSerial(%q) = %v, %v; want %s", in, n, err, want)
		}
	}
	for _, in := range []string{"", "-1", "0", "ff", "0x", "1.5", "0x" + strings.Repeat("ff", 21)} {
		if n, err := ParseSerial(in); err == nil {
			t.Errorf("ParseSerial(%q) = %s, want an error", in, n)
		}
	}
	for _, name := range CRLReasonNames() {
		r, err := ParseCRLReason(name)
		if err != nil || r.String() != name {
			t.Errorf("reason %s: %v %v", name, r, err)
		}
	}
	if r, err := ParseCRLReason(""); err != nil || r != ReasonUnspecified {
		t.Errorf("empty reason: %v %v", r, err)
	}
	if _, err := ParseCRLReason("keyCompromise"); err == nil || !strings.Contains(err.Error(), "key_compromise") {
		t.Errorf("OpenSSL spelling: %v", err)
	}
}

func TestNextCRLNumber(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	if n := NextCRLNumber(nil, now); n.Int64() != 1_800_000_000 {
		t.Errorf("first number %s, want the Unix time", n)
	}
	if n := NextCRLNumber(big.NewInt(5), now); n.Int64() != 6 {
		t.Errorf("after 5: %s, want 6 (no clock: plan and apply agree)", n)
	}
	if n := NextCRLNumber(big.NewInt(1_900_000_000), now); n.Int64() != 1_900_000_001 {
		t.Errorf("clock behind: %s", n)
	}
	if n := NextCRLNumber(nil, time.Unix(-5, 0)); n.Int64() != 1 {
		t.Errorf("clock before 1970: %s, want 1", n)
	}
}

func TestRevocations(t *testing.T) {
	s := func(n int64) *big.Int { return big.NewInt(n) }
	earlier := t0.Add(-72 * time.Hour)
	lastIssue := t0.Add(-time.Minute) // the previous CRL's thisUpdate
	previous := []Revocation{
		{Serial: s(1), Time: earlier, NotAfter: t0.Add(time.Hour)},                                // still configured
		{Serial: s(2), Time: earlier, NotAfter: t0.Add(time.Hour), Reason: ReasonKeyCompromise},   // removed, valid: retained
		{Serial: s(3), Time: earlier, NotAfter: t0.Add(-time.Hour)},                               // removed, expired before the last issue: released
		{Serial: s(4), Time: earlier, Reason: ReasonCertificateHold, NotAfter: t0.Add(time.Hour)}, // hold released
		{Serial: s(5), Time: earlier},                                                             // removed, expiry unknown: retained
		{Serial: s(6), Time: earlier, NotAfter: t0.Add(-time.Hour), Retained: true, Reason: 1},    // retained before, expired: released
		{Serial: s(7), Time: earlier, NotAfter: t0.Add(time.Hour), Retained: true, Reason: 9},     // retained, stays retained
		{Serial: s(8), Time: earlier, NotAfter: t0.Add(-time.Hour), Reason: ReasonCACompromise},   // configured again although expired
		{Serial: s(9), Time: earlier.Add(time.Hour), NotAfter: t0.Add(time.Hour), Retained: true}, // retained, configured again
		{Serial: s(12), Time: earlier, NotAfter: t0.Add(-time.Second)},                            // expired after the last issue: kept until the next
	}
	configured := []Revocation{
		{Serial: s(10), Reason: ReasonSuperseded, NotAfter: t0.Add(time.Hour)}, // new: no time yet
		{Serial: s(1)}, // keeps its time and expiry
		{Serial: s(8), Reason: ReasonCACompromise}, // configured: kept although expired
		{Serial: s(11), Time: earlier},             // explicit time
		{Serial: s(9)},
	}
	got := Revocations(configured, previous, lastIssue)
	type row struct {
		serial   string
		time     time.Time
		reason   CRLReason
		notAfter time.Time
		retained bool
	}
	var rows []row
	for _, r := range got {
		rows = append(rows, row{r.Serial.String(), r.Time, r.Reason, r.NotAfter, r.Retained})
	}
	want := []row{
		{"10", time.Time{}, ReasonSuperseded, t0.Add(time.Hour), false},
		{"1", earlier, 0, t0.Add(time.Hour), false},
		{"8", earlier, ReasonCACompromise, t0.Add(-time.Hour), false},
		{"11", earlier, 0, time.Time{}, false},
		{"9", earlier.Add(time.Hour), 0, t0.Add(time.Hour), false},
		{"2", earlier, ReasonKeyCompromise, t0.Add(time.Hour), true},
		{"5", earlier, 0, time.Time{}, true},
		{"7", earlier, 9, t0.Add(time.Hour), true},
		{"12", earlier, 0, t0.Add(-time.Second), true},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %v\nwant %v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i+1, rows[i], want[i])
		}
	}
	// The first CRL: configured entries only.
	if got := Revocations(configured[:1], nil, time.Time{}); len(got) != 1 || got[0].Retained {
		t.Errorf("first CRL: %+v", got)
	}
	// Without a release time, the expired retained entries 3 and 6 stay.
	kept := Revocations(configured, previous, time.Time{})
	var serials []string
	for _, r := range kept {
		serials = append(serials, r.Serial.String())
	}
	if got := strings.Join(serials, " "); got != "10 1 8 11 9 2 3 5 6 7 12" {
		t.Errorf("without release: %s", got)
	}
}

// TestCRLDirectoryMatchesRehash lays out CRLs of several CAs, two of them
// with the same name (so the same hash, different keys), and compares the
// layout with what `openssl rehash` makes of the same CRLs: for every hash,
// the same CRLs under names .r0, .r1, ... (rehash's numbering among
// colliding CRLs follows the directory order, so each hash's set is
// compared).
func TestCRLDirectoryMatchesRehash(t *testing.T) {
	bin := requireOpenSSL(t)
	a := testpki.NewCA(t, "dir CA a")
	b := testpki.NewCA(t, "dir CA b")
	twin1 := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "dir twin"}}, nil)
	twin2 := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "dir twin"}}, nil)
	var pems []string
	for _, ca := range []*testpki.CA{a, b, twin1, twin2} {
		pems = append(pems, ca.CRL(t, t0, t0.Add(time.Hour)))
	}
	pems = append(pems, pems[0]) // a duplicate copy, as rehash skips it
	var crls []*x509.RevocationList
	for _, p := range pems {
		c, err := ParseCRLsPEM(p)
		if err != nil {
			t.Fatal(err)
		}
		crls = append(crls, c...)
	}
	files, err := CRLDirectory(crls)
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]string{}
	for _, f := range files {
		mine[f.Name] = f.PEM
	}
	dir := t.TempDir()
	for i, p := range pems {
		writeFile(t, dir, "crl"+strconv.Itoa(i)+".pem", p)
	}
	o := testpki.OpenSSL{Bin: bin, Dir: dir}
	o.Must(t, "", "rehash", dir)
	theirs := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".pem") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		theirs[e.Name()] = string(data)
	}
	byHash := func(m map[string]string) map[string][]string {
		out := map[string][]string{}
		for name, content := range m {
			h, _, _ := strings.Cut(name, ".")
			out[h+" "+strings.TrimRight(name[len(h)+1:], "0123456789")] = append(out[h+" "+strings.TrimRight(name[len(h)+1:], "0123456789")], content)
		}
		for k := range out {
			sort.Strings(out[k])
		}
		return out
	}
	names := func(m map[string]string) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if strings.Join(names(mine), " ") != strings.Join(names(theirs), " ") {
		t.Fatalf("file names differ:\npgtls   %v\nrehash  %v", names(mine), names(theirs))
	}
	mh, th := byHash(mine), byHash(theirs)
	for k, v := range th {
		if strings.Join(mh[k], "|") != strings.Join(v, "|") {
			t.Errorf("hash %s: different CRLs", k)
		}
	}
	if len(files) != 4 {
		t.Errorf("%d files, want 4 (the duplicate listed once)", len(files))
	}
	// Two different CRLs of one CA are refused.
	second, _ := ParseCRLsPEM(a.CRL(t, t0, t0.Add(2*time.Hour)))
	if _, err := CRLDirectory(append(crls, second...)); err == nil || !strings.Contains(err.Error(), "two different CRLs from the same CA") {
		t.Errorf("two CRLs of one CA: %v", err)
	}
}

// lastLine is openssl verify's verdict: the "error N at D depth lookup: ..."
// line when there is one, else the last line.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if strings.Contains(l, "depth lookup") {
			return l
		}
	}
	return lines[len(lines)-1]
}

// TestCRLForCAWithoutSKI: a CA made elsewhere without a subject key
// identifier still gets CRLs with an authority key identifier (computed
// like pgtls's SKIs), which openssl accepts.
func TestCRLForCAWithoutSKI(t *testing.T) {
	bin := requireOpenSSL(t)
	dir := t.TempDir()
	o := testpki.OpenSSL{Bin: bin, Dir: dir}
	o.Must(t, "", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
		"-subj", "/CN=no ski CA", "-days", "30", "-out", "ca.pem",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
		"-addext", "subjectKeyIdentifier=none", "-addext", "authorityKeyIdentifier=none")
	s, err := ParseCRLSigner(o.Read(t, "ca.pem"), o.Read(t, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cert.SubjectKeyId) != 0 {
		t.Fatal("openssl made a SKI anyway")
	}
	facts, err := CRLIssuerFactsOf(s.Cert)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	crl, err := NewCRL(CRLRequest{Number: big.NewInt(3), Validity: time.Hour}, s, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := DescribeCRL(crl.CRL).AuthorityKeyID; got != facts.AuthorityKeyID || got == "" {
		t.Errorf("AKI %q, plan-time facts say %q", got, facts.AuthorityKeyID)
	}
	leaf := testpki.AsCA(t, s.Cert, s.Key).Client(t, "app")
	writeFile(t, dir, "crl.pem", crl.PEM)
	writeFile(t, dir, "leaf.pem", leaf.CertPEM)
	if out, err := o.Run(t, "", "verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "crl.pem", "leaf.pem"); err != nil {
		t.Errorf("openssl verify -crl_check with the CRL of a CA without SKI: %v\n%s", err, out)
	}
}

func TestParseRevocation(t *testing.T) {
	ca := testpki.NewCA(t, "parse ca")
	other := testpki.NewCA(t, "parse other")
	leaf := ca.Client(t, "a")
	r, err := ParseRevocation(RevocationInput{CertPEM: leaf.CertPEM, Reason: "superseded", Time: "2026-01-02T03:04:05+01:00"}, ca.Cert)
	if err != nil || r.Serial.Cmp(leaf.Cert.SerialNumber) != 0 || r.Reason != ReasonSuperseded ||
		!r.Time.Equal(time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC)) || !r.NotAfter.Equal(leaf.Cert.NotAfter) {
		t.Errorf("from a certificate: %+v %v", r, err)
	}
	// Without the CA (not known yet) the issuer is not checked.
	if _, err := ParseRevocation(RevocationInput{CertPEM: other.Client(t, "b").CertPEM}, nil); err != nil {
		t.Errorf("CA unknown: %v", err)
	}
	for _, tc := range []struct {
		in    RevocationInput
		field RevocationField
		want  string
	}{
		{RevocationInput{}, FieldEntry, "serial_number"},
		{RevocationInput{Serial: "x"}, FieldSerial, `"x"`},
		{RevocationInput{CertPEM: "x"}, FieldCert, "not PEM"},
		{RevocationInput{CertPEM: leaf.CertPEM, Serial: "1"}, FieldSerial, "does not match"},
		{RevocationInput{CertPEM: other.Client(t, "c").CertPEM}, FieldCert, "not by this CRL's CA"},
		{RevocationInput{Serial: "1", Reason: "nope"}, FieldReason, "nope"},
		{RevocationInput{Serial: "1", Time: "2026-01-02"}, FieldTime, "RFC 3339"},
	} {
		_, err := ParseRevocation(tc.in, ca.Cert)
		if err == nil || FieldOf(err) != tc.field || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v (field %d), want field %d and %q", tc.in, err, FieldOf(err), tc.field, tc.want)
		}
	}
}
