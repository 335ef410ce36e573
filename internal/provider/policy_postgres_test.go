package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// The whole chain end to end on a real PostgreSQL 15: certificates, a
// pg_hba.conf and pg_ident.conf rendered by pgtls (cert + map, clientname=DN
// with a DN full of characters that need escaping, no plaintext), and the
// connection check proving who gets in.
const policyConfig = liveServerPKI + `
resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
  subject            = { common_name = "app-service" }
}

resource "pgtls_client_cert" "reporting" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "reporting"
  subject = {
    common_name         = "Reporting, \"BI\" #1"
    organization        = "Acme+Co"
    organizational_unit = "Müller & Söhne"
  }
}

resource "pgtls_ident_map" "certs" {
  name     = "certs"
  mappings = [{ system_user = "app-service", database_user = "app" }]
}

resource "pgtls_ident_map" "dns" {
  name = "dns"
  # The DN as it is (blanks, commas, '#', quotes, \C3\BC escapes): pgtls quotes it.
  mappings = [{
    system_user   = pgtls_client_cert.reporting.subject_dn
    database_user = "reporting"
  }]
}

resource "pgtls_hba_file" "db" {
  rules = [
    { type = "hostnossl", address = "127.0.0.1/32", method = "reject", comment = "never without TLS" },
    { type = "hostssl", users = ["app"], address = "127.0.0.1/32", method = "cert", map = "certs" },
    { type = "hostssl", users = ["reporting"], address = "127.0.0.1/32", method = "cert", clientname = "DN", map = "dns" },
  ]
  ident_maps = [pgtls_ident_map.certs, pgtls_ident_map.dns]
}

resource "pgtls_ident_file" "db" {
  maps = [pgtls_ident_map.certs, pgtls_ident_map.dns]
}
`

func policyCheck(name, user, cert, expect string) string {
	return `
data "pgtls_connection_check" "` + name + `" {
  host            = "localhost"
  port            = var.port
  database        = "postgres"
  user            = "` + user + `"
  sslmodes        = ["disable", "verify-full"]
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.` + cert + `.cert_pem
  client_key_pem  = pgtls_client_cert.` + cert + `.private_key_pem
  expect          = { disable = "failure", "verify-full" = "` + expect + `" }
}
`
}

func TestAccPolicy_realPostgres(t *testing.T) {
	testserver.RequirePostgres(t)
	live := &liveServer{}
	vars := live.vars()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:          policyConfig,
			ConfigVariables: vars,
			Check: func(s *terraform.State) error {
				get := func(addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
				ident := get("pgtls_ident_file.db", "sensitive_content")
				if dn := get("pgtls_client_cert.reporting", "subject_dn"); !strings.Contains(dn, `\C3\BC`) || !strings.Contains(ident, `\C3\BC`) {
					t.Errorf("the DN should carry OpenSSL's \\C3\\BC escape for ü: subject_dn %q, pg_ident.conf %q", dn, ident)
				}
				pg := live.start(t, s, get("pgtls_hba_file.db", "sensitive_content"), ident, "app", "reporting")
				// PostgreSQL itself reads every rendered line without error.
				rows := pg.QueryNullable(t, "SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL OR auth_method IS NULL")
				if len(rows) > 0 {
					t.Errorf("PostgreSQL refuses rendered pg_hba.conf lines: %v", rows)
				}
				rows = pg.QueryNullable(t, "SELECT line_number, error FROM pg_ident_file_mappings WHERE error IS NOT NULL")
				if len(rows) > 0 {
					t.Errorf("PostgreSQL refuses rendered pg_ident.conf lines: %v", rows)
				}
				return nil
			},
		}, {
			Config: policyConfig +
				policyCheck("app", "app", "app", "success") +
				policyCheck("reporting", "reporting", "reporting", "success") +
				policyCheck("app_as_reporting", "reporting", "app", "failure") +
				policyCheck("reporting_as_app", "app", "reporting", "failure"),
			ConfigVariables: vars,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.pgtls_connection_check.app", "results.verify-full.authenticated_user", "app"),
				resource.TestCheckResourceAttr("data.pgtls_connection_check.reporting", "results.verify-full.authenticated_user", "reporting"),
				resource.TestCheckResourceAttr("data.pgtls_connection_check.app_as_reporting", "results.verify-full.sqlstate", "28000"),
			),
		}},
	})
}
