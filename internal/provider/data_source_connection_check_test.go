package provider

import (
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/pgtls/terraform-provider-pgtls/internal/testserver"
)

// lazyVar is a Terraform variable whose value is read when the step runs,
// so a step can use a server a previous step started.
type lazyVar func() any

func (f lazyVar) MarshalJSON() ([]byte, error) { return json.Marshal(f()) }

// liveServerPKI is the part every live-server test shares: the port of the
// server a previous step started, a root CA and a server certificate for
// localhost and 127.0.0.1.
const liveServerPKI = `
variable "port" {
  type    = number
  default = 5432
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "live test root" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["localhost"]
  ip_addresses       = ["127.0.0.1"]
}
`

// liveServer starts PostgreSQL 15 from pgtls_server_cert.db in state (hba
// and ident contents as given) and is the port variable for later steps.
type liveServer struct{ pg *testserver.Postgres }

func (l *liveServer) vars() config.Variables {
	return config.Variables{"port": lazyVar(func() any {
		if l.pg == nil {
			return 5432
		}
		return l.pg.Port
	})}
}

func (l *liveServer) start(t *testing.T, s *terraform.State, hba, ident string, roles ...string) *testserver.Postgres {
	get := func(addr, attr string) string { v, _ := stateAttr(s, addr, attr); return v }
	l.pg = testserver.StartPostgres(t, testserver.PostgresConfig{
		SSL:     true,
		CertPEM: get("pgtls_server_cert.db", "fullchain_pem"),
		KeyPEM:  get("pgtls_server_cert.db", "private_key_pem"),
		CAPEM:   get("pgtls_server_cert.db", "ca_bundle_pem"),
		HBA:     hba,
		Ident:   ident,
		Roles:   roles,
	})
	return l.pg
}

const checkPKI = liveServerPKI + `
resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}
`

func checkDataSource(extra string) string {
	return checkPKI + `
data "pgtls_connection_check" "app" {
  host            = "localhost"
  port            = var.port
  user            = "app"
  database        = "postgres"
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.app.cert_pem
  client_key_pem  = pgtls_client_cert.app.private_key_pem
` + extra + "\n}\n"
}

// TestAccConnectionCheck_realPostgres applies a PKI, starts PostgreSQL 15
// with it (hostssl + cert only) and lets the data source prove, mode by mode,
// who gets in.
func TestAccConnectionCheck_realPostgres(t *testing.T) {
	testserver.RequirePostgres(t)
	live := &liveServer{}
	vars := live.vars()
	const ds = "data.pgtls_connection_check.app"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:          checkPKI,
			ConfigVariables: vars,
			Check: func(s *terraform.State) error {
				live.start(t, s, "hostssl all app 127.0.0.1/32 cert\nhostnossl all all 127.0.0.1/32 reject\n", "", "app")
				return nil
			},
		}, {
			Config: checkDataSource(`
  expect = {
    disable       = "failure"
    allow         = "success"
    prefer        = "success"
    require       = "success"
    "verify-ca"   = "success"
    "verify-full" = "success"
  }`),
			ConfigVariables: vars,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(ds, "expectations_met", "true"),
				resource.TestCheckResourceAttr(ds, "results.%", "6"),
				resource.TestCheckResourceAttr(ds, "results.disable.success", "false"),
				resource.TestCheckResourceAttr(ds, "results.disable.sqlstate", "28000"),
				resource.TestCheckResourceAttr(ds, "results.disable.encrypted", "false"),
				resource.TestCheckResourceAttr(ds, "results.allow.path", "plaintext-then-tls"),
				resource.TestCheckResourceAttr(ds, "results.prefer.path", "tls"),
				resource.TestCheckResourceAttr(ds, "results.verify-full.success", "true"),
				resource.TestCheckResourceAttr(ds, "results.verify-full.encrypted", "true"),
				resource.TestCheckResourceAttr(ds, "results.verify-full.authenticated_user", "app"),
				resource.TestCheckResourceAttr(ds, "results.verify-full.client_certificate_sent", "true"),
				resource.TestCheckResourceAttr(ds, "results.verify-full.pg_stat_ssl.ssl", "true"),
				resource.TestCheckResourceAttr(ds, "results.verify-full.pg_stat_ssl.client_dn_oneline", "/CN=app"),
				resource.TestCheckResourceAttr(ds, "results.verify-full.server_certificate.dns_names.0", "localhost"),
				resource.TestCheckResourceAttrPair(ds, "results.verify-full.server_certificate.fingerprint_sha256", "pgtls_server_cert.db", "fingerprint_sha256"),
				resource.TestMatchResourceAttr(ds, "results.verify-full.tls_version", regexp.MustCompile(`^TLSv1\.[23]$`)),
			),
		}, {
			// A wrong expectation fails the plan, naming mode, expected, got and why.
			Config: checkDataSource(`
  sslmodes = ["disable", "verify-full"]
  expect   = { disable = "success" }`),
			ConfigVariables: vars,
			ExpectError:     regexp.MustCompile(`(?s)sslmode disable: expected success, got failure:.*pg_hba.conf rejects\s+connection`),
		}, {
			// verify-full checks server_name while dialing host; verify-ca does not.
			Config: checkDataSource(`
  server_name = "db.wrong.test"
  sslmodes    = ["verify-ca", "verify-full"]
  expect      = { "verify-ca" = "success", "verify-full" = "failure" }`),
			ConfigVariables: vars,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(ds, "results.verify-full.category", "hostname"),
				resource.TestMatchResourceAttr(ds, "results.verify-full.error", regexp.MustCompile(`db\.wrong\.test`)),
			),
		}, {
			// The same check as a Terraform check block (Terraform 1.5+):
			// a failed assertion is a warning, not an error.
			Config: checkPKI + `
check "app_gets_in_with_verify_full" {
  data "pgtls_connection_check" "app" {
    host            = "127.0.0.1"
    port            = var.port
    user            = "app"
    database        = "postgres"
    sslmodes        = ["verify-full"]
    root_cert_pem   = pgtls_root_ca.root.cert_pem
    client_cert_pem = pgtls_client_cert.app.cert_pem
    client_key_pem  = pgtls_client_cert.app.private_key_pem
  }
  assert {
    condition     = data.pgtls_connection_check.app.results["verify-full"].success
    error_message = data.pgtls_connection_check.app.results["verify-full"].error
  }
}`,
			ConfigVariables: vars,
			// Terraform always re-reads a data source nested in a check block
			// during apply, so the follow-up plan lists that read. Nothing
			// else may change.
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("pgtls_root_ca.root", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("pgtls_server_cert.db", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("pgtls_client_cert.app", plancheck.ResourceActionNoop),
				},
			},
		}},
	})
}

