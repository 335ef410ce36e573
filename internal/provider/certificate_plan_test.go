package provider

// Acceptance tests: every input a certificate resource refuses is refused
// by `terraform plan` (PlanOnly steps), not only by apply, with real CLIs.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

type planRefusal struct {
	name, config, want string
}

// planRefusalSteps applies base (so the CAs in it are known at plan time),
// then plans base plus each refused configuration and expects the error,
// and ends on base so the destroy runs on a valid configuration.
func planRefusalSteps(base string, refusals []planRefusal) []resource.TestStep {
	steps := []resource.TestStep{{Config: base}}
	for _, r := range refusals {
		steps = append(steps, resource.TestStep{
			Config:      base + r.config,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(r.want),
		})
	}
	return append(steps, resource.TestStep{Config: base})
}

// withValidity adds a 10-hour validity (within the test CAs') unless body
// sets one.
func withValidity(body string) string {
	if strings.Contains(body, "validity_period_hours") {
		return body
	}
	return body + "\n  validity_period_hours = 10"
}

// words matches a phrase that Terraform may have wrapped across lines.
func words(s string) string {
	return strings.Join(strings.Fields(regexp.QuoteMeta(s)), `\s+`)
}

func TestAccRootCA_planRefusals(t *testing.T) {
	root := func(extra string) string {
		return fmt.Sprintf("\nresource \"pgtls_root_ca\" \"bad\" {\n  subject = { common_name = \"bad\" }\n  %s\n}\n", extra)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: planRefusalSteps(rootCAConfig(""), []planRefusal{
			// Issue 7: 5124096 hours used to give a 30-minute certificate,
			// 100000000 failed at apply.
			{"overflowing validity", root("validity_period_hours = 5124096"), `(?s)Invalid validity period.*5124096.*` + words("at most 2562047 hours")},
			{"huge validity", root("validity_period_hours = 100000000"), `(?s)Invalid validity period.*100000000.*9999-12-31T23:59:59Z`},
			{"zero validity", root("validity_period_hours = 0"), `(?s)Invalid validity period.*` + words("at least 1 hour")},
			{"negative renewal window", root("early_renewal_hours = -1"), `(?s)Invalid early renewal window.*-1`},
			{"renewal window past the limit", root("early_renewal_hours = 2562048"), `(?s)Invalid early renewal window.*2562048`},
			{"renewal window covers the validity", root("validity_period_hours = 10\n  early_renewal_hours = 10"), `(?s)` + words("early_renewal_hours (10) must be less than validity_period_hours (10)")},
			{"path length below -1", root("max_path_length = -2"), `(?s)Invalid max path length.*-2`},
			{"path length past 2^31-1", root("max_path_length = 2147483648"), `(?s)Invalid max path length.*2147483648.*2147483647`},
			{"bad constraint", root(`permitted_ip_ranges = ["10.0.0.1/8"]`), `(?s)10.0.0.1/8.*host bits`},
			{"rsa-1024", root(`key_type = "rsa-1024"`), `(?s)rsa-1024.*2048`},
		}),
	})
}

func TestAccIntermediateCA_planRefusals(t *testing.T) {
	base := `
resource "pgtls_root_ca" "root" {
  subject               = { common_name = "plan root" }
  validity_period_hours = 1000
}
resource "pgtls_root_ca" "zero" {
  subject               = { common_name = "plan pathlen zero" }
  validity_period_hours = 1000
  max_path_length       = 0
}
`
	inter := func(ca, body string) string {
		return fmt.Sprintf(`
resource "pgtls_intermediate_ca" "bad" {
  ca_cert_pem        = pgtls_root_ca.%s.cert_pem
  ca_private_key_pem = pgtls_root_ca.%s.private_key_pem
  subject            = { common_name = "bad" }
  %s
}`, ca, ca, body)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: planRefusalSteps(base, []planRefusal{
			{"outlives the root", inter("root", "validity_period_hours = 2000"), `(?s)cannot sign this CA.*validity_period_hours.*` + words("outlive its issuer")},
			{"below pathlen 0", inter("zero", "validity_period_hours = 10"), `(?s)cannot sign this CA.*ca_cert_pem.*pathlen:0`},
			{"key does not match", `
resource "pgtls_intermediate_ca" "bad" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.zero.private_key_pem
  subject            = { common_name = "bad" }
  validity_period_hours = 10
}`, `(?s)ca_private_key_pem.*does not match`},
			{"chain that does not link", inter("root", "validity_period_hours = 10\n  ca_chain_pem = pgtls_root_ca.zero.cert_pem"), `(?s)ca_chain_pem.*` + words("does not link")},
			{"overflowing validity", inter("root", "validity_period_hours = 5124096"), `(?s)Invalid validity period.*5124096`},
			{"path length past 2^31-1", inter("root", "validity_period_hours = 10\n  max_path_length = 2147483648"), `(?s)Invalid max path length`},
		}),
	})
}

