package pki

import (
	"crypto/x509"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestValidityHoursLimits(t *testing.T) {
	if MaxValidityHours != 2562047 {
		t.Fatalf("MaxValidityHours = %d, want 2562047 (math.MaxInt64 ns in whole hours)", MaxValidityHours)
	}
	for _, tc := range []struct {
		h    int64
		want string // "" = accepted
	}{
		{1, ""},
		{87600, ""},
		{MaxValidityHours, ""},
		{0, "at least 1 hour"},
		{-1, "at least 1 hour"},
		{math.MinInt64, "at least 1 hour"},
		{MaxValidityHours + 1, "at most 2562047 hours"},
		// The reproductions of issue 7: a 30-minute certificate and an
		// apply-time failure.
		{5124096, "at most 2562047 hours (about 292 years)"},
		{100000000, "9999-12-31T23:59:59Z"},
		{math.MaxInt64, "at most 2562047 hours"},
	} {
		d, err := ValidityHours(tc.h)
		if tc.want == "" {
			if err != nil || d != time.Duration(tc.h)*time.Hour || int64(d/time.Hour) != tc.h {
				t.Errorf("ValidityHours(%d) = %v, %v", tc.h, d, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), strconv.FormatInt(tc.h, 10)) {
			t.Errorf("ValidityHours(%d) err = %v, want it to name the value and %q", tc.h, err, tc.want)
		}
	}
	for _, tc := range []struct {
		h    int64
		want string
	}{
		{0, ""}, {MaxValidityHours, ""}, {-1, "negative"}, {math.MinInt64, "negative"},
		{MaxValidityHours + 1, "at most 2562047"}, {math.MaxInt64, "at most 2562047"},
	} {
		d, err := RenewalHours(tc.h)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RenewalHours(%d) = %v, %v; want %q", tc.h, d, err, tc.want)
		}
	}
	if err := CheckRenewalWindow(10, 10); err == nil || !strings.Contains(err.Error(), "early_renewal_hours (10) must be less than validity_period_hours (10)") {
		t.Errorf("CheckRenewalWindow(10, 10) = %v", err)
	}
	if err := CheckRenewalWindow(10, 9); err != nil {
		t.Errorf("CheckRenewalWindow(10, 9) = %v", err)
	}
	for n, want := range map[int64]string{-1: "", 0: "", math.MaxInt32: "", -2: "-2", math.MaxInt32 + 1: "at most 2147483647",
		math.MaxInt64: "at most", math.MinInt64: "-1 for no limit"} {
		if err := CheckMaxPathLen(n); (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("CheckMaxPathLen(%d) = %v, want %q", n, err, want)
		}
	}
	if err := (CARequest{Subject: Subject{CommonName: "c"}, Validity: time.Hour, MaxPathLen: math.MaxInt32 + 1}).Validate(); err == nil || InputOf(err) != InputMaxPathLen {
		t.Errorf("CA request with pathlen 2^31: %v", err)
	}
}

func TestValidityWindow(t *testing.T) {
	last := LatestCertTime
	// Exactly up to the last representable second, not one second more.
	nb, na, err := ValidityWindow(nil, last.Add(-100*time.Hour), 100*time.Hour)
	if err != nil || !na.Equal(last) || !nb.Equal(last.Add(-100*time.Hour-Backdate)) {
		t.Fatalf("window ending at 9999-12-31T23:59:59Z: %v %v %v", nb, na, err)
	}
	_, _, err = ValidityWindow(nil, last.Add(-100*time.Hour+time.Second), 100*time.Hour)
	if err == nil || !strings.Contains(err.Error(), "would end after 9999-12-31T23:59:59Z") || !strings.Contains(err.Error(), "at most 99 hours") || InputOf(err) != InputValidity {
		t.Errorf("one second past 9999: %v", err)
	}
	for _, now := range []time.Time{time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC), EarliestCertTime, last.Add(time.Second), time.Unix(math.MaxInt64, 0), time.Unix(math.MinInt64, 0)} {
		if _, _, err := ValidityWindow(nil, now, time.Hour); err == nil || !strings.Contains(err.Error(), "check the system clock") {
			t.Errorf("now = %s: %v", now, err)
		}
	}
	if _, _, err := ValidityWindow(nil, EarliestCertTime.Add(Backdate), time.Hour); err != nil {
		t.Errorf("first representable NotBefore: %v", err)
	}
	if _, _, err := ValidityWindow(nil, t0, 0); err == nil || InputOf(err) != InputValidity {
		t.Errorf("zero validity: %v", err)
	}

	// An issuer that starts within the clock-skew tolerance clamps
	// NotBefore; one that starts later is refused (blamed on the issuer).
	root := mustRoot(t, caReq("window root", KeyEd25519)) // NotBefore = t0 - Backdate
	nb, na, err = ValidityWindow(root.Cert, t0.Add(-2*Backdate), time.Hour)
	if err != nil || !nb.Equal(root.Cert.NotBefore) || !na.Equal(t0.Add(-2*Backdate+time.Hour)) || !nb.Before(na) {
		t.Errorf("issuer starting within %s: %v %v %v", Backdate, nb, na, err)
	}
	_, _, err = ValidityWindow(root.Cert, t0.Add(-2*Backdate-time.Second), time.Hour)
	if err == nil || InputOf(err) != InputIssuer || !strings.Contains(err.Error(), "is not valid before 2026-01-02T02:59:05Z") {
		t.Errorf("issuer not yet valid: %v", err)
	}
	iss := issuerOf(t, root)
	if _, err := NewServerCert(ServerRequest{DNSNames: []string{"db"}, Validity: time.Hour}, iss, t0.Add(-time.Hour), testRand(1)); err == nil || InputOf(err) != InputIssuer {
		t.Errorf("issuing before the issuer is valid: %v", err)
	}
}

