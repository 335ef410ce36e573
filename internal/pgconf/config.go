package pgconf

import (
	"fmt"
	"github.com/pgtls/terraform-provider-pgtls/internal/cipherlist"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

// Config is one set of settings for one PostgreSQL major version.
type Config struct {
	// Version is the PostgreSQL major version (MinVersion..MaxVersion).
	Version int
	// Values maps setting names (see Settings) to raw values as SHOW prints
	// them: booleans "on"/"off", lists comma-separated. Settings absent from
	// Values take their Default, if any.
	Values map[string]string
	// HBA is the pg_hba.conf the server will run with, when known: it lets
	// Validate refuse combinations PostgreSQL refuses at load time (hostssl
	// rules with ssl = off; cert / clientcert without ssl_ca_file).
	HBA string
}

// Severity of a Problem.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Problem is one finding about one setting. Message never contains the
// value of a Secret setting.
type Problem struct {
	Setting  string
	Severity Severity
	Summary  string
	Message  string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s", p.Setting, p.Summary, p.Message)
}

// Effective returns the values pgtls renders: Values plus defaults, in
// Settings order (name, value pairs).
func (c Config) Effective() [][2]string {
	var out [][2]string
	for _, s := range Settings {
		if v, ok := c.Values[s.Name]; ok {
			out = append(out, [2]string{s.Name, v})
		} else if s.Default != "" && s.Available(c.Version) {
			out = append(out, [2]string{s.Name, s.Default})
		}
	}
	return out
}

func (c Config) value(name string) string {
	if v, ok := c.Values[name]; ok {
		return v
	}
	if s, ok := byName[name]; ok {
		return s.Default
	}
	return ""
}

var (
	groupTokenRe = regexp.MustCompile(`^\??[A-Za-z0-9_\-]+$`)
	hostLabelRe  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

// ECCurves are the named curves PostgreSQL 13-17's ssl_ecdh_curve can use
// (OBJ_sn2nid + EC_KEY_new_by_curve_name: X25519/X448 are not EC curves
// there).
var ECCurves = []string{"prime256v1", "secp384r1", "secp521r1", "secp224r1", "secp256k1", "prime192v1", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"}

// Groups are TLS group names OpenSSL 3 knows (PostgreSQL 18's ssl_groups).
var Groups = append([]string{"X25519", "X448", "P-256", "P-384", "P-521", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192",
	"X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "MLKEM512", "MLKEM768", "MLKEM1024"}, ECCurves...)

// Validate checks c against what PostgreSQL c.Version accepts and flags
// settings that weaken TLS. Errors are what the server refuses (at start,
// reload or hba load); warnings are legal but weak.
func (c Config) Validate() []Problem {
	var ps []Problem
	add := func(name string, sev Severity, summary, format string, a ...any) {
		ps = append(ps, Problem{Setting: name, Severity: sev, Summary: summary, Message: fmt.Sprintf(format, a...)})
	}
	if c.Version < MinVersion || c.Version > MaxVersion {
		add("postgres_version", Error, "Unsupported PostgreSQL version", "postgres_version = %d: pgtls knows PostgreSQL %d to %d", c.Version, MinVersion, MaxVersion)
		return ps
	}
	names := make([]string, 0, len(c.Values))
	for n := range c.Values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			add(n, Error, "Unknown setting", "%q is not a TLS or authentication setting pgtls renders", n)
			continue
		}
		v := c.Values[n]
		shown := v
		if s.Secret {
			shown = "(sensitive)"
		}
		if !s.Available(c.Version) {
			add(n, Error, "Setting not available in this PostgreSQL version",
				"%s needs PostgreSQL %d or later; postgres_version = %d would refuse the file (unrecognized configuration parameter)", n, s.MinVersion, c.Version)
			continue
		}
		if strings.IndexByte(v, 0) >= 0 {
			add(n, Error, "Invalid value", "%s contains a NUL byte, which postgresql.conf cannot carry", n)
			continue
		}
		switch s.Kind {
		case KindBool:
			if v != "on" && v != "off" {
				add(n, Error, "Invalid value", "%s = %q: must be on or off", n, shown)
			}
		case KindEnum:
			if !slices.Contains(s.Enum, v) {
				add(n, Error, "Invalid value", "%s = %q: must be one of %s", n, shown, quotedList(s.Enum))
			}
		case KindPath:
			if v == "" {
				add(n, Error, "Invalid value", "%s is empty: give a path, or leave the setting out", n)
			}
		case KindString:
			if v == "" {
				add(n, Error, "Invalid value", "%s is empty: give a value, or leave the setting out", n)
			}
		case KindList:
			ps = append(ps, checkListenAddresses(v)...)
		}
	}
	ps = append(ps, c.checkTLS()...)
	ps = append(ps, c.checkHBA()...)
	return ps
}

func quotedList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func checkListenAddresses(v string) []Problem {
	if v == "" {
		return nil // Unix-domain sockets only
	}
	var ps []Problem
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		switch a {
		case "*":
		case "":
			ps = append(ps, Problem{Setting: "listen_addresses", Severity: Error, Summary: "Invalid listen address",
				Message: fmt.Sprintf("listen_addresses = %q has an empty element", v)})
		default:
			if _, err := netip.ParseAddr(a); err == nil {
				continue
			}
			if !isHostName(a) {
				ps = append(ps, Problem{Setting: "listen_addresses", Severity: Error, Summary: "Invalid listen address",
					Message: fmt.Sprintf("%q is neither *, an IP address nor a host name", a)})
			}
		}
	}
	return ps
}

func isHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !hostLabelRe.MatchString(l) {
			return false
		}
	}
	return true
}

