package check

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/pgtls/terraform-provider-pgtls/internal/x509util"
)

// material is a Request's parsed TLS inputs.
type material struct {
	roots      *x509.CertPool // self-signed certificates of RootCertPEM: the trust anchors
	extra      []*x509.Certificate
	haveRoot   bool
	clientCert *tls.Certificate
	crls       []*x509.RevocationList
	verifyName string
	timeout    time.Duration
	port       int
	modes      []SSLMode
}

// Validate reports every problem of r; an empty result means Run will probe.
// Messages name the field and the rule; secrets never appear.
func (r Request) Validate() []Problem {
	_, probs := r.prepare()
	return probs
}

func (r Request) prepare() (*material, []Problem) {
	m := &material{}
	var probs []Problem
	add := func(field, value, format string, a ...any) {
		probs = append(probs, Problem{Field: field, Value: shown(value), Message: fmt.Sprintf(format, a...)})
	}

	switch {
	case strings.TrimSpace(r.Host) == "":
		add("host", "", "must not be empty")
	case strings.HasPrefix(r.Host, "/"):
		add("host", r.Host, "unix-domain sockets are not supported: sslmode only applies to TCP connections")
	case strings.ContainsAny(r.Host, " \t\r\n\x00,"):
		add("host", r.Host, "must be a single host name or IP address (no blanks, commas or NUL)")
	case len(r.Host) > MaxHostNameLength:
		add("host", r.Host, "is %d characters; a host name is at most %d (RFC 1035)", len(r.Host), MaxHostNameLength)
	}
	m.port = r.Port
	if m.port == 0 {
		m.port = DefaultPort
	} else if err := ValidatePort(int64(r.Port)); err != nil {
		add("port", fmt.Sprint(r.Port), "%v", err)
	}
	if r.User == "" {
		add("user", "", "must not be empty")
	}
	nameRules := func(field, v string) {
		switch {
		case strings.ContainsRune(v, 0):
			add(field, strings.ReplaceAll(v, "\x00", `\0`), "must not contain a NUL byte")
		case len(v) > MaxNameBytes:
			add(field, v, "is %d bytes; PostgreSQL names are at most %d bytes (NAMEDATALEN-1), and the server cuts a longer name "+
				"in the startup packet to its first %d bytes, so the check would log in with another name", len(v), MaxNameBytes, MaxNameBytes)
		}
	}
	nameRules("user", r.User)
	nameRules("database", r.Database)
	if strings.ContainsRune(r.Password, 0) {
		add("password", "", "must not contain a NUL byte")
	}

	m.modes = r.SSLModes
	if len(m.modes) == 0 {
		m.modes = AllModes
	}
	first := map[SSLMode]int{}
	for i, mode := range r.SSLModes {
		key := strconv.Itoa(i)
		if msg := modeProblem(string(mode)); msg != "" {
			probs = append(probs, Problem{Field: "sslmodes", Key: key, Value: shown(string(mode)), Message: msg})
		} else if j, dup := first[mode]; dup {
			probs = append(probs, Problem{Field: "sslmodes", Key: key, Value: string(mode), Message: fmt.Sprintf("listed more than once (also at index %d)", j)})
		} else {
			first[mode] = i
		}
	}

	m.timeout = r.ConnectTimeout
	if m.timeout == 0 {
		m.timeout = DefaultConnectTimeout
	} else if err := ValidateConnectTimeout(r.ConnectTimeout); err != nil {
		add("connect_timeout", r.ConnectTimeout.String(), "%v", err)
	}

	m.verifyName = r.Host
	if r.ServerName != "" {
		m.verifyName = r.ServerName
		switch {
		case strings.ContainsAny(r.ServerName, " \t\r\n\x00,") || strings.HasPrefix(r.ServerName, "/"):
			add("server_name", r.ServerName, "must be a single host name or IP address (no blanks, commas, NUL or leading /)")
		case len(r.ServerName) > MaxHostNameLength:
			add("server_name", r.ServerName, "is %d characters; a host name is at most %d (RFC 1035)", len(r.ServerName), MaxHostNameLength)
		}
	}

	if strings.TrimSpace(r.RootCertPEM) != "" {
		certs, err := x509util.ParseCertificatesPEM(r.RootCertPEM)
		if err != nil {
			add("root_cert_pem", "", "%v", err)
		} else {
			m.roots = x509.NewCertPool()
			for _, c := range certs {
				// OpenSSL (without X509_V_FLAG_PARTIAL_CHAIN, as libpq uses
				// it) only accepts a self-signed certificate as the trust
				// anchor; other certificates in the file serve as untrusted
				// intermediates.
				if x509util.IsSelfSigned(c) {
					m.roots.AddCert(c)
					m.haveRoot = true
				} else {
					m.extra = append(m.extra, c)
				}
			}
			// A file without a self-signed certificate is loaded by libpq
			// too: it then fails every verification ("unable to get
			// issuer certificate") while disable/allow still connect, so
			// it is not a request problem; verifyChain reports it.
			m.haveRoot = true
		}
	}

	// Each PEM is judged on its own first (so a bad certificate is
	// reported even while the key is not known yet), then the pair.
	var clientCerts []*x509.Certificate
	var clientKey crypto.Signer
	if r.ClientCertPEM != "" {
		certs, err := x509util.ParseCertificatesPEM(r.ClientCertPEM)
		if err != nil {
			add("client_cert_pem", "", "%v", err)
		}
		clientCerts = certs
	}
	if r.ClientKeyPEM != "" {
		key, err := x509util.ParsePrivateKeyPEM(r.ClientKeyPEM)
		if err != nil {
			// x509util errors never contain key material.
			add("client_key_pem", "", "%v", err)
		}
		clientKey = key
	}
	switch {
	case r.ClientCertPEM != "" && r.ClientKeyPEM == "":
		add("client_key_pem", "", "must be set when client_cert_pem is set")
	case r.ClientCertPEM == "" && r.ClientKeyPEM != "":
		add("client_cert_pem", "", "must be set when client_key_pem is set")
	case len(clientCerts) > 0 && clientKey != nil:
		type equaler interface{ Equal(crypto.PublicKey) bool }
		if pub, ok := clientKey.Public().(equaler); !ok || !pub.Equal(clientCerts[0].PublicKey) {
			add("client_key_pem", "", "does not match the first certificate of client_cert_pem (%q)", x509util.RFC2253(clientCerts[0].RawSubject))
			break
		}
		pair := tls.Certificate{PrivateKey: clientKey, Leaf: clientCerts[0]}
		for _, c := range clientCerts {
			pair.Certificate = append(pair.Certificate, c.Raw)
		}
		m.clientCert = &pair
	}

	if strings.TrimSpace(r.CRLPEM) != "" {
		crls, err := x509util.ParseCRLsPEM(r.CRLPEM)
		if err != nil {
			add("crl_pem", "", "%v", err)
		}
		m.crls = crls
	}
	return m, probs
}