// TestValidityEncodingWithOpenSSL proves the limits against openssl: a
// certificate ending at 9999-12-31T23:59:59Z is read and verified, dates
// through 2049 are UTCTime and later ones GeneralizedTime (RFC 5280
// section 4.1.2.5), and the longest validity gives exactly that many hours.
func TestValidityEncodingWithOpenSSL(t *testing.T) {
	requireOpenSSL(t)
	dir := t.TempDir()
	type tc struct {
		name     string
		now      time.Time
		validity time.Duration
		enddate  string
		tags     []string // the ASN.1 types of notBefore, notAfter
	}
	for _, c := range []tc{
		{"until 2049", time.Date(2049, 12, 31, 0, 0, 0, 0, time.UTC), 23*time.Hour + 59*time.Minute + 59*time.Second,
			"notAfter=Dec 31 23:59:59 2049 GMT", []string{"UTCTIME", "UTCTIME"}},
		{"from 2050", time.Date(2049, 12, 31, 23, 0, 0, 0, time.UTC), time.Hour,
			"notAfter=Jan  1 00:00:00 2050 GMT", []string{"UTCTIME", "GENERALIZEDTIME"}},
		{"until 9999", LatestCertTime.Add(-100 * time.Hour), 100 * time.Hour,
			"notAfter=Dec 31 23:59:59 9999 GMT", []string{"GENERALIZEDTIME", "GENERALIZEDTIME"}},
		{"longest validity", t0, time.Duration(MaxValidityHours) * time.Hour,
			"notAfter=" + t0.Add(time.Duration(MaxValidityHours)*time.Hour).Format("Jan _2 15:04:05 2006") + " GMT", []string{"UTCTIME", "GENERALIZEDTIME"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			is, err := NewRootCA(CARequest{Subject: Subject{CommonName: c.name}, KeyType: KeyECDSAP256, Validity: c.validity, MaxPathLen: -1}, c.now, testRand(7))
			if err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, dir, "c.pem", is.CertPEM)
			out, err := openssl(t, "", "x509", "-noout", "-enddate", "-in", p)
			if err != nil || strings.TrimSpace(out) != c.enddate {
				t.Errorf("openssl -enddate = %q (%v), want %q", out, err, c.enddate)
			}
			out, err = openssl(t, "", "asn1parse", "-in", p)
			if err != nil {
				t.Fatal(err)
			}
			var tags []string
			for _, line := range strings.Split(out, "\n") {
				for _, f := range strings.Fields(line) {
					if f == "UTCTIME" || f == "GENERALIZEDTIME" {
						tags = append(tags, f)
					}
				}
			}
			if strings.Join(tags, ",") != strings.Join(c.tags, ",") {
				t.Errorf("time encodings %v, want %v", tags, c.tags)
			}
			at := strconv.FormatInt(c.now.Add(c.validity/2).Unix(), 10)
			if out, err := openssl(t, "", "verify", "-x509_strict", "-attime", at, "-CAfile", p, p); err != nil {
				t.Errorf("openssl verify -attime %s: %v\n%s", at, err, out)
			}
		})
	}
}

