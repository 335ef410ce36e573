package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const rootOnly = `
resource "pgtls_root_ca" "root" {
  subject = { common_name = "server test root" }
  key_type = "rsa-2048"
}
`

func TestAccServerCert_basic(t *testing.T) {
	cfg := rootOnly + `
resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["db.example.test", "*.replicas.example.test"]
  ip_addresses       = ["127.0.0.1", "::1"]
  key_type           = "rsa-2048"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("pgtls_server_cert.db", tfjsonpath.New("common_name"), knownvalue.StringExact("db.example.test")),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("pgtls_server_cert.db", tfjsonpath.New("ready_for_renewal"), knownvalue.Bool(false)),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("pgtls_server_cert.db", "ca_bundle_pem", "pgtls_root_ca.root", "cert_pem"),
				resource.TestCheckResourceAttrPair("pgtls_server_cert.db", "fullchain_pem", "pgtls_server_cert.db", "cert_pem"),
				checkOpenSSLText(t, "pgtls_server_cert.db", "cert_pem",
					"CA:FALSE", "Digital Signature, Key Encipherment", "TLS Web Server Authentication",
					"DNS:db.example.test", "DNS:*.replicas.example.test", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
					"sha256WithRSAEncryption", "Authority Key Identifier"),
				checkOpenSSLVerify(t, "pgtls_root_ca.root", "pgtls_server_cert.db", "fullchain_pem", "sslserver"),
			),
		}},
	})
}

func TestAccServerCert_badInput(t *testing.T) {
	leaf := func(body string) string {
		return rootOnly + `
resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
` + body + "\n}\n"
	}
	for _, tc := range []struct{ name, body, want string }{
		{"no SAN", `common_name = "db.example.test"`, `(?s)Server certificate without subjectAltName`},
		{"wildcard not leading", `dns_names = ["db.*.example.test"]`, `(?s)Invalid DNS name.*db\.\*\.example\.test`},
		{"partial wildcard label", `dns_names = ["db*.example.test"]`, `(?s)Invalid DNS name.*db\*\.example\.test`},
		{"bad IP", `ip_addresses = ["10.0.0.300"]`, `(?s)Invalid IP address.*10\.0\.0\.300`},
		{"rsa-1024", "dns_names = [\"x.example.test\"]\n  key_type = \"rsa-1024\"", `(?s)Unsupported key type.*2048`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      leaf(tc.body),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}
