package hba

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// optSpec says which methods accept an option and since which version.
type optSpec struct {
	methods []Method
	label   string // PostgreSQL's wording of the method list
	since   int
	boolish bool // PostgreSQL reads "1" as true and anything else as false
}

var optionSpecs = map[string]optSpec{
	"pamservice":             {methods: []Method{PAM}, label: "pam", since: 13},
	"pam_use_hostname":       {methods: []Method{PAM}, label: "pam", since: 13, boolish: true},
	"ldapurl":                {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldaptls":                {methods: []Method{LDAP}, label: "ldap", since: 13, boolish: true},
	"ldapscheme":             {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapserver":             {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapport":               {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapbinddn":             {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapbindpasswd":         {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapsearchattribute":    {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapsearchfilter":       {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapbasedn":             {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapprefix":             {methods: []Method{LDAP}, label: "ldap", since: 13},
	"ldapsuffix":             {methods: []Method{LDAP}, label: "ldap", since: 13},
	"krb_realm":              {methods: []Method{GSS, SSPI}, label: "gssapi and sspi", since: 13},
	"include_realm":          {methods: []Method{GSS, SSPI}, label: "gssapi and sspi", since: 13, boolish: true},
	"compat_realm":           {methods: []Method{SSPI}, label: "sspi", since: 13, boolish: true},
	"upn_username":           {methods: []Method{SSPI}, label: "sspi", since: 13, boolish: true},
	"radiusservers":          {methods: []Method{RADIUS}, label: "radius", since: 13},
	"radiussecrets":          {methods: []Method{RADIUS}, label: "radius", since: 13},
	"radiusports":            {methods: []Method{RADIUS}, label: "radius", since: 13},
	"radiusidentifiers":      {methods: []Method{RADIUS}, label: "radius", since: 13},
	"issuer":                 {methods: []Method{OAuth}, label: "oauth", since: 18},
	"scope":                  {methods: []Method{OAuth}, label: "oauth", since: 18},
	"validator":              {methods: []Method{OAuth}, label: "oauth", since: 18},
	"delegate_ident_mapping": {methods: []Method{OAuth}, label: "oauth", since: 18, boolish: true},
}

func hasMethod(ms []Method, m Method) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}

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

func validateNames(field string, names []Name, users bool, t Target, v int) []Problem {
	var ps []Problem
	if len(names) == 0 {
		what := "database"
		if users {
			what = "role"
		}
		return []Problem{{Field: field, Message: fmt.Sprintf("end-of-line before %s specification: at least one name is required", what)}}
	}
	for i, n := range names {
		f := fmt.Sprintf("%s[%d]", field, i)
		shown := n.String()
		add := func(msg string) { ps = append(ps, Problem{Field: f, Value: shown, Message: msg}) }
		if _, err := renderName(n); err != nil {
			add(err.Error())
			continue
		}
		switch n.Kind {
		case Keyword:
			if users && n.Value != "all" {
				add(fmt.Sprintf("%q is not a keyword in the users column (only all; write \"\\\"%s\\\"\" for a role of that name)", n.Value, n.Value))
				continue
			}
			switch t {
			case TargetPgBouncer:
				if n.Value != "all" && n.Value != "sameuser" {
					add(fmt.Sprintf("PgBouncer 1.18 does not support %q (it drops the line: \"%s is not supported\")", n.Value, n.Value))
				}
			case TargetPgpool:
				if n.Value != "all" && n.Value != "sameuser" {
					add(fmt.Sprintf("Pgpool-II 4.3 pool_hba does not support %q", n.Value))
				}
			}
		case Group:
			if !users {
				add("+role is only meaningful in the users column (in databases it would be a database literally named +...); quote it")
				continue
			}
			switch t {
			case TargetPgBouncer:
				add("PgBouncer 1.18 does not support +group (it drops the line)")
			case TargetPgpool:
				add("Pgpool-II 4.3 pool_hba does not support +group (it fails at login)")
			}
		case Regex:
			if t != TargetPostgreSQL {
				add(fmt.Sprintf("regular expressions are not supported by the %s target", t))
			} else if err := checkRegex(n.Value); err != nil {
				add(err.Error())
			} else if v < 16 {
				add(fmt.Sprintf("regular expressions in pg_hba.conf need PostgreSQL 16 (PostgreSQL %d would read /%s as a literal name)", v, n.Value))
			}
		case File:
			if t == TargetPgBouncer && !safeBare(n.Value) {
				add("PgBouncer 1.18 cannot read a quoted @file name; use a file name of letters, digits, _ . - only")
			}
		case Literal:
			if strings.HasPrefix(n.Value, "/") && t == TargetPostgreSQL && v >= 16 {
				add("PostgreSQL 16+ reads any name starting with / as a regular expression, even when quoted; a literal name starting with / cannot be written")
			}
		}
	}
	return ps
}

// Validate checks the rule as target t reads it (v is the PostgreSQL major
// version, 13..18; it is ignored for pgbouncer and pgpool). It follows
// PostgreSQL's hba.c parse_hba_line()/parse_hba_auth_opt() and uses their
// messages where they exist. Problems are returned in field order; an empty
// result means the rule is valid.
func (r Rule) Validate(t Target, v int) []Problem {
	var ps []Problem
	add := func(field, value, msg string) { ps = append(ps, Problem{Field: field, Value: value, Message: msg}) }
	switch t {
	case TargetPostgreSQL:
		if v < MinVersion || v > MaxVersion {
			add("postgres_version", strconv.Itoa(v), fmt.Sprintf("must be between %d and %d", MinVersion, MaxVersion))
			return ps
		}
	case TargetPgBouncer, TargetPgpool:
	default:
		add("target", string(t), "must be postgresql, pgbouncer or pgpool")
		return ps
	}
	if !knownTypes[r.Type] {
		add("type", string(r.Type), fmt.Sprintf("invalid connection type %q", r.Type))
		return ps
	}
	if t != TargetPostgreSQL && (r.Type == HostGSSEnc || r.Type == HostNoGSSEnc) {
		add("type", string(r.Type), fmt.Sprintf("the %s target accepts only local, host, hostssl and hostnossl", t))
	}
	ps = append(ps, validateNames("databases", r.Databases, false, t, v)...)
	ps = append(ps, validateNames("users", r.Users, true, t, v)...)
	ps = append(ps, r.validateAddress(t)...)
	if r.Comment != "" {
		if err := checkComment(r.Comment); err != nil {
			add("comment", r.Comment, err.Error())
		}
	}

	if !knownMethods[r.Method] {
		add("method", string(r.Method), fmt.Sprintf("invalid authentication method %q", r.Method))
		return ps
	}
	m := r.Method
	switch t {
	case TargetPgBouncer:
		switch m {
		case Trust, Reject, MD5, Password, Peer, Cert, ScramSHA256:
		default:
			add("method", string(m), "PgBouncer 1.18 hba supports only trust, reject, md5, password, peer, cert and scram-sha-256 (it drops the line: \"unsupported method\")")
		}
		if len(r.allOptions()) > 0 {
			for _, o := range r.allOptions() {
				add(o.field(), o.shown(), "PgBouncer 1.18 accepts no options on an hba line (it drops the whole line: \"unsupported parameters\")")
			}
		}
		if m == Peer && r.Type != Local {
			add("method", string(m), "peer authentication is only supported on local sockets")
		}
		return ps
	case TargetPgpool:
		switch m {
		case Trust, Reject, MD5, Password, Cert, ScramSHA256, PAM, LDAP:
		default:
			add("method", string(m), "Pgpool-II 4.3 pool_hba supports only trust, reject, cert, password, md5, scram-sha-256, pam and ldap")
		}
		for _, o := range r.allOptions() {
			ok := (o.Name == "pamservice" && m == PAM) || (strings.HasPrefix(o.Name, "ldap") && optionSpecs[o.Name].label == "ldap" && m == LDAP)
			if !ok {
				add(o.field(), o.shown(), "the pgpool target accepts only pamservice (pam) and ldap* (ldap) options")
			}
		}
		return ps
	}

	// PostgreSQL.
	if m == OAuth && v < 18 {
		add("method", string(m), fmt.Sprintf("invalid authentication method \"oauth\" (oauth needs PostgreSQL 18, target version is %d)", v))
		return ps
	}
	effective := m
	if r.Type == Local && m == Ident {
		effective = Peer // PostgreSQL silently turns ident on local into peer
	}
	if r.Type == Local && effective == GSS {
		add("method", string(m), "gssapi authentication is not supported on local sockets")
	}
	if r.Type != Local && effective == Peer {
		add("method", string(m), "peer authentication is only supported on local sockets")
	}
	if r.Type != HostSSL && effective == Cert {
		add("method", string(m), "cert authentication is only supported on hostssl connections")
	}

	if r.ClientCert != "" {
		if r.Type != HostSSL {
			add("clientcert", r.ClientCert, "clientcert can only be configured for \"hostssl\" rows")
		}
		switch r.ClientCert {
		case "verify-full":
		case "verify-ca":
			if effective == Cert && v >= 14 {
				add("clientcert", r.ClientCert, "clientcert only accepts \"verify-full\" when using \"cert\" authentication")
			}
		case "1":
			if v >= 14 {
				add("clientcert", r.ClientCert, "invalid value for clientcert: \"1\" (clientcert=1/0/no-verify were removed in PostgreSQL 14; use verify-ca or verify-full)")
			}
		case "0", "no-verify":
			if v >= 14 {
				add("clientcert", r.ClientCert, fmt.Sprintf("invalid value for clientcert: %q (clientcert=1/0/no-verify were removed in PostgreSQL 14; omit clientcert instead)", r.ClientCert))
			} else if effective == Cert {
				add("clientcert", r.ClientCert, "clientcert can not be set to \"no-verify\" when using \"cert\" authentication")
			}
		default:
			add("clientcert", r.ClientCert, fmt.Sprintf("invalid value for clientcert: %q (verify-ca or verify-full)", r.ClientCert))
		}
	}
	if r.ClientName != "" {
		if v < 14 {
			add("clientname", r.ClientName, "unrecognized authentication option name: \"clientname\" (clientname needs PostgreSQL 14)")
		} else {
			if r.Type != HostSSL {
				add("clientname", r.ClientName, "clientname can only be configured for \"hostssl\" rows")
			}
			if r.ClientName != "CN" && r.ClientName != "DN" {
				add("clientname", r.ClientName, fmt.Sprintf("invalid value for clientname: %q (CN or DN)", r.ClientName))
			}
		}
	}
	if r.Map != "" {
		mapMethods := []Method{Ident, Peer, GSS, SSPI, Cert}
		label := "ident, peer, gssapi, sspi, and cert"
		if v >= 18 {
			mapMethods = append(mapMethods, OAuth)
			label = "ident, peer, gssapi, sspi, cert, and oauth"
		}
		if !hasMethod(mapMethods, effective) {
			add("map", r.Map, fmt.Sprintf("authentication option \"map\" is only valid for authentication methods %s", label))
		}
		if err := checkText(r.Map); err != nil {
			add("map", r.Map, err.Error())
		}
	}

	set := map[string]string{}
	opts := map[string]Option{}
	// fieldOf / shownOf name an option given or missing: a missing one is
	// reported on the attribute it belongs in.
	fieldOf := func(name string) string {
		if o, ok := opts[name]; ok {
			return o.field()
		}
		return Option{Name: name}.field()
	}
	shownOf := func(name string) string { return opts[name].shown() }
	for i, o := range r.Options {
		f := o.field()
		shown := o.shown()
		switch o.Name {
		case "clientcert", "clientname", "map":
			add(f, shown, fmt.Sprintf("use the %s attribute, not options", o.Name))
			continue
		}
		if _, dup := set[o.Name]; dup {
			add(f, shown, "option specified more than once (PostgreSQL silently keeps the last one)")
			continue
		}
		set[o.Name] = o.Value
		opts[o.Name] = o
		if _, err := renderOption(o.Name, o.Value); err != nil {
			add(f, shown, redactErr(o, err).Error())
			continue
		}
		spec, ok := optionSpecs[o.Name]
		if !ok || v < spec.since {
			add(f, shown, fmt.Sprintf("unrecognized authentication option name: %q", o.Name))
			continue
		}
		if !hasMethod(spec.methods, effective) {
			add(f, shown, fmt.Sprintf("authentication option %q is only valid for authentication methods %s", o.Name, spec.label))
			continue
		}
		if spec.boolish && o.Value != "0" && o.Value != "1" {
			add(f, shown, fmt.Sprintf("must be 1 or 0: PostgreSQL reads any other value (even \"true\") as 0"))
		}
		_ = i
		switch o.Name {
		case "ldapport":
			if n, err := strconv.Atoi(o.Value); err != nil || n < 1 || n > 65535 {
				add(f, shown, fmt.Sprintf("invalid LDAP port number: %q", shown))
			}
		case "ldapscheme":
			if o.Value != "ldap" && o.Value != "ldaps" {
				add(f, shown, fmt.Sprintf("invalid ldapscheme value: %q", shown))
			}
		case "ldapurl":
			u, err := url.Parse(o.Value)
			if err != nil || u.Scheme == "" {
				add(f, shown, fmt.Sprintf("could not parse LDAP URL %q", shown))
			} else if u.Scheme != "ldap" && u.Scheme != "ldaps" {
				add(f, shown, fmt.Sprintf("unsupported LDAP URL scheme: %s", u.Scheme))
			}
		case "radiusservers", "radiusports", "radiussecrets", "radiusidentifiers":
			items, ok := splitGUCList(o.Value)
			what := map[string]string{"radiusservers": "server", "radiusports": "port", "radiussecrets": "secret", "radiusidentifiers": "identifiers"}[o.Name]
			if !ok {
				if o.Name == "radiussecrets" {
					add(f, shown, "could not parse RADIUS secret list (empty element, or a double quote, which this provider does not support in RADIUS lists)")
				} else if o.Name == "radiusidentifiers" {
					add(f, shown, fmt.Sprintf("could not parse RADIUS identifiers list %q", shown))
				} else {
					add(f, shown, fmt.Sprintf("could not parse RADIUS %s list %q", what, shown))
				}
				continue
			}
			if o.Name == "radiusports" {
				for _, p := range items {
					if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
						add(f, shown, fmt.Sprintf("invalid RADIUS port number: %q", Option{Name: o.Name, Value: p, Secret: o.IsSecret()}.shown()))
					}
				}
			}
			if o.Name == "radiusservers" {
				for _, s := range items {
					if _, err := netip.ParseAddr(s); err != nil && !(hostnameRE.MatchString(s) && !looksNumeric(s)) {
						add(f, shown, fmt.Sprintf("could not translate RADIUS server name %q to address", Option{Name: o.Name, Value: s, Secret: o.IsSecret()}.shown()))
					}
				}
			}
		case "issuer":
			if o.Value == "" {
				add(f, shown, "issuer must not be empty")
			}
		}
	}

	switch effective {
	case LDAP:
		_, hasPrefix := set["ldapprefix"]
		_, hasSuffix := set["ldapsuffix"]
		_, hasBase := set["ldapbasedn"]
		_, hasAttr := set["ldapsearchattribute"]
		_, hasFilter := set["ldapsearchfilter"]
		if u, ok := set["ldapurl"]; ok {
			if pu, err := url.Parse(u); err == nil {
				if strings.Trim(pu.Path, "/") != "" {
					hasBase = true
				}
				q := strings.Split(pu.RawQuery, "?")
				if len(q) > 0 && q[0] != "" {
					hasAttr = true
				}
				if len(q) > 2 && q[2] != "" {
					hasFilter = true
				}
			}
		}
		_, hasBindDN := set["ldapbinddn"]
		_, hasBindPW := set["ldapbindpasswd"]
		_, hasURL := set["ldapurl"]
		if hasPrefix || hasSuffix {
			if hasBase || hasBindDN || hasBindPW || hasAttr || hasFilter || hasURL {
				add("options", "", "cannot use ldapbasedn, ldapbinddn, ldapbindpasswd, ldapsearchattribute, ldapsearchfilter, or ldapurl together with ldapprefix")
			}
		} else if !hasBase {
			add("options", "", "authentication method \"ldap\" requires argument \"ldapbasedn\", \"ldapprefix\", or \"ldapsuffix\" to be set")
		}
		if hasAttr && hasFilter {
			add("options", "", "cannot use ldapsearchattribute together with ldapsearchfilter")
		}
	case RADIUS:
		srv, hasSrv := set["radiusservers"]
		sec, hasSec := set["radiussecrets"]
		if !hasSrv {
			add(fieldOf("radiusservers"), "", "authentication method \"radius\" requires argument \"radiusservers\" to be set")
		}
		if !hasSec {
			add(fieldOf("radiussecrets"), "", "authentication method \"radius\" requires argument \"radiussecrets\" to be set")
		}
		if hasSrv && hasSec {
			s, ok1 := splitGUCList(srv)
			k, ok2 := splitGUCList(sec)
			if ok1 && ok2 {
				if len(s) == 0 {
					add(fieldOf("radiusservers"), shownOf("radiusservers"), "list of RADIUS servers cannot be empty")
				} else if len(k) == 0 {
					add(fieldOf("radiussecrets"), shownOf("radiussecrets"), "list of RADIUS secrets cannot be empty")
				} else {
					if len(k) != 1 && len(k) != len(s) {
						add(fieldOf("radiussecrets"), shownOf("radiussecrets"), fmt.Sprintf("the number of RADIUS secrets (%d) must be 1 or the same as the number of RADIUS servers (%d)", len(k), len(s)))
					}
					for _, o := range []struct{ name, what string }{{"radiusports", "ports"}, {"radiusidentifiers", "identifiers"}} {
						if val, ok := set[o.name]; ok {
							if l, ok := splitGUCList(val); ok && len(l) > 1 && len(l) != len(s) {
								add(fieldOf(o.name), shownOf(o.name), fmt.Sprintf("the number of RADIUS %s (%d) must be 1 or the same as the number of RADIUS servers (%d)", o.what, len(l), len(s)))
							}
						}
					}
				}
			}
		}
	case OAuth:
		if _, ok := set["issuer"]; !ok {
			add(fieldOf("issuer"), "", "authentication method \"oauth\" requires argument \"issuer\" to be set")
		}
		if d, ok := set["delegate_ident_mapping"]; ok && d == "1" && r.Map != "" {
			add("map", r.Map, "delegate_ident_mapping cannot be used in combination with map")
		}
	}

	if v == 13 {
		ps = append(ps, pg13Limits(r)...)
	}
	return ps
}

// splitGUCList splits a comma separated list like PostgreSQL's SplitGUCList
// for the subset this provider writes: no double quotes; blanks around
// elements are trimmed; an empty element or a blank inside an element is an
// error (PostgreSQL then drops the line without an error message, the
// pg_hba_file_rules row is all NULL); "" is an empty list.
func splitGUCList(s string) ([]string, bool) {
	if strings.Contains(s, `"`) {
		return nil, false
	}
	if strings.TrimSpace(s) == "" {
		return nil, true
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" || strings.ContainsAny(p, " \t\r\n\v\f") {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// captureGroups counts the capturing groups of a PostgreSQL ARE (an
// unescaped '(' outside a bracket expression not followed by '?').
func captureGroups(re string) int {
	n := 0
	inBracket := false
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\':
			i++
		case inBracket:
			if c == ']' {
				inBracket = false
			}
		case c == '[':
			inBracket = true
			if i+1 < len(re) && re[i+1] == '^' {
				i++
			}
			if i+1 < len(re) && re[i+1] == ']' {
				i++
			}
		case c == '(':
			if i+1 < len(re) && re[i+1] == '?' {
				continue
			}
			n++
		}
	}
	return n
}

// ValidateIdentMapping checks one mapping of map name for PostgreSQL major
// version v. prefix is prepended to field names ("mappings[2].").
func ValidateIdentMapping(name string, m IdentMapping, prefix string, v int) []Problem {
	var ps []Problem
	add := func(field, value, msg string) {
		ps = append(ps, Problem{Field: prefix + field, Value: value, Message: msg})
	}
	if name == "" {
		add("name", "", "the map name is empty")
	} else if err := checkText(name); err != nil {
		add("name", name, err.Error())
	}
	sys, err := parseSystemUser(m.SystemUser)
	if err != nil {
		add("system_user", m.SystemUser, err.Error())
	}
	dbu, err2 := ParseUser(m.DatabaseUser)
	if err2 != nil {
		add("database_user", m.DatabaseUser, err2.Error())
	}
	if m.Comment != "" {
		if err := checkComment(m.Comment); err != nil {
			add("comment", m.Comment, err.Error())
		}
	}
	if err != nil || err2 != nil {
		return ps
	}
	if _, err := renderName(dbu); err != nil {
		add("database_user", m.DatabaseUser, err.Error())
		return ps
	}
	if sys.regex {
		if err := checkRegex(sys.value); err != nil {
			add("system_user", m.SystemUser, err.Error())
		}
	}
	switch dbu.Kind {
	case Keyword:
		if dbu.Value != "all" {
			add("database_user", m.DatabaseUser, fmt.Sprintf("%q is not a keyword here (only all, PostgreSQL 16+); quote it for a role of that name", dbu.Value))
		} else if v < 16 {
			add("database_user", m.DatabaseUser, fmt.Sprintf("the all keyword in pg_ident.conf needs PostgreSQL 16 (PostgreSQL %d would look for a role named all; write \"\\\"all\\\"\" for that)", v))
		}
	case Group:
		if v < 16 {
			add("database_user", m.DatabaseUser, fmt.Sprintf("+role in pg_ident.conf needs PostgreSQL 16 (write the name quoted for a role literally named +%s)", dbu.Value))
		}
	case Regex:
		if v < 16 {
			add("database_user", m.DatabaseUser, "a regular expression database user needs PostgreSQL 16")
		}
		if strings.Contains(dbu.Value, `\1`) {
			add("database_user", m.DatabaseUser, "\\1 is not substituted in a regular-expression database user")
		} else if err := checkRegex(dbu.Value); err != nil {
			add("database_user", m.DatabaseUser, err.Error())
		}
	case File:
		add("database_user", m.DatabaseUser, "@file is not supported in pg_ident.conf by this provider")
	case Literal:
		if strings.HasPrefix(dbu.Value, "/") && v >= 16 {
			add("database_user", m.DatabaseUser, "PostgreSQL 16+ reads a database user starting with / as a regular expression, even when quoted")
		}
	}
	if dbu.Kind == Literal || dbu.Kind == Group {
		if strings.Contains(dbu.Value, `\1`) {
			if !sys.regex {
				add("database_user", m.DatabaseUser, "\\1 is only replaced when system_user is a regular expression (starting with /)")
			} else if captureGroups(sys.value) < 1 {
				add("database_user", m.DatabaseUser, fmt.Sprintf("regular expression %q has no subexpressions as requested by backreference in %q", sys.value, dbu.Value))
			}
		}
	}
	return ps
}

// Validate checks every mapping of the map for PostgreSQL major version v.
func (im IdentMap) Validate(v int) []Problem {
	var ps []Problem
	if v < MinVersion || v > MaxVersion {
		return []Problem{{Field: "postgres_version", Value: strconv.Itoa(v), Message: fmt.Sprintf("must be between %d and %d", MinVersion, MaxVersion)}}
	}
	if len(im.Mappings) == 0 {
		ps = append(ps, Problem{Field: "mappings", Message: "a map needs at least one mapping"})
	}
	if im.Name == "" {
		ps = append(ps, Problem{Field: "name", Message: "the map name is empty"})
	} else if err := checkText(im.Name); err != nil {
		ps = append(ps, Problem{Field: "name", Value: im.Name, Message: err.Error()})
	}
	for i, m := range im.Mappings {
		for _, p := range ValidateIdentMapping(im.Name, m, fmt.Sprintf("mappings[%d].", i), v) {
			if p.Field == fmt.Sprintf("mappings[%d].name", i) {
				continue // reported once above
			}
			ps = append(ps, p)
		}
	}
	return ps
}

// checkRegex is a structural check of a PostgreSQL ARE: parentheses balance
// and bracket expressions are closed. PostgreSQL compiles the expression
// when it loads the file and refuses it with "invalid regular expression";
// this catches the common mistakes without re-implementing ARE.
func checkRegex(re string) error {
	depth := 0
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch c {
		case '\\':
			if i+1 >= len(re) {
				return fmt.Errorf("invalid regular expression %q: trailing backslash", re)
			}
			i++
		case '[':
			j := i + 1
			if j < len(re) && re[j] == '^' {
				j++
			}
			if j < len(re) && re[j] == ']' {
				j++
			}
			for j < len(re) && re[j] != ']' {
				if re[j] == '[' && j+1 < len(re) && (re[j+1] == ':' || re[j+1] == '.' || re[j+1] == '=') {
					end := strings.Index(re[j+2:], string(re[j+1])+"]")
					if end < 0 {
						return fmt.Errorf("invalid regular expression %q: unterminated [%c", re, re[j+1])
					}
					j += end + 4
					continue
				}
				j++
			}
			if j >= len(re) {
				return fmt.Errorf("invalid regular expression %q: brackets [] not balanced", re)
			}
			i = j
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return fmt.Errorf("invalid regular expression %q: parentheses () not balanced", re)
			}
		}
	}
	if depth != 0 {
		return fmt.Errorf("invalid regular expression %q: parentheses () not balanced", re)
	}
	return nil
}

func pg13Limits(r Rule) []Problem {
	l, err := r.Render()
	if err != nil {
		return nil
	}
	var ps []Problem
	if len(l) >= pg13MaxLine-2 {
		ps = append(ps, Problem{Field: "line", Message: fmt.Sprintf("authentication file line too long: PostgreSQL 13 reads at most %d bytes per line (this rule renders to %d)", pg13MaxLine-2, len(l))})
	}
	fields, _, _ := tokenizeLine(l)
	for _, f := range fields {
		for _, tk := range f {
			if len(tk.s) >= pg13MaxToken-1 {
				ps = append(ps, Problem{Field: "line", Message: fmt.Sprintf("authentication file token too long: PostgreSQL 13 refuses tokens of %d bytes or more", pg13MaxToken-1)})
				return ps
			}
		}
	}
	return ps
}
