package hba

import (
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
