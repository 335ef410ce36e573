package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const chainConfig = `
resource "pgtls_root_ca" "root" {
  subject = { common_name = "chain root" }
}

resource "pgtls_intermediate_ca" "one" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "chain intermediate one" }
  max_path_length    = 1
}

resource "pgtls_intermediate_ca" "two" {
  ca_cert_pem           = pgtls_intermediate_ca.one.cert_pem
  ca_private_key_pem    = pgtls_intermediate_ca.one.private_key_pem
  ca_chain_pem          = "${pgtls_intermediate_ca.one.chain_pem}${pgtls_intermediate_ca.one.ca_bundle_pem}"
  subject               = { common_name = "chain intermediate two" }
  validity_period_hours = 20000
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_intermediate_ca.two.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.two.private_key_pem
  ca_chain_pem       = "${pgtls_intermediate_ca.two.chain_pem}${pgtls_intermediate_ca.two.ca_bundle_pem}"
  dns_names          = ["db.example.test"]
}

resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_intermediate_ca.two.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.two.private_key_pem
  ca_chain_pem       = pgtls_intermediate_ca.two.chain_pem
  user               = "app"
}
`

// checkOpenSSLVerify runs `openssl verify -purpose <purpose>` on a leaf with
// the root (pgtls_root_ca.root) as the only trust anchor and its
// fullchain_pem as untrusted intermediates.
func checkOpenSSLVerify(t *testing.T, leafAddr, purpose string) resource.TestCheckFunc {
	const rootAddr, chainAttr = "pgtls_root_ca.root", "fullchain_pem"
	return func(s *terraform.State) error {
		rootPEM, _ := stateAttr(s, rootAddr, "cert_pem")
		leafPEM, _ := stateAttr(s, leafAddr, "cert_pem")
		chainPEM, _ := stateAttr(s, leafAddr, chainAttr)
		dir := t.TempDir()
		out, err := runOpenSSL(t, "verify", "-x509_strict", "-purpose", purpose,
			"-CAfile", writeTemp(t, dir, "root.pem", rootPEM),
			"-untrusted", writeTemp(t, dir, "chain.pem", chainPEM),
			writeTemp(t, dir, "leaf.pem", leafPEM))
		if err != nil {
			return fmt.Errorf("openssl verify -purpose %s %s: %w: %s", purpose, leafAddr, err, out)
		}
		return nil
	}
}

func TestAccIntermediateCA_chain(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: chainConfig,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					// The root is known as soon as the root CA exists; here it
					// does not yet, so only check the shape of the plan.
					plancheck.ExpectResourceAction("pgtls_intermediate_ca.two", plancheck.ResourceActionCreate),
				},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("pgtls_intermediate_ca.one", "ca_bundle_pem", "pgtls_root_ca.root", "cert_pem"),
				resource.TestCheckResourceAttrPair("pgtls_intermediate_ca.two", "ca_bundle_pem", "pgtls_root_ca.root", "cert_pem"),
				resource.TestCheckResourceAttrPair("pgtls_server_cert.db", "ca_bundle_pem", "pgtls_root_ca.root", "cert_pem"),
				// ca_chain_pem without the root: the anchor is unknown, so empty.
				resource.TestCheckResourceAttr("pgtls_client_cert.app", "ca_bundle_pem", ""),
				func(s *terraform.State) error {
					one, _ := stateAttr(s, "pgtls_intermediate_ca.one", "cert_pem")
					two, _ := stateAttr(s, "pgtls_intermediate_ca.two", "cert_pem")
					chain, _ := stateAttr(s, "pgtls_intermediate_ca.two", "chain_pem")
					if chain != two+one {
						return fmt.Errorf("chain_pem of two is not two+one (root excluded):\n%s", chain)
					}
					leaf, _ := stateAttr(s, "pgtls_server_cert.db", "cert_pem")
					full, _ := stateAttr(s, "pgtls_server_cert.db", "fullchain_pem")
					if full != leaf+two+one {
						return fmt.Errorf("fullchain_pem is not leaf+two+one:\n%s", full)
					}
					return nil
				},
				checkOpenSSLText(t, "pgtls_intermediate_ca.one", "CA:TRUE, pathlen:1", "Authority Key Identifier"),
				checkOpenSSLText(t, "pgtls_intermediate_ca.two", "CA:TRUE, pathlen:0"),
				checkOpenSSLVerify(t, "pgtls_server_cert.db", "sslserver"),
				checkOpenSSLVerify(t, "pgtls_client_cert.app", "sslclient"),
			),
		}, {
			// With the CAs in state, a new leaf's ca_bundle_pem is known at plan time.
			Config: chainConfig + `
resource "pgtls_server_cert" "replica" {
  ca_cert_pem        = pgtls_intermediate_ca.two.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.two.private_key_pem
  ca_chain_pem       = "${pgtls_intermediate_ca.two.chain_pem}${pgtls_intermediate_ca.two.ca_bundle_pem}"
  ip_addresses       = ["10.0.0.2"]
}`,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("pgtls_server_cert.replica", tfjsonpath.New("ca_bundle_pem"),
						knownvalue.StringRegexp(regexp.MustCompile(`^-----BEGIN CERTIFICATE-----`))),
					plancheck.ExpectKnownValue("pgtls_server_cert.replica", tfjsonpath.New("subject_dn"), knownvalue.StringExact("CN=10.0.0.2")),
					plancheck.ExpectUnknownValue("pgtls_server_cert.replica", tfjsonpath.New("cert_pem")),
				},
			},
		}},
	})
}

