package localfiles

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Known is a file name a Layout knows: what it holds and the mode its
// reader expects by default.
type Known struct {
	Kind        Kind
	Mode        fs.FileMode
	Description string
}

// Layout is a preset for a directory people write these files into.
type Layout struct {
	Name        string
	Description string
	// Files maps the conventional names to what they hold.
	Files map[string]Known
	// Reserved names (or first path components, for directories) belong to
	// the program that owns the directory and are never written.
	Reserved map[string]string
}

// Default modes when a file has no known name and no explicit mode.
const (
	DefaultPlainMode  fs.FileMode = 0o644
	DefaultSecretMode fs.FileMode = 0o600
)

// PostgreSQL keeps these in the data directory; pgtls must never write or
// remove them.
var pgDataReserved = func() map[string]string {
	m := map[string]string{
		"postgresql.auto.conf": "is written by ALTER SYSTEM; manage settings in postgresql.conf or an included file",
		"postmaster.pid":       "is the running server's lock file",
		"postmaster.opts":      "is written by the server at start",
		"PG_VERSION":           "is written by initdb",
	}
	for _, d := range []string{"base", "global", "pg_commit_ts", "pg_dynshmem", "pg_logical", "pg_multixact",
		"pg_notify", "pg_replslot", "pg_serial", "pg_snapshots", "pg_stat", "pg_stat_tmp", "pg_subtrans",
		"pg_tblspc", "pg_twophase", "pg_wal", "pg_xact"} {
		m[d] = "is a directory of the server's own data"
	}
	return m
}()

var layouts = map[string]Layout{
	"plain": {
		Name:        "plain",
		Description: "any directory: no conventional names; files are 0644, sensitive files 0600 unless `mode` says otherwise",
		Files:       map[string]Known{},
	},
	"postgresql_data_dir": {
		Name: "postgresql_data_dir",
		Description: "a PostgreSQL data directory (`ssl_cert_file`, `ssl_key_file`, `ssl_ca_file` and `ssl_crl_file` default to " +
			"`server.crt`, `server.key`, `root.crt` and `root.crl` there); every file 0600 like initdb's, the server's own files refused",
		Files: map[string]Known{
			"server.crt":      {Plain, 0o600, "server certificate (and its chain), `ssl_cert_file`"},
			"server.key":      {PrivateKey, 0o600, "server private key, `ssl_key_file`"},
			"root.crt":        {Plain, 0o600, "CA certificates trusted for client certificates, `ssl_ca_file`"},
			"root.crl":        {Plain, 0o600, "certificate revocation lists, `ssl_crl_file`"},
			"pg_hba.conf":     {Plain, 0o600, "client authentication, `hba_file`"},
			"pg_ident.conf":   {Plain, 0o600, "user name maps, `ident_file`"},
			"postgresql.conf": {Plain, 0o600, "server configuration, `config_file`"},
		},
		Reserved: pgDataReserved,
	},
	"pgbouncer": {
		Name:        "pgbouncer",
		Description: "PgBouncer's configuration directory (`/etc/pgbouncer` on Debian)",
		Files: map[string]Known{
			"pgbouncer.ini": {Plain, 0o640, "PgBouncer configuration"},
			"userlist.txt":  {Secret, 0o640, "`auth_file`: user names with passwords or SCRAM verifiers"},
			"server.crt":    {Plain, 0o644, "`client_tls_cert_file`"},
			"server.key":    {PrivateKey, 0o600, "`client_tls_key_file`"},
			"root.crt":      {Plain, 0o644, "`client_tls_ca_file` / `server_tls_ca_file`"},
			"root.crl":      {Plain, 0o644, "certificate revocation lists"},
		},
	},
	"pgpool": {
		Name:        "pgpool",
		Description: "Pgpool-II's configuration directory (`/etc/pgpool2` on Debian)",
		Files: map[string]Known{
			"pgpool.conf":   {Plain, 0o640, "Pgpool-II configuration"},
			"pool_hba.conf": {Plain, 0o640, "client authentication (`enable_pool_hba = on`)"},
			"pool_passwd":   {Secret, 0o600, "user names with md5, TEXT or AES-encrypted passwords (Pgpool-II 4.3 refuses SCRAM verifiers there)"},
			"pcp.conf":      {Secret, 0o600, "PCP users and md5 password hashes"},
			".pgpoolkey":    {OwnerOnly, 0o600, "key that decrypts AES entries of pool_passwd (Pgpool-II refuses it with group or world access)"},
			"server.crt":    {Plain, 0o644, "`ssl_cert`"},
			"server.key":    {PrivateKey, 0o600, "`ssl_key`"},
			"root.crt":      {Plain, 0o644, "`ssl_ca_cert`"},
			"root.crl":      {Plain, 0o644, "`ssl_crl_file`"},
		},
	},
	"libpq_home": {
		Name:        "libpq_home",
		Description: "a libpq client's `~/.postgresql` directory, read by psql and libpq-based clients when no `sslcert`/`sslkey`/`sslrootcert`/`sslcrl` is given",
		Files: map[string]Known{
			"postgresql.crt": {Plain, 0o644, "client certificate (and its chain)"},
			"postgresql.key": {PrivateKey, 0o600, "client private key"},
			"postgresql.pk8": {PrivateKey, 0o600, "client private key in PKCS#8 DER form (pgJDBC)"},
			"root.crt":       {Plain, 0o644, "CA certificates trusted for the server certificate"},
			"root.crl":       {Plain, 0o644, "certificate revocation lists"},
		},
	},
}

// DefaultLayout is the layout used when none is named.
const DefaultLayout = "plain"

// LayoutNames lists the layouts, sorted.
func LayoutNames() []string {
	out := make([]string, 0, len(layouts))
	for n := range layouts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupLayout returns the named layout.
func LookupLayout(name string) (Layout, error) {
	l, ok := layouts[name]
	if !ok {
		return Layout{}, fmt.Errorf("unknown layout %q; must be one of %s", name, strings.Join(LayoutNames(), ", "))
	}
	return l, nil
}

// ReservedReason says why name may not be written in this layout, or "".
func (l Layout) ReservedReason(name string) string {
	first := name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		first = name[:i]
	}
	if r, ok := l.Reserved[name]; ok {
		return r
	}
	if r, ok := l.Reserved[first]; ok && first != name {
		return r
	}
	return ""
}

// Resolve returns the kind and default mode of name in this layout for a
// file given as sensitive (or not).
func (l Layout) Resolve(name string, sensitive bool) (Kind, fs.FileMode) {
	if k, ok := l.Files[name]; ok {
		if k.Kind == Plain && sensitive {
			return Secret, k.Mode &^ 0o007
		}
		return k.Kind, k.Mode
	}
	if sensitive {
		return Secret, DefaultSecretMode
	}
	return Plain, DefaultPlainMode
}
