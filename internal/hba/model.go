// Package hba models, renders, parses, validates and lints PostgreSQL
// pg_hba.conf and pg_ident.conf files (and the PgBouncer 1.18 / Pgpool-II
// 4.3.5 dialects of pg_hba). It knows nothing about Terraform: every function
// is a pure function of its inputs, so a provider can compute the rendered
// file and its findings at plan time.
//
// # Names (databases, users, ident database users)
//
// A name is written exactly as one pg_hba.conf token, which is PostgreSQL's
// own convention and therefore unambiguous:
//
//	all, sameuser, samerole, samegroup, replication   keywords (databases)
//	all                                               keyword (users)
//	+admins                                           members of role admins (users)
//	@names.txt                                        names read from a file
//	/^app_.*$                                         regular expression (PostgreSQL 16+)
//	app, "my db", "all", "+x", "a""b"                 literal names; a fully
//	                                                  double-quoted string is always
//	                                                  literal, "" is a literal quote
//
// So in HCL `"all"` is the keyword and `"\"all\""` is a role literally named
// all. An unquoted name may contain no blank, comma, double quote or '#':
// quote it. The renderer quotes exactly where PostgreSQL needs it.
package hba

import (
	"fmt"
	"sort"
	"strings"
)

// ConnType is the first column of a pg_hba.conf line.
type ConnType string

const (
	Local        ConnType = "local"
	Host         ConnType = "host"
	HostSSL      ConnType = "hostssl"
	HostNoSSL    ConnType = "hostnossl"
	HostGSSEnc   ConnType = "hostgssenc"
	HostNoGSSEnc ConnType = "hostnogssenc"
)

// ConnTypes lists every connection type in documentation order.
var ConnTypes = []ConnType{Local, Host, HostSSL, HostNoSSL, HostGSSEnc, HostNoGSSEnc}

// Method is the authentication method column.
type Method string

const (
	Trust       Method = "trust"
	Reject      Method = "reject"
	ScramSHA256 Method = "scram-sha-256"
	MD5         Method = "md5"
	Password    Method = "password"
	GSS         Method = "gss"
	SSPI        Method = "sspi"
	Ident       Method = "ident"
	Peer        Method = "peer"
	LDAP        Method = "ldap"
	RADIUS      Method = "radius"
	Cert        Method = "cert"
	PAM         Method = "pam"
	BSD         Method = "bsd"
	OAuth       Method = "oauth"
)

// Methods lists every authentication method known to PostgreSQL 13..18.
var Methods = []Method{Trust, Reject, ScramSHA256, MD5, Password, GSS, SSPI, Ident, Peer, LDAP, RADIUS, Cert, PAM, BSD, OAuth}

// Target is the program that reads the rendered hba file.
type Target string

const (
	TargetPostgreSQL Target = "postgresql"
	TargetPgBouncer  Target = "pgbouncer" // PgBouncer 1.18 auth_hba_file
	TargetPgpool     Target = "pgpool"    // Pgpool-II 4.3.5 pool_hba.conf
)

// Version is a PostgreSQL major version.
type Version int

const (
	MinVersion = 13
	MaxVersion = 18
)

// NameKind says how a database or user token is interpreted.
type NameKind int

const (
	Literal NameKind = iota // a plain name, compared literally
	Keyword                 // all, sameuser, samerole, samegroup, replication
	Group                   // +role: members of role (users only)
	File                    // @file: names read from a file
	Regex                   // /regex (PostgreSQL 16+)
)

func (k NameKind) String() string {
	switch k {
	case Literal:
		return "literal"
	case Keyword:
		return "keyword"
	case Group:
		return "group"
	case File:
		return "file"
	case Regex:
		return "regex"
	}
	return fmt.Sprintf("NameKind(%d)", int(k))
}

// Name is one element of the databases or users column. Value excludes the
// leading '+', '@' or '/' of groups, files and regular expressions.
type Name struct {
	Kind  NameKind
	Value string
}

// Lit returns a literal name.
func Lit(s string) Name { return Name{Kind: Literal, Value: s} }

// Kw returns a keyword name.
func Kw(s string) Name { return Name{Kind: Keyword, Value: s} }

// GroupOf returns the +role name (members of role).
func GroupOf(role string) Name { return Name{Kind: Group, Value: role} }

// FileRef returns the @file name.
func FileRef(path string) Name { return Name{Kind: File, Value: path} }

// RegexName returns the /regex name (without the slash).
func RegexName(re string) Name { return Name{Kind: Regex, Value: re} }

// String returns the name as a pg_hba.conf token, which is also the form
// ParseDatabase/ParseUser accept. It quotes like Render and never fails: a
// name Render would reject is shown Go-quoted inside angle brackets.
func (n Name) String() string {
	if _, err := renderName(n); err != nil {
		return fmt.Sprintf("<invalid %s %q>", n.Kind, n.Value)
	}
	switch n.Kind {
	case Literal:
		if dbKeywords[n.Value] || addressKeywords[n.Value] || strings.ContainsAny(n.Value[:1], "+@/") {
			return quote(n.Value)
		}
		return hclToken(n.Value)
	case Group:
		return "+" + hclToken(n.Value)
	case File:
		return "@" + hclToken(n.Value)
	case Regex:
		return "/" + hclToken(n.Value)
	}
	return n.Value
}

// hclToken returns s bare when the token form reads it back unchanged (no
// blank, comma, double quote or '#'), else quoted.
func hclToken(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\r\n,\"#\x00") {
		return quote(s)
	}
	return s
}

