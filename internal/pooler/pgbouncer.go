package pooler

import (
	"github.com/pgtls/terraform-provider-pgtls/internal/cipherlist"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// PgBouncerDatabase is one [databases] entry: Name = connection string.
// Empty strings and nil numbers are left out (PgBouncer's defaults apply).
type PgBouncerDatabase struct {
	// Name clients connect to; "*" is the fallback for any other name.
	Name string
	// Host is an IP address, a DNS name, or an absolute directory holding
	// PostgreSQL's Unix socket. Unset: the Unix socket in /tmp.
	Host                                                 string
	Port                                                 *int64
	DBName                                               string
	User                                                 string // forced user: every client uses this role
	Password                                             string // the forced user's password (secret)
	AuthUser                                             string
	AuthDBName                                           string // 1.19+
	AuthQuery                                            string // 1.22+
	PoolSize, MinPoolSize, ReservePool, MaxDBConnections *int64
	PoolMode                                             string
	ConnectQuery, ApplicationName                        string
	ClientEncoding, Datestyle, Timezone                  string
}

// PgBouncerUser is one [users] entry.
type PgBouncerUser struct {
	Name               string
	PoolMode           string
	MaxUserConnections *int64
}

// PgBouncerTLS holds one side's *_tls_* settings. Empty fields are left
// out. DHEParams and ECDHCurve exist on the client side only.
type PgBouncerTLS struct {
	SSLMode                   string
	CAFile, CertFile, KeyFile string
	Protocols, Ciphers        string
	TLS13Ciphers              string // 1.25+
	DHEParams, ECDHCurve      string // client side only
}

// PgBouncerINI is a whole pgbouncer.ini.
type PgBouncerINI struct {
	Version   PgBouncerVersion
	Header    string // comment lines at the top
	Databases []PgBouncerDatabase
	Users     []PgBouncerUser

	ListenAddr    []string // "*" or addresses/host names; empty: Unix socket only
	ListenPort    *int64
	UnixSocketDir *string // nil: PgBouncer's default (/tmp); "": no Unix socket

	AuthType      string
	AuthFile      string
	AuthHBAFile   string
	AuthIdentFile string // 1.23+
	AuthUser      string
	AuthQuery     string
	AuthDBName    string // 1.19+
	AdminUsers    []string
	StatsUsers    []string
	PoolMode      string
	LogFile       string
	PidFile       string

	ClientTLS PgBouncerTLS
	ServerTLS PgBouncerTLS

	// Settings are other [pgbouncer] settings by name, values as
	// PgBouncer reads them.
	Settings map[string]string
}

// DefaultClientSSLMode is what pgtls renders when client_tls_sslmode is
// not given: require when a certificate and key are configured, else
// disable (PgBouncer's own default).
func (c *PgBouncerINI) DefaultClientSSLMode() string {
	if c.ClientTLS.CertFile != "" && c.ClientTLS.KeyFile != "" {
		return "require"
	}
	return "disable"
}

// DefaultServerSSLMode is PgBouncer's default for the version: disable up
// to 1.19, prefer from 1.20.
func (c *PgBouncerINI) DefaultServerSSLMode() string {
	if c.Version.atLeast(20) {
		return "prefer"
	}
	return "disable"
}

func (c *PgBouncerINI) clientSSLMode() string {
	if c.ClientTLS.SSLMode != "" {
		return c.ClientTLS.SSLMode
	}
	return c.DefaultClientSSLMode()
}

func (c *PgBouncerINI) serverSSLMode() string {
	if c.ServerTLS.SSLMode != "" {
		return c.ServerTLS.SSLMode
	}
	return c.DefaultServerSSLMode()
}

func (c *PgBouncerINI) authType() string {
	if c.AuthType != "" {
		return c.AuthType
	}
	return "md5" // PgBouncer's default
}

// typedBouncerSettings are the [pgbouncer] settings PgBouncerINI has a field
// for; Settings must not repeat them.
var typedBouncerSettings = setOf("listen_addr", "listen_port", "unix_socket_dir", "auth_type", "auth_file",
	"auth_hba_file", "auth_ident_file", "auth_user", "auth_query", "auth_dbname", "admin_users", "stats_users",
	"pool_mode", "logfile", "pidfile",
	"client_tls_sslmode", "client_tls_ca_file", "client_tls_cert_file", "client_tls_key_file", "client_tls_protocols",
	"client_tls_ciphers", "client_tls13_ciphers", "client_tls_dheparams", "client_tls_ecdhcurve",
	"server_tls_sslmode", "server_tls_ca_file", "server_tls_cert_file", "server_tls_key_file", "server_tls_protocols",
	"server_tls_ciphers", "server_tls13_ciphers")

// Limits from PgBouncer 1.18's include/bouncer.h (buffers include the NUL).
const (
	pgbouncerMaxDBName   = 64
	pgbouncerMaxUsername = 128
	pgbouncerMaxPassword = 2048
)

// Validate checks the configuration against what the PgBouncer version
// accepts and reports what it would ignore or drop.
func (c *PgBouncerINI) Validate() Problems {
	var col collector
	v := c.Version
	if v.Major == 0 {
		v = PgBouncer118
	}
	c.validateDatabases(&col, v)
	c.validateUsers(&col)
	c.validateListen(&col)
	c.validateAuth(&col, v)
	c.validateTLS(&col, v)
	c.validateSettings(&col, v)
	if err := checkComment(c.Header); err != "" {
		col.errorf(At("header"), "", "%s", err)
	}
	return col.ps
}

// ininame is the set of bytes libusual's INI parser accepts in a key.
func iniKeyOK(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) && s[i] != '.' && s[i] != '-' {
			return false
		}
	}
	return true
}

