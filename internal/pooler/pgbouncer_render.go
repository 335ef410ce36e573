package pooler

import (
	"errors"
	"strconv"
	"strings"
)

// MaskedSecret replaces secrets in review copies of rendered files.
const MaskedSecret = "(sensitive)"

// Render returns pgbouncer.ini. It fails when Validate reports errors.
func (c *PgBouncerINI) Render() (string, error) { return c.render(false) }

// RenderMasked returns the same file with every secret (database
// passwords) replaced by MaskedSecret: a copy safe to show in a plan.
func (c *PgBouncerINI) RenderMasked() (string, error) { return c.render(true) }

func (c *PgBouncerINI) render(mask bool) (string, error) {
	if err := c.Validate().Err(); err != nil {
		return "", err
	}
	return c.renderUnchecked(mask), nil
}

// renderUnchecked renders without validating (tests use it to show what the
// real program does with refused configurations).
func (c *PgBouncerINI) renderUnchecked(mask bool) string {
	v := c.Version
	if v.Major == 0 {
		v = PgBouncer118
	}
	var b strings.Builder
	writeComment(&b, ";; ", c.Header)
	b.WriteString(";; Rendered by pgtls for PgBouncer " + v.String() + ".\n")
	b.WriteString("\n[databases]\n")
	for _, d := range c.Databases {
		b.WriteString(d.Name + " = " + d.connString(mask) + "\n")
	}
	b.WriteString("\n[users]\n")
	for _, u := range c.Users {
		var parts []string
		if u.PoolMode != "" {
			parts = append(parts, "pool_mode="+cstrValue(u.PoolMode))
		}
		if u.MaxUserConnections != nil {
			parts = append(parts, "max_user_connections="+strconv.FormatInt(*u.MaxUserConnections, 10))
		}
		b.WriteString(u.Name + " = " + strings.Join(parts, " ") + "\n")
	}
	b.WriteString("\n[pgbouncer]\n")
	for _, kv := range c.settingLines() {
		b.WriteString(kv[0])
		if kv[1] == "" {
			b.WriteString(" =\n")
		} else {
			b.WriteString(" = " + kv[1] + "\n")
		}
	}
	return b.String()
}

// settingLines lists the [pgbouncer] lines in a stable order: listening,
// authentication, TLS towards clients, TLS towards servers, then the other
// settings sorted by name.
func (c *PgBouncerINI) settingLines() [][2]string {
	var out [][2]string
	add := func(k, v string) { out = append(out, [2]string{k, v}) }
	opt := func(k, v string) {
		if v != "" {
			add(k, v)
		}
	}
	add("listen_addr", strings.Join(c.ListenAddr, ","))
	if c.ListenPort != nil {
		add("listen_port", strconv.FormatInt(*c.ListenPort, 10))
	}
	if c.UnixSocketDir != nil {
		add("unix_socket_dir", *c.UnixSocketDir)
	}
	opt("logfile", c.LogFile)
	opt("pidfile", c.PidFile)
	add("auth_type", c.authType())
	opt("auth_file", c.AuthFile)
	opt("auth_hba_file", c.AuthHBAFile)
	opt("auth_ident_file", c.AuthIdentFile)
	opt("auth_user", c.AuthUser)
	opt("auth_query", c.AuthQuery)
	opt("auth_dbname", c.AuthDBName)
	add("admin_users", strings.Join(c.AdminUsers, ","))
	add("stats_users", strings.Join(c.StatsUsers, ","))
	opt("pool_mode", c.PoolMode)
	add("client_tls_sslmode", c.clientSSLMode())
	opt("client_tls_ca_file", c.ClientTLS.CAFile)
	opt("client_tls_cert_file", c.ClientTLS.CertFile)
	opt("client_tls_key_file", c.ClientTLS.KeyFile)
	opt("client_tls_protocols", c.ClientTLS.Protocols)
	opt("client_tls_ciphers", c.ClientTLS.Ciphers)
	opt("client_tls13_ciphers", c.ClientTLS.TLS13Ciphers)
	opt("client_tls_dheparams", c.ClientTLS.DHEParams)
	opt("client_tls_ecdhcurve", c.ClientTLS.ECDHCurve)
	add("server_tls_sslmode", c.serverSSLMode())
	opt("server_tls_ca_file", c.ServerTLS.CAFile)
	opt("server_tls_cert_file", c.ServerTLS.CertFile)
	opt("server_tls_key_file", c.ServerTLS.KeyFile)
	opt("server_tls_protocols", c.ServerTLS.Protocols)
	opt("server_tls_ciphers", c.ServerTLS.Ciphers)
	opt("server_tls13_ciphers", c.ServerTLS.TLS13Ciphers)
	for _, k := range sortedKeys(c.Settings) {
		add(k, c.Settings[k])
	}
	return out
}

