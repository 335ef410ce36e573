package x509util

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// ErrCNEmbeddedNUL is returned by CNAsDNSID for a common name with a NUL
// byte before its end: OpenSSL then fails the verification ("unsupported
// or invalid name syntax") whenever a CA in the chain has name constraints.
var ErrCNEmbeddedNUL = errors.New("common name contains an embedded NUL byte")

// CNAsDNSID is OpenSSL's cn2dnsid: it returns the common name when OpenSSL
// treats it as a host name for DNS name constraints, else "". Trailing NUL
// bytes are dropped; a host name is letters, digits and "_", with inner "-"
// and at least one inner "." that is not next to another "." or a "-"
// ("127.0.0.1" qualifies, "localhost" does not).
func CNAsDNSID(cn string) (string, error) {
	cn = strings.TrimRight(cn, "\x00")
	if strings.IndexByte(cn, 0) >= 0 {
		return "", ErrCNEmbeddedNUL
	}
	isDNS := false
	for i := 0; i < len(cn); i++ {
		c := cn[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			continue
		}
		if i > 0 && i < len(cn)-1 {
			if c == '-' {
				continue
			}
			if c == '.' && cn[i+1] != '.' && cn[i-1] != '-' && cn[i+1] != '-' {
				isDNS = true
				continue
			}
		}
		return "", nil
	}
	if isDNS {
		return cn, nil
	}
	return "", nil
}

// HostLikeCommonNames returns the subject common names OpenSSL checks
// against the DNS name constraints of the CAs above an end-entity
// certificate (NAME_CONSTRAINTS_check_CN): none when the certificate has a
// dNSName SAN, else every CN for which CNAsDNSID returns a name. The error
// is ErrCNEmbeddedNUL (OpenSSL fails such a certificate under name
// constraints) or an unparsable subject.
func HostLikeCommonNames(c *x509.Certificate) ([]string, error) {
	if len(c.DNSNames) > 0 {
		return nil, nil
	}
	cns, ok := CommonNames(c.RawSubject)
	if !ok {
		return nil, errors.New("subject is not a valid distinguished name")
	}
	var out []string
	for _, cn := range cns {
		id, err := CNAsDNSID(cn)
		if err != nil {
			return nil, err
		}
		if id != "" {
			out = append(out, id)
		}
	}
	return out, nil
}

// MatchDNSConstraint is OpenSSL's nc_dns, which Go's verifier shares: the
// empty base matches everything, "example.com" matches example.com and
// every name below it, ".example.com" only names below it.
// Letters compare case-insensitively (ASCII only, like OpenSSL).
func MatchDNSConstraint(name, base string) bool {
	if base == "" {
		return true
	}
	if len(name) < len(base) {
		return false
	}
	tail := name[len(name)-len(base):]
	if len(name) > len(base) && base[0] != '.' && name[len(name)-len(base)-1] != '.' {
		return false
	}
	return asciiEqualFold(tail, base)
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// NameConstraintError says how a DNS name breaks a CA's DNS name
// constraints.
type NameConstraintError struct {
	Name string
	// Excluded is set when Name falls under ExcludedBase; otherwise Name is
	// outside every one of Permitted.
	Excluded     bool
	ExcludedBase string
	Permitted    []string
	CA           *x509.Certificate
}

func (e *NameConstraintError) Error() string {
	if e.Excluded {
		return fmt.Sprintf("DNS name %q falls under the excluded DNS domain %q of CA %q", e.Name, e.ExcludedBase, RFC2253(e.CA.RawSubject))
	}
	return fmt.Sprintf("DNS name %q is outside the permitted DNS domains [%s] of CA %q", e.Name, strings.Join(e.Permitted, ", "), RFC2253(e.CA.RawSubject))
}

// CheckDNSConstraints applies ca's DNS name constraints to name the way
// OpenSSL's nc_match does for a dNSName: with permitted DNS subtrees at
// least one must match, and no excluded one may. It returns nil or a
// *NameConstraintError.
func CheckDNSConstraints(name string, ca *x509.Certificate) error {
	if len(ca.PermittedDNSDomains) > 0 {
		ok := false
		for _, base := range ca.PermittedDNSDomains {
			if MatchDNSConstraint(name, base) {
				ok = true
				break
			}
		}
		if !ok {
			return &NameConstraintError{Name: name, Permitted: ca.PermittedDNSDomains, CA: ca}
		}
	}
	for _, base := range ca.ExcludedDNSDomains {
		if MatchDNSConstraint(name, base) {
			return &NameConstraintError{Name: name, Excluded: true, ExcludedBase: base, CA: ca}
		}
	}
	return nil
}