var protoRank = map[string]int{"TLSv1": 1, "TLSv1.1": 2, "TLSv1.2": 3, "TLSv1.3": 4}

func (c Config) checkTLS() []Problem {
	var ps []Problem
	add := func(name string, sev Severity, summary, format string, a ...any) {
		ps = append(ps, Problem{Setting: name, Severity: sev, Summary: summary, Message: fmt.Sprintf(format, a...)})
	}
	if v := c.value("ssl"); v == "off" {
		add("ssl", Warning, "TLS is disabled", "ssl = off: the server accepts no TLS connection, every ssl_* setting is ignored, and passwords and data cross the network readable")
	}
	minV := c.value("ssl_min_protocol_version")
	maxV := c.value("ssl_max_protocol_version")
	if r := protoRank[minV]; r > 0 && r < protoRank["TLSv1.2"] {
		add("ssl_min_protocol_version", Warning, "Weak TLS version allowed",
			"ssl_min_protocol_version = %q allows TLS versions deprecated by RFC 8996; use TLSv1.2 or TLSv1.3", minV)
	}
	if maxV != "" && protoRank[maxV] > 0 {
		if protoRank[minV] > protoRank[maxV] {
			add("ssl_max_protocol_version", Error, "TLS version range is empty",
				"ssl_max_protocol_version = %q is lower than ssl_min_protocol_version = %q: PostgreSQL refuses to set up TLS (\"could not set SSL protocol version range\")", maxV, minV)
		} else if protoRank[maxV] < protoRank["TLSv1.2"] {
			add("ssl_max_protocol_version", Warning, "Weak TLS version forced",
				"ssl_max_protocol_version = %q rules out TLS 1.2 and 1.3", maxV)
		}
	}
	if v, ok := c.Values["ssl_ciphers"]; ok && v != "" {
		// One rule for every OpenSSL cipher list pgtls renders (PostgreSQL,
		// PgBouncer, Pgpool-II): internal/cipherlist.
		errMsg, warnings := cipherlist.Check(v)
		if errMsg != "" {
			add("ssl_ciphers", Error, "Invalid cipher list", "ssl_ciphers = %q %s", v, errMsg)
		}
		for _, w := range warnings {
			add("ssl_ciphers", Warning, "Weak ciphers enabled", "ssl_ciphers = %q: %s", v, w)
		}
	}
	curve, hasCurve := c.Values["ssl_ecdh_curve"]
	groups, hasGroups := c.Values["ssl_groups"]
	if hasCurve && hasGroups && c.Version >= 18 {
		add("ssl_ecdh_curve", Error, "Setting given twice", "PostgreSQL 18 reads ssl_ecdh_curve as another name for ssl_groups: set only ssl_groups")
	}
	if hasCurve && curve != "" {
		if c.Version >= 18 {
			ps = append(ps, checkGroups("ssl_ecdh_curve", curve)...)
		} else if !slices.Contains(ECCurves, curve) {
			add("ssl_ecdh_curve", Error, "Unknown curve",
				"ssl_ecdh_curve = %q: PostgreSQL %d takes one named EC curve (%s); lists and X25519/X448 need PostgreSQL 18's ssl_groups", curve, c.Version, strings.Join(ECCurves, ", "))
		}
	}
	if hasGroups && groups != "" && c.Version >= 18 {
		ps = append(ps, checkGroups("ssl_groups", groups)...)
	}
	if v, ok := c.Values["ssl_tls13_ciphers"]; ok && v != "" && c.Version >= 18 {
		if errMsg := cipherlist.CheckTLS13(v); errMsg != "" {
			add("ssl_tls13_ciphers", Error, "Invalid TLS 1.3 cipher suites",
				"ssl_tls13_ciphers = %q %s; OpenSSL refuses unknown suites and the server does not start", v, errMsg)
		}
		if maxV != "" && protoRank[maxV] < protoRank["TLSv1.3"] {
			add("ssl_tls13_ciphers", Warning, "Setting has no effect", "ssl_tls13_ciphers is set but ssl_max_protocol_version = %q rules out TLS 1.3", maxV)
		}
	}
	if v := c.value("password_encryption"); v == "md5" {
		add("password_encryption", Warning, "md5 password hashing",
			"password_encryption = md5 stores new passwords as MD5 hashes, which are replayable and deprecated (PostgreSQL 18 warns on every md5 password); use scram-sha-256")
	}
	return ps
}