// isWordByte reports an ASCII letter, digit or '_'.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (c *PgBouncerINI) validateDatabases(col *collector, v PgBouncerVersion) {
	seen := map[string]int{}
	for i, d := range c.Databases {
		p := At("databases").Index(i)
		switch {
		case d.Name == "*":
		case d.Name == "pgbouncer":
			col.errorf(p.Name("name"), d.Name, "is PgBouncer's admin console; PgBouncer 1.18 refuses the whole file (database name \"pgbouncer\" is reserved)")
		case !iniKeyOK(d.Name):
			col.errorf(p.Name("name"), d.Name, "PgBouncer's INI parser accepts only letters, digits, '_', '.' and '-' in a database name (or \"*\" for the fallback entry); anything else is a syntax error that stops PgBouncer")
		case len(d.Name) >= pgbouncerMaxDBName:
			col.errorf(p.Name("name"), d.Name, "is %d bytes long; PgBouncer 1.18 drops database names of %d bytes or more (\"too long db name\")", len(d.Name), pgbouncerMaxDBName)
		}
		if j, dup := seen[d.Name]; dup {
			col.errorf(p.Name("name"), d.Name, "is also databases[%d]: PgBouncer keeps only the last entry", j)
		}
		seen[d.Name] = i
		str := func(field, val string, secret bool) {
			if val == "" {
				return
			}
			shown := val
			if secret {
				shown = secretShown
			}
			if msg := checkLineText(val); msg != "" {
				col.errorf(p.Name(field), shown, "%s", msg)
			}
		}
		str("host", d.Host, false)
		str("dbname", d.DBName, false)
		str("user", d.User, false)
		str("password", d.Password, true)
		str("auth_user", d.AuthUser, false)
		str("auth_dbname", d.AuthDBName, false)
		str("auth_query", d.AuthQuery, false)
		str("connect_query", d.ConnectQuery, false)
		str("application_name", d.ApplicationName, false)
		str("client_encoding", d.ClientEncoding, false)
		str("datestyle", d.Datestyle, false)
		str("timezone", d.Timezone, false)
		if d.Host != "" {
			if msg := checkBouncerHost(d.Host); msg != "" {
				col.errorf(p.Name("host"), d.Host, "%s", msg)
			}
		}
		if d.Port != nil && (*d.Port < 1 || *d.Port > 65535) {
			col.errorf(p.Name("port"), strconv.FormatInt(*d.Port, 10), "must be 1 to 65535")
		}
		for _, n := range []struct {
			field string
			val   *int64
		}{{"pool_size", d.PoolSize}, {"min_pool_size", d.MinPoolSize}, {"reserve_pool", d.ReservePool}, {"max_db_connections", d.MaxDBConnections}} {
			if n.val != nil && (*n.val < 0 || *n.val > 1<<31-1) {
				col.errorf(p.Name(n.field), strconv.FormatInt(*n.val, 10), "must be 0 to 2147483647")
			}
		}
		if d.PoolMode != "" && !contains(PoolModes, d.PoolMode) {
			col.errorf(p.Name("pool_mode"), d.PoolMode, "must be one of %s", strings.Join(PoolModes, ", "))
		}
		if d.Password != "" && d.User == "" {
			col.errorf(p.Name("password"), secretShown, "is used only with user (the forced user); PgBouncer would ignore it")
		}
		if d.User != "" && len(d.User) >= pgbouncerMaxUsername {
			col.errorf(p.Name("user"), d.User, "is %d bytes long; PgBouncer 1.18 truncates user names to %d bytes", len(d.User), pgbouncerMaxUsername-1)
		}
		if d.AuthUser != "" && len(d.AuthUser) >= pgbouncerMaxUsername {
			col.errorf(p.Name("auth_user"), d.AuthUser, "is %d bytes long; PgBouncer 1.18 truncates user names to %d bytes", len(d.AuthUser), pgbouncerMaxUsername-1)
		}
		if d.Password != "" && len(d.Password) >= pgbouncerMaxPassword {
			col.errorf(p.Name("password"), secretShown, "is %d bytes long; PgBouncer 1.18 truncates passwords to %d bytes", len(d.Password), pgbouncerMaxPassword-1)
		}
		if d.AuthDBName != "" && !v.atLeast(19) {
			col.errorf(p.Name("auth_dbname"), d.AuthDBName, "needs PgBouncer 1.19 or later (pgbouncer_version is %s, which refuses the whole file: \"unrecognized connection parameter\")", v)
		}
		if d.AuthQuery != "" && !v.atLeast(22) {
			col.errorf(p.Name("auth_query"), d.AuthQuery, "per-database auth_query needs PgBouncer 1.22 or later (pgbouncer_version is %s)", v)
		}
		if (d.AuthDBName != "" || d.AuthQuery != "") && d.AuthUser == "" && c.AuthUser == "" {
			col.errorf(p.Name("auth_user"), "", "auth_dbname/auth_query are used only with an auth_user (here or in the [pgbouncer] section); PgBouncer would ignore them")
		}
		if rank := sslModeRank(c.serverSSLMode()); rank >= sslModeRank("require") && bouncerHostIsUnix(d.Host) {
			where := "the Unix socket in /tmp (host is not set)"
			if d.Host != "" {
				where = "a Unix socket"
			}
			col.errorf(p.Name("host"), d.Host, "connects through %s, and PgBouncer never uses TLS on Unix sockets: server_tls_sslmode = %s would be silently ignored for this database; use a TCP address (for example 127.0.0.1) or a weaker server_tls_sslmode", where, c.serverSSLMode())
		}
	}
}

