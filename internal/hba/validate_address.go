package hba

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

var hostnameRE = regexp.MustCompile(`^\.?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$`)
var numericLabelRE = regexp.MustCompile(`^(0[xX][0-9a-fA-F]*|[0-9]+)$`)

// looksNumeric reports whether glibc's inet_aton could read s as an IPv4
// address (for example "10.1" or "0x0a000001"), which PostgreSQL would then
// do instead of treating it as a host name.
func looksNumeric(s string) bool {
	labels := strings.Split(strings.TrimPrefix(s, "."), ".")
	if len(labels) > 4 {
		return false
	}
	for _, l := range labels {
		if !numericLabelRE.MatchString(l) {
			return false
		}
	}
	return true
}

// addrKind classifies Rule.Address.
type addrKind int

const (
	addrNone addrKind = iota
	addrKeyword
	addrPrefix
	addrHostname
	addrInvalid
)

// parsedAddress interprets Address/Netmask; it returns the prefix for
// addrPrefix (an IP with netmask is converted).
func (r Rule) parsedAddress() (addrKind, netip.Prefix) {
	a := r.Address
	if r.Type == Local || a == "" {
		return addrNone, netip.Prefix{}
	}
	if addressKeywords[a] {
		return addrKeyword, netip.Prefix{}
	}
	if strings.Contains(a, "/") {
		p, err := netip.ParsePrefix(a)
		if err != nil || r.Netmask != "" {
			return addrInvalid, netip.Prefix{}
		}
		return addrPrefix, p
	}
	if ip, err := netip.ParseAddr(a); err == nil {
		if ip.Zone() != "" {
			return addrInvalid, netip.Prefix{}
		}
		bits, ok := maskBits(ip, r.Netmask)
		if !ok {
			return addrInvalid, netip.Prefix{}
		}
		return addrPrefix, netip.PrefixFrom(ip, bits)
	}
	if hostnameRE.MatchString(a) && !looksNumeric(a) && r.Netmask == "" {
		return addrHostname, netip.Prefix{}
	}
	return addrInvalid, netip.Prefix{}
}

// maskBits converts a contiguous netmask of ip's family to a prefix length.
func maskBits(ip netip.Addr, mask string) (int, bool) {
	m, err := netip.ParseAddr(mask)
	if err != nil || m.Zone() != "" || m.Is4() != ip.Is4() {
		return 0, false
	}
	b := m.AsSlice()
	bits, seenZero := 0, false
	for _, x := range b {
		for i := 7; i >= 0; i-- {
			if x&(1<<uint(i)) != 0 {
				if seenZero {
					return 0, false
				}
				bits++
			} else {
				seenZero = true
			}
		}
	}
	return bits, true
}

func (r Rule) validateAddress(t Target) []Problem {
	var ps []Problem
	add := func(field, value, msg string) { ps = append(ps, Problem{Field: field, Value: value, Message: msg}) }
	if r.Type == Local {
		if r.Address != "" {
			add("address", r.Address, "local rows take no address (PostgreSQL would read it as the authentication method)")
		}
		if r.Netmask != "" {
			add("netmask", r.Netmask, "local rows take no netmask")
		}
		return ps
	}
	a := r.Address
	if a == "" {
		add("address", "", "end-of-line before IP address specification: address is required for every type except local")
		return ps
	}
	if addressKeywords[a] {
		if r.Netmask != "" {
			add("netmask", r.Netmask, fmt.Sprintf("a netmask cannot follow the address keyword %q", a))
		}
		if t == TargetPgBouncer {
			add("address", a, "PgBouncer 1.18 accepts only IP addresses (it drops the line: \"failed to parse address\")")
		}
		return ps
	}
	if strings.Contains(a, "/") {
		host, bits, _ := strings.Cut(a, "/")
		ip, err := netip.ParseAddr(host)
		if err != nil {
			if hostnameRE.MatchString(host) && !looksNumeric(host) {
				add("address", a, fmt.Sprintf("specifying both host name and CIDR mask is invalid: %q", a))
			} else {
				add("address", a, fmt.Sprintf("invalid IP address %q", host))
			}
			return ps
		}
		if ip.Zone() != "" {
			add("address", a, "IPv6 zone identifiers (%...) are not supported")
			return ps
		}
		if _, err := netip.ParsePrefix(a); err != nil {
			add("address", a, fmt.Sprintf("invalid CIDR mask in address %q (mask bits %q)", a, bits))
			return ps
		}
		if r.Netmask != "" {
			add("netmask", r.Netmask, "a netmask cannot follow a CIDR address (PostgreSQL would read it as the authentication method)")
		}
		return ps
	}
	if ip, err := netip.ParseAddr(a); err == nil {
		if ip.Zone() != "" {
			add("address", a, "IPv6 zone identifiers (%...) are not supported")
			return ps
		}
		if r.Netmask == "" {
			add("netmask", "", fmt.Sprintf("end-of-line before netmask specification: address %q has no CIDR mask, so a netmask is required (specify an address range in CIDR notation, or provide a separate netmask)", a))
			return ps
		}
		m, err := netip.ParseAddr(r.Netmask)
		if err != nil || m.Zone() != "" {
			add("netmask", r.Netmask, fmt.Sprintf("invalid IP mask %q", r.Netmask))
			return ps
		}
		if m.Is4() != ip.Is4() {
			add("netmask", r.Netmask, "IP address and mask do not match")
			return ps
		}
		if _, ok := maskBits(ip, r.Netmask); !ok {
			add("netmask", r.Netmask, "netmask is not contiguous (PostgreSQL accepts it but it matches a scattered set of addresses); use CIDR notation")
		}
		return ps
	}
	if looksNumeric(a) {
		add("address", a, "looks like an abbreviated or hexadecimal IPv4 address that PostgreSQL would read as an IP; write a full dotted address with a CIDR mask")
		return ps
	}
	if !hostnameRE.MatchString(a) {
		add("address", a, "must be an IP address, CIDR, host name, .suffix, all, samehost or samenet")
		return ps
	}
	if r.Netmask != "" {
		add("netmask", r.Netmask, "a netmask cannot follow a host name")
	}
	if t == TargetPgBouncer {
		add("address", a, "PgBouncer 1.18 accepts only IP addresses (it drops the line: \"failed to parse address\")")
	}
	return ps
}
