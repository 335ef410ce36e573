package hba

import (
	"net/url"
	"strings"
)

// Effective is a rule as PostgreSQL holds it once read: the method it uses
// and the options it applies, including those it implies (cert implies
// clientcert=verify-full, gss/sspi imply include_realm, ldap a search scope,
// an ldapurl splits into server, port, scheme, base DN, search attribute,
// scope and filter, ident on a local socket is peer). Options are in the
// order and form pg_hba_file_rules.options lists them (checked against
// every PostgreSQL major by the oracle test); secret values keep their
// Secret marking. The written form (Rule) stays what is rendered.
type Effective struct {
	Method  Method
	Options []Option
}

// Value returns the effective value of an option, and whether it is set.
func (e Effective) Value(name string) (string, bool) {
	for _, o := range e.Options {
		if o.Name == name {
			return o.Value, true
		}
	}
	return "", false
}

// ldapURL is an ldapurl option as OpenLDAP's ldap_url_parse() splits it:
// ldap[s]://host[:port]/basedn[?attrs[?scope[?filter]]].
type ldapURL struct {
	scheme, host, port, basedn, attr, filter string
	scope                                    string // "0" base (the default), "1" one, "2" sub
}

func parseLDAPURL(u string) (ldapURL, bool) {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || (scheme != "ldap" && scheme != "ldaps") {
		return ldapURL{}, false
	}
	l := ldapURL{scheme: scheme, scope: "0"}
	hostport, path, _ := strings.Cut(rest, "/")
	l.host, l.port, _ = strings.Cut(hostport, ":")
	if l.port == "" {
		l.port = map[bool]string{true: "636", false: "389"}[scheme == "ldaps"]
	}
	parts := strings.Split(path, "?")
	unesc := func(s string) string {
		if d, err := url.PathUnescape(s); err == nil {
			return d
		}
		return s
	}
	l.basedn = unesc(parts[0])
	if len(parts) > 1 && parts[1] != "" {
		l.attr = unesc(strings.Split(parts[1], ",")[0]) // only the first attribute is used
	}
	if len(parts) > 2 && parts[2] != "" {
		switch strings.ToLower(parts[2]) {
		case "base":
			l.scope = "0"
		case "one", "onelevel":
			l.scope = "1"
		case "sub", "subtree":
			l.scope = "2"
		}
	}
	if len(parts) > 3 && parts[3] != "" {
		l.filter = unesc(parts[3])
	}
	return l, true
}

// Effective returns what PostgreSQL major v makes of the rule (see
// Effective). The rule should be valid (Validate) for v.
func (r Rule) Effective(v int) Effective {
	e := Effective{Method: r.EffectiveMethod()}
	given := map[string]Option{}
	for _, o := range r.Options {
		if _, dup := given[o.Name]; !dup {
			given[o.Name] = o
		}
	}
	add := func(name, value string) {
		e.Options = append(e.Options, Option{Name: name, Value: value, Secret: given[name].Secret})
	}
	m := e.Method
	if m == GSS || m == SSPI {
		if o, ok := given["include_realm"]; !ok || o.Value == "1" {
			add("include_realm", "true")
		}
		if o, ok := given["krb_realm"]; ok {
			add("krb_realm", o.Value)
		}
	}
	if r.Map != "" {
		add("map", r.Map)
	}
	cc := r.ClientCert
	switch {
	case m == Cert:
		cc = "verify-full"
	case cc == "1":
		cc = "verify-ca" // PostgreSQL 13's old spelling
	case cc == "0" || cc == "no-verify":
		cc = "" // off
	}
	if cc != "" {
		add("clientcert", cc)
	}
	if o, ok := given["pamservice"]; ok {
		add("pamservice", o.Value)
	}
	if m == LDAP {
		vals := map[string]string{}
		for k, o := range given {
			vals[k] = o.Value
		}
		scope := "2" // LDAP_SCOPE_SUBTREE unless an ldapurl says otherwise
		if u, ok := given["ldapurl"]; ok {
			if l, ok := parseLDAPURL(u.Value); ok {
				vals["ldapserver"], vals["ldapport"], vals["ldapscheme"], vals["ldapbasedn"] = l.host, l.port, l.scheme, l.basedn
				if l.attr != "" {
					vals["ldapsearchattribute"] = l.attr
				}
				if l.filter != "" {
					vals["ldapsearchfilter"] = l.filter
				}
				scope = l.scope
			}
		}
		for _, k := range []string{"ldapserver", "ldapport", "ldapscheme", "ldaptls", "ldapprefix", "ldapsuffix", "ldapbasedn", "ldapbinddn", "ldapbindpasswd", "ldapsearchattribute", "ldapsearchfilter"} {
			val, ok := vals[k]
			if !ok {
				continue
			}
			if k == "ldaptls" {
				if val == "1" {
					add(k, "true")
				}
				continue
			}
			add(k, val)
		}
		add("ldapscope", scope)
	}
	if m == OAuth {
		// The validator, when not given, is the server's single
		// oauth_validator_libraries entry (only the server knows it).
		for _, k := range []string{"issuer", "scope", "validator"} {
			if o, ok := given[k]; ok {
				add(k, o.Value)
			}
		}
		if o, ok := given["delegate_ident_mapping"]; ok && o.Value == "1" {
			add("delegate_ident_mapping", "true")
		}
	}
	if m == RADIUS {
		for _, k := range []string{"radiusservers", "radiussecrets", "radiusidentifiers", "radiusports"} {
			if o, ok := given[k]; ok {
				add(k, o.Value)
			}
		}
	}
	return e
}
