package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func rootCAConfig(extra string) string {
	return fmt.Sprintf(`
resource "pgtls_root_ca" "root" {
  subject = {
    common_name  = "pgtls test root"
    organization = "pgtls"
  }
  %s
}
`, extra)
}

// checkOpenSSLText asserts that `openssl x509 -text` of a resource's
// cert_pem contains every wanted fragment.
func checkOpenSSLText(t *testing.T, addr string, want ...string) resource.TestCheckFunc {
	const attr = "cert_pem"
	return func(s *terraform.State) error {
		pem, ok := stateAttr(s, addr, attr)
		if !ok {
			return fmt.Errorf("%s.%s not in state", addr, attr)
		}
		out, err := runOpenSSL(t, "x509", "-noout", "-text", "-in", writeTemp(t, t.TempDir(), "c.pem", pem))
		if err != nil {
			return fmt.Errorf("openssl x509: %w: %s", err, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				return fmt.Errorf("openssl x509 -text of %s.%s lacks %q:\n%s", addr, attr, w, out)
			}
		}
		return nil
	}
}

func TestAccRootCA_basic(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: rootCAConfig(""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("pgtls_root_ca.root", tfjsonpath.New("key_type"), knownvalue.StringExact("ecdsa-p256")),
				statecheck.ExpectKnownValue("pgtls_root_ca.root", tfjsonpath.New("validity_period_hours"), knownvalue.Int64Exact(87600)),
				statecheck.ExpectKnownValue("pgtls_root_ca.root", tfjsonpath.New("ready_for_renewal"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("pgtls_root_ca.root", tfjsonpath.New("private_key_pem"), knownvalue.StringRegexp(regexp.MustCompile(`^-----BEGIN PRIVATE KEY-----`))),
				statecheck.ExpectKnownValue("pgtls_root_ca.root", tfjsonpath.New("serial_number"), knownvalue.StringRegexp(regexp.MustCompile(`^[1-9][0-9]{10,}$`))),
				statecheck.ExpectKnownValue("pgtls_root_ca.root", tfjsonpath.New("fingerprint_sha256"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]`))),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectSensitiveValue("pgtls_root_ca.root", tfjsonpath.New("private_key_pem"))},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttrPair("pgtls_root_ca.root", "ca_bundle_pem", "pgtls_root_ca.root", "cert_pem"),
				checkOpenSSLText(t, "pgtls_root_ca.root",
					"CA:TRUE", "Certificate Sign, CRL Sign", "ecdsa-with-SHA256", "Subject Key Identifier",
					"Subject: O = pgtls, CN = pgtls test root"),
			),
		}, {
			// Changing only the renewal window updates in place: same key, same certificate.
			Config: rootCAConfig("early_renewal_hours = 24"),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pgtls_root_ca.root", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("pgtls_root_ca.root", tfjsonpath.New("ready_for_renewal"), knownvalue.Bool(false)),
				},
			},
		}, {
			// Any identity input replaces it.
			Config: rootCAConfig("early_renewal_hours = 24\n  max_path_length = 1"),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("pgtls_root_ca.root", plancheck.ResourceActionReplace)},
			},
			Check: checkOpenSSLText(t, "pgtls_root_ca.root", "CA:TRUE, pathlen:1"),
		}},
	})
}

func TestAccRootCA_keyTypes(t *testing.T) {
	for _, kt := range []struct{ keyType, sigAlg string }{
		{"ecdsa-p384", "ecdsa-with-SHA384"},
		{"rsa-2048", "sha256WithRSAEncryption"},
		{"ed25519", "ED25519"},
	} {
		t.Run(kt.keyType, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: rootCAConfig(fmt.Sprintf("key_type = %q", kt.keyType)),
					Check:  checkOpenSSLText(t, "pgtls_root_ca.root", kt.sigAlg),
				}},
			})
		})
	}
}

func TestAccRootCA_badInput(t *testing.T) {
	cases := []struct {
		name, extra string
		want        string
	}{
		{"rsa-1024", `key_type = "rsa-1024"`, `(?s)rsa-1024.*2048`},
		{"unknown key type", `key_type = "dsa"`, `(?s)"dsa".*ecdsa-p256`},
		{"renewal window too wide", "validity_period_hours = 10\n  early_renewal_hours = 10", `early_renewal_hours \(10\) must be less than\s+validity_period_hours \(10\)`},
		{"bad constraint cidr", `permitted_ip_ranges = ["10.0.0.1/8"]`, `(?s)10.0.0.1/8.*host bits`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      rootCAConfig(tc.extra),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
	t.Run("bad country", func(t *testing.T) {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config: `
resource "pgtls_root_ca" "root" {
  subject = {
    common_name = "x"
    country     = "Germany"
  }
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid subject.*Germany`),
			}},
		})
	})
}

func TestAccRootCA_ed25519Warning(t *testing.T) {
	// The warning does not fail the plan; the certificate is still made.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: rootCAConfig(`key_type = "ed25519"`),
			Check:  resource.TestCheckResourceAttr("pgtls_root_ca.root", "key_type", "ed25519"),
		}},
	})
}

// TestAccRootCA_renewal moves the provider clock into the renewal window and
// expects the plan (not only a refresh) to replace the CA, including with
// ignore_changes = all.
func TestAccRootCA_renewal(t *testing.T) {
	clock := &testClock{}
	cfg := rootCAConfig("validity_period_hours = 100\n  early_renewal_hours = 10")
	var firstSerial string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: clock.factories(),
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: func(s *terraform.State) error {
				firstSerial, _ = stateAttr(s, "pgtls_root_ca.root", "serial_number")
				return nil
			},
		}, {
			// Just before the window: nothing to do.
			PreConfig: func() { clock.set(85 * time.Hour) },
			Config:    cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}, {
			// Inside the window: replaced, and the new CA is not due.
			PreConfig: func() { clock.set(91 * time.Hour) },
			Config:    cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pgtls_root_ca.root", plancheck.ResourceActionReplace),
					plancheck.ExpectUnknownValue("pgtls_root_ca.root", tfjsonpath.New("cert_pem")),
				},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("pgtls_root_ca.root", "ready_for_renewal", "false"),
				func(s *terraform.State) error {
					if v, _ := stateAttr(s, "pgtls_root_ca.root", "serial_number"); v == firstSerial {
						return fmt.Errorf("serial unchanged after renewal: %s", v)
					}
					return nil
				},
			),
		}, {
			// ignore_changes cannot suppress a renewal nor make the plan invalid.
			PreConfig: func() { clock.set(91*time.Hour + 91*time.Hour) },
			Config: rootCAConfig("validity_period_hours = 100\n  early_renewal_hours = 10\n" +
				"  lifecycle {\n    ignore_changes = all\n  }"),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("pgtls_root_ca.root", plancheck.ResourceActionReplace)},
			},
		}, {
			// A refresh that already saw ready_for_renewal = true still plans the replacement.
			PreConfig:          func() { clock.set(91*time.Hour + 91*time.Hour + 91*time.Hour) },
			RefreshState:       true,
			ExpectNonEmptyPlan: true,
		}, {
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("pgtls_root_ca.root", plancheck.ResourceActionReplace)},
			},
		}},
	})
}
