package hba

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Severity of a lint finding.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Stable finding codes.
const (
	CodeShadowed                = "shadowed"
	CodeNonTLSPath              = "non_tls_path"
	CodeTrustNetwork            = "trust_network"
	CodePasswordCleartext       = "password_cleartext"
	CodeMD5Deprecated           = "md5_deprecated"
	CodeWideAddress             = "wide_address"
	CodeAllAllNetwork           = "all_all_network"
	CodeMissingIdentMap         = "missing_ident_map"
	CodeCertClientcertRedundant = "cert_clientcert_redundant"
	CodeIdentOnLocal            = "ident_on_local"
	CodeUnusedIdentMap          = "unused_ident_map"
	CodePlatformMethod          = "platform_method"
	// Codes about a parsed file rather than its rules.
	CodeIncludeNotFollowed = "include_not_followed"
	CodeNULByte            = "nul_byte"
)

// DefaultSeverity is the severity of each code unless overridden. A shadowed
// reject rule is an error (someone meant to block those connections).
var DefaultSeverity = map[string]Severity{
	CodeShadowed:                SeverityWarning,
	CodeNonTLSPath:              SeverityWarning,
	CodeTrustNetwork:            SeverityError,
	CodePasswordCleartext:       SeverityWarning,
	CodeMD5Deprecated:           SeverityInfo, // warning for PostgreSQL 18+, where md5 passwords are deprecated
	CodeWideAddress:             SeverityWarning,
	CodeAllAllNetwork:           SeverityWarning,
	CodeMissingIdentMap:         SeverityError,
	CodeCertClientcertRedundant: SeverityInfo,
	CodeIdentOnLocal:            SeverityInfo,
	CodeUnusedIdentMap:          SeverityInfo,
	CodePlatformMethod:          SeverityWarning,
	CodeIncludeNotFollowed:      SeverityWarning,
	CodeNULByte:                 SeverityWarning,
}

