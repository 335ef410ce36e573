package libpq

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// SSLModes are libpq's sslmode values, weakest first.
var SSLModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// HomeDir is how the default layout's directory is shown: libpq reads
// ~/.postgresql/ of the OS user running the client.
const HomeDir = "~/.postgresql"

// File names libpq looks for in ~/.postgresql/ (and pgtls uses in any
// directory), and the pgJDBC key.
const (
	CertFile = "postgresql.crt"
	KeyFile  = "postgresql.key"
	RootFile = "root.crt"
	CRLFile  = "root.crl"
	PK8File  = "postgresql.pk8"
)

// Bundle describes one client identity connecting to one server (or a
// list of hosts of one cluster).
type Bundle struct {
	Hosts []string // DNS names, IP addresses, or absolute Unix-socket directories
	Ports []int    // none (libpq's 5432), one for every host, or one per host
	DB    string
	User  string
	// IdentMap names the pg_ident map the server uses to let the
	// certificate's identity log in as User; "" when the CN must equal User.
	IdentMap string
	// SSLMode defaults to verify-full.
	SSLMode string
	// Dir is the absolute directory the files are written to. Empty means
	// the default layout, ~/.postgresql/ of the client's OS user: then the
	// file paths are left out of conninfo, URI, service and environment,
	// since libpq finds them there itself.
	Dir string
	// PEM contents; each non-empty one becomes a file.
	CertPEM, KeyPEM, RootCertPEM, CRLPEM string
	// Params are extra libpq keywords (application_name, connect_timeout,
	// target_session_attrs, ...). Managed keywords and secrets are refused.
	Params []Param
	// Service names the pg_service.conf section.
	Service string
}

// File is one file of a bundle.
type File struct {
	Name string // base name
	Path string // Dir/Name, or ~/.postgresql/Name
	Mode string // octal, "0600" for keys
	// Content is the file content; for binary files (the .pk8) it is empty
	// and ContentBase64 holds it.
	Content       string
	ContentBase64 string
	Sensitive     bool
}

// Rendered is everything a client needs.
type Rendered struct {
	Files []File
	// Env maps libpq environment variables to values.
	Env map[string]string
	// Params is the ordered keyword list conninfo and URI are made of.
	Params []Param
	// Conninfo and URI are for libpq clients (psql, libpq drivers).
	Conninfo, URI string
	// PgxConninfo and PgxURI leave out the libpq keywords pgx v5 does not
	// know and would send to the server as run-time parameters, which the
	// server refuses (sslcrl, sslcrldir). pgx checks no CRL.
	PgxConninfo, PgxURI string
	// ServiceSection is a pg_service.conf section.
	ServiceSection string
	// JDBCURL and JDBCProperties are for pgJDBC (the key as DER PKCS#8).
	JDBCURL        string
	JDBCProperties []Param
	JDBCPropsFile  string
}

// Problem is a validation finding.
type Problem struct {
	Field    string
	Severity string // "error" or "warning"
	Message  string
}

var serviceNameRe = regexp.MustCompile(`^[A-Za-z0-9_.@-][A-Za-z0-9_.@ -]*$`)

