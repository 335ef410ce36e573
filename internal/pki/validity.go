package pki

import (
	"crypto/x509"
	"fmt"
	"math"
	"time"
)

// The numeric limits of issuance. Each exists once, here; the provider's
// validators and plan checks call the functions below so a number that
// cannot be issued is refused at plan time with the limit named.
const (
	// MaxValidityHours is the longest validity (and renewal window) in
	// hours: a time.Duration counts nanoseconds in an int64, which holds
	// 2,562,047 whole hours (about 292 years). Larger values would wrap
	// around into a short or negative validity.
	MaxValidityHours int64 = math.MaxInt64 / int64(time.Hour)

	// MaxPathLenLimit is the largest max_path_length: the pathlen has to
	// fit an int on every platform the provider is built for (32-bit
	// 386/arm included) and OpenSSL's long where that is 32 bits. Any
	// real hierarchy is a handful of levels deep.
	MaxPathLenLimit int64 = math.MaxInt32
)

// The dates RFC 5280 section 4.1.2.5 lets a certificate carry: validity
// dates through 2049 MUST be UTCTime, which cannot express years before
// 1950; later dates are GeneralizedTime with a four-digit year, and
// 99991231235959Z is the latest (RFC 5280 names it the "no well-defined
// expiration date" value).
var (
	EarliestCertTime = time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
	LatestCertTime   = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// ValidityHours converts a validity period in hours, refusing values
// below 1 and above MaxValidityHours.
func ValidityHours(h int64) (time.Duration, error) {
	if h < 1 {
		return 0, fmt.Errorf("validity of %d hours is too short: a certificate must be valid for at least 1 hour", h)
	}
	if h > MaxValidityHours {
		return 0, fmt.Errorf("validity of %d hours is too long: at most %d hours (about %d years) can be computed "+
			"(a longer period overflows a 64-bit count of nanoseconds), and no certificate may end after %s",
			h, MaxValidityHours, MaxValidityHours/(24*365), LatestCertTime.Format(time.RFC3339))
	}
	return time.Duration(h) * time.Hour, nil
}

// RenewalHours converts an early renewal window in hours: 0 (renew once
// expired) to MaxValidityHours.
func RenewalHours(h int64) (time.Duration, error) {
	if h < 0 {
		return 0, fmt.Errorf("early renewal window of %d hours is negative: use 0 to renew once the certificate has expired", h)
	}
	if h > MaxValidityHours {
		return 0, fmt.Errorf("early renewal window of %d hours is too long: at most %d hours, the longest validity", h, MaxValidityHours)
	}
	return time.Duration(h) * time.Hour, nil
}

// CheckRenewalWindow refuses an early renewal window that covers the whole
// validity: such a certificate would be due for renewal as soon as it is
// issued, so every plan would replace it.
func CheckRenewalWindow(validityHours, earlyHours int64) error {
	if earlyHours >= validityHours {
		return fmt.Errorf("early_renewal_hours (%d) must be less than validity_period_hours (%d): otherwise every plan "+
			"would replace the certificate", earlyHours, validityHours)
	}
	return nil
}

// CheckMaxPathLen checks a basicConstraints pathLenConstraint: -1 (no
// limit) to MaxPathLenLimit.
func CheckMaxPathLen(n int64) error {
	if n < -1 {
		return fmt.Errorf("max path length %d is invalid: use -1 for no limit or a number >= 0", n)
	}
	if n > MaxPathLenLimit {
		return fmt.Errorf("max path length %d is too large: at most %d", n, MaxPathLenLimit)
	}
	return nil
}

// ValidityWindow returns NotBefore and NotAfter of a certificate issued at
// now for validity: now is truncated to the second (X.509 time precision),
// NotAfter is now + validity and NotBefore is now - Backdate, but not
// before the issuer's NotBefore (nil issuer: self-signed). It refuses a
// window RFC 5280 cannot encode (before 1950 or after 9999-12-31T23:59:59Z)
// and an issuer that becomes valid more than Backdate after now, whose
// certificates could not be verified before it is. Errors are *IssueError (InputValidity, or
// InputIssuer for the issuer).
func ValidityWindow(issuer *x509.Certificate, now time.Time, validity time.Duration) (notBefore, notAfter time.Time, err error) {
	if validity <= 0 {
		return time.Time{}, time.Time{}, blame(InputValidity, fmt.Errorf("validity %s must be positive", validity))
	}
	now = now.UTC().Truncate(time.Second)
	// Compare before adding, so no addition can leave the range time.Time
	// represents.
	if now.Before(EarliestCertTime.Add(Backdate)) || now.After(LatestCertTime) {
		return time.Time{}, time.Time{}, blame(InputValidity, fmt.Errorf("the clock reads %s: certificates can only be issued "+
			"between %s and %s (RFC 5280 time encoding); check the system clock",
			now.Format(time.RFC3339), EarliestCertTime.Add(Backdate).Format(time.RFC3339), LatestCertTime.Format(time.RFC3339)))
	}
	if limit := LatestCertTime.Sub(now); validity > limit {
		return time.Time{}, time.Time{}, blame(InputValidity, fmt.Errorf("a validity of %s from %s would end after %s, "+
			"the latest date RFC 5280 lets a certificate carry: shorten it to at most %d hours",
			humanDuration(validity), now.Format(time.RFC3339), LatestCertTime.Format(time.RFC3339), int64(limit/time.Hour)))
	}
	notBefore, notAfter = now.Add(-Backdate), now.Add(validity)
	if issuer != nil {
		// The issuer may start up to Backdate in the future (clock skew
		// between the machine that made it and this one): NotBefore is
		// then the issuer's, still before NotAfter.
		inBefore := issuer.NotBefore.UTC()
		if inBefore.After(now.Add(Backdate)) {
			return time.Time{}, time.Time{}, blame(InputIssuer, fmt.Errorf("issuer %s is not valid before %s, more than %s "+
				"after now (%s): a certificate it signs could not be verified until then", describeCert(issuer),
				inBefore.Format(time.RFC3339), Backdate, now.Format(time.RFC3339)))
		}
		if notBefore.Before(inBefore) {
			notBefore = inBefore
		}
	}
	return notBefore, notAfter, nil
}