// Option is one name=value authentication option. Secret marks a value that
// must never be shown (it came from secret_options, or the option is in the
// secret registry, see IsSensitiveOption); secret values are masked in
// RenderRedacted, problems, findings and String.
type Option struct {
	Name   string
	Value  string
	Secret bool
}

// IsSecret reports whether the value must be masked: the option was given
// as a secret or its name is in the secret registry.
func (o Option) IsSecret() bool { return o.Secret || sensitiveOptions[o.Name] }

// shown is the value as messages may show it.
func (o Option) shown() string {
	if o.IsSecret() {
		return Masked
	}
	return o.Value
}

// field is the problem field of the option: secret_options.NAME for a
// secret, options.NAME otherwise (the schema attribute that holds it).
func (o Option) field() string {
	if o.IsSecret() {
		return "secret_options." + o.Name
	}
	return "options." + o.Name
}

// Rule is one pg_hba.conf line.
//
// Address holds a CIDR address, a bare IP address (then Netmask is required),
// a host name, a .suffix, or one of the keywords all, samehost, samenet. It is
// empty for local rows. ClientCert, ClientName and Map are the typed
// clientcert=, clientname= and map= options; Options holds every other
// option in order (ldap*, radius*, pam*, krb_realm, include_realm, oauth
// issuer/scope/...). Comment is rendered after the rule as "# comment".
type Rule struct {
	Type       ConnType
	Databases  []Name
	Users      []Name
	Address    string
	Netmask    string
	Method     Method
	ClientCert string
	ClientName string
	Map        string
	Options    []Option
	Comment    string
}

// Problem is one validation or parse error. Field is the schema attribute
// ("method", "address", "options.ldapserver", "databases[2]",
// "mappings[1].system_user", ...). Value is the offending value (never a
// secret: secrets are shown as "(sensitive)"). Line is the 1-based line of a
// parsed file, 0 when not parsing.
type Problem struct {
	Line    int
	Field   string
	Value   string
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		if p.Value != "" {
			fmt.Fprintf(&b, " = %q", p.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// IdentMap is one user name map of pg_ident.conf.
type IdentMap struct {
	Name     string
	Mappings []IdentMapping
}

// IdentMapping is one line of an ident map.
//
// SystemUser is a token as in pg_ident.conf: a leading '/' makes it a
// regular expression (even when quoted, as PostgreSQL reads it); otherwise it
// is literal, and it must be double-quoted if it contains blanks, commas,
// quotes or '#'. DatabaseUser is a token with the same conventions as the
// hba users column: all (keyword, 16+), +role (16+), /regex (16+), "all"
// (a role named all), plain names; \1 is replaced by the first capture group
// of a regular-expression SystemUser.
type IdentMapping struct {
	SystemUser   string
	DatabaseUser string
	Comment      string
}

var dbKeywords = map[string]bool{"all": true, "sameuser": true, "samerole": true, "samegroup": true, "replication": true}

var addressKeywords = map[string]bool{"all": true, "samehost": true, "samenet": true}

// sensitiveOptions is the registry of authentication options whose value is
// a secret (PostgreSQL 13 to 18: the LDAP bind password and the RADIUS shared
// secrets). It is the single source: the provider requires these in
// secret_options, the redacted renderings mask them, and the provider's
// sentinel test feeds a secret into each of them. Add an option here when
// PostgreSQL adds one that holds a secret.
var sensitiveOptions = map[string]bool{"ldapbindpasswd": true, "radiussecrets": true}

// Masked replaces a secret value in redacted renderings and messages.
const Masked = "(sensitive)"

// IsSensitiveOption reports whether the option holds a secret (its value is
// never echoed in problems or findings, and the provider refuses it in the
// non-sensitive options attribute).
func IsSensitiveOption(name string) bool { return sensitiveOptions[name] }

// SensitiveOptions lists the secret registry, sorted.
func SensitiveOptions() []string {
	out := make([]string, 0, len(sensitiveOptions))
	for k := range sensitiveOptions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OptionsFromMaps builds a rule's option list from the two attributes a
// configuration gives them in: plain (shown in plans) and secret (always
// sensitive). A registered secret option (IsSensitiveOption) in plain is a
// problem on options.NAME telling the user to move it; any option may be
// given in secret (its value is then masked everywhere like a registered
// secret); a name in both is a problem. The result is sorted by name, the
// order the options are rendered in.
func OptionsFromMaps(plain, secret map[string]string) ([]Option, []Problem) {
	var out []Option
	var ps []Problem
	for k, v := range plain {
		if sensitiveOptions[k] {
			ps = append(ps, Problem{Field: "options." + k, Value: Masked, Message: fmt.Sprintf(
				"%s holds a secret: give it in secret_options (always sensitive) instead of options, so plans, "+
					"state displays, ids and logs never show it", k)})
			continue
		}
		if _, dup := secret[k]; dup {
			ps = append(ps, Problem{Field: "options." + k, Value: Masked, Message: fmt.Sprintf(
				"%s is given in both options and secret_options; give it once", k)})
			continue
		}
		out = append(out, Option{Name: k, Value: v})
	}
	for k, v := range secret {
		out = append(out, Option{Name: k, Value: v, Secret: true})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	sort.Slice(ps, func(i, j int) bool { return ps[i].Field < ps[j].Field })
	return out, ps
}