// ValidatePort is the rule for Request.Port once set: a TCP port, 1 to 65535
// (libpq refuses others with "invalid port number").
func ValidatePort(p int64) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("must be between 1 and 65535 (a TCP port)")
	}
	return nil
}

// ValidateConnectTimeout is the rule for Request.ConnectTimeout once set:
// positive and at most MaxConnectTimeout, so every probe is bounded.
func ValidateConnectTimeout(d time.Duration) error {
	if d <= 0 || d > MaxConnectTimeout {
		return fmt.Errorf("must be positive and at most %d seconds (each mode's probe is bounded by it)", int(MaxConnectTimeout/time.Second))
	}
	return nil
}

// shown limits what a Problem echoes: never PEM content (a key pasted into
// the wrong field), at most 80 characters.
func shown(v string) string {
	if strings.Contains(v, "-----BEGIN") || strings.Contains(v, "PRIVATE KEY") {
		return "(PEM content, not shown)"
	}
	if r := []rune(v); len(r) > 80 {
		return string(r[:80]) + "..."
	}
	return v
}

// isIPHost is libpq's is_ip_address (inet_pton for AF_INET or AF_INET6).
func isIPHost(h string) bool {
	a, err := netip.ParseAddr(h)
	return err == nil && a.Zone() == ""
}
