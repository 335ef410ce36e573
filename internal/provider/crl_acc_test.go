package provider

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// crlPKIConfig is a root -> intermediate PKI with a server certificate,
// two client certificates, a CRL per CA and their bundle; revoked is the
// intermediate CRL's revoked list.
func crlPKIConfig(revoked string) string {
	return `
variable "port" {
  type    = number
  default = 5432
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "crl acc root" }
}

resource "pgtls_intermediate_ca" "issuing" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "crl acc issuing" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem       = "${pgtls_intermediate_ca.issuing.chain_pem}${pgtls_root_ca.root.cert_pem}"
  dns_names          = ["localhost"]
  ip_addresses       = ["127.0.0.1"]
}

resource "pgtls_client_cert" "app1" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem       = pgtls_intermediate_ca.issuing.chain_pem
  user               = "app1"
}

resource "pgtls_client_cert" "app2" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem       = pgtls_intermediate_ca.issuing.chain_pem
  user               = "app2"
}

# The root's CRL revokes nothing, but with CRLs configured PostgreSQL needs
# one from every CA of the chain.
resource "pgtls_crl" "root" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
}

resource "pgtls_crl" "issuing" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  revoked            = ` + revoked + `
}

resource "pgtls_crl_bundle" "chain" {
  crls         = [pgtls_crl.root, pgtls_crl.issuing]
  ca_certs_pem = "${pgtls_root_ca.root.cert_pem}${pgtls_intermediate_ca.issuing.cert_pem}"
}
`
}

// checkSource is a pgtls_connection_check of the live server as app2 with
// the bundle as sslcrl.
func checkSource(name, expect string) string {
	return fmt.Sprintf(`
data "pgtls_connection_check" %q {
  host            = "localhost"
  port            = var.port
  user            = "app2"
  database        = "postgres"
  sslmodes        = ["require", "verify-ca", "verify-full"]
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.app2.fullchain_pem
  client_key_pem  = pgtls_client_cert.app2.private_key_pem
  crl_pem         = pgtls_crl_bundle.chain.crl_pem
  expect          = { require = %[2]q, "verify-ca" = %[2]q, "verify-full" = %[2]q }
}
`, name, expect)
}

// crlLive holds the servers the revocation test starts from Terraform's
// outputs.
type crlLive struct{ pg *testserver.Postgres }

func (l *crlLive) vars() config.Variables {
	return config.Variables{"port": lazyVar(func() any {
		if l.pg == nil {
			return 5432
		}
		return l.pg.Port
	})}
}

// TestAccCRL_revocationRealServers applies a PKI whose intermediate CRL
// revokes `pgtls_client_cert.app1` (the whole resource) and proves it with
// real servers: PostgreSQL 15 with ssl_crl_file and 18 with ssl_crl_dir
// (the bundle's hashed files) and Pgpool-II 4.3 with ssl_crl_file refuse
// app1 and let app2 in; `openssl crl -verify` accepts every CRL and
// `openssl verify -crl_check_all` agrees with the servers. Then, revoking
// the server certificate, pgtls_connection_check with crl_pem reports it the
// way psql (libpq's sslcrl) does.
func TestAccCRL_revocationRealServers(t *testing.T) {
	testserver.RequirePostgres(t)
	testserver.RequirePostgresVersion(t, 18)
	testserver.RequirePgpool(t)
	live := &crlLive{}
	var serverCert string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:          crlPKIConfig(`[pgtls_client_cert.app1]`),
				ConfigVariables: live.vars(),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("pgtls_crl.issuing", "entries.#", "1"),
					resource.TestCheckResourceAttr("pgtls_crl.issuing", "entries.0.reason", "unspecified"),
					resource.TestCheckResourceAttrPair("pgtls_crl.issuing", "entries.0.serial_number", "pgtls_client_cert.app1", "serial_number"),
					resource.TestCheckResourceAttrPair("pgtls_crl.issuing", "entries.0.expires_at", "pgtls_client_cert.app1", "not_after"),
					resource.TestCheckResourceAttr("pgtls_crl.root", "entries.#", "0"),
					resource.TestCheckResourceAttr("pgtls_crl_bundle.chain", "crl_dir_files.%", "2"),
					func(s *terraform.State) error {
						serverCert, _ = stateAttr(s, "pgtls_server_cert.db", "cert_pem")
						return checkRevocationServers(t, s, live)
					},
				),
			},
			{
				// app2 logs in through the data source with the bundle as
				// sslcrl: the server certificate is not revoked.
				Config:          crlPKIConfig(`[pgtls_client_cert.app1]`) + checkSource("clean", "success"),
				ConfigVariables: live.vars(),
			},
			{
				// The server's certificate is revoked too: the data source
				// and psql with the same CRL refuse the server.
				Config: crlPKIConfig(`[pgtls_client_cert.app1, { cert_pem = pgtls_server_cert.db.cert_pem, reason = "key_compromise" }]`) +
					checkSource("revoked", "failure"),
				ConfigVariables: live.vars(),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("pgtls_crl.issuing", "entries.#", "2"),
					resource.TestCheckResourceAttr("pgtls_crl.issuing", "entries.1.reason", "key_compromise"),
					func(s *terraform.State) error { return compareWithPsql(t, s, live.pg, serverCert) },
				),
			},
		},
	})
}

