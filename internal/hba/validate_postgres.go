package hba

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// validatePostgres checks a rule as PostgreSQL major v reads it: method and
// connection type, the typed options (clientcert, clientname, map), every
// other option by family, what each method requires, and 13's line limits.
func (r Rule) validatePostgres(ps *problems, v int) {
	m := r.Method
	if m == OAuth && v < 18 {
		ps.add("method", string(m), fmt.Sprintf("invalid authentication method \"oauth\" (oauth needs PostgreSQL 18, target version is %d)", v))
		return
	}
	effective := r.EffectiveMethod()
	if r.Type == Local && effective == GSS {
		ps.add("method", string(m), "gssapi authentication is not supported on local sockets")
	}
	if r.Type != Local && effective == Peer {
		ps.add("method", string(m), "peer authentication is only supported on local sockets")
	}
	if r.Type != HostSSL && effective == Cert {
		ps.add("method", string(m), "cert authentication is only supported on hostssl connections")
	}
	r.validateClientCert(ps, effective, v)
	r.validateClientName(ps, v)
	r.validateMap(ps, effective, v)
	opts := r.validateOptions(ps, effective, v)
	switch effective {
	case LDAP:
		validateLDAPRequirements(ps, opts)
	case RADIUS:
		validateRADIUSRequirements(ps, opts)
	case OAuth:
		validateOAuthRequirements(ps, opts, r.Map)
	}
	*ps = append(*ps, lineLimits(r, v)...)
}

// EffectiveMethod is the method PostgreSQL uses: ident on a local socket is
// peer.
func (r Rule) EffectiveMethod() Method {
	if r.Type == Local && r.Method == Ident {
		return Peer
	}
	return r.Method
}

func (r Rule) validateClientCert(ps *problems, effective Method, v int) {
	if r.ClientCert == "" {
		return
	}
	if r.Type != HostSSL {
		ps.add("clientcert", r.ClientCert, "clientcert can only be configured for \"hostssl\" rows")
	}
	switch r.ClientCert {
	case "verify-full":
	case "verify-ca":
		if effective == Cert && v >= 14 {
			ps.add("clientcert", r.ClientCert, "clientcert only accepts \"verify-full\" when using \"cert\" authentication")
		}
	case "1":
		if v >= 14 {
			ps.add("clientcert", r.ClientCert, "invalid value for clientcert: \"1\" (clientcert=1/0/no-verify were removed in PostgreSQL 14; use verify-ca or verify-full)")
		}
	case "0", "no-verify":
		if v >= 14 {
			ps.add("clientcert", r.ClientCert, fmt.Sprintf("invalid value for clientcert: %q (clientcert=1/0/no-verify were removed in PostgreSQL 14; omit clientcert instead)", r.ClientCert))
		} else if effective == Cert {
			ps.add("clientcert", r.ClientCert, "clientcert can not be set to \"no-verify\" when using \"cert\" authentication")
		}
	default:
		ps.add("clientcert", r.ClientCert, fmt.Sprintf("invalid value for clientcert: %q (verify-ca or verify-full)", r.ClientCert))
	}
}

func (r Rule) validateClientName(ps *problems, v int) {
	if r.ClientName == "" {
		return
	}
	if v < 14 {
		ps.add("clientname", r.ClientName, "unrecognized authentication option name: \"clientname\" (clientname needs PostgreSQL 14)")
		return
	}
	if r.Type != HostSSL {
		ps.add("clientname", r.ClientName, "clientname can only be configured for \"hostssl\" rows")
	}
	if r.ClientName != "CN" && r.ClientName != "DN" {
		ps.add("clientname", r.ClientName, fmt.Sprintf("invalid value for clientname: %q (CN or DN)", r.ClientName))
	}
}

func (r Rule) validateMap(ps *problems, effective Method, v int) {
	if r.Map == "" {
		return
	}
	mapMethods := []Method{Ident, Peer, GSS, SSPI, Cert}
	label := "ident, peer, gssapi, sspi, and cert"
	if v >= 18 {
		mapMethods = append(mapMethods, OAuth)
		label = "ident, peer, gssapi, sspi, cert, and oauth"
	}
	if !hasMethod(mapMethods, effective) {
		ps.add("map", r.Map, fmt.Sprintf("authentication option \"map\" is only valid for authentication methods %s", label))
	}
	if err := checkText(r.Map); err != nil {
		ps.add("map", r.Map, err.Error())
	}
}

// optionSet is the options of a rule by name (the first of each name).
type optionSet map[string]Option

func (s optionSet) has(name string) bool { _, ok := s[name]; return ok }

// field names an option given or missing: a missing one is reported on the
// attribute it belongs in (secret_options for a registered secret).
func (s optionSet) field(name string) string {
	if o, ok := s[name]; ok {
		return o.field()
	}
	return Option{Name: name}.field()
}