func TestAccIntermediateCA_badIssuer(t *testing.T) {
	base := `
resource "pgtls_root_ca" "root" {
  subject               = { common_name = "root" }
  validity_period_hours = 1000
}
resource "pgtls_root_ca" "other" {
  subject = { common_name = "other" }
}
resource "pgtls_server_cert" "leaf" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  dns_names             = ["leaf.example.test"]
  validity_period_hours = 10
}
resource "pgtls_intermediate_ca" "zero" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  subject               = { common_name = "pathlen zero" }
  validity_period_hours = 100
}
`
	steps := []resource.TestStep{{Config: base}}
	for _, tc := range []struct{ name, cfg, want string }{
		{"issuer is not a CA", `
resource "pgtls_intermediate_ca" "bad" {
  ca_cert_pem           = pgtls_server_cert.leaf.cert_pem
  ca_private_key_pem    = pgtls_server_cert.leaf.private_key_pem
  subject               = { common_name = "bad" }
  validity_period_hours = 5
}`, `(?s)ca_cert_pem.*not a CA`},
		{"key does not match", `
resource "pgtls_intermediate_ca" "bad" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.other.private_key_pem
  subject               = { common_name = "bad" }
  validity_period_hours = 5
}`, `(?s)ca_private_key_pem.*does not match`},
		{"outlives issuer", `
resource "pgtls_intermediate_ca" "bad" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  subject               = { common_name = "bad" }
  validity_period_hours = 2000
}`, `(?s)cannot sign this CA.*validity_period_hours.*\d{4}-\d\d-\d\dT.*\d{4}-\d\d-\d\dT.*outlive\s+its\s+issuer`},
		{"path length exhausted", `
resource "pgtls_intermediate_ca" "bad" {
  ca_cert_pem           = pgtls_intermediate_ca.zero.cert_pem
  ca_private_key_pem    = pgtls_intermediate_ca.zero.private_key_pem
  subject               = { common_name = "bad" }
  validity_period_hours = 5
}`, `(?s)ca_cert_pem.*path`},
		{"malformed PEM", `
resource "pgtls_intermediate_ca" "bad" {
  ca_cert_pem        = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "bad" }
}`, `(?s)Invalid certificate PEM.*ca_cert_pem.*malformed`},
	} {
		steps = append(steps, resource.TestStep{
			Config:      base + tc.cfg,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(tc.want),
		})
		_ = tc.name
	}
	// The post-test destroy runs with the last configuration: end on a valid one.
	steps = append(steps, resource.TestStep{Config: base})
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}
