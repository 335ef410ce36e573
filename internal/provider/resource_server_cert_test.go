package provider

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
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
					plancheck.ExpectKnownValue("pgtls_server_cert.db", tfjsonpath.New("subject_dn"), knownvalue.StringExact("CN=db.example.test")),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("pgtls_server_cert.db", tfjsonpath.New("ready_for_renewal"), knownvalue.Bool(false)),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("pgtls_server_cert.db", "ca_bundle_pem", "pgtls_root_ca.root", "cert_pem"),
				resource.TestCheckResourceAttrPair("pgtls_server_cert.db", "fullchain_pem", "pgtls_server_cert.db", "cert_pem"),
				checkOpenSSLText(t, "pgtls_server_cert.db",
					"CA:FALSE", "Digital Signature, Key Encipherment", "TLS Web Server Authentication",
					"DNS:db.example.test", "DNS:*.replicas.example.test", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
					"sha256WithRSAEncryption", "Authority Key Identifier"),
				checkOpenSSLVerify(t, "pgtls_server_cert.db", "sslserver"),
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
		{"no SAN", `subject = { common_name = "db.example.test" }`, `(?s)Server certificate without subjectAltName`},
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

// TestAccServerCert_bringYourOwnCA signs with a CA made by openssl (RSA,
// PKCS#1 key, no pgtls involved) and verifies the result with openssl.
func TestAccServerCert_bringYourOwnCA(t *testing.T) {
	dir := t.TempDir()
	keyPath, certPath := dir+"/ca.key", dir+"/ca.crt"
	if out, err := runOpenSSL(t, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
		"-keyout", keyPath+".pk8", "-out", certPath, "-days", "30", "-subj", "/O=Corp/CN=Corporate CA",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"); err != nil {
		t.Fatalf("openssl req: %v: %s", err, out)
	}
	// Hand the provider the PKCS#1 ("BEGIN RSA PRIVATE KEY") form older CAs use.
	if out, err := runOpenSSL(t, "rsa", "-in", keyPath+".pk8", "-traditional", "-out", keyPath); err != nil {
		t.Fatalf("openssl rsa: %v: %s", err, out)
	}
	cfg := fmt.Sprintf(`
resource "pgtls_server_cert" "db" {
  ca_cert_pem           = file(%q)
  ca_private_key_pem    = file(%q)
  dns_names             = ["db.corp.test"]
  validity_period_hours = 24
}

data "pgtls_certificate" "ca" {
  pem = file(%q)
}
`, certPath, keyPath, certPath)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.pgtls_certificate.ca", "certificates.0.subject", "CN=Corporate CA,O=Corp"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.ca", "certificates.0.key_type", "rsa-2048"),
				resource.TestCheckResourceAttr("data.pgtls_certificate.ca", "certificates.0.is_ca", "true"),
				func(s *terraform.State) error {
					leaf, _ := stateAttr(s, "pgtls_server_cert.db", "cert_pem")
					bundle, _ := stateAttr(s, "pgtls_server_cert.db", "ca_bundle_pem")
					caPEM, _ := os.ReadFile(certPath)
					if strings.TrimSpace(bundle) != strings.TrimSpace(string(caPEM)) {
						return fmt.Errorf("ca_bundle_pem is not the openssl CA:\n%s", bundle)
					}
					out, err := runOpenSSL(t, "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", certPath,
						writeTemp(t, t.TempDir(), "leaf.pem", leaf))
					if err != nil {
						return fmt.Errorf("openssl verify: %w: %s", err, out)
					}
					return nil
				},
			),
		}, {
			// A leaf outliving the foreign CA is refused at plan time.
			Config:      strings.Replace(cfg, "validity_period_hours = 24", "validity_period_hours = 1000", 1),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)cannot sign this certificate.*Corporate\s+CA.*outlive\s+its\s+issuer`),
		}, {
			Config: cfg,
		}},
	})
}
