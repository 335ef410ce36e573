package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const hbaPolicy = `
resource "pgtls_ident_map" "certs" {
  name = "certs"
  mappings = [
    { system_user = "app.example.com", database_user = "app" },
    { system_user = "/^(.*)@ops\\.example\\.com$", database_user = "\\1", comment = "ops staff" },
  ]
}

resource "pgtls_hba_rule" "local" {
  type   = "local"
  users  = ["postgres"]
  method = "peer"
}

resource "pgtls_hba_rule" "app_cert" {
  type      = "hostssl"
  databases = ["app"]
  users     = ["app"]
  address   = "10.0.0.0/8"
  method    = "cert"
  map       = pgtls_ident_map.certs.name
  comment   = "application, certificate only"
}

resource "pgtls_hba_file" "main" {
  header = "Managed by Terraform (pgtls)."
  rules = [
    pgtls_hba_rule.local,
    pgtls_hba_rule.app_cert,
    {
      type      = "hostssl"
      databases = ["all"]
      users     = ["+staff", "\"all\""]
      address   = "10.0.0.0/8"
      method    = "scram-sha-256"
    },
  ]
  ident_maps = [pgtls_ident_map.certs]
}

resource "pgtls_ident_file" "main" {
  maps = [pgtls_ident_map.certs]
}
`

func TestAccHBAFile_policy(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: hbaPolicy,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					// The whole file is in the plan, before anything is applied.
					plancheck.ExpectKnownValue("pgtls_hba_rule.app_cert", tfjsonpath.New("line"),
						knownvalue.StringRegexp(regexp.MustCompile(`^hostssl\s+app\s+app\s+10\.0\.0\.0/8\s+cert\s+map=certs\s+# application, certificate only$`))),
					plancheck.ExpectKnownValue("pgtls_hba_file.main", tfjsonpath.New("content"), knownvalue.NotNull()),
					plancheck.ExpectKnownValue("pgtls_hba_file.main", tfjsonpath.New("findings"), knownvalue.ListExact([]knownvalue.Check{})),
					plancheck.ExpectKnownValue("pgtls_ident_file.main", tfjsonpath.New("content"),
						knownvalue.StringRegexp(regexp.MustCompile(`(?m)^certs\s+app\.example\.com\s+app$`))),
				},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestMatchResourceAttr("pgtls_hba_file.main", "content", regexp.MustCompile(
					`(?s)^# Managed by Terraform \(pgtls\)\.\n.*local\s+all\s+postgres\s+peer\n`+
						`hostssl\s+app\s+app\s+10\.0\.0\.0/8\s+cert\s+map=certs\s+# application, certificate only\n`+
						`hostssl\s+all\s+\+staff,"all"\s+10\.0\.0\.0/8\s+scram-sha-256\n$`)),
				resource.TestMatchResourceAttr("pgtls_hba_file.main", "sha256", regexp.MustCompile(`^[0-9a-f]{64}$`)),
				resource.TestMatchResourceAttr("pgtls_ident_file.main", "content",
					regexp.MustCompile(`(?m)^certs\s+/"\^\(\.\*\)@ops\\\.example\\\.com\$"\s+"\\1"\s+# ops staff$`)),
			),
		}, {
			// Reordering is a change of meaning: the plan shows the new content.
			Config: hbaPolicy + `
resource "pgtls_hba_file" "reordered" {
  rules = [pgtls_hba_rule.app_cert, pgtls_hba_rule.local]
}`,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("pgtls_hba_file.reordered", tfjsonpath.New("content"),
						knownvalue.StringRegexp(regexp.MustCompile(`^hostssl[^\n]*\nlocal`))),
				},
			},
		}},
	})
}

