package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// TestAccNoSecretsInTraceLogs runs a whole PKI at TF_LOG=TRACE and checks
// that no private key (generated or passed in as an issuer key) appears in
// the provider's or Terraform's logs.
func TestAccNoSecretsInTraceLogs(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	var secrets []string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: chainConfig,
			Check: func(s *terraform.State) error {
				for _, a := range []struct{ addr, attr string }{
					{"pgtls_root_ca.root", "private_key_pem"},
					{"pgtls_intermediate_ca.one", "private_key_pem"},
					{"pgtls_intermediate_ca.two", "private_key_pem"},
					{"pgtls_server_cert.db", "private_key_pem"},
					{"pgtls_client_cert.app", "private_key_pem"},
					{"pgtls_client_cert.app", "private_key_pkcs8_der_base64"},
				} {
					v, ok := stateAttr(s, a.addr, a.attr)
					if !ok || v == "" {
						return fmt.Errorf("%s.%s missing", a.addr, a.attr)
					}
					secrets = append(secrets, v)
				}
				return nil
			},
		}},
	})
	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading trace log: %v", err)
	}
	// Both the provider's framework traces and Terraform's own must be
	// there, or the test would prove nothing.
	for _, want := range []string{"Calling provider defined Resource ModifyPlan", "Calling provider defined Resource Create", "[TRACE]"} {
		if !strings.Contains(string(logs), want) {
			t.Fatalf("trace log (%d bytes) lacks %q: logging was not captured", len(logs), want)
		}
	}
	for _, sec := range secrets {
		// Any 40-character run of a key's base64 body is a leak.
		body := strings.Join(strings.FieldsFunc(sec, func(r rune) bool { return r == '\n' }), "")
		body = strings.TrimPrefix(strings.TrimSuffix(body, "-----END PRIVATE KEY-----"), "-----BEGIN PRIVATE KEY-----")
		for i := 0; i+40 <= len(body); i += 40 {
			if strings.Contains(string(logs), body[i:i+40]) {
				t.Fatalf("private key material found in TRACE logs (%s...)", body[i:i+8])
			}
		}
	}
}