func (d PgBouncerDatabase) connString(mask bool) string {
	var parts []string
	str := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+cstrValue(v))
		}
	}
	num := func(k string, v *int64) {
		if v != nil {
			parts = append(parts, k+"="+strconv.FormatInt(*v, 10))
		}
	}
	str("host", d.Host)
	num("port", d.Port)
	str("dbname", d.DBName)
	str("user", d.User)
	if d.Password != "" {
		if mask {
			str("password", MaskedSecret)
		} else {
			str("password", d.Password)
		}
	}
	str("auth_user", d.AuthUser)
	str("auth_dbname", d.AuthDBName)
	str("auth_query", d.AuthQuery)
	num("pool_size", d.PoolSize)
	num("min_pool_size", d.MinPoolSize)
	num("reserve_pool", d.ReservePool)
	num("max_db_connections", d.MaxDBConnections)
	str("pool_mode", d.PoolMode)
	str("connect_query", d.ConnectQuery)
	str("application_name", d.ApplicationName)
	str("client_encoding", d.ClientEncoding)
	str("datestyle", d.Datestyle)
	str("timezone", d.Timezone)
	return strings.Join(parts, " ")
}

// cstrValue quotes a [databases]/[users] value the way PgBouncer's
// connection-string parser (src/loader.c cstr_get_value) reads it: plain
// when it has only safe characters, else in single quotes with ' doubled.
func cstrValue(v string) string {
	safe := v != ""
	for i := 0; i < len(v) && safe; i++ {
		c := v[i]
		safe = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-/:@,+", c) >= 0
	}
	if safe {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// ParseConnString reads a [databases] value as PgBouncer 1.18's
// cstr_get_pair does. It exists to test cstrValue against the parser's
// rules (and PgBouncer itself, in the tests).
func ParseConnString(s string) ([][2]string, error) {
	var out [][2]string
	p := 0
	skip := func() {
		for p < len(s) && s[p] == ' ' {
			p++
		}
	}
	for {
		skip()
		if p >= len(s) {
			return out, nil
		}
		k0 := p
		for p < len(s) && s[p] != '=' && s[p] != ' ' {
			p++
		}
		key := s[k0:p]
		skip()
		if p >= len(s) || s[p] != '=' || key == "" {
			return nil, errors.New("syntax error in connection string")
		}
		p++
		skip()
		var val string
		if p < len(s) && s[p] == '\'' {
			p++
			var b strings.Builder
			for {
				if p >= len(s) {
					return nil, errors.New("unterminated quoted value")
				}
				if s[p] == '\'' {
					if p+1 < len(s) && s[p+1] == '\'' {
						p++
					} else {
						break
					}
				}
				b.WriteByte(s[p])
				p++
			}
			p++ // closing quote
			val = b.String()
		} else {
			v0 := p
			for p < len(s) && s[p] != ' ' {
				p++
			}
			val = s[v0:p]
		}
		if p < len(s) {
			p++ // the character after the value is cut off
		}
		if val == "" {
			return nil, errors.New("empty value")
		}
		out = append(out, [2]string{key, val})
	}
}

func writeComment(b *strings.Builder, prefix, text string) {
	if text == "" {
		return
	}
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(strings.TrimRight(prefix+l, " \t") + "\n")
	}
}