// foreignCA writes a CA made by openssl with extra extensions to dir and
// returns the paths of its certificate and key.
func foreignCA(t *testing.T, dir, name string, exts ...string) (string, string) {
	cert, key := opensslForeignCA(t, exts...)
	c, k := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(c, []byte(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	return c, k
}

func TestAccServerCert_planRefusals(t *testing.T) {
	dir := t.TempDir()
	clientOnlyCert, clientOnlyKey := foreignCA(t, dir, "client-only", "extendedKeyUsage=clientAuth")
	base := `
resource "pgtls_root_ca" "root" {
  subject               = { common_name = "plan root" }
  validity_period_hours = 1000
  permitted_dns_domains = ["example.com"]
  permitted_ip_ranges   = ["10.0.0.0/8"]
}
`
	server := func(body string) string {
		return `
resource "pgtls_server_cert" "bad" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  ` + withValidity(body) + "\n}\n"
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: planRefusalSteps(base, []planRefusal{
			// Issue 7 section 5: refused at plan, not after creating the root.
			{"localhost outside permitted_dns_domains", server(`dns_names = ["localhost"]`),
				`(?s)cannot sign this certificate.*dns_names.*` + words(`DNS name "localhost" is outside the permitted DNS domains [example.com]`)},
			{"IP outside permitted_ip_ranges", server(`dns_names = ["db.example.com"]` + "\n  ip_addresses = [\"127.0.0.1\"]"),
				`(?s)ip_addresses.*` + words("IP address 127.0.0.1 is outside the permitted IP ranges [10.0.0.0/8]")},
			{"foreign CA without serverAuth", fmt.Sprintf(`
resource "pgtls_server_cert" "bad" {
  ca_cert_pem           = file(%q)
  ca_private_key_pem    = file(%q)
  dns_names             = ["db.corp.test"]
  validity_period_hours = 10
}`, clientOnlyCert, clientOnlyKey), `(?s)ca_cert_pem.*` + words("does not allow serverAuth")},
			{"outlives the root", server(`dns_names = ["db.example.com"]` + "\n  validity_period_hours = 1001"),
				`(?s)validity_period_hours.*` + words("outlive its issuer")},
			{"overflowing validity", server(`dns_names = ["db.example.com"]` + "\n  validity_period_hours = 5124096"),
				`(?s)Invalid validity period.*5124096`},
			{"no SAN", server(`subject = { common_name = "db.example.com" }`), `(?s)Server certificate without subjectAltName`},
			{"bad subject", server(`dns_names = ["db.example.com"]` + "\n  subject = { country = \"Germany\" }"), `(?s)Invalid subject.*Germany`},
		}),
	})
}

func TestAccClientCert_planRefusals(t *testing.T) {
	dir := t.TempDir()
	serverOnlyCert, serverOnlyKey := foreignCA(t, dir, "server-only", "extendedKeyUsage=serverAuth")
	emailCert, emailKey := foreignCA(t, dir, "email", "nameConstraints=critical,permitted;email:example.com")
	base := `
resource "pgtls_root_ca" "root" {
  subject               = { common_name = "plan root" }
  validity_period_hours = 1000
  permitted_dns_domains = ["example.com"]
}
`
	client := func(body string) string {
		return `
resource "pgtls_client_cert" "bad" {
  ca_cert_pem           = pgtls_root_ca.root.cert_pem
  ca_private_key_pem    = pgtls_root_ca.root.private_key_pem
  ` + withValidity(body) + "\n}\n"
	}
	foreign := func(cert, key, body string) string {
		return fmt.Sprintf(`
resource "pgtls_client_cert" "bad" {
  ca_cert_pem           = file(%q)
  ca_private_key_pem    = file(%q)
  validity_period_hours = 10
  %s
}`, cert, key, body)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: planRefusalSteps(base, []planRefusal{
			{"host-like CN outside the constraint", client(`user = "john.doe"`), `(?s)user.*"john.doe"`},
			{"DNS SAN outside the constraint", client("user = \"app\"\n  dns_names = [\"app.other.org\"]"), `(?s)dns_names.*"app.other.org"`},
			{"foreign CA without clientAuth", foreign(serverOnlyCert, serverOnlyKey, `user = "app"`), `(?s)ca_cert_pem.*` + words("does not allow clientAuth")},
			{"email SAN under email constraints", foreign(emailCert, emailKey, "user = \"app\"\n  email_addresses = [\"app@example.com\"]"),
				`(?s)email_addresses.*` + words("pgtls does not evaluate")},
			{"bad email", client("user = \"app\"\n  email_addresses = [\"Alice <a@example.com>\"]"), `(?s)Invalid email address`},
			{"bad URI", client("user = \"app\"\n  uris = [\"example.org/app\"]"), `(?s)Invalid URI.*` + words("has no scheme")},
			{"reserved role", client(`user = "pg_monitor"`), `(?s)Invalid PostgreSQL role name.*pg_`},
			{"outlives the root", client("user = \"app\"\n  validity_period_hours = 1001"), `(?s)validity_period_hours.*` + words("outlive its issuer")},
		}),
	})
}

