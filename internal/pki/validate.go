package pki

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
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
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' {
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
		return fmt.Errorf("DNS name constraint %q is not a domain: %w", c, err)
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
		return blame(InputSubject, err)
	}
	if r.Subject.CommonName == "" {
		return blame(InputSubject, errors.New("CA subject needs a common_name"))
	}
	if err := validateKeyType(r.KeyType); err != nil {
		return blame(InputKeyType, err)
	}
	if err := validateValidity(r.Validity); err != nil {
		return blame(InputValidity, err)
	}
	if err := CheckMaxPathLen(int64(r.MaxPathLen)); err != nil {
		return blame(InputMaxPathLen, err)
	}
	for _, list := range [][]string{r.PermittedDNSDomains, r.ExcludedDNSDomains} {
		for _, d := range list {
			if err := ValidateDNSConstraint(d); err != nil {
				return blame(InputNameConstraints, err)
			}
		}
	}
	for _, list := range [][]netip.Prefix{r.PermittedIPRanges, r.ExcludedIPRanges} {
		for _, p := range list {
			if err := validateIPConstraint(p); err != nil {
				return blame(InputNameConstraints, err)
			}
		}
	}
	return nil
}

func validateIPConstraint(p netip.Prefix) error {
	switch {
	case !p.IsValid():
		return fmt.Errorf("IP range constraint %q is not a valid CIDR range", p.String())
	case p.Addr().Is4In6():
		return fmt.Errorf("IP range constraint %s is an IPv4-mapped IPv6 range: write the IPv4 range instead", p)
	case p.Addr().Zone() != "":
		return fmt.Errorf("IP range constraint %q has an IPv6 zone", p.String())
	case p.Masked() != p:
		return fmt.Errorf("IP range constraint %s has host bits set: did you mean %s?", p, p.Masked())
	}
	return nil
}

func (r CARequest) hasConstraints() bool {
	return len(r.PermittedDNSDomains)+len(r.ExcludedDNSDomains)+len(r.PermittedIPRanges)+len(r.ExcludedIPRanges) > 0
}

// EffectiveCommonName returns the common name the certificate gets: the
// configured one (Subject.CommonName or CommonName), else the first DNS
// name that fits a common name (64 characters), else the first IP address,
// else none.
func (r ServerRequest) EffectiveCommonName() string {
	switch {
	case r.Subject != nil && r.Subject.CommonName != "":
		return r.Subject.CommonName
	case r.CommonName != "":
		return r.CommonName
	}
	for _, d := range r.DNSNames {
		if len(d) <= maxCommonName {
			return d
		}
	}
	if len(r.IPAddresses) > 0 {
		return r.IPAddresses[0].Unmap().String()
	}
	return ""
}

// maxCommonName is the X.520 upper bound of a common name.
const maxCommonName = 64

// EffectiveSubject is the subject the server certificate gets: Subject
// (or none) with the common name from EffectiveCommonName.
func (r ServerRequest) EffectiveSubject() Subject {
	var s Subject
	if r.Subject != nil {
		s = *r.Subject
	}
	s.CommonName = r.EffectiveCommonName()
	return s
}

// Validate checks a server request: at least one SAN (Go and pgx never fall
// back to the common name), valid and unique DNS names and IP addresses, a
// valid subject, key type and validity.
func (r ServerRequest) Validate() error {
	if len(r.DNSNames) == 0 && len(r.IPAddresses) == 0 {
		return blame(InputDNSNames, errors.New("a server certificate needs at least one DNS name or IP address: Go clients such as pgx never fall back to the common name, and libpq ignores it once any SAN of the host's type exists"))
	}
	if err := validateDNSNames(r.DNSNames); err != nil {
		return err
	}
	seen := map[netip.Addr]bool{}
	for _, a := range r.IPAddresses {
		if !a.IsValid() {
			return blame(InputIPAddresses, errors.New("an IP address in the request is empty or invalid"))
		}
		if a.Zone() != "" {
			return blame(InputIPAddresses, fmt.Errorf("IP address %q has an IPv6 zone: certificates cannot carry zones", a.String()))
		}
		k := a.Unmap()
		if seen[k] {
			return blame(InputIPAddresses, fmt.Errorf("IP address %s is listed twice", a))
		}
		seen[k] = true
	}
	if r.Subject != nil && r.Subject.CommonName != "" && r.CommonName != "" {
		return blame(InputSubject, fmt.Errorf("the common name is given twice (%q and %q): set it once", r.CommonName, r.Subject.CommonName))
	}
	if err := r.EffectiveSubject().Validate(); err != nil {
		return blame(InputSubject, err)
	}
	if err := validateKeyType(r.KeyType); err != nil {
		return blame(InputKeyType, err)
	}
	return blame(InputValidity, validateValidity(r.Validity))
}