func checkGroups(name, v string) []Problem {
	var ps []Problem
	for _, t := range strings.Split(v, ":") {
		switch {
		case !groupTokenRe.MatchString(t):
			ps = append(ps, Problem{Setting: name, Severity: Error, Summary: "Invalid group list",
				Message: fmt.Sprintf("%s = %q: groups are names separated by colons", name, v)})
			return ps
		case !slices.Contains(Groups, strings.TrimPrefix(t, "?")):
			ps = append(ps, Problem{Setting: name, Severity: Warning, Summary: "Unknown TLS group",
				Message: fmt.Sprintf("%q in %s is not a group pgtls knows (%s); the server does not start if its OpenSSL does not know it either", t, name, strings.Join(Groups, ", "))})
		}
	}
	return ps
}

// checkHBA refuses what PostgreSQL refuses when it loads c.HBA with these
// settings.
func (c Config) checkHBA() []Problem {
	if strings.TrimSpace(c.HBA) == "" {
		return nil
	}
	pf, err := hba.Parse(c.HBA, c.Version)
	if err != nil {
		return []Problem{{Setting: "hba", Severity: Error, Summary: "Cannot read pg_hba.conf", Message: err.Error()}}
	}
	var hostssl, certs []int
	for _, r := range pf.Rules {
		if r.Rule.Type == hba.HostSSL {
			hostssl = append(hostssl, r.Line)
		}
		if r.Rule.Method == hba.Cert || r.Rule.ClientCert != "" {
			certs = append(certs, r.Line)
		}
	}
	var ps []Problem
	if v := c.value("ssl"); v == "off" && len(hostssl) > 0 {
		ps = append(ps, Problem{Setting: "ssl", Severity: Error, Summary: "hostssl rules with ssl = off",
			Message: fmt.Sprintf("pg_hba.conf has hostssl rules (lines %s) but ssl = off: PostgreSQL refuses to load the file (\"hostssl record cannot match because SSL is disabled\")", lineList(hostssl))})
	}
	if v := c.value("ssl"); v == "on" && len(certs) > 0 {
		if ca, ok := c.Values["ssl_ca_file"]; !ok || ca == "" {
			ps = append(ps, Problem{Setting: "ssl_ca_file", Severity: Error, Summary: "Client certificates without trust anchors",
				Message: fmt.Sprintf("pg_hba.conf checks client certificates (cert or clientcert= on lines %s) but ssl_ca_file is not set: PostgreSQL refuses the file (\"client certificates can only be checked if a root certificate store is available\")", lineList(certs))})
		}
	}
	return ps
}

func lineList(ls []int) string {
	var b strings.Builder
	for i, l := range ls {
		if i == 5 {
			fmt.Fprintf(&b, ", ... (%d more)", len(ls)-5)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", l)
	}
	return b.String()
}

// Rendered is the output of Render.
type Rendered struct {
	// Snippet is the exact file for include / include_dir. It holds
	// secrets when a Secret setting is set.
	Snippet string
	// MaskedSnippet is Snippet with each Secret setting's line replaced by a
	// comment naming it: safe to show in a plan.
	MaskedSnippet string
	// Parameters maps each rendered setting to its raw value (as ALTER
	// SYSTEM SET takes it quoted, and as operators such as CloudNativePG's
	// postgresql.parameters take it). Holds secrets like Snippet.
	Parameters map[string]string
	// MaskedParameters is Parameters with Secret values replaced by
	// "(sensitive)".
	MaskedParameters map[string]string
	// HasSecret reports whether any Secret setting is rendered.
	HasSecret bool
}

// Render renders c. It fails when Validate reports errors.
func (c Config) Render() (Rendered, error) {
	for _, p := range c.Validate() {
		if p.Severity == Error {
			return Rendered{}, fmt.Errorf("invalid configuration: %s", p)
		}
	}
	var full, masked strings.Builder
	head := fmt.Sprintf("# PostgreSQL %d TLS and authentication settings, rendered by pgtls.\n"+
		"# Load it with include '<this file>' at the end of postgresql.conf, or put it in an include_dir.\n", c.Version)
	full.WriteString(head)
	masked.WriteString(head)
	r := Rendered{Parameters: map[string]string{}, MaskedParameters: map[string]string{}}
	for _, kv := range c.Effective() {
		s := byName[kv[0]]
		line, err := renderLine(*s, kv[1])
		if err != nil {
			return Rendered{}, err
		}
		full.WriteString(line)
		r.Parameters[s.Name] = kv[1]
		if s.Secret {
			r.HasSecret = true
			fmt.Fprintf(&masked, "# %s = (sensitive: see the exact content)\n", s.Name)
			r.MaskedParameters[s.Name] = "(sensitive)"
		} else {
			masked.WriteString(line)
			r.MaskedParameters[s.Name] = kv[1]
		}
	}
	r.Snippet, r.MaskedSnippet = full.String(), masked.String()
	return r, nil
}

func renderLine(s Setting, v string) (string, error) {
	val := v
	if s.Kind != KindBool {
		q, err := Quote(v)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.Name, err)
		}
		val = q
	}
	line := s.Name + " = " + val
	if s.Restart {
		line += "\t# takes effect at server start"
	}
	return line + "\n", nil
}