// TestAccServerCert_subject: the subject of seed 000's server certificate,
// known at plan time as subject_dn, equal to what openssl prints.
func TestAccServerCert_subject(t *testing.T) {
	cfg := rootOnly + `
resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["localhost"]
  subject = {
    country       = "CN"
    province      = "BC"
    organization  = "HighGo"
    email_address = "m.usama@highgo.ca"
  }
}
`
	const dn = "emailAddress=m.usama@highgo.ca,CN=localhost,O=HighGo,ST=BC,C=CN"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("pgtls_server_cert.db", tfjsonpath.New("subject_dn"), knownvalue.StringExact(dn)),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				checkOpenSSLSubject(t, "pgtls_server_cert.db", dn),
				checkOpenSSLText(t, "pgtls_server_cert.db", "Subject: C = CN, ST = BC, O = HighGo, CN = localhost, emailAddress = m.usama@highgo.ca", "DNS:localhost"),
				checkOpenSSLVerify(t, "pgtls_server_cert.db", "sslserver"),
			),
		}, {
			// Another subject replaces the certificate.
			Config: strings.Replace(cfg, `"HighGo"`, `"Other"`, 1),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("pgtls_server_cert.db", plancheck.ResourceActionReplace),
			}},
		}},
	})
}

// TestAccClientCert_sans: DNS (seed 004), email and URI SANs on a client
// certificate, as openssl reads them.
func TestAccClientCert_sans(t *testing.T) {
	cfg := rootOnly + `
resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "client1"
  subject            = { common_name = "PostgreSQL client1" }
  dns_names          = ["anyhost.anydomain"]
  email_addresses    = ["client1@example.com"]
  uris               = ["spiffe://example.org/client1"]
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("pgtls_client_cert.app", tfjsonpath.New("subject_dn"), knownvalue.StringExact("CN=PostgreSQL client1")),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				checkOpenSSLText(t, "pgtls_client_cert.app",
					"DNS:anyhost.anydomain, email:client1@example.com, URI:spiffe://example.org/client1", "TLS Web Client Authentication"),
				checkOpenSSLVerify(t, "pgtls_client_cert.app", "sslclient"),
			),
		}, {
			Config: strings.Replace(cfg, `"client1@example.com"`, `"client1@example.org"`, 1),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("pgtls_client_cert.app", plancheck.ResourceActionReplace),
			}},
		}},
	})
}

// checkOpenSSLSubject asserts that openssl prints the certificate's subject
// in RFC 2253 form exactly as want, and that subject_dn says the same.
func checkOpenSSLSubject(t *testing.T, addr, want string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		pem, _ := stateAttr(s, addr, "cert_pem")
		out, err := runOpenSSL(t, "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", writeTemp(t, t.TempDir(), "c.pem", pem))
		if err != nil {
			return fmt.Errorf("openssl: %w %s", err, out)
		}
		if got := strings.TrimPrefix(out, "subject="); got != want {
			return fmt.Errorf("openssl RFC 2253 subject %q, want %q", got, want)
		}
		if dn, _ := stateAttr(s, addr, "subject_dn"); dn != want {
			return fmt.Errorf("subject_dn %q, want %q", dn, want)
		}
		return nil
	}
}