// Codes lists every finding code, sorted.
func Codes() []string {
	out := make([]string, 0, len(DefaultSeverity))
	for c := range DefaultSeverity {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Finding is one lint result. RuleIndex is the 0-based index of the rule
// (-1 for findings about ident maps or lines that are not rules),
// OtherRuleIndex the related rule or -1. Line is the 1-based line of a
// parsed file (0 when the rules were not parsed from a file).
type Finding struct {
	Code           string
	Severity       Severity
	RuleIndex      int
	OtherRuleIndex int
	Line           int
	Message        string
}

// LintOptions tunes Lint. Ignore lists codes to drop; Severity overrides the
// severity of codes. IdentMapsUnknown disables missing_ident_map and
// unused_ident_map when pg_ident.conf is managed elsewhere.
type LintOptions struct {
	Target           Target // default postgresql
	Version          int    // PostgreSQL major version, default 18
	Ignore           []string
	Severity         map[string]Severity
	IdentMapsUnknown bool
}

// connection kinds a type matches.
const (
	kLocal = 1 << iota
	kPlain
	kSSL
	kGSS
)

var typeKinds = map[ConnType]int{
	Local:        kLocal,
	Host:         kPlain | kSSL | kGSS,
	HostSSL:      kSSL,
	HostNoSSL:    kPlain | kGSS,
	HostGSSEnc:   kGSS,
	HostNoGSSEnc: kPlain | kSSL,
}

func nameKey(n Name) string { return fmt.Sprintf("%d:%s", n.Kind, n.Value) }

func normKeyword(n Name) Name {
	if n.Kind == Keyword && n.Value == "samegroup" {
		return Kw("samerole")
	}
	return n
}

// dbCovers: every connection matched by database b is matched by a.
func dbCovers(a, b Name) bool {
	a, b = normKeyword(a), normKeyword(b)
	if a.Kind == Keyword && a.Value == "all" {
		return !(b.Kind == Keyword && b.Value == "replication")
	}
	return nameKey(a) == nameKey(b)
}

func userCovers(a, b Name) bool {
	if a.Kind == Keyword && a.Value == "all" {
		return true
	}
	return nameKey(a) == nameKey(b)
}

func listCovers(a, b []Name, covers func(a, b Name) bool) bool {
	if len(b) == 0 {
		return false
	}
	for _, y := range b {
		ok := false
		for _, x := range a {
			if covers(x, y) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// listOverlaps: some element of one certainly shares connections with an
// element of the other.
func listOverlaps(a, b []Name, covers func(a, b Name) bool) bool {
	for _, x := range a {
		for _, y := range b {
			if covers(x, y) || covers(y, x) {
				return true
			}
		}
	}
	return false
}

type addr struct {
	kind addrKind
	kw   string
	pfx  netip.Prefix
	host string
}

func ruleAddr(r Rule) addr {
	k, p := r.parsedAddress()
	a := addr{kind: k, pfx: p.Masked()}
	switch k {
	case addrKeyword:
		a.kw = r.Address
	case addrHostname:
		a.host = strings.ToLower(r.Address)
	}
	return a
}

// addrCovers: every client address matched by b is matched by a.
func addrCovers(a, b addr) bool {
	switch {
	case a.kind == addrNone && b.kind == addrNone:
		return true // both local
	case a.kind == addrInvalid || b.kind == addrInvalid:
		return false
	case a.kind == addrKeyword && a.kw == "all":
		return b.kind != addrNone
	case a.kind == addrKeyword && b.kind == addrKeyword:
		return a.kw == b.kw || (a.kw == "samenet" && b.kw == "samehost")
	case a.kind == addrPrefix && b.kind == addrPrefix:
		return a.pfx.Addr().Is4() == b.pfx.Addr().Is4() && a.pfx.Bits() <= b.pfx.Bits() && a.pfx.Contains(b.pfx.Addr())
	case a.kind == addrHostname && b.kind == addrHostname:
		if a.host == b.host {
			return true
		}
		// .suffix matches names ending with it (and longer suffixes).
		return strings.HasPrefix(a.host, ".") && strings.HasSuffix(b.host, a.host) && len(b.host) > len(a.host)
	}
	return false
}

func isTCP(r Rule) bool { return r.Type != Local }

func loopbackOnly(a addr) bool {
	switch a.kind {
	case addrPrefix:
		if a.pfx.Addr().Is4() {
			return a.pfx.Bits() >= 8 && a.pfx.Addr().IsLoopback()
		}
		return a.pfx.Bits() == 128 && a.pfx.Addr().IsLoopback()
	case addrKeyword:
		return a.kw == "samehost"
	case addrHostname:
		return a.host == "localhost"
	}
	return false
}

// anyAddress: all, 0.0.0.0/0 or ::/0.
func anyAddress(a addr) bool {
	return (a.kind == addrKeyword && a.kw == "all") || (a.kind == addrPrefix && a.pfx.Bits() == 0)
}

// Wide address thresholds: IPv4 prefixes shorter than /8 and IPv6 prefixes
// shorter than /16 (and all) are "wide".
const (
	WideIPv4Bits = 8
	WideIPv6Bits = 16
)

func wideAddress(a addr) bool {
	if a.kind == addrKeyword && a.kw == "all" {
		return true
	}
	if a.kind == addrPrefix {
		if a.pfx.Addr().Is4() {
			return a.pfx.Bits() < WideIPv4Bits
		}
		return a.pfx.Bits() < WideIPv6Bits
	}
	return false
}

var passwordish = map[Method]bool{Trust: true, Password: true, MD5: true, ScramSHA256: true, LDAP: true, RADIUS: true, PAM: true, BSD: true}
var cleartext = map[Method]bool{Password: true, LDAP: true, RADIUS: true, PAM: true, BSD: true}

func describe(i int, r Rule) string {
	l, err := r.Redacted().Render()
	if err != nil {
		return fmt.Sprintf("rule %d", i)
	}
	return fmt.Sprintf("rule %d (%s)", i, strings.Join(strings.Fields(l), " "))
}

func names(ns []Name) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

// Lint reports findings about rules in file order (first match wins) and
// the ident maps they use. Findings are sorted by rule index, then code.
func Lint(rules []Rule, idents []IdentMap, opts LintOptions) []Finding {
	if opts.Target == "" {
		opts.Target = TargetPostgreSQL
	}
	if opts.Version == 0 {
		opts.Version = MaxVersion
	}
	ignore := map[string]bool{}
	for _, c := range opts.Ignore {
		ignore[c] = true
	}
	var out []Finding
	emit := func(code string, sev Severity, i, j int, msg string) {
		if ignore[code] {
			return
		}
		if s, ok := opts.Severity[code]; ok {
			sev = s
		}
		out = append(out, Finding{Code: code, Severity: sev, RuleIndex: i, OtherRuleIndex: j, Message: msg})
	}
	addrs := make([]addr, len(rules))
	for i, r := range rules {
		addrs[i] = ruleAddr(r)
	}

	// coveredBy returns the first rule before j that matches every
	// connection of kinds (a subset of rule j's) that rule j could match,
	// or -1.
	coveredBy := func(j, kinds int) int {
		r := rules[j]
		for i := 0; i < j; i++ {
			e := rules[i]
			if typeKinds[e.Type]&kinds != kinds || kinds == 0 {
				continue
			}
			if !listCovers(e.Databases, r.Databases, dbCovers) || !listCovers(e.Users, r.Users, userCovers) {
				continue
			}
			if !addrCovers(addrs[i], addrs[j]) {
				continue
			}
			return i
		}
		return -1
	}
	for j, r := range rules {
		// shadowed: the first earlier rule that covers r.
		if i := coveredBy(j, typeKinds[r.Type]); i >= 0 {
			e := rules[i]
			sev := DefaultSeverity[CodeShadowed]
			if r.Method == Reject {
				sev = SeverityError
			}
			emit(CodeShadowed, sev, j, i, fmt.Sprintf("%s can never match: the earlier %s matches every connection it could match (first match wins)", describe(j, r), describe(i, e)))
			continue // the other findings are about what a rule lets in
		}

		// plain: connections without TLS or GSS encryption can reach r.
		plain := typeKinds[r.Type]&kPlain != 0 && coveredBy(j, kPlain) < 0
		// non_tls_path
		if plain && passwordish[r.Method] {
			for k := j + 1; k < len(rules); k++ {
				s := rules[k]
				if s.Type != HostSSL || s.Method == Reject {
					continue
				}
				if listOverlaps(r.Databases, s.Databases, dbCovers) && listOverlaps(r.Users, s.Users, userCovers) && (addrCovers(addrs[j], addrs[k]) || addrCovers(addrs[k], addrs[j])) {
					emit(CodeNonTLSPath, DefaultSeverity[CodeNonTLSPath], j, k, fmt.Sprintf("%s lets %s logins through without TLS for connections that the later hostssl %s was meant to protect; use hostssl, or put a hostnossl ... reject rule before it", describe(j, r), r.Method, describe(k, s)))
					break
				}
			}
		}
		if isTCP(r) && r.Method == Trust && !loopbackOnly(addrs[j]) {
			emit(CodeTrustNetwork, DefaultSeverity[CodeTrustNetwork], j, -1, fmt.Sprintf("%s allows trust (no password) from the network address %q; anyone who can reach the port may log in as %s", describe(j, r), r.Address, names(r.Users)))
		}
		if plain && cleartext[r.Method] {
			emit(CodePasswordCleartext, DefaultSeverity[CodePasswordCleartext], j, -1, fmt.Sprintf("%s sends the password in clear text (method %s) over connections without TLS; use hostssl", describe(j, r), r.Method))
		}
		if r.Method == MD5 {
			sev := DefaultSeverity[CodeMD5Deprecated]
			if opts.Version >= 18 && opts.Target == TargetPostgreSQL {
				sev = SeverityWarning
			}
			emit(CodeMD5Deprecated, sev, j, -1, fmt.Sprintf("%s uses md5, which is deprecated; use scram-sha-256 (md5 rules already accept SCRAM-hashed passwords, so switch the passwords first)", describe(j, r)))
		}
		allAll := isTCP(r) && r.Method != Reject && r.Method != Cert && anyAddress(addrs[j]) &&
			listOverlapsKeyword(r.Databases, "all") && listOverlapsKeyword(r.Users, "all")
		if allAll {
			emit(CodeAllAllNetwork, DefaultSeverity[CodeAllAllNetwork], j, -1, fmt.Sprintf("%s admits every database and every user from any address with %s", describe(j, r), r.Method))
		} else if isTCP(r) && r.Method != Reject && r.Method != Cert && wideAddress(addrs[j]) {
			emit(CodeWideAddress, DefaultSeverity[CodeWideAddress], j, -1, fmt.Sprintf("%s accepts the very wide address range %q with %s; narrow it (IPv4 wider than /%d or IPv6 wider than /%d)", describe(j, r), r.Address, r.Method, WideIPv4Bits, WideIPv6Bits))
		}
		if r.Map != "" && !opts.IdentMapsUnknown {
			found := false
			for _, m := range idents {
				if m.Name == r.Map {
					found = true
				}
			}
			if !found {
				emit(CodeMissingIdentMap, DefaultSeverity[CodeMissingIdentMap], j, -1, fmt.Sprintf("%s uses map=%s, but no ident map of that name is defined; every login through it fails with \"no match in usermap\"", describe(j, r), r.Map))
			}
		}
		if r.Method == Cert && r.ClientCert == "verify-full" {
			emit(CodeCertClientcertRedundant, DefaultSeverity[CodeCertClientcertRedundant], j, -1, fmt.Sprintf("%s: clientcert=verify-full is redundant, cert always verifies the full certificate", describe(j, r)))
		}
		if r.Type == Local && r.Method == Ident && opts.Target == TargetPostgreSQL {
			emit(CodeIdentOnLocal, DefaultSeverity[CodeIdentOnLocal], j, -1, fmt.Sprintf("%s: ident on local sockets is silently treated as peer; write peer", describe(j, r)))
		}
		if (r.Method == SSPI || r.Method == BSD) && opts.Target == TargetPostgreSQL {
			where := map[Method]string{SSPI: "Windows", BSD: "OpenBSD"}[r.Method]
			emit(CodePlatformMethod, DefaultSeverity[CodePlatformMethod], j, -1, fmt.Sprintf("%s: %s authentication exists only in %s builds; other builds refuse the file (\"not supported by this build\")", describe(j, r), r.Method, where))
		}
	}
	if !opts.IdentMapsUnknown {
		used := map[string]bool{}
		for _, r := range rules {
			used[r.Map] = true
		}
		for _, m := range idents {
			if !used[m.Name] {
				emit(CodeUnusedIdentMap, DefaultSeverity[CodeUnusedIdentMap], -1, -1, fmt.Sprintf("ident map %q is not used by any rule", m.Name))
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].RuleIndex != out[b].RuleIndex {
			return out[a].RuleIndex < out[b].RuleIndex
		}
		return out[a].Code < out[b].Code
	})
	return out
}

func listOverlapsKeyword(ns []Name, kw string) bool {
	for _, n := range ns {
		if n.Kind == Keyword && n.Value == kw {
			return true
		}
	}
	return false
}

// Redacted returns a copy of the rule with every secret option value (see
// Option.IsSecret) replaced by Masked, for review copies, messages and logs.
func (r Rule) Redacted() Rule {
	opts := make([]Option, len(r.Options))
	for i, o := range r.Options {
		if o.IsSecret() {
			o.Value = Masked
		}
		opts[i] = o
	}
	r.Options = opts
	return r
}

// Failing returns the findings whose severity is in failOn (for example
// error, or error and warning), in order: the ones that should fail a plan.
func Failing(findings []Finding, failOn ...Severity) []Finding {
	var out []Finding
	for _, f := range findings {
		for _, s := range failOn {
			if f.Severity == s {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// Lint lints the parsed rules (Lint) and adds the file-level findings
// (include directives not followed, NUL bytes), all with their line, in line
// order (findings about ident maps last). Ignore and Severity of opts apply
// to every code.
func (pf ParsedFile) Lint(idents []IdentMap, opts LintOptions) []Finding {
	rules := make([]Rule, len(pf.Rules))
	for i, pr := range pf.Rules {
		rules[i] = pr.Rule
	}
	out := Lint(rules, idents, opts)
	for i := range out {
		if out[i].RuleIndex >= 0 && out[i].RuleIndex < len(pf.Rules) {
			out[i].Line = pf.Rules[out[i].RuleIndex].Line
		}
	}
	ignore := map[string]bool{}
	for _, c := range opts.Ignore {
		ignore[c] = true
	}
	for _, f := range pf.Findings {
		if ignore[f.Code] {
			continue
		}
		if s, ok := opts.Severity[f.Code]; ok {
			f.Severity = s
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(a, b int) bool {
		la, lb := out[a].Line, out[b].Line
		if (la == 0) != (lb == 0) {
			return lb == 0
		}
		if la != lb {
			return la < lb
		}
		return out[a].Code < out[b].Code
	})
	return out
}
