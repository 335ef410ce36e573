// Package pgconf models the TLS and authentication part of postgresql.conf
// for PostgreSQL 13 to 18: which settings exist in which version, what
// values the server accepts, which values weaken TLS, and PostgreSQL's
// quoting. It renders a snippet for include / conf.d and a map of setting
// to value for tools that take parameters (ALTER SYSTEM, operators). It
// knows nothing about Terraform.
package pgconf

// Kind is how a setting's value is written and checked.
type Kind int

const (
	KindBool   Kind = iota // on / off, written unquoted
	KindString             // free text, quoted
	KindPath               // a file or directory path, quoted
	KindEnum               // one of Enum, quoted
	KindList               // comma-separated list (listen_addresses), quoted
)

// Setting describes one postgresql.conf parameter pgconf renders.
type Setting struct {
	Name        string
	Kind        Kind
	MinVersion  int      // first PostgreSQL major that knows it
	Enum        []string // KindEnum: accepted values, as SHOW prints them
	Secret      bool     // the value may hold a secret (never shown unmasked in reviews, logs or errors)
	Restart     bool     // postmaster context: a change needs a restart, not a reload
	Default     string   // value pgtls renders when the user gives none ("" = not rendered)
	Description string
}

// Versions supported.
const (
	MinVersion = 13
	MaxVersion = 18
)

var protocolVersions = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// Settings lists every setting in rendering order.
var Settings = []Setting{
	{Name: "listen_addresses", Kind: KindList, Restart: true,
		Description: "TCP/IP addresses the server listens on: IP addresses, host names, `*` (all IPv4 and IPv6), `0.0.0.0`, `::`; an empty list means Unix-domain sockets only."},
	{Name: "ssl", Kind: KindBool, Default: "on",
		Description: "Enables TLS. Defaults to `true` (pgtls renders `ssl = on`)."},
	{Name: "ssl_cert_file", Kind: KindPath,
		Description: "Server certificate chain file (leaf first, then intermediates), e.g. a `pgtls_server_cert`'s `fullchain_pem` on disk. Relative paths are relative to the data directory."},
	{Name: "ssl_key_file", Kind: KindPath,
		Description: "Server private key file (0600, or 0640 owned by root)."},
	{Name: "ssl_ca_file", Kind: KindPath,
		Description: "Trust anchors for client certificates (`root.crt`). Needed by `cert` authentication and `clientcert=`."},
	{Name: "ssl_crl_file", Kind: KindPath,
		Description: "Certificate revocation list file for client certificates. Every CA in a client's chain needs a current CRL in it, or every certificate login fails."},
	{Name: "ssl_crl_dir", Kind: KindPath, MinVersion: 14,
		Description: "Directory of CRLs named by hash (`openssl rehash`). PostgreSQL 14+."},
	{Name: "ssl_ciphers", Kind: KindString,
		Description: "OpenSSL cipher list for TLS 1.2 and older, e.g. `HIGH:!aNULL:!MD5`."},
	{Name: "ssl_prefer_server_ciphers", Kind: KindBool,
		Description: "Use the server's cipher order rather than the client's."},
	{Name: "ssl_min_protocol_version", Kind: KindEnum, Enum: protocolVersions, Default: "TLSv1.2",
		Description: "Lowest TLS version accepted: `TLSv1`, `TLSv1.1`, `TLSv1.2` or `TLSv1.3`. Defaults to `TLSv1.2`."},
	{Name: "ssl_max_protocol_version", Kind: KindEnum, Enum: append([]string{""}, protocolVersions...),
		Description: "Highest TLS version accepted; empty means no limit."},
	{Name: "ssl_ecdh_curve", Kind: KindString,
		Description: "Curve for ECDH key exchange (one name, e.g. `prime256v1`). PostgreSQL 18 renamed it `ssl_groups` (the old name remains an alias)."},
	{Name: "ssl_groups", Kind: KindString, MinVersion: 18,
		Description: "Colon-separated list of TLS key exchange groups, e.g. `X25519:prime256v1`. PostgreSQL 18+."},
	{Name: "ssl_tls13_ciphers", Kind: KindString, MinVersion: 18,
		Description: "Colon-separated list of TLS 1.3 cipher suites, e.g. `TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256`. PostgreSQL 18+."},
	{Name: "ssl_dh_params_file", Kind: KindPath,
		Description: "File with Diffie-Hellman parameters for DHE ciphers."},
	{Name: "ssl_passphrase_command", Kind: KindString, Secret: true,
		Description: "Command that prints the passphrase of an encrypted `ssl_key_file` (`%p` is replaced by a prompt). Sensitive: it may embed a secret."},
	{Name: "ssl_passphrase_command_supports_reload", Kind: KindBool,
		Description: "Also run `ssl_passphrase_command` on reload."},
	{Name: "password_encryption", Kind: KindEnum, Enum: []string{"scram-sha-256", "md5"}, Default: "scram-sha-256",
		Description: "How `CREATE/ALTER ROLE ... PASSWORD 'plain text'` stores passwords: `scram-sha-256` (default) or `md5` (deprecated)."},
	{Name: "hba_file", Kind: KindPath, Restart: true,
		Description: "Path of pg_hba.conf (read at server start)."},
	{Name: "ident_file", Kind: KindPath, Restart: true,
		Description: "Path of pg_ident.conf (read at server start)."},
}

var byName = func() map[string]*Setting {
	m := make(map[string]*Setting, len(Settings))
	for i := range Settings {
		m[Settings[i].Name] = &Settings[i]
	}
	return m
}()

// Lookup returns the setting called name.
func Lookup(name string) (Setting, bool) {
	s, ok := byName[name]
	if !ok {
		return Setting{}, false
	}
	return *s, true
}

// Available reports whether the setting exists in PostgreSQL major version v.
func (s Setting) Available(v int) bool { return v >= s.MinVersion }
