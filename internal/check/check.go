// Package check probes a live PostgreSQL server (or a pooler speaking its
// protocol) once per sslmode and reports what a libpq client (PostgreSQL 15+)
// would have seen: success or failure, the path taken (TLS, plaintext, or a
// fallback), the negotiated TLS parameters, the server certificate and the
// server's own view of the session (current_user, pg_stat_ssl).
//
// The protocol is spoken by pgx's pgconn, but every TLS decision is made here,
// the way libpq makes it: a given root certificate is enforced in every mode
// that negotiates TLS, verify-ca/verify-full without one fail, verify-full
// uses libpq's host name rules (including the CN fallback), the serverAuth
// EKU is required, the CRL is checked for the whole chain, prefer falls back
// to plaintext, allow tries plaintext first. Nothing is read from the
// environment or the home directory.
package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SSLMode is a libpq sslmode.
type SSLMode string

// The six libpq sslmodes, in libpq's order of increasing protection.
const (
	ModeDisable    SSLMode = "disable"
	ModeAllow      SSLMode = "allow"
	ModePrefer     SSLMode = "prefer"
	ModeRequire    SSLMode = "require"
	ModeVerifyCA   SSLMode = "verify-ca"
	ModeVerifyFull SSLMode = "verify-full"
)

// AllModes lists every sslmode, the default set of a Request.
var AllModes = []SSLMode{ModeDisable, ModeAllow, ModePrefer, ModeRequire, ModeVerifyCA, ModeVerifyFull}

// Valid reports whether m is one of the six libpq sslmodes.
func (m SSLMode) Valid() bool { return slices.Contains(AllModes, m) }

// DefaultPort is used when Request.Port is 0.
const DefaultPort = 5432

// DefaultConnectTimeout is used when Request.ConnectTimeout is 0.
const DefaultConnectTimeout = 5 * time.Second

// MaxConnectTimeout bounds Request.ConnectTimeout.
const MaxConnectTimeout = 300 * time.Second

// MaxNameBytes is the longest user or database name PostgreSQL keeps:
// NAMEDATALEN-1 bytes (NAMEDATALEN is 64 in every standard build). The
// server cuts longer names in the startup packet to this many bytes
// (ProcessStartupPacket), so a longer name would log in as another name.
const MaxNameBytes = 63

// MaxStartupPacket is PostgreSQL's MAX_STARTUP_PACKET_LENGTH (pqcomm.h): a
// longer startup packet is dropped with "invalid length of startup packet"
// in the server log and nothing sent to the client. The check's startup
// packet holds only user and database, so MaxNameBytes keeps it far below.
const MaxStartupPacket = 10000

// MaxHostNameLength is the longest DNS host name (RFC 1035: 253 characters
// in text form); it bounds Host and ServerName.
const MaxHostNameLength = 253

// Request describes one connection check. PEM fields hold file contents, not
// paths. Password and ClientKeyPEM are secrets and never appear in errors.
type Request struct {
	Host     string // host name or IP address to dial
	Port     int    // 0 means 5432
	Database string // empty means the server's default (the user name)
	User     string
	Password string

	SSLModes []SSLMode // default all six when empty

	RootCertPEM   string // trust anchors (self-signed roots; other certificates act as intermediates)
	ClientCertPEM string // client certificate, optionally followed by its chain
	ClientKeyPEM  string // its private key (unencrypted PEM)
	CRLPEM        string // CRLs checked against the whole server chain

	// ServerName is the name verify-full checks (and the TLS SNI) while
	// Host is dialed, like libpq's host=ServerName hostaddr=Host. Empty
	// means Host.
	ServerName string

	// ConnectTimeout bounds each mode's probe end to end (all attempts and
	// the follow-up queries). 0 means 5s.
	ConnectTimeout time.Duration
}

// Problem is one invalid field of a Request. Value never holds a secret.
type Problem struct {
	Field   string // the Request field, named as the provider's attribute (host, port, sslmodes, connect_timeout, ...)
	Key     string // list index (sslmodes) or map key (expect) inside Field; empty for the field itself
	Value   string // the offending value, shortened (see shown); empty for secrets and PEM
	Message string // the rule
}

