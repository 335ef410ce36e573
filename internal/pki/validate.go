package pki

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// ValidateDNSName checks a host name for a dNSName SAN: RFC 1123 labels
// (letters, digits and inner hyphens, 1 to 63 characters each, 253 in
// total), no trailing dot, not an IP address, and a wildcard only as a
// single leading "*." label, which is the only wildcard form libpq and Go
// match ("*.example.com" matches exactly one label). Matching is
// case-insensitive.
func ValidateDNSName(name string) error {
	const rule = "a DNS name is dot-separated labels of letters, digits and hyphens (not first or last in a label), " +
		"at most 63 characters per label and 253 in total; a wildcard is allowed only as a single leading \"*.\" " +
		"label, as in \"*.example.com\", which libpq and Go match against exactly one label"
	if name == "" {
		return errors.New("DNS name is empty: " + rule)
	}
	if strings.HasSuffix(name, ".") {
		return fmt.Errorf("DNS name %q ends with a dot: certificates carry names without the trailing dot and libpq compares them literally, write %q", name, strings.TrimSuffix(name, "."))
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Errorf("%q is an IP address, not a DNS name: put it in the IP addresses, because libpq and Go match IP hosts against iPAddress SANs", name)
	}
	if len(name) > 253 {
		return fmt.Errorf("DNS name %q is %d characters long: %s", name, len(name), rule)
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if l == "*" {
			if i != 0 {
				return fmt.Errorf("DNS name %q has a wildcard that is not the first label: %s", name, rule)
			}
			if len(labels) < 2 {
				return fmt.Errorf("DNS name %q is a bare wildcard: %s", name, rule)
			}
			continue
		}
		if strings.Contains(l, "*") {
			return fmt.Errorf("DNS name %q has a partial-label wildcard %q: %s", name, l, rule)
		}
		if err := checkLabel(l); err != "" {
			return fmt.Errorf("DNS name %q: label %q %s: %s", name, l, err, rule)
		}
	}
	return nil
}

// checkLabel returns a reason when l is not an RFC 1123 label.
func checkLabel(l string) string {
	if l == "" {
		return "is empty"
	}
	if len(l) > 63 {
		return fmt.Sprintf("is %d characters long", len(l))
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return "starts or ends with a hyphen"
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			r, _ := utf8.DecodeRuneInString(l[i:])
			return fmt.Sprintf("contains %q (use the punycode \"xn--\" form for international names)", r)
		}
	}
	return ""
}

// ValidateDNSConstraint checks a DNS name constraint: a domain name without
// wildcard, optionally with a leading "." meaning "subdomains only"
// ("example.com" permits example.com and every name below it, ".example.com"
// only names below it; this is how both Go and OpenSSL read them).
func ValidateDNSConstraint(c string) error {
	d := strings.TrimPrefix(c, ".")
	if d == "" {
		return fmt.Errorf("DNS name constraint %q is empty: give a domain such as \"example.com\" or \".example.com\" (subdomains only)", c)
	}
	if strings.Contains(d, "*") {
		return fmt.Errorf("DNS name constraint %q contains a wildcard: constraints are domains, \"example.com\" already covers every name below it", c)
	}
	if err := ValidateDNSName(d); err != nil {
		return fmt.Errorf("DNS name constraint %q is not a domain: %v", c, err)
	}
	return nil
}

// Reserved role names. Verified against PostgreSQL 15 (see
// TestRoleNamesAgainstPostgres): CREATE ROLE refuses "public" and "none"
// (case-sensitive: the quoted identifiers "PUBLIC" or "None" are accepted)
// and names starting with "pg_" ("role name ... is reserved"); longer names
// are silently truncated to NAMEDATALEN-1 = 63 bytes, which would make a
// certificate CN differ from the role, so they are refused here.
var reservedRoleNames = []string{"public", "none"}

// ValidateRoleName checks a name CREATE ROLE accepts unchanged: 1 to 63
// bytes of valid UTF-8 (bytes, not characters), no NUL, not "public" or
// "none", not starting with "pg_".
func ValidateRoleName(name string) error {
	if name == "" {
		return errors.New("role name is empty: PostgreSQL role names have 1 to 63 bytes")
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("role name %q is not valid UTF-8", name)
	}
	if strings.ContainsRune(name, 0) {
		return fmt.Errorf("role name %q contains a NUL character, which PostgreSQL identifiers cannot hold", name)
	}
	if len(name) > 63 {
		return fmt.Errorf("role name %q is %d bytes long: PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN-1), so the certificate name would not match the role", name, len(name))
	}
	for _, r := range reservedRoleNames {
		if name == r {
			return fmt.Errorf("role name %q is reserved by PostgreSQL (CREATE ROLE refuses %q)", name, strings.Join(reservedRoleNames, "\", \""))
		}
	}
	if strings.HasPrefix(name, "pg_") {
		return fmt.Errorf("role name %q is reserved: PostgreSQL reserves role names starting with \"pg_\"", name)
	}
	return nil
}