// TestAccConnectionCheck_unreachable: a closed port and a port that accepts
// but never answers both fail every mode within the timeout.
func TestAccConnectionCheck_unreachable(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	for name, port := range map[string]int{"silent port": silent.Addr().(*net.TCPAddr).Port, "closed port": closedPort} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
data "pgtls_connection_check" "x" {
  host                    = "127.0.0.1"
  port                    = %s
  user                    = "app"
  connect_timeout_seconds = 2
  expect = {
    disable = "failure", allow = "failure", prefer = "failure",
    require = "failure", "verify-ca" = "failure", "verify-full" = "failure"
  }
}`, strconv.Itoa(port)),
					Check: resource.ComposeAggregateTestCheckFunc(
						resource.TestCheckResourceAttr("data.pgtls_connection_check.x", "expectations_met", "true"),
						resource.TestMatchResourceAttr("data.pgtls_connection_check.x", "results.require.category", regexp.MustCompile(`^(timeout|connect)$`)),
					),
				}},
			})
			// Plan, apply, refresh and the post-test plan each read the data
			// source: four bounded reads, with modes in parallel.
			if el := time.Since(start); el > 4*2*time.Second+20*time.Second {
				t.Errorf("%s: took %s, more than the timeout allows", name, el)
			}
		})
	}
}

func TestAccConnectionCheck_badInput(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`sslmodes = ["verify-everything"]`, `(?s)sslmodes.*verify-everything`},
		{`expect = { require = "maybe" }`, `(?s)expect.*maybe`},
		{`client_cert_pem = "not a cert"`, `(?s)client_cert_pem`},
		{`port = 70000`, `(?s)port = 70000: must be between 1 and\s+65535`},
		{`sslmodes = ["require", "REQUIRE"]`, `(?s)sslmodes\[1\] "REQUIRE": unknown sslmode.*use "require"`},
		{`connect_timeout_seconds = -1`, `(?s)connect_timeout_seconds = -1: must be\s+positive`},
		{`user = "${join("", [for i in range(200) : "u"])}"`, `(?s)is 200 bytes; PostgreSQL names are at\s+most 63 bytes`},
		{`expect = { "verify-full" = "success" }` + "\n  sslmodes = [\"disable\"]", `(?s)verify-full is expected but not\s+checked`},
	} {
		t.Run(tc.body, func(t *testing.T) {
			body := tc.body
			if !strings.HasPrefix(body, "user") {
				body = "user = \"app\"\n  " + body
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: `
data "pgtls_connection_check" "x" {
  host = "127.0.0.1"
  ` + body + `
}`,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}