func (p Problem) String() string {
	f := p.Field
	if p.Key != "" {
		f += "[" + strconv.Quote(shown(p.Key)) + "]"
		if _, err := strconv.Atoi(p.Key); err == nil {
			f = p.Field + "[" + p.Key + "]"
		}
	}
	if p.Value == "" {
		return fmt.Sprintf("%s: %s", f, p.Message)
	}
	return fmt.Sprintf("%s %q: %s", f, p.Value, p.Message)
}

// ServerCert summarises the leaf certificate the server presented.
type ServerCert struct {
	Subject           string // RFC 2253 as `openssl x509 -nameopt RFC2253` prints it (x509util.RFC2253): the form clientname=DN compares
	Issuer            string // RFC 2253, same form
	DNSNames          []string
	IPAddresses       []string
	NotAfter          time.Time
	FingerprintSHA256 string // lower-case hex of the DER's SHA-256
}

// SSLStat is the pg_stat_ssl row of the backend serving this session.
type SSLStat struct {
	SSL     bool
	Version string
	Cipher  string
	Bits    int
	// ClientDNOneLine and IssuerDNOneLine are pg_stat_ssl's client_dn and
	// issuer_dn: PostgreSQL's X509_NAME_to_cstring, OpenSSL's one-line
	// style ("/C=DE/O=Ex\, Inc/CN=app": attributes in certificate order,
	// short names, values escaped as in RFC 2253), cut to 63 bytes
	// (NAMEDATALEN-1, even inside an escape). This is NOT the RFC 2253 DN that clientname=DN
	// compares (reversed order, comma-separated): never compare the two.
	ClientDNOneLine string
	ClientSerial    string
	IssuerDNOneLine string
}

// Path values: which connection attempts libpq would have made.
const (
	PathNone                 = "none"                       // failed before any connection was established
	PathPlaintext            = "plaintext"                  // one unencrypted connection
	PathTLS                  = "tls"                        // one TLS connection
	PathTLSRefusedPlaintext  = "tls-refused-then-plaintext" // prefer: server answered N to SSLRequest, continued unencrypted
	PathTLSThenPlaintext     = "tls-then-plaintext"         // prefer: TLS attempt failed, retried unencrypted
	PathPlaintextThenTLS     = "plaintext-then-tls"         // allow: plaintext attempt rejected, retried with TLS
	PathTLSRefused           = "tls-refused"                // require and above: server does not support SSL
	PathPlaintextThenRefused = "plaintext-then-tls-refused" // allow: plaintext rejected, server then refused SSL too
)

// Failure categories (Result.Category).
const (
	CatNone           = ""
	CatConnect        = "connect"         // TCP connect failed (refused, unreachable, DNS)
	CatTimeout        = "timeout"         // the probe hit the timeout
	CatSSLRefused     = "ssl-refused"     // server does not support SSL but the mode requires it
	CatNoRootCert     = "no-root-cert"    // verify-ca/verify-full without a root certificate
	CatCertVerify     = "cert-verify"     // server chain verification failed (CA, expiry, EKU, CRL)
	CatHostname       = "hostname"        // verify-full host name mismatch
	CatTLS            = "tls"             // handshake or TLS record failure (includes the server refusing our client certificate)
	CatNoPassword     = "no-password"     // the server asked for a password and none was given
	CatChannelBinding = "channel-binding" // SCRAM channel binding impossible with this server certificate (libpq fails client-side)
	CatServer         = "server"          // the server sent an ErrorResponse (see SQLState)
	CatProtocol       = "protocol"        // anything else (connection closed, protocol violation)
	CatInvalidReq     = "invalid-request"
)