func validateKeyType(kt KeyType) error {
	if kt == "" {
		return nil
	}
	_, err := ParseKeyType(string(kt))
	return err
}

func validateValidity(v time.Duration) error {
	if v <= 0 {
		return fmt.Errorf("validity %s must be positive", v)
	}
	return nil
}

// Validate checks a CA request: a valid subject with a common name, key
// type, positive validity, MaxPathLen >= -1 and well-formed name
// constraints.
func (r CARequest) Validate() error {
	if err := r.Subject.Validate(); err != nil {
		return err
	}
	if r.Subject.CommonName == "" {
		return errors.New("CA subject needs a common_name")
	}
	if err := validateKeyType(r.KeyType); err != nil {
		return err
	}
	if err := validateValidity(r.Validity); err != nil {
		return err
	}
	if r.MaxPathLen < -1 {
		return fmt.Errorf("max path length %d is invalid: use -1 for no limit or a number >= 0", r.MaxPathLen)
	}
	for _, list := range [][]string{r.PermittedDNSDomains, r.ExcludedDNSDomains} {
		for _, d := range list {
			if err := ValidateDNSConstraint(d); err != nil {
				return err
			}
		}
	}
	for _, list := range [][]netip.Prefix{r.PermittedIPRanges, r.ExcludedIPRanges} {
		for _, p := range list {
			if !p.IsValid() {
				return fmt.Errorf("IP range constraint %q is not a valid CIDR range", p.String())
			}
			if p.Addr().Is4In6() {
				return fmt.Errorf("IP range constraint %s is an IPv4-mapped IPv6 range: write the IPv4 range instead", p)
			}
			if p.Addr().Zone() != "" {
				return fmt.Errorf("IP range constraint %q has an IPv6 zone", p.String())
			}
			if p.Masked() != p {
				return fmt.Errorf("IP range constraint %s has host bits set: did you mean %s?", p, p.Masked())
			}
		}
	}
	return nil
}

func (r CARequest) hasConstraints() bool {
	return len(r.PermittedDNSDomains)+len(r.ExcludedDNSDomains)+len(r.PermittedIPRanges)+len(r.ExcludedIPRanges) > 0
}

// EffectiveCommonName returns the common name the certificate gets: the configured
// one, else the first DNS name, else the first IP address.
func (r ServerRequest) EffectiveCommonName() string {
	switch {
	case r.CommonName != "":
		return r.CommonName
	case len(r.DNSNames) > 0:
		return r.DNSNames[0]
	case len(r.IPAddresses) > 0:
		return r.IPAddresses[0].Unmap().String()
	}
	return ""
}

// Validate checks a server request: at least one SAN (Go and pgx never fall
// back to the common name), valid and unique DNS names and IP addresses, a
// valid common name, key type and validity.
func (r ServerRequest) Validate() error {
	if len(r.DNSNames) == 0 && len(r.IPAddresses) == 0 {
		return errors.New("a server certificate needs at least one DNS name or IP address: Go clients such as pgx never fall back to the common name, and libpq ignores it once any SAN of the host's type exists")
	}
	seen := map[string]bool{}
	for _, d := range r.DNSNames {
		if err := ValidateDNSName(d); err != nil {
			return err
		}
		k := strings.ToLower(d)
		if seen[k] {
			return fmt.Errorf("DNS name %q is listed twice (names compare case-insensitively)", d)
		}
		seen[k] = true
	}
	for _, a := range r.IPAddresses {
		if !a.IsValid() {
			return errors.New("an IP address in the request is empty or invalid")
		}
		if a.Zone() != "" {
			return fmt.Errorf("IP address %q has an IPv6 zone: certificates cannot carry zones", a.String())
		}
		k := "ip:" + a.Unmap().String()
		if seen[k] {
			return fmt.Errorf("IP address %s is listed twice", a)
		}
		seen[k] = true
	}
	if err := (Subject{CommonName: r.EffectiveCommonName()}).Validate(); err != nil {
		return err
	}
	if err := validateKeyType(r.KeyType); err != nil {
		return err
	}
	return validateValidity(r.Validity)
}

// EffectiveSubject is the subject the client certificate gets: CN = User
// when Subject is nil, else Subject with its CommonName defaulting to User.
func (r ClientRequest) EffectiveSubject() Subject {
	if r.Subject == nil {
		return Subject{CommonName: r.User}
	}
	s := *r.Subject
	if s.CommonName == "" {
		s.CommonName = r.User
	}
	return s
}

// Validate checks a client request: a valid role name, a valid subject, key
// type and validity.
func (r ClientRequest) Validate() error {
	if err := ValidateRoleName(r.User); err != nil {
		return err
	}
	if err := r.EffectiveSubject().Validate(); err != nil {
		return err
	}
	if err := validateKeyType(r.KeyType); err != nil {
		return err
	}
	return validateValidity(r.Validity)
}