func bouncerHostIsUnix(h string) bool { return h == "" || h[0] == '/' || h[0] == '@' }

// checkBouncerHost accepts one IP address, DNS name or absolute socket
// directory (PgBouncer 1.18 has no host lists).
func checkBouncerHost(h string) string {
	if h[0] == '/' || h[0] == '@' {
		return ""
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return ""
	}
	if strings.ContainsAny(h, ",") {
		return "is a list; PgBouncer 1.18 connects to one host per database"
	}
	if !dnsNameOK(h) {
		return "is not an IP address, a DNS name or an absolute Unix socket directory"
	}
	return ""
}

func dnsNameOK(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !isWordByte(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func (c *PgBouncerINI) validateUsers(col *collector) {
	seen := map[string]int{}
	for i, u := range c.Users {
		p := At("users").Index(i)
		switch {
		case !iniKeyOK(u.Name):
			col.errorf(p.Name("name"), u.Name, "PgBouncer's INI parser accepts only letters, digits, '_', '.' and '-' in a [users] name; anything else is a syntax error that stops PgBouncer")
		case len(u.Name) >= pgbouncerMaxUsername:
			col.errorf(p.Name("name"), u.Name, "is %d bytes long; PgBouncer 1.18 truncates user names to %d bytes", len(u.Name), pgbouncerMaxUsername-1)
		}
		if j, dup := seen[u.Name]; dup {
			col.errorf(p.Name("name"), u.Name, "is also users[%d]: PgBouncer keeps only the last entry", j)
		}
		seen[u.Name] = i
		if u.PoolMode != "" && !contains(PoolModes, u.PoolMode) {
			col.errorf(p.Name("pool_mode"), u.PoolMode, "must be one of %s", strings.Join(PoolModes, ", "))
		}
		if u.MaxUserConnections != nil && (*u.MaxUserConnections < 0 || *u.MaxUserConnections > 1<<31-1) {
			col.errorf(p.Name("max_user_connections"), strconv.FormatInt(*u.MaxUserConnections, 10), "must be 0 to 2147483647")
		}
		if u.PoolMode == "" && u.MaxUserConnections == nil {
			col.errorf(p, u.Name, "sets nothing (give pool_mode or max_user_connections)")
		}
		col.warnf(p.Name("name"), u.Name, "PgBouncer 1.18 knows a [users] entry as a user with an empty password even when auth_file does not list it: "+
			"it then never runs auth_query for this user (its password logins fail unless auth_file has it), and auth_type trust/any or trust lines let it in")
	}
}

func (c *PgBouncerINI) validateListen(col *collector) {
	for i, a := range c.ListenAddr {
		p := At("listen_addr").Index(i)
		switch a {
		case "*":
			if len(c.ListenAddr) > 1 {
				col.errorf(p, a, "\"*\" (all addresses) cannot be combined with other addresses")
			}
		case "":
			col.errorf(p, a, "is empty")
		default:
			if _, err := netip.ParseAddr(a); err != nil && !dnsNameOK(a) {
				col.errorf(p, a, "is not \"*\", an IP address or a host name")
			}
		}
	}
	if c.ListenPort != nil && (*c.ListenPort < 1 || *c.ListenPort > 65535) {
		col.errorf(At("listen_port"), strconv.FormatInt(*c.ListenPort, 10), "must be 1 to 65535")
	}
	if d := c.UnixSocketDir; d != nil && *d != "" {
		if msg := checkAbsPath(*d); msg != "" && (*d)[0] != '@' {
			col.errorf(At("unix_socket_dir"), *d, "%s (or start with @ for Linux's abstract namespace, or be empty to disable the socket)", msg)
		}
		if len(*d)+len("/.s.PGSQL.65535") > 107 {
			col.errorf(At("unix_socket_dir"), *d, "is too long: the socket path must fit in 107 bytes")
		}
	}
	if len(c.ListenAddr) == 0 && c.UnixSocketDir != nil && *c.UnixSocketDir == "" {
		col.errorf(At("listen_addr"), "", "is empty and unix_socket_dir is empty: PgBouncer would accept no connection")
	}
	for _, f := range []struct{ name, val string }{{"logfile", c.LogFile}, {"pidfile", c.PidFile}} {
		if f.val == "" {
			continue
		}
		if msg := checkAbsPath(f.val); msg != "" {
			col.errorf(At(f.name), f.val, "%s", msg)
		}
	}
}

func (c *PgBouncerINI) validateAuth(col *collector, v PgBouncerVersion) {
	at := c.authType()
	if c.AuthType != "" && !contains(PgBouncerAuthTypes(v), c.AuthType) {
		msg := "must be one of " + strings.Join(PgBouncerAuthTypes(v), ", ")
		switch c.AuthType {
		case "ldap":
			msg = "needs PgBouncer 1.25 or later (pgbouncer_version is " + v.String() + ")"
		case "pam":
			msg = "is not supported by pgtls (PgBouncer accepts it only when built with PAM, and then checks passwords against the operating system)"
		}
		col.errorf(At("auth_type"), c.AuthType, "%s", msg)
	}
	for _, f := range []struct{ name, val string }{
		{"auth_file", c.AuthFile}, {"auth_hba_file", c.AuthHBAFile}, {"auth_ident_file", c.AuthIdentFile},
	} {
		if f.val == "" {
			continue
		}
		if msg := checkAbsPath(f.val); msg != "" {
			col.errorf(At(f.name), f.val, "%s", msg)
		}
	}
	for _, f := range []struct{ name, val string }{{"auth_user", c.AuthUser}, {"auth_query", c.AuthQuery}, {"auth_dbname", c.AuthDBName}} {
		if f.val != "" {
			if msg := checkLineText(f.val); msg != "" {
				col.errorf(At(f.name), f.val, "%s", msg)
			}
		}
	}
	if at == "hba" && c.AuthHBAFile == "" {
		col.errorf(At("auth_hba_file"), "", "is required with auth_type = hba: without it PgBouncer rejects every login")
	}
	if at != "hba" && c.AuthHBAFile != "" {
		col.errorf(At("auth_hba_file"), c.AuthHBAFile, "is read only with auth_type = hba (auth_type is %s); PgBouncer would ignore it", at)
	}
	if c.AuthIdentFile != "" {
		if !v.atLeast(23) {
			col.errorf(At("auth_ident_file"), c.AuthIdentFile, "needs PgBouncer 1.23 or later (pgbouncer_version is %s)", v)
		} else if at != "hba" {
			col.errorf(At("auth_ident_file"), c.AuthIdentFile, "is used only by map= options in auth_hba_file (auth_type = hba); PgBouncer would ignore it")
		}
	}
	if c.AuthDBName != "" && !v.atLeast(19) {
		col.errorf(At("auth_dbname"), c.AuthDBName, "needs PgBouncer 1.19 or later (pgbouncer_version is %s)", v)
	}
	anyAuthUser := c.AuthUser != ""
	for _, d := range c.Databases {
		if d.AuthUser != "" {
			anyAuthUser = true
		}
	}
	if (c.AuthQuery != "" || c.AuthDBName != "") && !anyAuthUser {
		col.errorf(At("auth_query"), c.AuthQuery, "auth_query and auth_dbname are used only with an auth_user; PgBouncer would ignore them")
	}
	if at != "any" && c.AuthFile == "" && !anyAuthUser {
		col.errorf(At("auth_file"), "", "is required with auth_type = %s unless an auth_user looks users up: PgBouncer knows a user only from auth_file or auth_query, so every login would fail", at)
	}
	if at == "any" {
		forced := true
		for _, d := range c.Databases {
			if d.User == "" {
				forced = false
			}
		}
		if !forced || len(c.Databases) == 0 {
			col.errorf(At("auth_type"), at, "\"any\" needs a forced user (user=) on every database: PgBouncer refuses other logins with \"bouncer config error\"")
		}
		col.warnf(At("auth_type"), at, "\"any\" accepts every client without checking a password or a certificate")
	}
	if at == "trust" {
		col.warnf(At("auth_type"), at, "\"trust\" accepts every client listed in auth_file without a password or a certificate")
	}
	if at == "plain" {
		col.warnf(At("auth_type"), at, "\"plain\" makes clients send their password in clear text (only safe over TLS)")
	}
	if at == "md5" {
		col.warnf(At("auth_type"), at, "md5 is deprecated; scram-sha-256 also works with SCRAM verifiers in auth_file (PgBouncer switches to SCRAM for users whose entry is a verifier)")
	}
	for _, l := range []struct {
		name  string
		users []string
	}{{"admin_users", c.AdminUsers}, {"stats_users", c.StatsUsers}} {
		seen := map[string]bool{}
		for i, u := range l.users {
			p := At(l.name).Index(i)
			switch {
			case u == "":
				col.errorf(p, u, "is empty")
			case strings.ContainsAny(u, ", \t\r\n\v\f"):
				col.errorf(p, u, "PgBouncer splits %s at commas and blanks, so a user name containing them can never match", l.name)
			case len(u) >= pgbouncerMaxUsername:
				col.errorf(p, u, "is %d bytes long; PgBouncer 1.18 truncates user names to %d bytes", len(u), pgbouncerMaxUsername-1)
			}
			if seen[u] {
				col.errorf(p, u, "is listed twice")
			}
			seen[u] = true
			if msg := checkLineText(u); msg != "" && u != "" {
				col.errorf(p, u, "%s", msg)
			}
		}
	}
	if c.PoolMode != "" && !contains(PoolModes, c.PoolMode) {
		col.errorf(At("pool_mode"), c.PoolMode, "must be one of %s", strings.Join(PoolModes, ", "))
	}
}

func (c *PgBouncerINI) validateTLS(col *collector, v PgBouncerVersion) {
	at := c.authType()
	cm, sm := c.clientSSLMode(), c.serverSSLMode()
	for _, side := range []struct {
		name string
		t    PgBouncerTLS
		mode string
	}{{"client_tls", c.ClientTLS, cm}, {"server_tls", c.ServerTLS, sm}} {
		t := side.t
		attr := func(s string) Path { return At(side.name + "_" + s) }
		if t.SSLMode != "" && sslModeRank(t.SSLMode) < 0 {
			col.errorf(attr("sslmode"), t.SSLMode, "must be one of %s", strings.Join(SSLModes, ", "))
			continue
		}
		for _, f := range []struct{ name, val string }{{"ca_file", t.CAFile}, {"cert_file", t.CertFile}, {"key_file", t.KeyFile}} {
			if f.val == "" {
				continue
			}
			if msg := checkAbsPath(f.val); msg != "" {
				col.errorf(attr(f.name), f.val, "%s", msg)
			}
		}
		if side.mode == "disable" {
			for _, f := range []struct{ name, val string }{
				{"ca_file", t.CAFile}, {"cert_file", t.CertFile}, {"key_file", t.KeyFile}, {"protocols", t.Protocols},
				{"ciphers", t.Ciphers}, {"dheparams", t.DHEParams}, {"ecdhcurve", t.ECDHCurve},
			} {
				if f.val != "" {
					col.errorf(attr(f.name), f.val, "is ignored while %s_sslmode is disable; set %s_sslmode or remove it", side.name, side.name)
				}
			}
			if t.TLS13Ciphers != "" {
				col.errorf(At(strings.TrimSuffix(side.name, "_tls")+"_tls13_ciphers"), t.TLS13Ciphers, "is ignored while %s_sslmode is disable", side.name)
			}
		}
		if t.Protocols != "" {
			if msg, weak := checkTLSProtocols(t.Protocols); msg != "" {
				col.errorf(attr("protocols"), t.Protocols, "%s", msg)
			} else if weak != "" {
				col.warnf(attr("protocols"), t.Protocols, "%s", weak)
			}
		}
		if t.Ciphers != "" {
			if msg, warns := checkBouncerCiphers(t.Ciphers); msg != "" {
				col.errorf(attr("ciphers"), t.Ciphers, "%s", msg)
			} else {
				for _, w := range warns {
					col.warnf(attr("ciphers"), t.Ciphers, "%s", w)
				}
			}
		}
		if t.TLS13Ciphers != "" {
			p := At(strings.TrimSuffix(side.name, "_tls") + "_tls13_ciphers")
			if !v.atLeast(25) {
				col.errorf(p, t.TLS13Ciphers, "needs PgBouncer 1.25 or later (pgbouncer_version is %s)", v)
			} else if msg := cipherlist.CheckTLS13(t.TLS13Ciphers); msg != "" {
				col.errorf(p, t.TLS13Ciphers, "%s", msg)
			}
		}
	}
	// Client side (PgBouncer as a TLS server).
	if cm != "disable" {
		if c.ClientTLS.CertFile == "" || c.ClientTLS.KeyFile == "" {
			col.errorf(At("client_tls_cert_file"), "", "client_tls_cert_file and client_tls_key_file are both required with client_tls_sslmode = %s (PgBouncer refuses to start without them)", cm)
		}
		needCA := ""
		switch {
		case at == "cert":
			needCA = "auth_type = cert"
		case cm == "verify-ca" || cm == "verify-full":
			needCA = "client_tls_sslmode = " + cm
		case at == "hba":
			needCA = "auth_type = hba (cert lines in auth_hba_file)"
		}
		if needCA != "" && c.ClientTLS.CAFile == "" {
			col.errorf(At("client_tls_ca_file"), "", "is required with %s: without it PgBouncer verifies client certificates against the operating system's public CA store, so any publicly issued certificate with a matching name would log in", needCA)
		}
	}
	if at == "cert" && cm != "verify-full" {
		col.errorf(At("client_tls_sslmode"), cm, "auth_type = cert needs client_tls_sslmode = verify-full (PgBouncer refuses to start otherwise)")
	}
	if d := c.ClientTLS.DHEParams; d != "" {
		switch strings.ToLower(d) {
		case "none", "auto":
		case "legacy":
			col.warnf(At("client_tls_dheparams"), d, "\"legacy\" uses 1024-bit Diffie-Hellman parameters")
		default:
			col.errorf(At("client_tls_dheparams"), d, "must be none, auto or legacy (PgBouncer's TLS library accepts nothing else)")
		}
	}
	if e := c.ClientTLS.ECDHCurve; e != "" {
		if !contains([]string{"none", "auto", "prime256v1", "secp384r1", "secp521r1"}, e) {
			col.errorf(At("client_tls_ecdhcurve"), e, "must be none, auto, prime256v1, secp384r1 or secp521r1 (PgBouncer 1.18 sets one EC curve by name; X25519 and X448 are not EC curves there and make TLS setup fail)")
		}
	}
	if c.ServerTLS.DHEParams != "" || c.ServerTLS.ECDHCurve != "" {
		col.errorf(At("server_tls_ciphers"), "", "server_tls has no dheparams/ecdhcurve settings")
	}
	// Server side (PgBouncer as a TLS client of PostgreSQL).
	if (sm == "verify-ca" || sm == "verify-full") && c.ServerTLS.CAFile == "" {
		col.errorf(At("server_tls_ca_file"), "", "is required with server_tls_sslmode = %s: without it PgBouncer trusts every public CA of the operating system to vouch for the PostgreSQL server", sm)
	}
	if (c.ServerTLS.CertFile == "") != (c.ServerTLS.KeyFile == "") {
		col.errorf(At("server_tls_cert_file"), "", "server_tls_cert_file and server_tls_key_file go together (PgBouncer's client certificate for PostgreSQL and its key)")
	}
	if sm != "disable" && sm != "verify-full" {
		col.warnf(At("server_tls_sslmode"), sm, "PgBouncer does not check the PostgreSQL server's identity (use verify-full with server_tls_ca_file)")
	}
}

// checkTLSProtocols validates *_tls_protocols as libusual's
// tls_config_parse_protocols reads it.
func checkTLSProtocols(s string) (errMsg, weak string) {
	var weakOnes []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ':' }) {
		q := strings.TrimLeft(p, " \t")
		neg := strings.HasPrefix(q, "!")
		q = strings.ToLower(strings.TrimPrefix(q, "!"))
		switch q {
		case "all", "legacy", "tlsv1", "tlsv1.0", "tlsv1.1":
			if !neg {
				weakOnes = append(weakOnes, q)
			}
		case "default", "secure", "tlsv1.2", "tlsv1.3":
		default:
			return "has " + quoteForMsg(p) + ": PgBouncer accepts secure, default, all, legacy, tlsv1, tlsv1.0, tlsv1.1, tlsv1.2 and tlsv1.3 (each optionally with !), separated by commas", ""
		}
	}
	if strings.HasSuffix(s, ",") || strings.HasSuffix(s, ":") || strings.HasPrefix(s, ",") || strings.Contains(s, ",,") || s == "" {
		return "has an empty element, which PgBouncer refuses", ""
	}
	if len(weakOnes) > 0 {
		return "", "enables TLS 1.0/1.1 (" + strings.Join(weakOnes, ", ") + "), which are deprecated (RFC 8996)"
	}
	return "", ""
}