// checkIssuedWindow is the fuzz property: issuance either refuses with an
// error that says which input is at fault, or yields a certificate whose
// validity is exactly the requested one.
func checkIssuedWindow(t *testing.T, is *Issued, err error, now time.Time, validity time.Duration, issuer *x509.Certificate) {
	t.Helper()
	trunc := now.UTC().Truncate(time.Second)
	// The expected verdict, computed in Unix seconds with big integers so
	// nothing here can overflow.
	sec := func(tm time.Time) *big.Int { return big.NewInt(tm.Unix()) }
	naSec := new(big.Int).Add(sec(trunc), big.NewInt(int64(validity/time.Second)))
	nbSec := new(big.Int).Sub(sec(trunc), big.NewInt(int64(Backdate/time.Second)))
	ok := nbSec.Cmp(sec(EarliestCertTime)) >= 0 && naSec.Cmp(sec(LatestCertTime)) <= 0 &&
		(trunc.Unix() >= EarliestCertTime.Unix() && trunc.Unix() <= LatestCertTime.Unix())
	if issuer != nil {
		ok = ok && naSec.Cmp(sec(issuer.NotAfter)) <= 0 && sec(issuer.NotBefore).Cmp(new(big.Int).Add(sec(trunc), big.NewInt(int64(Backdate/time.Second)))) <= 0
	}
	if err != nil {
		var ie *IssueError
		if ok || !errors.As(err, &ie) || ie.Input != InputValidity && ie.Input != InputIssuer {
			t.Fatalf("now %s validity %s: refused with %v (expected ok=%v)", trunc, validity, err, ok)
		}
		return
	}
	if !ok {
		t.Fatalf("now %s validity %s: issued although the window is out of range", trunc, validity)
	}
	c := is.Cert
	wantNB := trunc.Add(-Backdate)
	if issuer != nil && wantNB.Before(issuer.NotBefore) {
		wantNB = issuer.NotBefore
	}
	if !c.NotAfter.Equal(trunc.Add(validity)) || !c.NotBefore.Equal(wantNB) {
		t.Fatalf("now %s validity %s: certificate valid %s .. %s, want %s .. %s", trunc, validity, c.NotBefore, c.NotAfter, wantNB, trunc.Add(validity))
	}
	if issuer == nil && c.NotAfter.Sub(c.NotBefore) != validity+Backdate {
		t.Fatalf("NotAfter - NotBefore = %s, want %s + %s", c.NotAfter.Sub(c.NotBefore), validity, Backdate)
	}
}

// FuzzIssueValidity drives a root CA through the issuance path with every
// int64 number of hours and every issuing time: a value ValidityHours
// accepts either gives a certificate valid for exactly that long, or an
// error naming the validity; nothing panics and no certificate is wrong.
func FuzzIssueValidity(f *testing.F) {
	for _, h := range []int64{1, 24, 87600, 5124096, 100000000, MaxValidityHours, MaxValidityHours + 1, 0, -1, math.MaxInt64, math.MinInt64} {
		f.Add(h, t0.Unix())
	}
	f.Add(int64(100), LatestCertTime.Unix()-100*3600)
	f.Add(int64(100), LatestCertTime.Unix()-100*3600+1)
	f.Add(int64(1), EarliestCertTime.Unix())
	f.Add(MaxValidityHours, int64(math.MaxInt64))
	f.Add(MaxValidityHours, int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, hours, nowSec int64) {
		d, err := ValidityHours(hours)
		if err != nil {
			if hours >= 1 && hours <= MaxValidityHours {
				t.Fatalf("ValidityHours(%d) refused: %v", hours, err)
			}
			return
		}
		if hours < 1 || hours > MaxValidityHours || int64(d/time.Hour) != hours || d%time.Hour != 0 {
			t.Fatalf("ValidityHours(%d) = %v", hours, d)
		}
		now := time.Unix(nowSec, 0)
		is, err := NewRootCA(CARequest{Subject: Subject{CommonName: "fuzz"}, KeyType: KeyEd25519, Validity: d, MaxPathLen: -1}, now, testRand(1))
		checkIssuedWindow(t, is, err, now, d, nil)
	})
}

// FuzzLeafValidity is the same property for server certificates below a CA
// valid until 9999-12-31T23:59:59Z: refusals (outliving the CA, a CA not
// valid yet, past 9999) are errors, everything else exactly the requested
// window, clamped to the CA's NotBefore.
func FuzzLeafValidity(f *testing.F) {
	start := LatestCertTime.Add(-time.Duration(MaxValidityHours-1) * time.Hour)
	root, err := NewRootCA(CARequest{Subject: Subject{CommonName: "until 9999"}, KeyType: KeyEd25519,
		Validity: LatestCertTime.Sub(start), MaxPathLen: -1}, start, testRand(9))
	if err != nil {
		f.Fatal(err)
	}
	iss, err := ParseIssuer(root.CertPEM, root.PrivateKeyPEM, "")
	if err != nil {
		f.Fatal(err)
	}
	for _, h := range []int64{1, 8760, MaxValidityHours, 5124096, 0, math.MaxInt64} {
		f.Add(h, int64(3600))
	}
	f.Add(int64(1), int64(-3600))
	f.Add(int64(1), int64(-200))
	f.Add(int64(1), LatestCertTime.Unix()-start.Unix())
	f.Fuzz(func(t *testing.T, hours, offset int64) {
		d, err := ValidityHours(hours)
		if err != nil {
			return
		}
		sec := start.Unix() + offset
		if offset > 0 && sec < start.Unix() || offset < 0 && sec > start.Unix() {
			return // int64 overflow: not a time this test means
		}
		now := time.Unix(sec, 0)
		is, err := NewServerCert(ServerRequest{DNSNames: []string{"db"}, KeyType: KeyEd25519, Validity: d}, iss, now, testRand(2))
		checkIssuedWindow(t, is, err, now, d, iss.Cert)
	})
}