// validateDNSNames checks dNSName SANs: each valid, none twice (names
// compare case-insensitively).
func validateDNSNames(names []string) error {
	seen := map[string]bool{}
	for _, d := range names {
		if err := ValidateDNSName(d); err != nil {
			return blame(InputDNSNames, err)
		}
		k := strings.ToLower(d)
		if seen[k] {
			return blame(InputDNSNames, fmt.Errorf("DNS name %q is listed twice (names compare case-insensitively)", d))
		}
		seen[k] = true
	}
	return nil
}

// ValidateEmailAddress checks an email address for a certificate (an
// rfc822Name SAN or the subject's emailAddress, both IA5String): plain
// ASCII local@domain without display name, comments or quoting, whose
// domain is a DNS host name.
func ValidateEmailAddress(e string) error {
	const rule = "an email address in a certificate is a plain ASCII address like \"dba@example.com\" (no display name, quotes or comments)"
	for i := 0; i < len(e); i++ {
		if e[i] >= 0x80 || e[i] < 0x21 || e[i] == 0x7f {
			return fmt.Errorf("email address %q contains %q: %s", e, rune(e[i]), rule)
		}
	}
	addr, err := mail.ParseAddress(e)
	local, domain, ok := strings.Cut(e, "@")
	if err != nil || addr.Address != e || addr.Name != "" || !ok || local == "" || strings.ContainsAny(e, "\"()<>[],;:\\") {
		return fmt.Errorf("email address %q is not valid: %s", e, rule)
	}
	if strings.Contains(domain, "*") {
		return fmt.Errorf("email address %q has a wildcard domain: %s", e, rule)
	}
	if err := ValidateDNSName(domain); err != nil {
		return fmt.Errorf("email address %q: its domain is not a host name: %w", e, err)
	}
	return nil
}

// ValidateURI checks a URI SAN: printable ASCII, an absolute URI with a
// scheme (such as "spiffe://example.org/app" or "urn:example:app") that
// reads back exactly as written, and a host, when it has one, that is a
// DNS host name or an IP address.
func ValidateURI(s string) error {
	const rule = "a URI SAN is an absolute URI in printable ASCII, such as \"spiffe://example.org/db/app\" or \"urn:example:app\""
	if s == "" {
		return fmt.Errorf("URI is empty: %s", rule)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x7f || s[i] <= 0x20 {
			return fmt.Errorf("URI %q contains %q: %s (percent-encode it)", s, rune(s[i]), rule)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("URI %q does not parse: %w", s, err)
	}
	if u.Scheme == "" {
		return fmt.Errorf("URI %q has no scheme: %s", s, rule)
	}
	if u.String() != s {
		return fmt.Errorf("URI %q would be written as %q: give it in that form", s, u.String())
	}
	if h := u.Hostname(); h != "" {
		if _, err := netip.ParseAddr(h); err != nil {
			if strings.Contains(h, "*") {
				return fmt.Errorf("URI %q has a wildcard host: %s", s, rule)
			}
			if err := ValidateDNSName(h); err != nil {
				return fmt.Errorf("URI %q: its host is neither an IP address nor a host name: %w", s, err)
			}
		}
	}
	return nil
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

// Validate checks a client request: a valid role name, a valid subject,
// valid and unique SANs, key type and validity.
func (r ClientRequest) Validate() error {
	if err := ValidateRoleName(r.User); err != nil {
		return blame(InputUser, err)
	}
	if err := r.EffectiveSubject().Validate(); err != nil {
		return blame(InputSubject, err)
	}
	if err := validateDNSNames(r.DNSNames); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range r.EmailAddresses {
		if err := ValidateEmailAddress(e); err != nil {
			return blame(InputEmailAddresses, err)
		}
		if k := strings.ToLower(e); seen[k] {
			return blame(InputEmailAddresses, fmt.Errorf("email address %q is listed twice", e))
		} else {
			seen[k] = true
		}
	}
	for _, u := range r.URIs {
		if err := ValidateURI(u); err != nil {
			return blame(InputURIs, err)
		}
		if k := "uri:" + u; seen[k] {
			return blame(InputURIs, fmt.Errorf("URI %q is listed twice", u))
		} else {
			seen[k] = true
		}
	}
	if err := validateKeyType(r.KeyType); err != nil {
		return blame(InputKeyType, err)
	}
	return blame(InputValidity, validateValidity(r.Validity))
}