func (s optionSet) shown(name string) string { return s[name].shown() }

// validateOptions checks each option (known, for this method, version,
// value) and returns the set of options given.
func (r Rule) validateOptions(ps *problems, effective Method, v int) optionSet {
	set := optionSet{}
	for _, o := range r.Options {
		f, shown := o.field(), o.shown()
		switch o.Name {
		case "clientcert", "clientname", "map":
			ps.add(f, shown, fmt.Sprintf("use the %s attribute, not options", o.Name))
			continue
		}
		if set.has(o.Name) {
			ps.add(f, shown, "option specified more than once (PostgreSQL silently keeps the last one)")
			continue
		}
		set[o.Name] = o
		if _, err := renderOption(o.Name, o.Value); err != nil {
			ps.add(f, shown, redactErr(o, err).Error())
			continue
		}
		spec, ok := optionSpecs[o.Name]
		if !ok || v < spec.since {
			ps.add(f, shown, fmt.Sprintf("unrecognized authentication option name: %q", o.Name))
			continue
		}
		if !hasMethod(spec.methods, effective) {
			ps.add(f, shown, fmt.Sprintf("authentication option %q is only valid for authentication methods %s", o.Name, spec.label))
			continue
		}
		if spec.boolish && o.Value != "0" && o.Value != "1" {
			ps.add(f, shown, "must be 1 or 0: PostgreSQL reads any other value (even \"true\") as 0")
		}
		switch spec.label {
		case "ldap":
			validateLDAPOption(ps, o)
		case "radius":
			validateRADIUSOption(ps, o)
		}
	}
	return set
}

// validateLDAPOption checks the value of one ldap* option.
func validateLDAPOption(ps *problems, o Option) {
	f, shown := o.field(), o.shown()
	switch o.Name {
	case "ldapport":
		if n, err := strconv.Atoi(o.Value); err != nil || n < 1 || n > 65535 {
			ps.add(f, shown, fmt.Sprintf("invalid LDAP port number: %q", shown))
		}
	case "ldapscheme":
		if o.Value != "ldap" && o.Value != "ldaps" {
			ps.add(f, shown, fmt.Sprintf("invalid ldapscheme value: %q", shown))
		}
	case "ldapurl":
		u, err := url.Parse(o.Value)
		if err != nil || u.Scheme == "" {
			ps.add(f, shown, fmt.Sprintf("could not parse LDAP URL %q", shown))
		} else if u.Scheme != "ldap" && u.Scheme != "ldaps" {
			ps.add(f, shown, fmt.Sprintf("unsupported LDAP URL scheme: %s", u.Scheme))
		}
	}
}

// validateRADIUSOption checks the list syntax and items of one radius*
// option.
func validateRADIUSOption(ps *problems, o Option) {
	f, shown := o.field(), o.shown()
	item := func(s string) string { return Option{Name: o.Name, Value: s, Secret: o.IsSecret()}.shown() }
	items, ok := splitGUCList(o.Value)
	if !ok {
		switch o.Name {
		case "radiussecrets":
			ps.add(f, shown, "could not parse RADIUS secret list (empty element, or a double quote, which this provider does not support in RADIUS lists)")
		case "radiusidentifiers":
			ps.add(f, shown, fmt.Sprintf("could not parse RADIUS identifiers list %q", shown))
		default:
			what := map[string]string{"radiusservers": "server", "radiusports": "port"}[o.Name]
			ps.add(f, shown, fmt.Sprintf("could not parse RADIUS %s list %q", what, shown))
		}
		return
	}
	switch o.Name {
	case "radiusports":
		for _, p := range items {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				ps.add(f, shown, fmt.Sprintf("invalid RADIUS port number: %q", item(p)))
			}
		}
	case "radiusservers":
		for _, s := range items {
			if _, err := netip.ParseAddr(s); err != nil && (!hostnameRE.MatchString(s) || looksNumeric(s)) {
				ps.add(f, shown, fmt.Sprintf("could not translate RADIUS server name %q to address", item(s)))
			}
		}
	}
}

