package provider

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/pgtls/terraform-provider-pgtls/internal/testpki"
	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
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

// TestAccCertificateDataSource_openssl describes a corpus of certificates
// made by openssl (every digest, RSA-PSS, Ed448, DSA, brainpool and
// secp256k1 curves, negative and zero serials, foreign-signed) in one
// pgtls_certificate, with the names between the blocks, and compares every
// attribute with what openssl prints for that certificate.
func TestAccCertificateDataSource_openssl(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("SKIP: acceptance test (set TF_ACC=1 and TF_ACC_TERRAFORM_PATH to run it)")
	}
	bin := testserver.RequireOpenSSL(t)
	o := testpki.OpenSSL{Bin: bin, Dir: t.TempDir()}
	corpus := testpki.OpenSSLCorpus(t, bin)
	var pem strings.Builder
	var checks []resource.TestCheckFunc
	const ds = "data.pgtls_certificate.corpus"
	for i, cc := range corpus {
		pem.WriteString(cc.Name + "\n" + cc.PEM)
		f := o.ReadFacts(t, cc.PEM)
		at := func(attr string) string { return fmt.Sprintf("certificates.%d.%s", i, attr) }
		eq := func(attr, want string) { checks = append(checks, resource.TestCheckResourceAttr(ds, at(attr), want)) }
		eq("cert_pem", cc.PEM)
		eq("subject", f.Subject)
		eq("issuer", f.Issuer)
		eq("common_name", f.FirstCN)
		eq("serial_number", f.Serial.String())
		eq("not_before", f.NotBefore.Format(time.RFC3339))
		eq("not_after", f.NotAfter.Format(time.RFC3339))
		eq("fingerprint_sha256", f.SHA256)
		eq("fingerprint_sha1", f.SHA1)
		eq("is_ca", fmt.Sprint(f.IsCA))
		eq("key_type", f.ExpectedKeyType(t))
		eq("signature_algorithm", f.ExpectedSignatureName(t))
		eq("subject_key_id", f.SKI)
		eq("authority_key_id", f.AKI)
		for attr, list := range map[string][]string{"dns_names": f.DNSNames, "ip_addresses": f.IPs, "email_addresses": f.Emails} {
			eq(attr+".#", fmt.Sprint(len(list)))
			for j, v := range list {
				eq(fmt.Sprintf("%s.%d", attr, j), v)
			}
		}
		if cc.SelfSignatureCheckable {
			eq("self_signed", fmt.Sprint(f.Subject == f.Issuer && f.SelfSignatureVerifies))
		} else {
			checks = append(checks, resource.TestCheckNoResourceAttr(ds, at("self_signed")))
		}
	}
	checks = append(checks, resource.TestCheckResourceAttr(ds, "certificates.#", fmt.Sprint(len(corpus))))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: "data \"pgtls_certificate\" \"corpus\" {\n  pem = <<-EOT\n" + pem.String() + "EOT\n}\n",
			Check:  resource.ComposeAggregateTestCheckFunc(checks...),
		}},
	})
}
