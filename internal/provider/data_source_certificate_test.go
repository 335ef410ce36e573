package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccCertificateDataSource(t *testing.T) {
	cfg := `
resource "pgtls_root_ca" "root" {
  subject = { common_name = "ds root", organization = "pgtls" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["db.example.test"]
  ip_addresses       = ["10.0.0.7"]
  key_type           = "ecdsa-p384"
}

data "pgtls_certificate" "chain" {
  pem = "${pgtls_server_cert.db.cert_pem}${pgtls_root_ca.root.cert_pem}"
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.#", "2"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.0.subject", "CN=db.example.test"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.0.issuer", "CN=ds root,O=pgtls"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.0.dns_names.0", "db.example.test"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.0.ip_addresses.0", "10.0.0.7"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.0.is_ca", "false"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.0.key_type", "ecdsa-p384"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.1.is_ca", "true"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.chain", "certificates.1.self_signed", "true"),
				resource.TestCheckResourceAttrPair("data.pgtls_certificate.chain", "certificates.0.serial_number", "pgtls_server_cert.db", "serial_number"),
				resource.TestCheckResourceAttrPair("data.pgtls_certificate.chain", "certificates.0.fingerprint_sha256", "pgtls_server_cert.db", "fingerprint_sha256"),
				resource.TestCheckResourceAttrPair("data.pgtls_certificate.chain", "certificates.0.not_after", "pgtls_server_cert.db", "not_after"),
				resource.TestCheckResourceAttrPair("data.pgtls_certificate.chain", "certificates.1.cert_pem", "pgtls_root_ca.root", "cert_pem"),
			),
		}},
	})
}

func TestAccCertificateDataSource_badPEM(t *testing.T) {
	for name, pem := range map[string]string{
		"not PEM":       "hello",
		"private key":   "-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIA==\\n-----END PRIVATE KEY-----\\n",
		"trailing junk": "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\ngarbage",
	} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      `data "pgtls_certificate" "x" { pem = "` + pem + `" }`,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(`Invalid certificate PEM`),
				}},
			})
		})
	}
}
