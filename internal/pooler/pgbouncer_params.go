package pooler

import (
	"fmt"
	"strconv"
	"strings"
)

// PgBouncerVersion is a PgBouncer minor release line (1.18 ... 1.25).
type PgBouncerVersion struct{ Major, Minor int }

func (v PgBouncerVersion) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

func (v PgBouncerVersion) atLeast(minor int) bool { return v.Major > 1 || v.Minor >= minor }

// PgBouncer versions pgtls knows. 1.18 is what Debian bookworm ships and
// what the tests run; newer settings are gated on the version that added
// them (read from each release's src/main.c and src/loader.c).
var (
	PgBouncer118        = PgBouncerVersion{1, 18}
	MinPgBouncerVersion = PgBouncer118
	MaxPgBouncerVersion = PgBouncerVersion{1, 25}
)

// PgBouncerVersions lists the accepted version strings.
func PgBouncerVersions() []string {
	var out []string
	for m := MinPgBouncerVersion.Minor; m <= MaxPgBouncerVersion.Minor; m++ {
		out = append(out, fmt.Sprintf("1.%d", m))
	}
	return out
}

// ParsePgBouncerVersion parses "1.18" (a patch level such as "1.18.0" is
// accepted and ignored).
func ParsePgBouncerVersion(s string) (PgBouncerVersion, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return PgBouncerVersion{}, fmt.Errorf("PgBouncer version %q is not MAJOR.MINOR (for example 1.18)", s)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 || strconv.Itoa(x) != p {
			return PgBouncerVersion{}, fmt.Errorf("PgBouncer version %q is not MAJOR.MINOR (for example 1.18)", s)
		}
		n[i] = x
	}
	v := PgBouncerVersion{n[0], n[1]}
	if v.Major != 1 || v.Minor < MinPgBouncerVersion.Minor || v.Minor > MaxPgBouncerVersion.Minor {
		return PgBouncerVersion{}, fmt.Errorf("PgBouncer version %q is not supported: pgtls knows %s to %s", s, MinPgBouncerVersion, MaxPgBouncerVersion)
	}
	return v, nil
}

// bouncerKind is how PgBouncer's config framework (libusual cfparser)
// parses a [pgbouncer] value.
type bouncerKind int

const (
	kindStr    bouncerKind = iota // CF_STR: the rest of the line, verbatim
	kindInt                       // CF_INT: strtol(base 0), whole value, int
	kindUint                      // CF_UINT: strtoul(base 0), whole value
	kindTime                      // CF_TIME_USEC: a non-negative decimal number of seconds
	kindLookup                    // CF_LOOKUP: one of a fixed set of words
)

type bouncerParam struct {
	kind  bouncerKind
	since int // first 1.x minor that knows it
}