// managed keywords are set from Bundle fields, never from Params.
var managed = []string{"host", "port", "dbname", "user", "sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "service"}

// envVars maps keywords to libpq environment variables.
var envVars = map[string]string{
	"host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
	"passfile": "PGPASSFILE", "require_auth": "PGREQUIREAUTH", "channel_binding": "PGCHANNELBINDING",
	"connect_timeout": "PGCONNECT_TIMEOUT", "client_encoding": "PGCLIENTENCODING", "options": "PGOPTIONS",
	"application_name": "PGAPPNAME", "tcp_user_timeout": "PGTCPUSERTIMEOUT", "gssencmode": "PGGSSENCMODE",
	"sslmode": "PGSSLMODE", "sslnegotiation": "PGSSLNEGOTIATION", "sslcompression": "PGSSLCOMPRESSION",
	"sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "sslcertmode": "PGSSLCERTMODE", "sslrootcert": "PGSSLROOTCERT",
	"sslcrl": "PGSSLCRL", "sslcrldir": "PGSSLCRLDIR", "sslsni": "PGSSLSNI", "requirepeer": "PGREQUIREPEER",
	"ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION", "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
	"krbsrvname": "PGKRBSRVNAME", "gsslib": "PGGSSLIB", "gssdelegation": "PGGSSDELEGATION",
	"target_session_attrs": "PGTARGETSESSIONATTRS", "load_balance_hosts": "PGLOADBALANCEHOSTS",
	"service": "PGSERVICE",
}

// pgxUnknown are libpq keywords pgx v5 forwards to the server.
var pgxUnknown = []string{"sslcrl", "sslcrldir"}

func (b Bundle) sslMode() string {
	if b.SSLMode == "" {
		return "verify-full"
	}
	return b.SSLMode
}

// Validate checks b. Errors are what libpq (or the server) would refuse or
// silently ignore; warnings are legal but weak.
func (b Bundle) Validate() []Problem {
	var ps []Problem
	add := func(field, sev, format string, a ...any) {
		ps = append(ps, Problem{Field: field, Severity: sev, Message: fmt.Sprintf(format, a...)})
	}
	if len(b.Hosts) == 0 {
		add("hosts", "error", "at least one host is needed")
	}
	socket := false
	for i, h := range b.Hosts {
		switch {
		case strings.HasPrefix(h, "/"):
			socket = true
			if strings.ContainsAny(h, ",\x00") {
				add(fmt.Sprintf("hosts[%d]", i), "error", "socket directory %q cannot contain a comma (libpq splits host lists on commas)", h)
			}
		case h == "":
			add(fmt.Sprintf("hosts[%d]", i), "error", "empty host")
		default:
			if _, err := netip.ParseAddr(h); err != nil && !isHostName(h) {
				add(fmt.Sprintf("hosts[%d]", i), "error", "%q is neither an IP address, a host name nor an absolute Unix-socket directory", h)
			}
		}
	}
	if n := len(b.Ports); n > 1 && n != len(b.Hosts) {
		add("ports", "error", "%d ports for %d hosts: give none, one for all hosts, or one per host", n, len(b.Hosts))
	}
	for i, p := range b.Ports {
		if p < 1 || p > 65535 {
			add(fmt.Sprintf("ports[%d]", i), "error", "port %d is outside 1..65535", p)
		}
	}
	mode := b.sslMode()
	if !slices.Contains(SSLModes, mode) {
		add("sslmode", "error", "sslmode %q must be one of %s", mode, strings.Join(SSLModes, ", "))
	} else {
		if (mode == "verify-ca" || mode == "verify-full") && b.RootCertPEM == "" {
			add("root_cert_pem", "error", "sslmode=%s needs a root certificate: libpq refuses to connect without root.crt", mode)
		}
		if mode != "verify-full" {
			add("sslmode", "warning", "sslmode=%s does not check that the server's certificate names the host: use verify-full", mode)
		}
		if mode == "verify-full" && slices.ContainsFunc(b.Hosts, func(h string) bool { a, err := netip.ParseAddr(h); return err == nil && a.Is6() }) {
			add("hosts", "warning", "pgJDBC (42.5 tested) cannot verify an IPv6 literal host against the certificate's IP SANs under verify-full; libpq and pgx can. Give JDBC clients a DNS name")
		}
		if socket && mode != "disable" {
			add("hosts", "warning", "libpq never uses TLS on Unix-domain sockets: sslmode=%s and the certificates are ignored for the socket directories", mode)
		}
	}
	if (b.CertPEM == "") != (b.KeyPEM == "") {
		add("key_pem", "error", "a client certificate and its key go together: give both or neither")
	}
	if b.CertPEM != "" && b.User != "" {
		if cn := firstCN(b.CertPEM); cn != "" && cn != b.User && b.IdentMap == "" {
			add("user", "warning", "user %q differs from the certificate's CN %q: cert authentication then needs a pg_ident map (name it in ident_map when the server has one)", b.User, cn)
		}
	}
	if b.Dir != "" && !strings.HasPrefix(b.Dir, "/") {
		add("directory", "error", "directory %q must be absolute: libpq resolves relative paths against the client's working directory", b.Dir)
	}
	if strings.ContainsAny(b.Dir, "\x00\n\r") {
		add("directory", "error", "directory holds a NUL byte or a line break")
	}
	for i, p := range b.Params {
		f := fmt.Sprintf("params[%d]", i)
		switch {
		case slices.Contains(managed, p.Key):
			add(f, "error", "%q is set by the bundle itself; use its own attribute", p.Key)
		case SecretKeywords[p.Key]:
			add(f, "error", "%q holds a secret and does not belong in a client bundle: use a password file (passfile) or set it at run time", p.Key)
		case !IsKeyword(p.Key):
			add(f, "error", "%q is not a libpq connection keyword (libpq refuses it: invalid connection option)", p.Key)
		case strings.ContainsAny(p.Value, "\x00\n\r"):
			add(f, "error", "the value of %q holds a NUL byte or a line break (not representable in pg_service.conf)", p.Key)
		}
	}
	if b.Service != "" && !serviceNameRe.MatchString(b.Service) {
		add("service", "error", "service name %q may hold letters, digits, blanks and _ . @ - only", b.Service)
	}
	for _, v := range append([]string{b.DB, b.User}, b.Hosts...) {
		if strings.ContainsAny(v, "\x00\n\r") {
			add("hosts", "error", "host, dbname and user cannot hold a NUL byte or a line break")
			break
		}
	}
	return ps
}

func isHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		if strings.IndexFunc(l, isNotLabelChar) >= 0 {
			return false
		}
	}
	return true
}

