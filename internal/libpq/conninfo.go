// Package libpq renders what a libpq client (psql, most drivers) needs to
// reach a PostgreSQL server with TLS client certificates: the files with
// their names and modes, the environment, a keyword/value conninfo string and
// a postgresql:// URI with libpq's quoting and percent-encoding, a
// pg_service.conf section, and pgJDBC properties. It knows nothing about
// Terraform.
package libpq

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Param is one conninfo keyword and its value.
type Param struct{ Key, Value string }

// Keywords are the connection keywords libpq 18 knows, in the order pgtls
// renders them. libpq refuses any other keyword ("invalid connection
// option"); older libpq versions know fewer (noted in KeywordSince).
var Keywords = []string{
	"service", "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth",
	"channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
	"fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
	"keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode", "sslnegotiation",
	"sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode", "sslrootcert", "sslcrl",
	"sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version",
	"krbsrvname", "gsslib", "gssdelegation", "target_session_attrs", "load_balance_hosts",
	"min_protocol_version", "max_protocol_version", "scram_client_key", "scram_server_key",
	"oauth_issuer", "oauth_client_id", "oauth_client_secret", "oauth_scope",
}

// KeywordSince is the first libpq major that knows a keyword, where it is
// newer than 13.
var KeywordSince = map[string]int{
	"sslcrldir": 14, "sslsni": 14, "require_auth": 16, "sslcertmode": 16, "load_balance_hosts": 16,
	"gssdelegation": 16, "sslnegotiation": 17, "min_protocol_version": 18, "max_protocol_version": 18,
	"scram_client_key": 18, "scram_server_key": 18, "oauth_issuer": 18, "oauth_client_id": 18,
	"oauth_client_secret": 18, "oauth_scope": 18,
}

// SecretKeywords hold secrets.
var SecretKeywords = map[string]bool{"password": true, "sslpassword": true, "scram_client_key": true, "scram_server_key": true, "oauth_client_secret": true}

var keywordRank = func() map[string]int {
	m := map[string]int{}
	for i, k := range Keywords {
		m[k] = i
	}
	return m
}()

// IsKeyword reports whether k is a libpq connection keyword.
func IsKeyword(k string) bool { _, ok := keywordRank[k]; return ok }

// SortParams orders params as Keywords does.
func SortParams(ps []Param) {
	slices.SortStableFunc(ps, func(a, b Param) int { return keywordRank[a.Key] - keywordRank[b.Key] })
}

// CheckParams refuses unknown and repeated keywords and NUL bytes. Errors
// never quote the value of a secret keyword.
func CheckParams(ps []Param) error {
	seen := map[string]bool{}
	for _, p := range ps {
		if !IsKeyword(p.Key) {
			return fmt.Errorf("%q is not a libpq connection keyword (libpq refuses it: invalid connection option)", p.Key)
		}
		if seen[p.Key] {
			return fmt.Errorf("keyword %q is given twice", p.Key)
		}
		seen[p.Key] = true
		if strings.IndexByte(p.Value, 0) >= 0 {
			return fmt.Errorf("the value of %q contains a NUL byte, which libpq cannot carry", p.Key)
		}
	}
	return nil
}

// QuoteValue quotes a conninfo value as libpq's conninfo_parse reads it:
// bare when it is non-empty and has no blank, quote or backslash; else in
// single quotes with \ and ' backslash-escaped.
func QuoteValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\r\f\v'\\") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// Conninfo renders params as a keyword/value string in their given order.
func Conninfo(ps []Param) (string, error) {
	if err := CheckParams(ps); err != nil {
		return "", err
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Key + "=" + QuoteValue(p.Value)
	}
	return strings.Join(parts, " "), nil
}

// ParseConninfo reads a keyword/value string as libpq's conninfo_parse does
// (used by tests and to check round trips).
func ParseConninfo(s string) ([]Param, error) {
	var ps []Param
	i := 0
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' }
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return ps, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("missing \"=\" after %q", key)
		}
		i++
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		var b strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '\'' {
					i++
					closed = true
					break
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return nil, errors.New("unterminated quoted string")
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
		}
		ps = append(ps, Param{Key: key, Value: b.String()})
	}
}

// percentEncode keeps RFC 3986 unreserved characters and encodes every
// other byte (libpq decodes %XX everywhere in a URI and never reads '+' as
// a space).
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// URI renders params as a postgresql:// URI. host and port go into the
// authority (a comma-separated host list; IPv6 literals in brackets; a Unix
// socket directory percent-encoded), user before '@', dbname as the path,
// everything else as percent-encoded query parameters. A password is put in
// the query (password=...) rather than the userinfo.
func URI(ps []Param) (string, error) {
	if err := CheckParams(ps); err != nil {
		return "", err
	}
	get := func(k string) (string, bool) {
		for _, p := range ps {
			if p.Key == k {
				return p.Value, true
			}
		}
		return "", false
	}
	var b strings.Builder
	b.WriteString("postgresql://")
	if u, ok := get("user"); ok {
		b.WriteString(percentEncode(u))
		b.WriteByte('@')
	}
	hostStr, hasHost := get("host")
	portStr, hasPort := get("port")
	var hosts, ports []string
	if hasHost {
		hosts = strings.Split(hostStr, ",")
	}
	if hasPort {
		ports = strings.Split(portStr, ",")
	}
	switch {
	case len(ports) > 1 && len(ports) != len(hosts):
		return "", fmt.Errorf("%d ports for %d hosts: give one port, or one per host", len(ports), len(hosts))
	case len(hosts) == 0 && len(ports) == 1:
		hosts = []string{""}
	}
	for i, h := range hosts {
		if i > 0 {
			b.WriteByte(',')
		}
		if a, err := netip.ParseAddr(h); err == nil && a.Is6() {
			b.WriteString("[" + strings.ReplaceAll(a.String(), "%", "%25") + "]")
		} else {
			b.WriteString(percentEncode(h))
		}
		switch {
		case len(ports) == 1:
			b.WriteString(":" + percentEncode(ports[0]))
		case len(ports) > 1 && ports[i] != "":
			b.WriteString(":" + percentEncode(ports[i]))
		}
	}
	if db, ok := get("dbname"); ok {
		b.WriteString("/" + percentEncode(db))
	}
	sep := "?"
	for _, p := range ps {
		switch p.Key {
		case "user", "host", "port", "dbname":
			continue
		}
		b.WriteString(sep + p.Key + "=" + percentEncode(p.Value))
		sep = "&"
	}
	return b.String(), nil
}
