package check

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"strconv"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// TestPgStatSSLDNIsOneLineForm: what the check reports as
// SSLStat.ClientDNOneLine / IssuerDNOneLine is pg_stat_ssl's client_dn /
// issuer_dn exactly as psql reads them for the same login, and that form is
// the one-line style its documentation describes (certificate order,
// slashes, RFC 2253 value escaping, cut to 63 bytes), not the RFC 2253 DN.
func TestPgStatSSLDNIsOneLineForm(t *testing.T) {
	ca := newCA(t, "oneline root")
	srvLeaf := ca.server(t, "localhost", []string{"localhost"}, "127.0.0.1")
	client := func(org string) *leaf {
		return leafOf(ca.tp.Issue(t, &x509.Certificate{
			Subject:  pkix.Name{Country: []string{"DE"}, Organization: []string{org}, CommonName: "alice"},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}))
	}
	short := client("Ex, Inc")
	long := client("Example Organisation With A Name Long Enough To Be Cut, Inc")
	eachVersion(t, func(t *testing.T, version int) {
		srv := testserver.StartPostgres(t, testserver.PostgresConfig{Version: version, SSL: true, CertPEM: srvLeaf.certPEM, KeyPEM: srvLeaf.keyPEM,
			CAPEM: ca.pem, HBA: "hostssl all all 127.0.0.1/32 cert", Roles: []string{"alice"}})
		for _, c := range []struct {
			name           string
			leaf           *leaf
			client, issuer string
		}{
			{"short", short, `/C=DE/O=Ex\, Inc/CN=alice`, "/O=pgtls check tests/CN=oneline root"},
			{"cut-to-63-bytes", long, `/C=DE/O=Example Organisation With A Name Long Enough To Be Cut\`, "/O=pgtls check tests/CN=oneline root"},
		} {
			t.Run(c.name, func(t *testing.T) {
				req := Request{Host: srv.Host, Port: srv.Port, Database: "postgres", User: "alice", RootCertPEM: ca.pem,
					ClientCertPEM: c.leaf.certPEM, ClientKeyPEM: c.leaf.keyPEM, SSLModes: []SSLMode{ModeVerifyFull}}
				r := Run(t.Context(), req)[0]
				if !r.Success || r.SSLStat == nil {
					t.Fatalf("login failed: %+v", r)
				}
				ci := map[string]string{"host": srv.Host, "port": strconv.Itoa(srv.Port), "dbname": "postgres", "user": "alice", "sslmode": "verify-full"}
				p := testserver.Psql(t, ci, testserver.ClientTLS{RootCertPEM: ca.pem, CertPEM: c.leaf.certPEM, KeyPEM: c.leaf.keyPEM},
					"SELECT client_dn || '|' || issuer_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
				if p.ExitCode != 0 {
					t.Fatalf("psql: %s", p.Stderr)
				}
				if got := r.SSLStat.ClientDNOneLine + "|" + r.SSLStat.IssuerDNOneLine; got != strings.TrimSpace(p.Stdout) {
					t.Errorf("pgtls reports %q, the server shows psql %q", got, strings.TrimSpace(p.Stdout))
				}
				if r.SSLStat.ClientDNOneLine != c.client || r.SSLStat.IssuerDNOneLine != c.issuer {
					t.Errorf("client_dn %q issuer_dn %q; the documented form gives %q and %q", r.SSLStat.ClientDNOneLine, r.SSLStat.IssuerDNOneLine, c.client, c.issuer)
				}
				if len(r.SSLStat.ClientDNOneLine) > MaxNameBytes {
					t.Errorf("client_dn is %d bytes, more than pg_stat_ssl keeps", len(r.SSLStat.ClientDNOneLine))
				}
				if rfc := c.leaf.cert.Subject.String(); rfc == r.SSLStat.ClientDNOneLine {
					t.Errorf("one-line form equals the RFC 2253 form %q", rfc)
				}
			})
		}
	})
}