func isNotLabelChar(c rune) bool {
	return (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_'
}

func firstCN(certPEM string) string {
	blk, _ := pem.Decode([]byte(certPEM))
	if blk == nil {
		return ""
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return ""
	}
	return c.Subject.CommonName
}

func (b Bundle) filePath(name string) string {
	if b.Dir == "" {
		return HomeDir + "/" + name
	}
	return path.Join(b.Dir, name)
}

// Render renders b; it fails when Validate reports errors. pk8DER is the
// client key as DER PKCS#8 (for pgJDBC), or nil.
func (b Bundle) Render(pk8DER []byte) (Rendered, error) {
	for _, p := range b.Validate() {
		if p.Severity == "error" {
			return Rendered{}, fmt.Errorf("%s: %s", p.Field, p.Message)
		}
	}
	var r Rendered
	add := func(name, mode, content string, sensitive bool) {
		if content != "" {
			r.Files = append(r.Files, File{Name: name, Path: b.filePath(name), Mode: mode, Content: content, Sensitive: sensitive})
		}
	}
	add(CertFile, "0644", b.CertPEM, false)
	add(KeyFile, "0600", b.KeyPEM, true)
	add(RootFile, "0644", b.RootCertPEM, false)
	add(CRLFile, "0644", b.CRLPEM, false)
	if len(pk8DER) > 0 {
		r.Files = append(r.Files, File{Name: PK8File, Path: b.filePath(PK8File), Mode: "0600",
			ContentBase64: base64.StdEncoding.EncodeToString(pk8DER), Sensitive: true})
	}

	ps := []Param{{"host", strings.Join(b.Hosts, ",")}}
	if len(b.Ports) > 0 {
		ports := make([]string, len(b.Ports))
		for i, p := range b.Ports {
			ports[i] = strconv.Itoa(p)
		}
		ps = append(ps, Param{"port", strings.Join(ports, ",")})
	}
	if b.DB != "" {
		ps = append(ps, Param{"dbname", b.DB})
	}
	if b.User != "" {
		ps = append(ps, Param{"user", b.User})
	}
	ps = append(ps, Param{"sslmode", b.sslMode()})
	if b.Dir != "" {
		for _, f := range []struct{ key, name, content string }{
			{"sslcert", CertFile, b.CertPEM}, {"sslkey", KeyFile, b.KeyPEM},
			{"sslrootcert", RootFile, b.RootCertPEM}, {"sslcrl", CRLFile, b.CRLPEM},
		} {
			if f.content != "" {
				ps = append(ps, Param{f.key, b.filePath(f.name)})
			}
		}
	}
	extra := slices.Clone(b.Params)
	sort.SliceStable(extra, func(i, j int) bool { return extra[i].Key < extra[j].Key })
	ps = append(ps, extra...)
	r.Params = ps

	var err error
	if r.Conninfo, err = Conninfo(ps); err != nil {
		return Rendered{}, err
	}
	if r.URI, err = URI(ps); err != nil {
		return Rendered{}, err
	}
	pgx := slices.DeleteFunc(slices.Clone(ps), func(p Param) bool { return slices.Contains(pgxUnknown, p.Key) })
	r.PgxConninfo, _ = Conninfo(pgx)
	r.PgxURI, _ = URI(pgx)

	r.Env = map[string]string{}
	for _, p := range ps {
		if v, ok := envVars[p.Key]; ok {
			r.Env[v] = p.Value
		}
	}

	if b.Service != "" {
		var s strings.Builder
		fmt.Fprintf(&s, "[%s]\n", b.Service)
		for _, p := range ps {
			fmt.Fprintf(&s, "%s=%s\n", p.Key, p.Value)
		}
		r.ServiceSection = s.String()
	}

	b.renderJDBC(&r, len(pk8DER) > 0)
	return r, nil
}

// renderJDBC fills the pgJDBC URL and properties (TCP hosts only; pgJDBC has
// no Unix sockets and no CRL support).
func (b Bundle) renderJDBC(r *Rendered, hasPK8 bool) {
	var hosts []string
	for i, h := range b.Hosts {
		if strings.HasPrefix(h, "/") {
			return
		}
		if a, err := netip.ParseAddr(h); err == nil && a.Is6() {
			h = "[" + a.String() + "]"
		}
		switch {
		case len(b.Ports) == 1:
			h += ":" + strconv.Itoa(b.Ports[0])
		case len(b.Ports) > 1:
			h += ":" + strconv.Itoa(b.Ports[i])
		}
		hosts = append(hosts, h)
	}
	r.JDBCURL = "jdbc:postgresql://" + strings.Join(hosts, ",") + "/" + percentEncode(b.DB)
	props := []Param{}
	if b.User != "" {
		props = append(props, Param{"user", b.User})
	}
	mode := b.sslMode()
	props = append(props, Param{"sslmode", mode})
	if b.CertPEM != "" && hasPK8 {
		props = append(props, Param{"sslcert", b.filePath(CertFile)}, Param{"sslkey", b.filePath(PK8File)})
	}
	if b.RootCertPEM != "" {
		props = append(props, Param{"sslrootcert", b.filePath(RootFile)})
	}
	r.JDBCProperties = props
	var s strings.Builder
	for _, p := range props {
		s.WriteString(propEscape(p.Key, true) + "=" + propEscape(p.Value, false) + "\n")
	}
	r.JDBCPropsFile = s.String()
}

// propEscape escapes a java.util.Properties key or value.
func propEscape(s string, key bool) string {
	var b strings.Builder
	for i, c := range s {
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == ' ' && (key || i == 0):
			b.WriteString(`\ `)
		case c == '=' || c == ':' || c == '#' || c == '!':
			b.WriteByte('\\')
			b.WriteRune(c)
		case c < 0x20 || c > 0x7e:
			if c > 0xffff {
				for _, u := range []rune{0xd800 + (c-0x10000)>>10, 0xdc00 + (c-0x10000)&0x3ff} {
					fmt.Fprintf(&b, `\u%04X`, u)
				}
			} else {
				fmt.Fprintf(&b, `\u%04X`, c)
			}
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