// Result is the outcome of one sslmode.
type Result struct {
	Mode     SSLMode
	Success  bool
	Error    string // one readable line, empty on success
	SQLState string // of the server error that failed the probe, if any
	Category string // one of the Cat* constants, empty on success

	Encrypted bool   // the final connection used TLS
	Path      string // one of the Path* constants
	// TLS details of the last TLS handshake that completed (also on failure).
	TLSVersion            string
	Cipher                string
	ServerCertificate     *ServerCert // leaf the server presented in the last TLS attempt, even when rejected
	ClientCertificateSent bool        // the server asked for a client certificate and one was sent

	AuthenticatedUser string   // current_user
	ServerVersion     string   // server_version parameter status
	SSLStat           *SSLStat // nil when the session's backend is not directly connected to us (pooler) or has no pg_stat_ssl

	// Attempts are the connections the mode made, in order (libpq's
	// fallbacks make a second one), for logs and debugging.
	Attempts []Attempt
	Duration time.Duration // the whole probe, including the session queries
}

// Attempt is one connection attempt of a probe.
type Attempt struct {
	TLS      bool   // began with an SSLRequest
	Address  string // the address reached ("host:port" or the socket), "" when none was
	Outcome  string // "connected", or the error
	Duration time.Duration
}

// Expectation maps a mode to whether success is expected.
type Expectation map[SSLMode]bool

// Mismatch is a mode whose result differs from the expectation.
type Mismatch struct {
	Mode     SSLMode
	Expected bool
	Got      bool
	Reason   string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("sslmode %s: expected %s, got %s: %s", m.Mode, word(m.Expected), word(m.Got), m.Reason)
}

func word(ok bool) string {
	if ok {
		return "success"
	}
	return "failure"
}

// Compare returns one Mismatch per expected mode whose result differs, or
// that has no result at all, in the order of results then of mode name.
func Compare(results []Result, exp Expectation) []Mismatch {
	var out []Mismatch
	seen := map[SSLMode]bool{}
	for _, r := range results {
		want, ok := exp[r.Mode]
		if !ok || seen[r.Mode] {
			continue
		}
		seen[r.Mode] = true
		if want == r.Success {
			continue
		}
		reason := r.Error
		if r.Success {
			reason = fmt.Sprintf("connected (path %s", r.Path)
			if r.AuthenticatedUser != "" {
				reason += ", as " + r.AuthenticatedUser
			}
			reason += ")"
		}
		out = append(out, Mismatch{Mode: r.Mode, Expected: want, Got: r.Success, Reason: reason})
	}
	var missing []SSLMode
	for m := range exp {
		if !seen[m] {
			missing = append(missing, m)
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		out = append(out, Mismatch{Mode: m, Expected: exp[m], Got: false, Reason: "sslmode was not checked (not in the request's sslmodes)"})
	}
	return out
}

// ParseExpectation turns "success"/"failure" words (any case) into an
// Expectation, reporting unknown modes, unknown words and modes that are
// expected but not among modes (the request's sslmodes; nil means all six)
// as Problems on the field "expect" keyed by the mode.
func ParseExpectation(in map[string]string, modes []SSLMode) (Expectation, []Problem) {
	if len(modes) == 0 {
		modes = AllModes
	}
	exp := Expectation{}
	var probs []Problem
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := in[k]
		m := SSLMode(k)
		if msg := modeProblem(k); msg != "" {
			probs = append(probs, Problem{Field: "expect", Key: k, Message: msg})
			continue
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "success":
			exp[m] = true
		case "failure":
			exp[m] = false
		default:
			probs = append(probs, Problem{Field: "expect", Key: k, Value: shown(v), Message: `must be "success" or "failure"`})
			continue
		}
		if !slices.Contains(modes, m) {
			probs = append(probs, Problem{Field: "expect", Key: k, Value: v,
				Message: fmt.Sprintf("sslmode %s is expected but not checked: add it to sslmodes (or remove it from expect)", k)})
		}
	}
	return exp, probs
}

// modeProblem is the rule for one sslmode name: libpq compares it exactly
// (sslmode=REQUIRE fails with "invalid sslmode value").
func modeProblem(s string) string {
	if SSLMode(s).Valid() {
		return ""
	}
	if l := SSLMode(strings.ToLower(strings.TrimSpace(s))); l.Valid() {
		return fmt.Sprintf("unknown sslmode: libpq's sslmode names are lower case and exact (libpq rejects it: invalid sslmode value); use %q", string(l))
	}
	return "unknown sslmode; must be one of " + modeList()
}

func modeList() string {
	s := make([]string, len(AllModes))
	for i, m := range AllModes {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}