func checkRevocationServers(t *testing.T, s *terraform.State, live *crlLive) error {
	get := func(addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	root := get("pgtls_root_ca.root", "cert_pem")
	bundle := get("pgtls_crl_bundle.chain", "crl_pem")
	var errs []string
	login := func(port int, user string) (bool, string) {
		ci := map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(port), "user": user, "dbname": "postgres",
			"sslmode": "verify-full", "connect_timeout": "10"}
		cert := "pgtls_client_cert." + user
		r := testserver.Psql(t, ci, testserver.ClientTLS{RootCertPEM: root, CertPEM: get(cert, "fullchain_pem"), KeyPEM: get(cert, "private_key_pem")},
			"SELECT current_user")
		return r.ExitCode == 0 && strings.TrimSpace(r.Stdout) == user, strings.TrimSpace(r.Stderr)
	}
	expect := func(where string, port int, log func() string) {
		if ok, msg := login(port, "app2"); !ok {
			errs = append(errs, fmt.Sprintf("%s: app2 (not revoked) refused: %s\n%s", where, msg, log()))
		}
		if ok, msg := login(port, "app1"); ok || !strings.Contains(msg, "certificate revoked") {
			errs = append(errs, fmt.Sprintf("%s: app1 (revoked) not refused as revoked: ok=%v %s", where, ok, msg))
		}
	}
	serverTLS := func(v int, crlFile string, settings map[string]string) *testserver.Postgres {
		return testserver.StartPostgres(t, testserver.PostgresConfig{Version: v, SSL: true,
			CertPEM: get("pgtls_server_cert.db", "fullchain_pem"), KeyPEM: get("pgtls_server_cert.db", "private_key_pem"),
			CAPEM: root, CRLPEM: crlFile, HBA: "hostssl all all 127.0.0.1/32 cert\n", Roles: []string{"app1", "app2"}, Settings: settings})
	}
	// PostgreSQL 15 (Debian): ssl_crl_file = the bundle. It is also the
	// server the later steps check with pgtls_connection_check.
	live.pg = serverTLS(0, bundle, nil)
	expect("PostgreSQL 15 ssl_crl_file", live.pg.Port, live.pg.Log)

	// PostgreSQL 18: ssl_crl_dir = the bundle's hashed files.
	pg18 := serverTLS(18, "", nil)
	files := map[string]string{}
	for k, v := range s.RootModule().Resources["pgtls_crl_bundle.chain"].Primary.Attributes {
		if name, ok := strings.CutPrefix(k, "crl_dir_files."); ok && name != "%" {
			files[name] = v
		}
	}
	for name, content := range files {
		pg18.WriteFile(t, "crldir/"+name, content)
	}
	pg18.Exec(t, "ALTER SYSTEM SET ssl_crl_dir = "+testserver.QuoteLiteral(filepath.Join(pg18.Dir, "crldir")))
	pg18.Reload(t)
	expect("PostgreSQL 18 ssl_crl_dir", pg18.Port, pg18.Log)

	// The hashed names are those openssl rehash gives the same CRLs.
	dir := t.TempDir()
	for i, crl := range []string{get("pgtls_crl.root", "crl_pem"), get("pgtls_crl.issuing", "crl_pem")} {
		writeTemp(t, dir, fmt.Sprintf("crl%d.pem", i), crl)
	}
	if out, err := runOpenSSL(t, "rehash", dir); err != nil {
		errs = append(errs, "openssl rehash: "+out)
	}
	for name, content := range files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(data) != content {
			errs = append(errs, fmt.Sprintf("openssl rehash did not make %s with the bundle's content: %v", name, err))
		}
	}

	// Pgpool-II 4.3: ssl_crl_file = the bundle.
	backend := testserver.StartPostgres(t, testserver.PostgresConfig{Roles: []string{"app1", "app2"}})
	crlFile := backend.WriteFile(t, "pgpool.crl", bundle)
	pp := testserver.StartPgpool(t, testserver.PgpoolConfig{Backend: backend,
		CertPEM: get("pgtls_server_cert.db", "fullchain_pem"), KeyPEM: get("pgtls_server_cert.db", "private_key_pem"), CAPEM: root,
		Conf: map[string]string{"ssl_crl_file": "'" + crlFile + "'"}, PoolHBA: "local all all trust\nhostssl all all 127.0.0.1/32 cert\n"})
	expect("Pgpool-II ssl_crl_file", pp.Port, pp.Log)

	// openssl: every CRL verifies with its CA, and verify -crl_check_all
	// with the bundle agrees with the servers.
	for _, c := range []struct{ crl, ca string }{{"pgtls_crl.root", "pgtls_root_ca.root"}, {"pgtls_crl.issuing", "pgtls_intermediate_ca.issuing"}} {
		out, err := runOpenSSL(t, "crl", "-in", writeTemp(t, dir, "one.crl", get(c.crl, "crl_pem")), "-noout", "-verify",
			"-CAfile", writeTemp(t, dir, "one-ca.pem", get(c.ca, "cert_pem")))
		if err != nil || !strings.Contains(out, "verify OK") {
			errs = append(errs, fmt.Sprintf("openssl crl -verify %s: %v %s", c.crl, err, out))
		}
	}
	for user, want := range map[string]string{"app2": ": OK", "app1": "certificate revoked"} {
		out, _ := runOpenSSL(t, "verify", "-crl_check_all", "-purpose", "sslclient", "-CAfile", writeTemp(t, dir, "root.pem", root),
			"-untrusted", writeTemp(t, dir, "inter.pem", get("pgtls_intermediate_ca.issuing", "cert_pem")),
			"-CRLfile", writeTemp(t, dir, "bundle.crl", bundle), writeTemp(t, dir, "leaf.pem", get("pgtls_client_cert."+user, "cert_pem")))
		if !strings.Contains(out, want) {
			errs = append(errs, fmt.Sprintf("openssl verify -crl_check_all %s: want %q, got %s", user, want, out))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("revocation:\n%s", strings.Join(errs, "\n"))
	}
	return nil
}

