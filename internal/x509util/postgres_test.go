package x509util

import (
	"crypto/x509"
	"encoding/asn1"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// identQuote quotes a pg_ident.conf token: double quotes, inner ones
// doubled.
func identQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// TestRFC2253ClientnameDNWithPostgres proves on a real PostgreSQL 15 that
// the string RFC2253 renders is the one `clientname=DN` compares: for each
// client certificate of the DN corpus (and one made by openssl with the
// subject /C=DE/O=Ex, Inc/CN=localhost/emailAddress=dba@example.com), a
// pg_ident map whose system user is exactly that string, quoted, lets the
// certificate log in as alice through
// `hostssl all alice 127.0.0.1/32 cert clientname=DN map=m`; a certificate
// whose DN is not mapped is refused. (PostgreSQL 15 refuses outright a
// certificate with an attribute OpenSSL has no name for, and one whose CN
// bytes hold a NUL, as BMPString "Jür" does: those cases assert that.)
func TestRFC2253ClientnameDNWithPostgres(t *testing.T) {
	testserver.RequirePostgres(t)
	bin := testserver.RequireOpenSSL(t)
	o := testpki.OpenSSL{Bin: bin, Dir: t.TempDir()}
	ca := testpki.NewCA(t, "clientname=DN CA")
	srv := ca.Server(t, "localhost", "localhost", "127.0.0.1")

	type client struct {
		name, certPEM, keyPEM, dn string
		refused                   string // PostgreSQL's error when it refuses the certificate whatever the map says
	}
	var clients []client
	corpus := dnCorpus(t)
	// PostgreSQL reads the raw bytes of the CN for cert authentication, so
	// a BMPString or UniversalString CN of ASCII or Latin-1 characters has
	// NUL bytes: test those string types in O instead (and the CN case
	// below).
	corpus["bmp latin1 in O"] = mkName(t, rdnSET{atv(oidO, asn1.TagBMPString, "\x00J\x00\xfc\x00r")}, utf8CN("x"))
	corpus["universal in O"] = mkName(t, rdnSET{atv(oidO, 28, "\x00\x00\x00J\x00\x00\x00\xfc\x00\x01\xf4\x18")}, utf8CN("y"))
	refusals := map[string]string{
		"bmp latin1":            "SSL certificate's common name contains embedded null",
		"universal":             "SSL certificate's common name contains embedded null",
		"unknown oid":           "could not get NID for ASN1_OBJECT object",
		"unknown oid printable": "could not get NID for ASN1_OBJECT object",
	}
	names := make([]string, 0, len(corpus))
	for name := range corpus {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "empty name" {
			continue // no DN to map
		}
		key := testpki.NewKey(t)
		der := ca.IssueDER(t, &x509.Certificate{RawSubject: corpus[name], KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, key)
		c, err := ParseCertificateLax(der)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, client{name, testpki.CertPEM(der), testpki.KeyPEM(t, key), RFC2253(c.RawSubject), refusals[name]})
	}
	// The issue's subject, made by openssl.
	if err := writeAll(o.Dir, map[string]string{"ca.pem": ca.PEM, "ca.key": ca.KeyPEM}); err != nil {
		t.Fatal(err)
	}
	o.Must(t, "", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "dba.key",
		"-subj", "/C=DE/O=Ex, Inc/CN=localhost/emailAddress=dba@example.com", "-addext", "extendedKeyUsage=clientAuth", "-out", "dba.csr")
	o.Must(t, "", "x509", "-req", "-in", "dba.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-copy_extensions", "copy", "-days", "1", "-out", "dba.pem")
	dbaPEM := o.Read(t, "dba.pem")
	dba, err := ParseCertificatesPEM(dbaPEM)
	if err != nil {
		t.Fatal(err)
	}
	if got := RFC2253(dba[0].RawSubject); got != `emailAddress=dba@example.com,CN=localhost,O=Ex\, Inc,C=DE` {
		t.Fatalf("issue subject renders as %q", got)
	}
	clients = append(clients, client{"openssl issue 8 subject", dbaPEM, o.Read(t, "dba.key"), RFC2253(dba[0].RawSubject), ""})

	var ident strings.Builder
	for _, c := range clients {
		ident.WriteString("m " + identQuote(c.dn) + " alice\n")
	}
	pg := testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL: true, CertPEM: srv.CertPEM, KeyPEM: srv.KeyPEM, CAPEM: ca.PEM,
		HBA:   "hostssl all alice 127.0.0.1/32 cert clientname=DN map=m\n",
		Ident: ident.String(),
		Roles: []string{"alice"},
	})
	conn := map[string]string{"host": pg.Host, "port": strconv.Itoa(pg.Port), "user": "alice", "dbname": "postgres", "sslmode": "verify-full", "connect_timeout": "10"}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			logBefore := len(pg.Log())
			res := testserver.Psql(t, conn, testserver.ClientTLS{RootCertPEM: ca.PEM, CertPEM: c.certPEM, KeyPEM: c.keyPEM}, "select current_user")
			if c.refused != "" {
				// PostgreSQL 15 refuses these certificates before any
				// map is consulted (the DN is still OpenSSL's, see
				// TestRFC2253MatchesOpenSSL).
				if res.ExitCode == 0 || !strings.Contains(res.Stderr+pg.Log()[logBefore:], c.refused) {
					t.Errorf("expected PostgreSQL to refuse the certificate with %q (exit %d): %s", c.refused, res.ExitCode, res.Stderr)
				}
				return
			}
			if res.ExitCode != 0 || strings.TrimSpace(res.Stdout) != "alice" {
				t.Errorf("clientname=DN login with DN %q failed (exit %d): %s\n%s", c.dn, res.ExitCode, res.Stderr, pg.Log())
			}
		})
	}
	t.Run("unmapped DN is refused", func(t *testing.T) {
		other := ca.Client(t, "bob")
		res := testserver.Psql(t, conn, testserver.ClientTLS{RootCertPEM: ca.PEM, CertPEM: other.CertPEM, KeyPEM: other.KeyPEM}, "select current_user")
		if res.ExitCode == 0 || !strings.Contains(res.Stderr, "certificate authentication failed") {
			t.Errorf("unmapped DN logged in (exit %d): %s", res.ExitCode, res.Stderr)
		}
	})
}