// validateLDAPRequirements checks the option combinations ldap needs:
// simple bind (prefix/suffix) or search+bind (basedn, possibly from
// ldapurl), never both; one of search attribute and filter.
func validateLDAPRequirements(ps *problems, set optionSet) {
	hasPrefix, hasSuffix, hasBase := set.has("ldapprefix"), set.has("ldapsuffix"), set.has("ldapbasedn")
	hasAttr, hasFilter := set.has("ldapsearchattribute"), set.has("ldapsearchfilter")
	if u, ok := set["ldapurl"]; ok {
		if pu, err := url.Parse(u.Value); err == nil {
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
	hasBindDN, hasBindPW, hasURL := set.has("ldapbinddn"), set.has("ldapbindpasswd"), set.has("ldapurl")
	if hasPrefix || hasSuffix {
		if hasBase || hasBindDN || hasBindPW || hasAttr || hasFilter || hasURL {
			ps.add("options", "", "cannot use ldapbasedn, ldapbinddn, ldapbindpasswd, ldapsearchattribute, ldapsearchfilter, or ldapurl together with ldapprefix")
		}
	} else if !hasBase {
		ps.add("options", "", "authentication method \"ldap\" requires argument \"ldapbasedn\", \"ldapprefix\", or \"ldapsuffix\" to be set")
	}
	if hasAttr && hasFilter {
		ps.add("options", "", "cannot use ldapsearchattribute together with ldapsearchfilter")
	}
}

// validateRADIUSRequirements checks that servers and secrets are given and
// that the lists have matching lengths.
func validateRADIUSRequirements(ps *problems, set optionSet) {
	srv, hasSrv := set["radiusservers"]
	sec, hasSec := set["radiussecrets"]
	if !hasSrv {
		ps.add(set.field("radiusservers"), "", "authentication method \"radius\" requires argument \"radiusservers\" to be set")
	}
	if !hasSec {
		ps.add(set.field("radiussecrets"), "", "authentication method \"radius\" requires argument \"radiussecrets\" to be set")
	}
	if !hasSrv || !hasSec {
		return
	}
	s, ok1 := splitGUCList(srv.Value)
	k, ok2 := splitGUCList(sec.Value)
	if !ok1 || !ok2 {
		return
	}
	if len(s) == 0 {
		ps.add(set.field("radiusservers"), set.shown("radiusservers"), "list of RADIUS servers cannot be empty")
		return
	}
	if len(k) == 0 {
		ps.add(set.field("radiussecrets"), set.shown("radiussecrets"), "list of RADIUS secrets cannot be empty")
		return
	}
	if len(k) != 1 && len(k) != len(s) {
		ps.add(set.field("radiussecrets"), set.shown("radiussecrets"), fmt.Sprintf("the number of RADIUS secrets (%d) must be 1 or the same as the number of RADIUS servers (%d)", len(k), len(s)))
	}
	for _, o := range []struct{ name, what string }{{"radiusports", "ports"}, {"radiusidentifiers", "identifiers"}} {
		if val, ok := set[o.name]; ok {
			if l, ok := splitGUCList(val.Value); ok && len(l) > 1 && len(l) != len(s) {
				ps.add(set.field(o.name), set.shown(o.name), fmt.Sprintf("the number of RADIUS %s (%d) must be 1 or the same as the number of RADIUS servers (%d)", o.what, len(l), len(s)))
			}
		}
	}
}

// validateOAuthRequirements: oauth needs an issuer and a scope (which may
// be empty); delegate_ident_mapping excludes map. Whether the server's
// oauth_validator_libraries allows the validator (and is set at all) only
// the server knows: PostgreSQL 18 refuses an oauth line without it.
func validateOAuthRequirements(ps *problems, set optionSet, mapName string) {
	if !set.has("issuer") {
		ps.add(set.field("issuer"), "", "authentication method \"oauth\" requires argument \"issuer\" to be set")
	}
	if !set.has("scope") {
		ps.add(set.field("scope"), "", "authentication method \"oauth\" requires argument \"scope\" to be set")
	}
	if d, ok := set["delegate_ident_mapping"]; ok && d.Value == "1" && mapName != "" {
		ps.add("map", mapName, "map cannot be used in combination with delegate_ident_mapping")
	}
}

// lineLimits are the buffer limits of hba.c, as the oracle measured them on
// each major: 13 to 15 refuse a token of MAX_TOKEN-1 bytes or more
// ("authentication file token too long"), 16+ do not; 13 also refuses a line
// of MAX_LINE-1 bytes.
func lineLimits(r Rule, v int) []Problem {
	l, err := r.Render()
	if err != nil {
		return nil
	}
	var ps []Problem
	if v == 13 && len(l) >= pg13MaxLine-2 {
		ps = append(ps, Problem{Field: "line", Message: fmt.Sprintf("authentication file line too long: PostgreSQL 13 reads at most %d bytes per line (this rule renders to %d)", pg13MaxLine-2, len(l))})
	}
	fields, _, _ := tokenizeLine(l)
	for _, f := range fields {
		for _, tk := range f {
			if v <= 15 && len(tk.s) >= pg13MaxToken-1 {
				ps = append(ps, Problem{Field: "line", Message: fmt.Sprintf("authentication file token too long: PostgreSQL %d refuses tokens of %d bytes or more (16 and later do not)", v, pg13MaxToken-1)})
				return ps
			}
		}
	}
	return ps
}
