package hba

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// hostnameRE is what a DNS host name (or .suffix) looks like. PostgreSQL
// takes any other non-numeric address as a host name too; such addresses
// are reported (unusual_address), not refused.
var hostnameRE = regexp.MustCompile(`^\.?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$`)

// inetAton is glibc's inet_aton() as getaddrinfo(AI_NUMERICHOST) applies it
// (the whole string must be used): one to four parts separated by dots,
// each decimal, octal (leading 0) or hexadecimal (0x); the last part fills
// the remaining bytes ("10.1" is 10.0.0.1). ok is false for anything else.
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 || s == "" {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		base, digits := 10, p
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, digits = 16, p[2:]
			if digits == "" {
				// glibc reads "0x" as 0.
				digits = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil || strings.ContainsAny(digits, "+-_") {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
		n |= vals[i] << (24 - 8*uint(i))
	}
	if vals[last] >= 1<<(8*uint(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// numericAddr is getaddrinfo(AI_NUMERICHOST): an IPv4 address in any
// inet_aton form or an IPv6 address (a zone makes zoned true).
// abbreviated is true for IPv4 not written as four decimal parts.
func numericAddr(s string) (ip netip.Addr, abbreviated, ok bool) {
	if strings.Contains(s, ":") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Is4() {
			return netip.Addr{}, false, false
		}
		return a, false, true
	}
	a, ok := inetAton(s)
	if !ok {
		return netip.Addr{}, false, false
	}
	exact, err := netip.ParseAddr(s)
	return a, err != nil || exact != a, true
}

// looksNumeric reports whether getaddrinfo would read s as an IPv4 address.
func looksNumeric(s string) bool { _, ok := inetAton(s); return ok }

// strtolBits is pg_sockaddr_cidr_mask's reading of the mask length:
// strtol() (leading blanks, a sign, leading zeros) over the whole string,
// 0..max.
func strtolBits(s string, max int) (int, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" || strings.TrimLeft(t, "0123456789") != "" {
		return 0, false
	}
	t = strings.TrimLeft(t, "0")
	if len(t) > 4 {
		return 0, false
	}
	n := 0
	if t != "" {
		n, _ = strconv.Atoi(t)
	}
	if neg {
		n = -n
	}
	if n < 0 || n > max {
		return 0, false
	}
	return n, true
}

// addrKind classifies Rule.Address.
type addrKind int

const (
	addrNone     addrKind = iota
	addrKeyword           // all, samehost, samenet (unquoted)
	addrPrefix            // an IP with a CIDR length or a netmask
	addrHostname          // anything else PostgreSQL resolves as a host name (or .suffix)
	addrFile              // @file: PostgreSQL reads the address from that file
	addrUnknown           // accepted by PostgreSQL, but what it matches cannot be known here
	addrInvalid           // refused by PostgreSQL
)

// addressInfo is Rule.Address (a pg_hba.conf token) and Netmask as
// PostgreSQL reads them.
type addressInfo struct {
	kind   addrKind
	value  string       // the token's text (quotes removed)
	quoted bool         // the token began with a double quote
	pfx    netip.Prefix // addrPrefix: the range it matches (masked)
	ip     netip.Addr   // numeric addresses: the address as read (not masked)
	mask   netip.Addr   // numeric addresses: the netmask as read
	// unusual explains what PostgreSQL does with an address that is
	// accepted but probably not what was meant (unusual_address).
	unusual string
	// problems are what PostgreSQL refuses, with its wording.
	problems problems
}

// canonicalAddress is the token form Parse stores for an address token
// PostgreSQL read: quoted only where the quotes matter or are needed.
func canonicalAddress(t token) string {
	switch {
	case t.quoted && (addressKeywords[t.s] || (len(t.s) > 1 && t.s[0] == '@')):
		return quote(t.s)
	case !t.quoted && len(t.s) > 1 && t.s[0] == '@':
		return "@" + hclToken(t.s[1:])
	}
	return hclToken(t.s)
}

// address reads Address and Netmask following parse_hba_line().
func (r Rule) address() addressInfo {
	var ai addressInfo
	a := r.Address
	if r.Type == Local || a == "" {
		ai.kind = addrNone
		return ai
	}
	tok, err := parseSingleToken(a)
	if err != nil {
		ai.kind = addrInvalid
		ai.problems.add("address", a, err.Error())
		return ai
	}
	ai.value, ai.quoted = tok.s, tok.quoted
	v := tok.s
	if !tok.quoted && addressKeywords[v] {
		ai.kind = addrKeyword
		if r.Netmask != "" {
			ai.problems.add("netmask", r.Netmask, fmt.Sprintf("a netmask cannot follow the address keyword %q", v))
		}
		return ai
	}
	if !tok.quoted && len(v) > 1 && v[0] == '@' {
		ai.kind = addrFile
		ai.unusual = fmt.Sprintf("PostgreSQL reads the address from the file %q (relative to the directory of pg_hba.conf) and fails the line unless it holds exactly one address; what this line matches cannot be checked here", v[1:])
		return ai
	}
	host, bits, slash := strings.Cut(v, "/")
	ip, abbreviated, numeric := numericAddr(host)
	if !numeric {
		if slash {
			ai.kind = addrInvalid
			ai.problems.add("address", a, fmt.Sprintf("specifying both host name and CIDR mask is invalid: %q", v))
			return ai
		}
		ai.kind = addrHostname
		if r.Netmask != "" {
			ai.problems.add("netmask", r.Netmask, "a netmask cannot follow a host name (PostgreSQL would read it as the authentication method)")
		}
		switch {
		case tok.quoted && addressKeywords[v]:
			ai.unusual = fmt.Sprintf("the quoted %s is a host name to PostgreSQL, not the keyword %s; it matches only clients whose address resolves to a host named %q: write %s without quotes for the keyword", quote(v), v, v, v)
		case strings.Contains(host, "%") && strings.Contains(host, ":"):
			ai.kind = addrUnknown
			ai.unusual = fmt.Sprintf("%q has an IPv6 zone: PostgreSQL reads it as an address only when the server has that interface, otherwise as a host name that matches no client", v)
		case !hostnameRE.MatchString(v):
			// No DNS name looks like this: the lint compares it with nothing.
			ai.kind = addrUnknown
			ai.unusual = fmt.Sprintf("PostgreSQL reads %q as a host name and resolves it when a client connects; it is not a valid host name (unrendered template text?), so this line matches no client", v)
		}
		return ai
	}
	ai.kind = addrPrefix
	ai.ip = ip
	if ip.Zone() != "" {
		ai.kind = addrUnknown
		ai.unusual = fmt.Sprintf("%q has an IPv6 zone: PostgreSQL reads it as an address only when the server has that interface, otherwise it refuses or ignores the line", v)
		if !slash && r.Netmask == "" {
			ai.problems.add("netmask", "", fmt.Sprintf("end-of-line before netmask specification: address %q has no CIDR mask, so a netmask is required (specify an address range in CIDR notation, or provide a separate netmask)", v))
		}
		return ai
	}
	if abbreviated {
		ai.unusual = fmt.Sprintf("PostgreSQL reads the IPv4 address %q as %s (inet_aton); write it in full", host, ip)
	}
	full := 32
	if ip.Is6() {
		full = 128
	}
	if slash {
		n, ok := strtolBits(bits, full)
		if !ok {
			ai.kind = addrInvalid
			ai.problems.add("address", a, fmt.Sprintf("invalid CIDR mask in address %q", v))
			return ai
		}
		if r.Netmask != "" {
			ai.problems.add("netmask", r.Netmask, "a netmask cannot follow a CIDR address (PostgreSQL would read it as the authentication method)")
		}
		ai.pfx, _ = ip.Prefix(n)
		ai.mask = prefixMask(ip, n)
		return ai
	}
	if r.Netmask == "" {
		ai.kind = addrInvalid
		ai.problems.add("netmask", "", fmt.Sprintf("end-of-line before netmask specification: address %q has no CIDR mask, so a netmask is required (specify an address range in CIDR notation, or provide a separate netmask)", v))
		return ai
	}
	m, _, ok := numericAddr(r.Netmask)
	if !ok || m.Zone() != "" {
		ai.kind = addrInvalid
		ai.problems.add("netmask", r.Netmask, fmt.Sprintf("invalid IP mask %q", r.Netmask))
		return ai
	}
	if m.Is4() != ip.Is4() {
		ai.kind = addrInvalid
		ai.problems.add("netmask", r.Netmask, "IP address and mask do not match")
		return ai
	}
	ai.mask = m
	n, contiguous := maskBits(m)
	if !contiguous {
		ai.kind = addrUnknown
		ai.unusual = fmt.Sprintf("netmask %s is not contiguous: PostgreSQL matches every client whose address ANDed with it equals %s ANDed with it, a scattered set of addresses; use CIDR notation", r.Netmask, ip)
		return ai
	}
	ai.pfx, _ = ip.Prefix(n)
	return ai
}

// parsedAddress is the address kind and range the lint compares.
func (r Rule) parsedAddress() (addrKind, netip.Prefix) {
	ai := r.address()
	return ai.kind, ai.pfx
}

// maskBits converts a contiguous netmask to a prefix length.
func maskBits(m netip.Addr) (int, bool) {
	bits, seenZero := 0, false
	for _, x := range m.AsSlice() {
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
	var ps problems
	if r.Type == Local {
		if r.Address != "" {
			ps.add("address", r.Address, "local rows take no address (PostgreSQL would read it as the authentication method)")
		}
		if r.Netmask != "" {
			ps.add("netmask", r.Netmask, "local rows take no netmask")
		}
		return ps
	}
	if r.Address == "" {
		ps.add("address", "", "end-of-line before IP address specification: address is required for every type except local")
		return ps
	}
	ai := r.address()
	ps = append(ps, ai.problems...)
	if len(ps) > 0 {
		return ps
	}
	if t == TargetPgBouncer && (ai.kind != addrPrefix || ai.unusual != "") {
		ps.add("address", r.Address, "PgBouncer 1.18 accepts only IP addresses (it drops the line: \"failed to parse address\")")
	}
	return ps
}