// pgbouncerParams are the [pgbouncer] settings of PgBouncer 1.18 to 1.25.
var pgbouncerParams = map[string]bouncerParam{
	"admin_users": {kindStr, 18}, "application_name_add_host": {kindInt, 18}, "auth_file": {kindStr, 18},
	"auth_hba_file": {kindStr, 18}, "auth_query": {kindStr, 18}, "auth_type": {kindLookup, 18},
	"auth_user": {kindStr, 18}, "autodb_idle_timeout": {kindTime, 18}, "client_idle_timeout": {kindTime, 18},
	"client_login_timeout": {kindTime, 18}, "client_tls_ca_file": {kindStr, 18}, "client_tls_cert_file": {kindStr, 18},
	"client_tls_ciphers": {kindStr, 18}, "client_tls_dheparams": {kindStr, 18}, "client_tls_ecdhcurve": {kindStr, 18},
	"client_tls_key_file": {kindStr, 18}, "client_tls_protocols": {kindStr, 18}, "client_tls_sslmode": {kindLookup, 18},
	"default_pool_size": {kindInt, 18}, "disable_pqexec": {kindInt, 18}, "dns_max_ttl": {kindTime, 18},
	"dns_nxdomain_ttl": {kindTime, 18}, "dns_zone_check_period": {kindTime, 18}, "idle_transaction_timeout": {kindTime, 18},
	"ignore_startup_parameters": {kindStr, 18}, "job_name": {kindStr, 18}, "listen_addr": {kindStr, 18},
	"listen_backlog": {kindInt, 18}, "listen_port": {kindInt, 18}, "log_connections": {kindInt, 18},
	"log_disconnections": {kindInt, 18}, "log_pooler_errors": {kindInt, 18}, "log_stats": {kindInt, 18},
	"logfile": {kindStr, 18}, "max_client_conn": {kindInt, 18}, "max_db_connections": {kindInt, 18},
	"max_packet_size": {kindUint, 18}, "max_user_connections": {kindInt, 18}, "min_pool_size": {kindInt, 18},
	"pidfile": {kindStr, 18}, "pkt_buf": {kindInt, 18}, "pool_mode": {kindLookup, 18},
	"query_timeout": {kindTime, 18}, "query_wait_timeout": {kindTime, 18}, "reserve_pool_size": {kindInt, 18},
	"reserve_pool_timeout": {kindTime, 18}, "resolv_conf": {kindStr, 18}, "sbuf_loopcnt": {kindInt, 18},
	"server_check_delay": {kindTime, 18}, "server_check_query": {kindStr, 18}, "server_connect_timeout": {kindTime, 18},
	"server_fast_close": {kindInt, 18}, "server_idle_timeout": {kindTime, 18}, "server_lifetime": {kindTime, 18},
	"server_login_retry": {kindTime, 18}, "server_reset_query": {kindStr, 18}, "server_reset_query_always": {kindInt, 18},
	"server_round_robin": {kindInt, 18}, "server_tls_ca_file": {kindStr, 18}, "server_tls_cert_file": {kindStr, 18},
	"server_tls_ciphers": {kindStr, 18}, "server_tls_key_file": {kindStr, 18}, "server_tls_protocols": {kindStr, 18},
	"server_tls_sslmode": {kindLookup, 18}, "so_reuseport": {kindInt, 18}, "stats_period": {kindInt, 18},
	"stats_users": {kindStr, 18}, "suspend_timeout": {kindTime, 18}, "syslog": {kindInt, 18},
	"syslog_facility": {kindStr, 18}, "syslog_ident": {kindStr, 18}, "tcp_defer_accept": {kindInt, 18},
	"tcp_keepalive": {kindInt, 18}, "tcp_keepcnt": {kindInt, 18}, "tcp_keepidle": {kindInt, 18},
	"tcp_keepintvl": {kindInt, 18}, "tcp_socket_buffer": {kindInt, 18}, "tcp_user_timeout": {kindInt, 18},
	"unix_socket_dir": {kindStr, 18}, "unix_socket_group": {kindStr, 18}, "unix_socket_mode": {kindInt, 18},
	"user": {kindStr, 18}, "verbose": {kindInt, 18},
	// 1.19
	"auth_dbname": {kindStr, 19}, "cancel_wait_timeout": {kindTime, 19}, "peer_id": {kindInt, 19},
	// 1.20
	"track_extra_parameters": {kindStr, 20},
	// 1.21
	"max_prepared_statements": {kindInt, 21},
	// 1.23
	"auth_ident_file": {kindStr, 23},
	// 1.24
	"max_db_client_connections": {kindInt, 24}, "max_user_client_connections": {kindInt, 24},
	// 1.25
	"auth_ldap_options": {kindStr, 25}, "client_tls13_ciphers": {kindStr, 25}, "query_wait_notify": {kindInt, 25},
	"scram_iterations": {kindInt, 25}, "server_tls13_ciphers": {kindStr, 25}, "transaction_timeout": {kindTime, 25},
}

// pgbouncerForbidden are [pgbouncer] names pgtls never writes: conffile
// redirects RELOAD to another file and service_name exists on Windows only.
var pgbouncerForbidden = map[string]string{
	"conffile":     "redirects where PgBouncer re-reads its configuration on RELOAD; pgtls renders the whole file instead",
	"service_name": "exists only in Windows builds of PgBouncer",
}

// PgBouncerAuthTypes returns the auth_type values the version accepts.
// pam is left out: PgBouncer reads it only when built with PAM, and then
// authenticates against the operating system, which pgtls cannot check.
func PgBouncerAuthTypes(v PgBouncerVersion) []string {
	out := []string{"any", "trust", "plain", "md5", "cert", "hba", "scram-sha-256"}
	if v.atLeast(25) {
		out = append(out, "ldap")
	}
	return out
}

// PoolModes are PgBouncer's pool_mode values.
var PoolModes = []string{"session", "transaction", "statement"}

// SSLModes are the client_tls_sslmode / server_tls_sslmode values.
var SSLModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

func sslModeRank(m string) int {
	for i, x := range SSLModes {
		if x == m {
			return i
		}
	}
	return -1
}