func TestAccHBAFile_badRules(t *testing.T) {
	file := func(rule string, extra string) string {
		return `
resource "pgtls_hba_file" "bad" {
  rules = [` + rule + `]
  ` + extra + `
}`
	}
	for _, tc := range []struct{ name, cfg, want string }{
		{"cert on host", file(`{ type = "host", address = "10.0.0.0/8", method = "cert" }`, ""),
			`(?s)Invalid pg_hba rule 0 for postgresql.*cert authentication is only supported on\s+hostssl\s+connections`},
		{"clientcert on host", file(`{ type = "host", address = "10.0.0.0/8", method = "scram-sha-256", clientcert = "verify-full" }`, ""),
			`(?s)clientcert can only be configured for "hostssl"\s+rows`},
		{"verify-ca with cert", file(`{ type = "hostssl", address = "10.0.0.0/8", method = "cert", clientcert = "verify-ca" }`, ""),
			`(?s)clientcert.*verify-ca`},
		{"peer on host", file(`{ type = "host", address = "10.0.0.0/8", method = "peer" }`, ""),
			`(?s)peer authentication is only supported on local sockets`},
		{"local with address", file(`{ type = "local", address = "10.0.0.0/8", method = "peer" }`, ""),
			`(?s)Invalid pg_hba rule 0.*address = "10.0.0.0/8": local rows take no address`},
		{"host without address", file(`{ type = "host", method = "scram-sha-256" }`, ""),
			`(?s)Invalid pg_hba rule 0.*address.*required`},
		{"regex needs 16", file(`{ type = "hostssl", users = ["/^app_"], address = "10.0.0.0/8", method = "cert" }`, "postgres_version = 15"),
			`(?s)Invalid pg_hba rule 0.*users\[0\] = "/\^app_".*PostgreSQL\s+16`},
		{"pgbouncer drops options", file(`{ type = "hostssl", address = "10.0.0.0/8", method = "cert", map = "m" }`, `target = "pgbouncer"`),
			`(?s)Invalid pg_hba rule 0 for pgbouncer.*map.*accepts no options`},
		{"pgbouncer no host names", file(`{ type = "host", address = "db.example.com", method = "reject" }`, `target = "pgbouncer"`),
			`(?s)Invalid pg_hba rule 0 for pgbouncer.*db\.example\.com.*only IP addresses`},
		{"pgpool no groups", file(`{ type = "hostssl", users = ["+staff"], address = "10.0.0.0/8", method = "scram-sha-256" }`, `target = "pgpool"`),
			`(?s)Invalid pg_hba rule 0 for pgpool.*users\[0\] = "\+staff"`},
		{"shadowed reject fails", file(`{ type = "host", address = "10.0.0.0/8", method = "scram-sha-256" },
    { type = "host", users = ["mallory"], address = "10.1.0.0/16", method = "reject" }`, ""),
			`(?s)pg_hba lint shadowed \(error\).*rule 1 .*can never match.*rule 0`},
		{"missing ident map", file(`{ type = "hostssl", address = "10.0.0.0/8", method = "cert", map = "nosuchmap" }`, "ident_maps = []"),
			`(?s)missing_ident_map.*nosuchmap`},
		{"secret in options", file(`{ type = "hostssl", address = "10.0.0.0/8", method = "radius", options = { radiusservers = "r.example", radiussecrets = "s3cretValue" } }`, ""),
			`(?s)Invalid pg_hba rule 0 for postgresql.*radiussecrets holds a secret: give it\s+in\s+secret_options`},
		{"option in both maps", file(`{ type = "hostssl", address = "10.0.0.0/8", method = "radius", options = { radiusservers = "r.example" }, secret_options = { radiussecrets = "s", radiusservers = "r.example" } }`, ""),
			`(?s)radiusservers is given in both options\s+and\s+secret_options`},
		{"newline injection", file(`{ type = "host", users = ["app\nhost all all 0.0.0.0/0 trust"], address = "10.0.0.0/8", method = "scram-sha-256" }`, ""),
			`(?s)Invalid pg_hba rule 0.*users\[0\].*newline`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      tc.cfg,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

func TestAccHBAFile_lintSettings(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			// A migration step the team accepts: findings are reported, not fatal.
			Config: `
resource "pgtls_hba_file" "legacy" {
  rules = [
    { type = "host", address = "10.0.0.0/8", method = "scram-sha-256" },
    { type = "host", users = ["mallory"], address = "10.1.0.0/16", method = "reject" },
    { type = "host", address = "192.168.0.0/16", method = "md5" },
  ]
  lint = {
    fail_on = []
    ignore  = ["md5_deprecated"]
  }
}`,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue("pgtls_hba_file.legacy", tfjsonpath.New("findings"), knownvalue.ListPartial(map[int]knownvalue.Check{
						0: knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"code":             knownvalue.StringExact("shadowed"),
							"severity":         knownvalue.StringExact("error"),
							"rule_index":       knownvalue.Int64Exact(1),
							"other_rule_index": knownvalue.Int64Exact(0),
						}),
					})),
				},
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckNoResourceAttr("pgtls_hba_file.legacy", "findings.1.code"),
			),
		}},
	})
}

// Issue 8 §3: the schema and the version-aware validation agree on
// clientcert; PostgreSQL 13 itself accepts clientcert=1 (oracle test).
func TestAccHBAFile_clientcertByVersion(t *testing.T) {
	// Each step names its own file, so no step is a change of the previous
	// one (the access review would flag 1 -> no-verify as a weakening).
	cfg := func(v int, cc string) string {
		return fmt.Sprintf(`
resource "pgtls_hba_file" "f%[1]d_%[3]s" {
  postgres_version = %[1]d
  rules            = [{ type = "hostssl", address = "10.0.0.0/8", method = "scram-sha-256", clientcert = %[2]q }]
}`, v, cc, strings.ReplaceAll(cc, "-", "_"))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg(13, "1"), Check: resource.TestMatchResourceAttr("pgtls_hba_file.f13_1", "content", regexp.MustCompile(`scram-sha-256 clientcert=1\n`))},
			{Config: cfg(13, "no-verify"), Check: resource.TestMatchResourceAttr("pgtls_hba_file.f13_no_verify", "content", regexp.MustCompile(`clientcert=no-verify\n`))},
			{Config: cfg(14, "1"), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)invalid value for clientcert: "1".*removed in\s+PostgreSQL 14`)},
			{Config: cfg(15, "verify-all"), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)invalid value for clientcert: "verify-all"`)},
		},
	})
}
