package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	if bits == 0 {
		return netip.Prefix{}, false
	}
	if bits == 32 {
		a = a.Unmap()
	}
	return netip.PrefixFrom(a, ones), true
}

func prefixesOf(nets []*net.IPNet) []netip.Prefix {
	var out []netip.Prefix
	for _, n := range nets {
		if p, ok := prefixOf(n); ok {
			out = append(out, p)
		}
	}
	return out
}

// checkNameConstraints refuses names a verifier would reject because of the
// DNS and IP name constraints of any CA in chain (issuer first). dnsNames
// are the dNSName SANs; cn is checked as a DNS name when there are no DNS
// SANs and it looks like one, as OpenSSL does for end-entity certificates.
func checkNameConstraints(chain []*x509.Certificate, dnsNames []string, ips []netip.Addr, cn string) error {
	type named struct{ kind, name string }
	var dns []named
	for _, d := range dnsNames {
		dns = append(dns, named{"DNS name", d})
	}
	if len(dnsNames) == 0 {
		// pgtls validates subjects (no NUL), so the only possible error of
		// CNAsDNSID cannot occur; a name it refuses is not host-like.
		if c, err := x509util.CNAsDNSID(cn); err == nil && c != "" {
			dns = append(dns, named{"common name (OpenSSL checks a host-like CN when there is no DNS SAN)", c})
		}
	}
	for _, ca := range chain {
		for _, n := range dns {
			var nce *x509util.NameConstraintError
			if err := x509util.CheckDNSConstraints(n.name, ca); errors.As(err, &nce) {
				if nce.Excluded {
					return fmt.Errorf("%s %q falls under the excluded DNS domain %q of CA %s: verifiers would reject the certificate",
						n.kind, n.name, nce.ExcludedBase, describeCert(ca))
				}
				return fmt.Errorf("%s %q is outside the permitted DNS domains [%s] of CA %s: verifiers would reject the certificate",
					n.kind, n.name, strings.Join(nce.Permitted, ", "), describeCert(ca))
			}
		}
		permitted := prefixesOf(ca.PermittedIPRanges)
		excluded := prefixesOf(ca.ExcludedIPRanges)
		for _, ip := range ips {
			ip = ip.Unmap()
			if len(ca.PermittedIPRanges) > 0 {
				ok := false
				for _, p := range permitted {
					if p.Contains(ip) {
						ok = true
						break
					}
				}
				if !ok {
					var s []string
					for _, p := range permitted {
						s = append(s, p.String())
					}
					return fmt.Errorf("IP address %s is outside the permitted IP ranges [%s] of CA %s: verifiers would reject the certificate",
						ip, strings.Join(s, ", "), describeCert(ca))
				}
			}
			for _, p := range excluded {
				if p.Contains(ip) {
					return fmt.Errorf("IP address %s falls in the excluded IP range %s of CA %s: verifiers would reject the certificate",
						ip, p, describeCert(ca))
				}
			}
		}
	}
	return nil
}

// checkChainEKU refuses a leaf whose extended key usage a CA above it does
// not allow (a CA with an EKU extension restricts the certificates below it
// in both Go and OpenSSL).
func checkChainEKU(chain []*x509.Certificate, want x509.ExtKeyUsage, wantName string) error {
	for _, ca := range chain {
		if len(ca.ExtKeyUsage) == 0 && len(ca.UnknownExtKeyUsage) == 0 {
			continue
		}
		ok := false
		for _, u := range ca.ExtKeyUsage {
			if u == want || u == x509.ExtKeyUsageAny {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("CA %s restricts extended key usage and does not allow %s: verifiers would reject the certificate", describeCert(ca), wantName)
		}
	}
	return nil
}
