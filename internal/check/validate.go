package check

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
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
	}
	m.port = r.Port
	if m.port == 0 {
		m.port = DefaultPort
	}
	if m.port < 1 || m.port > 65535 {
		add("port", fmt.Sprint(r.Port), "must be between 1 and 65535")
	}
	if r.User == "" {
		add("user", "", "must not be empty")
	}
	if strings.ContainsRune(r.User, 0) {
		add("user", strings.ReplaceAll(r.User, "\x00", `\0`), "must not contain a NUL byte")
	}
	if strings.ContainsRune(r.Database, 0) {
		add("database", strings.ReplaceAll(r.Database, "\x00", `\0`), "must not contain a NUL byte")
	}
	if strings.ContainsRune(r.Password, 0) {
		add("password", "", "must not contain a NUL byte")
	}

	m.modes = r.SSLModes
	if len(m.modes) == 0 {
		m.modes = AllModes
	}
	seen := map[SSLMode]bool{}
	for _, mode := range r.SSLModes {
		if !mode.Valid() {
			add("sslmodes", string(mode), "unknown sslmode; must be one of %s", modeList())
		} else if seen[mode] {
			add("sslmodes", string(mode), "listed more than once")
		}
		seen[mode] = true
	}

	m.timeout = r.ConnectTimeout
	if m.timeout == 0 {
		m.timeout = DefaultConnectTimeout
	}
	if m.timeout < 0 {
		add("connect_timeout", r.ConnectTimeout.String(), "must be positive")
	}

	m.verifyName = r.Host
	if r.ServerName != "" {
		m.verifyName = r.ServerName
		if strings.ContainsAny(r.ServerName, " \t\r\n\x00,") || strings.HasPrefix(r.ServerName, "/") {
			add("server_name", r.ServerName, "must be a single host name or IP address (no blanks, commas, NUL or leading /)")
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

	switch {
	case r.ClientCertPEM != "" && r.ClientKeyPEM == "":
		add("client_key_pem", "", "must be set when client_cert_pem is set")
	case r.ClientCertPEM == "" && r.ClientKeyPEM != "":
		add("client_cert_pem", "", "must be set when client_key_pem is set")
	case r.ClientCertPEM != "":
		certs, err := x509util.ParseCertificatesPEM(r.ClientCertPEM)
		if err != nil {
			add("client_cert_pem", "", "%v", err)
			break
		}
		key, err := x509util.ParsePrivateKeyPEM(r.ClientKeyPEM)
		if err != nil {
			// x509util errors never contain key material.
			add("client_key_pem", "", "%v", err)
			break
		}
		type equaler interface{ Equal(crypto.PublicKey) bool }
		if pub, ok := key.Public().(equaler); !ok || !pub.Equal(certs[0].PublicKey) {
			add("client_key_pem", "", "does not match the first certificate of client_cert_pem (%q)", x509util.RFC2253(certs[0].RawSubject))
			break
		}
		pair := tls.Certificate{PrivateKey: key, Leaf: certs[0]}
		for _, c := range certs {
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