// compareWithPsql: for each sslmode the data source checked, psql with the
// same CRL file (sslcrl) and root fails the same way.
func compareWithPsql(t *testing.T, s *terraform.State, pg *testserver.Postgres, serverCert string) error {
	get := func(addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	const ds = "data.pgtls_connection_check.revoked"
	var errs []string
	if got := get("pgtls_server_cert.db", "cert_pem"); got != serverCert {
		errs = append(errs, "the server certificate changed between the steps")
	}
	for _, mode := range []string{"require", "verify-ca", "verify-full"} {
		success := get(ds, "results."+mode+".success")
		category := get(ds, "results."+mode+".category")
		msg := get(ds, "results."+mode+".error")
		r := testserver.Psql(t, map[string]string{"host": "localhost", "hostaddr": "127.0.0.1", "port": strconv.Itoa(pg.Port), "user": "app2",
			"dbname": "postgres", "sslmode": mode, "connect_timeout": "10"},
			testserver.ClientTLS{RootCertPEM: get("pgtls_root_ca.root", "cert_pem"), CertPEM: get("pgtls_client_cert.app2", "fullchain_pem"),
				KeyPEM: get("pgtls_client_cert.app2", "private_key_pem"), CRLPEM: get("pgtls_crl_bundle.chain", "crl_pem")}, "SELECT 1")
		psqlOK := r.ExitCode == 0
		if success != strconv.FormatBool(psqlOK) || success != "false" {
			errs = append(errs, fmt.Sprintf("%s: data source success=%s, psql success=%v (%s)", mode, success, psqlOK, r.Stderr))
		}
		if category != "cert-verify" || !strings.Contains(msg, "certificate verify failed") || !strings.Contains(r.Stderr, "certificate verify failed") {
			errs = append(errs, fmt.Sprintf("%s: data source %s %q, psql %q: both should say certificate verify failed", mode, category, msg, r.Stderr))
		}
		if !regexp.MustCompile(`revoked`).MatchString(msg) {
			errs = append(errs, fmt.Sprintf("%s: the data source does not say the certificate is revoked: %q", mode, msg))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("pgtls_connection_check vs psql:\n%s", strings.Join(errs, "\n"))
	}
	return nil
}

// TestAccCRL_planRefusals: under the CLI, every CRL problem that depends on
// known inputs fails `terraform plan`, on the attribute: a CA without
// cRLSign, a key that is not the CA's, a certificate of another CA, and a
// bundle that lacks the root's CRL while the chain needs it.
func TestAccCRL_planRefusals(t *testing.T) {
	noCRLSign := testpki.NewCAFrom(t, &x509.Certificate{Subject: pkix.Name{CommonName: "no crl sign"}, KeyUsage: x509.KeyUsageCertSign}, nil)
	base := `
resource "pgtls_root_ca" "root" {
  subject = { common_name = "refusals root" }
}

resource "pgtls_intermediate_ca" "issuing" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "refusals issuing" }
}

resource "pgtls_client_cert" "foreign" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "foreign"
}

resource "pgtls_crl" "issuing" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
}
`
	crl := func(body string) string { return "\nresource \"pgtls_crl\" \"bad\" {\n" + body + "\n}\n" }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: planRefusalSteps(base, []planRefusal{
			{"CA without cRLSign", crl(fmt.Sprintf("ca_cert_pem = %s\nca_private_key_pem = %s", hclString(noCRLSign.PEM), hclString(noCRLSign.KeyPEM))),
				words("lacks the cRLSign key usage")},
			{"key of another CA", crl("ca_cert_pem = pgtls_intermediate_ca.issuing.cert_pem\nca_private_key_pem = pgtls_root_ca.root.private_key_pem"),
				words("does not match the public key")},
			{"a certificate of another CA", crl("ca_cert_pem = pgtls_intermediate_ca.issuing.cert_pem\nca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem\nrevoked = [pgtls_client_cert.foreign]"),
				words("can only revoke its own CA's certificates")},
			{"bundle without the root's CRL", `
resource "pgtls_crl_bundle" "bad" {
  crls         = [pgtls_crl.issuing]
  ca_certs_pem = "${pgtls_root_ca.root.cert_pem}${pgtls_intermediate_ca.issuing.cert_pem}"
}
`, words(`no CRL from CA "CN=refusals root"`)},
		}),
	})
}