// bouncerCipherPresets are the names PgBouncer's TLS library maps to
// cipher lists (case-insensitive).
var bouncerCipherPresets = map[string]string{
	"default": "", "secure": "", "normal": "", "fast": "",
	"compat": "\"compat\" (legacy) enables old cipher suites", "legacy": "\"legacy\" enables old cipher suites",
	"insecure": "\"insecure\" enables every cipher suite, including ones without encryption or authentication",
	"all":      "\"all\" enables every cipher suite, including ones without encryption or authentication",
}

func checkBouncerCiphers(s string) (string, []string) {
	if w, ok := bouncerCipherPresets[strings.ToLower(s)]; ok {
		if w != "" {
			return "", []string{w}
		}
		return "", nil
	}
	return cipherlist.Check(s)
}

func (c *PgBouncerINI) validateSettings(col *collector, v PgBouncerVersion) {
	for _, name := range sortedKeys(c.Settings) {
		val := c.Settings[name]
		p := At("settings").Key(name)
		param, known := pgbouncerParams[name]
		switch {
		case typedBouncerSettings[name]:
			col.errorf(p, "", "has its own attribute; set it there")
			continue
		case pgbouncerForbidden[name] != "":
			col.errorf(p, "", "%s", pgbouncerForbidden[name])
			continue
		case !known:
			col.errorf(p, "", "is not a PgBouncer [pgbouncer] setting (PgBouncer refuses the whole file: \"unknown parameter\")")
			continue
		case !v.atLeast(param.since):
			col.errorf(p, "", "needs PgBouncer 1.%d or later (pgbouncer_version is %s, which refuses the whole file)", param.since, v)
			continue
		}
		if msg := checkLineText(val); msg != "" {
			col.errorf(p, val, "%s", msg)
			continue
		}
		switch param.kind {
		case kindInt:
			if n, err := strconv.ParseInt(val, 0, 64); err != nil || n < -1<<31 || n > 1<<31-1 {
				col.errorf(p, val, "must be an integer (decimal, 0x hex or 0 octal) that fits in 32 bits")
			}
		case kindUint:
			if _, err := strconv.ParseUint(val, 0, 32); err != nil {
				col.errorf(p, val, "must be a non-negative integer that fits in 32 bits")
			}
		case kindTime:
			if f, err := strconv.ParseFloat(val, 64); err != nil || f < 0 || f > 1e9 || strings.ContainsAny(val, "eEpPxXiInN_") {
				col.errorf(p, val, "must be a non-negative number of seconds (for example 30 or 0.5)")
			}
		}
		if name == "user" && val == "root" {
			col.errorf(p, val, "PgBouncer refuses to run as root")
		}
	}
}

// checkLineText reports why s cannot be a value on one line of an INI file
// whose parser trims surrounding blanks.
func checkLineText(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return "contains a control character (line break, tab, NUL, ...), which cannot be written in the file"
		}
	}
	if strings.TrimSpace(s) != s {
		return "starts or ends with a blank, which PgBouncer's parser strips"
	}
	return ""
}

// checkAbsPath reports why p is not a usable absolute path.
func checkAbsPath(p string) string {
	if msg := checkLineText(p); msg != "" {
		return msg
	}
	if !strings.HasPrefix(p, "/") {
		return "must be an absolute path (a relative one depends on the directory the program was started in)"
	}
	return ""
}

func checkComment(s string) string {
	for _, l := range strings.Split(s, "\n") {
		for i := 0; i < len(l); i++ {
			if l[i] < 0x20 && l[i] != '\t' || l[i] == 0x7f {
				return "contains a control character"
			}
		}
	}
	return ""
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
