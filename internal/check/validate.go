package check

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
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
		certs, err := parseCertsPEM(r.RootCertPEM)
		if err != nil {
			add("root_cert_pem", "", "%v", err)
		} else {
			m.roots = x509.NewCertPool()
			for _, c := range certs {
				// OpenSSL (without X509_V_FLAG_PARTIAL_CHAIN, as libpq uses
				// it) only accepts a self-signed certificate as the trust
				// anchor; other certificates in the file serve as untrusted
				// intermediates.
				if isSelfSigned(c) {
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
	certOK, keyOK := false, false
	if r.ClientCertPEM != "" {
		certs, err := parseCertsPEM(r.ClientCertPEM)
		if err != nil {
			add("client_cert_pem", "", "%v", err)
		}
		clientCerts, certOK = certs, err == nil
	}
	if r.ClientKeyPEM != "" {
		msg := checkKeyPEM(r.ClientKeyPEM)
		if msg != "" {
			add("client_key_pem", "", "%s", msg)
		}
		keyOK = msg == ""
	}
	switch {
	case r.ClientCertPEM != "" && r.ClientKeyPEM == "":
		add("client_key_pem", "", "must be set when client_cert_pem is set")
	case r.ClientCertPEM == "" && r.ClientKeyPEM != "":
		add("client_cert_pem", "", "must be set when client_key_pem is set")
	case certOK && keyOK:
		pair, err := tls.X509KeyPair([]byte(r.ClientCertPEM), []byte(r.ClientKeyPEM))
		if err != nil {
			// tls errors about key/cert mismatch contain no key material.
			add("client_key_pem", "", "does not match the first certificate of client_cert_pem (%s)", certsSummary(clientCerts[:1]))
			break
		}
		m.clientCert = &pair
	}

	if strings.TrimSpace(r.CRLPEM) != "" {
		crls, err := parseCRLsPEM(r.CRLPEM)
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

func parseCertsPEM(s string) ([]*x509.Certificate, error) {
	rest := []byte(s)
	var out []*x509.Certificate
	for i := 1; ; i++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is %q, want CERTIFICATE", i, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d is not a valid X.509 certificate: %v", i, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("contains no PEM CERTIFICATE block")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("has trailing data after the last PEM block")
	}
	return out, nil
}

func parseCRLsPEM(s string) ([]*x509.RevocationList, error) {
	rest := []byte(s)
	var out []*x509.RevocationList
	for i := 1; ; i++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "X509 CRL" {
			return nil, fmt.Errorf("PEM block %d is %q, want X509 CRL", i, b.Type)
		}
		c, err := x509.ParseRevocationList(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d is not a valid CRL: %v", i, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("contains no PEM X509 CRL block")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("has trailing data after the last PEM block")
	}
	return out, nil
}

// checkKeyPEM describes what is wrong with a private key PEM without ever
// quoting it.
func checkKeyPEM(s string) string {
	b, rest := pem.Decode([]byte(s))
	if b == nil {
		return "contains no PEM block"
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return "must hold exactly one PEM private key block"
	}
	switch b.Type {
	case "ENCRYPTED PRIVATE KEY":
		return "encrypted private keys are not supported; supply the key unencrypted"
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
	default:
		return fmt.Sprintf("PEM block is %q, want PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY", b.Type)
	}
	if _, ok := b.Headers["DEK-Info"]; ok {
		return "encrypted private keys are not supported; supply the key unencrypted"
	}
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		_, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(b.Bytes)
	}
	if err != nil {
		return fmt.Sprintf("%s block does not parse", b.Type)
	}
	return ""
}

func isSelfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	return c.CheckSignatureFrom(c) == nil || c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func certsSummary(certs []*x509.Certificate) string {
	s := make([]string, len(certs))
	for i, c := range certs {
		s[i] = c.Subject.String()
	}
	return strings.Join(s, "; ")
}

// isIPHost is libpq's is_ip_address (inet_pton for AF_INET or AF_INET6).
func isIPHost(h string) bool {
	a, err := netip.ParseAddr(h)
	return err == nil && a.Zone() == ""
}
