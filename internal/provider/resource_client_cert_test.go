package provider

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccClientCert_basic(t *testing.T) {
	cfg := rootOnly + `
resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}

resource "pgtls_client_cert" "dn" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "reporting"
  subject = {
    common_name         = "reporting, the \"team\""
    organizational_unit = "analytics+bi"
    organization        = "Acme"
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("pgtls_client_cert.app", tfjsonpath.New("subject_dn"), knownvalue.StringExact("CN=app")),
					plancheck.ExpectKnownValue("pgtls_client_cert.dn", tfjsonpath.New("subject_dn"),
						knownvalue.StringExact(`CN=reporting\, the \"team\",OU=analytics\+bi,O=Acme`)),
					plancheck.ExpectSensitiveValue("pgtls_client_cert.app", tfjsonpath.New("private_key_pkcs8_der_base64")),
				},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				checkOpenSSLText(t, "pgtls_client_cert.app", "Subject: CN = app", "TLS Web Client Authentication", "CA:FALSE"),
				checkOpenSSLVerify(t, "pgtls_client_cert.app", "sslclient"),
				// The DN openssl prints in RFC 2253 form is the one computed at plan time.
				func(s *terraform.State) error {
					pem, _ := stateAttr(s, "pgtls_client_cert.dn", "cert_pem")
					want, _ := stateAttr(s, "pgtls_client_cert.dn", "subject_dn")
					out, err := runOpenSSL(t, "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", writeTemp(t, t.TempDir(), "c.pem", pem))
					if err != nil {
						return fmt.Errorf("openssl: %w %s", err, out)
					}
					if got := strings.TrimPrefix(out, "subject="); got != want {
						return fmt.Errorf("openssl RFC 2253 subject %q != subject_dn %q", got, want)
					}
					return nil
				},
				// The .pk8 is unencrypted PKCS#8 DER that openssl reads.
				func(s *terraform.State) error {
					b64, _ := stateAttr(s, "pgtls_client_cert.app", "private_key_pkcs8_der_base64")
					der, err := base64.StdEncoding.DecodeString(b64)
					if err != nil {
						return err
					}
					dir := t.TempDir()
					out, err := runOpenSSL(t, "pkcs8", "-nocrypt", "-inform", "DER", "-in", writeTemp(t, dir, "k.pk8", string(der)))
					if err != nil || !strings.Contains(out, "BEGIN PRIVATE KEY") {
						return fmt.Errorf("openssl pkcs8 cannot read the .pk8: %w %s", err, out)
					}
					return nil
				},
			),
		}},
	})
}

func TestAccClientCert_badRole(t *testing.T) {
	for _, tc := range []struct{ user, want string }{
		{"", `(?s)Invalid PostgreSQL role name`},
		{strings.Repeat("a", 64), `(?s)Invalid PostgreSQL role name.*63`},
		{"pg_monitor", `(?s)Invalid PostgreSQL role name.*pg_`},
		{"public", `(?s)Invalid PostgreSQL role name.*public`},
	} {
		t.Run(tc.user, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: rootOnly + fmt.Sprintf(`
resource "pgtls_client_cert" "bad" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = %q
}`, tc.user),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}
