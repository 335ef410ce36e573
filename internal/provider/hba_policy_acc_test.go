package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/pgtls/terraform-provider-pgtls/internal/hba"
)

// hbaReviewConfig is a pgtls_hba_file whose DBA line uses method dbaMethod,
// with the given extra attributes.
func hbaReviewConfig(dbaMethod, extra string) string {
	return `
resource "pgtls_hba_file" "main" {
  rules = [
    { type = "local", users = ["postgres"], method = "peer" },
    { type = "hostssl", users = ["+dba"], address = "10.200.0.0/16", method = "` + dbaMethod + `" },
    { type = "hostssl", databases = ["app"], users = ["app"], address = "10.0.0.0/8", method = "scram-sha-256" },
    { type = "host", address = "all", method = "reject" },
  ]
` + extra + `
}
`
}

// reviewChangeID is the id the access diff gives a change of the DBA line
// (the same pure function the provider calls).
func reviewChangeID(t *testing.T, beforeMethod, afterMethod string) string {
	t.Helper()
	mk := func(m string) *hba.Matcher {
		content := "local all postgres peer\nhostssl all +dba 10.200.0.0/16 " + m + "\nhostssl app app 10.0.0.0/8 scram-sha-256\nhost all all all reject\n"
		mm, err := hba.NewMatcherContent(content, DefaultPostgresVersion, hba.Environment{})
		if err != nil {
			t.Fatal(err)
		}
		return mm
	}
	d, err := hba.DiffAccess(mk(beforeMethod), mk(afterMethod), hba.DiffOptions{})
	if err != nil || len(d.Changes) != 1 {
		t.Fatalf("diff: %v %+v", err, d)
	}
	return d.Changes[0].ID
}

// TestAccHBAFile_accessReview: changing the DBA line from cert to
// scram-sha-256 is a weakening that fails the plan, with the lines in the
// message, until acknowledged; access_changes is known at plan time and
// the second plan is empty.
func TestAccHBAFile_accessReview(t *testing.T) {
	id := reviewChangeID(t, "cert", "scram-sha-256")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: hbaReviewConfig("cert", ""),
			ConfigStateChecks: []statecheck.StateCheck{
				// Nothing to review on create.
				statecheck.ExpectKnownValue("pgtls_hba_file.main", tfjsonpath.New("access_changes"), knownvalue.MapExact(map[string]knownvalue.Check{})),
			},
		}, {
			Config: hbaReviewConfig("scram-sha-256", ""),
			ExpectError: regexp.MustCompile(`(?s)pg_hba access weakened \(` + id + `\).*weaker authentication: cert ->\s+scram-sha-256.*` +
				`roles\s.*\(member\s+of\s+dba\).*Before: line 2: cert\s+` + "`hostssl all \\+dba 10.200.0.0/16 cert`" +
				`.*After:\s+line 2: scram-sha-256.*access_review.acknowledge`),
		}, {
			Config: hbaReviewConfig("scram-sha-256", `  access_review = { acknowledge = ["`+id+`"] }`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("pgtls_hba_file.main", tfjsonpath.New("access_changes"), knownvalue.MapExact(map[string]knownvalue.Check{
					id: knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(id), "change": knownvalue.StringExact("weakened"),
						"connection": knownvalue.StringExact("ssl"), "networks": knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.200.0.0/16")}),
						"conditions":  knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("member of dba")}),
						"before_line": knownvalue.Int64Exact(2), "after_line": knownvalue.Int64Exact(2),
						"before_rule": knownvalue.StringExact("hostssl all +dba 10.200.0.0/16 cert"),
						"after_rule":  knownvalue.StringExact("hostssl all +dba 10.200.0.0/16 scram-sha-256"),
					}),
				})),
			}},
		}, {
			// Back to cert: a strengthening, a warning only.
			Config: hbaReviewConfig("cert", `  access_review = { acknowledge = [] }`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue("pgtls_hba_file.main", tfjsonpath.New("access_changes").AtMapKey(reviewChangeID(t, "scram-sha-256", "cert")).AtMapKey("change"), knownvalue.StringExact("strengthened")),
			}},
		}, {
			// A wider network is a grant; fail_on = ["granted"] makes it fail.
			Config:      strings.Replace(hbaReviewConfig("cert", `  access_review = { fail_on = ["granted", "weakened"] }`), "10.0.0.0/8", "0.0.0.0/0", 1),
			ExpectError: regexp.MustCompile(`(?s)pg_hba access granted \(ac-[0-9a-f]{10}\).*roles app, databases app, TCP with TLS from\s+0\.0\.0\.0/5,`),
		}},
	})
}

// TestAccHBAFile_expect: expectations fail the plan with the deciding line.
func TestAccHBAFile_expect(t *testing.T) {
	expect := func(result string) string {
		return `  expect = [
    { name = "app over TLS", user = "app", database = "app", address = "10.1.2.3", tls = true, result = "scram-sha-256" },
    { user = "app", database = "app", address = "10.1.2.3", tls = false, result = "reject" },
    { user = "carol", database = "app", address = "10.200.0.9", tls = true, member_of = ["dba"], client_cert_cn = "carol", result = "cert" },
    { name = "no plaintext", user = "app", database = "app", address = "10.1.2.3", result = "` + result + `" },
  ]`
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: hbaReviewConfig("cert", expect("reject")),
		}, {
			Config:      hbaReviewConfig("cert", expect("allow")),
			ExpectError: regexp.MustCompile(`(?s)pg_hba expectation failed.*expect\[3\]\s+\(no\s+plaintext\)\s+\(user\s+app,\s+database\s+app,\s+from\s+10\.1\.2\.3\s+without\s+TLS\):\s+expected\s+allow,\s+but\s+PostgreSQL\s+15\s+would\s+reject:\s+line\s+4\s+\(host\s+all\s+all\s+all\s+reject\)\s+rejects\s+the\s+connection`),
		}, {
			Config:      hbaReviewConfig("cert", `  expect = [{ user = "carol", database = "app", address = "10.200.0.9", tls = true, result = "cert" }]`),
			ExpectError: regexp.MustCompile(`(?s)Expectation cannot be decided.*line 2: \+dba needs the roles "carol" is a member of`),
		}},
	})
}

// TestAccHBAMatch_dataSource: the data source decides attempts against a
// rendered file; expect fails with the line; the second plan is empty.
func TestAccHBAMatch_dataSource(t *testing.T) {
	cfg := hbaReviewConfig("cert", "") + `
data "pgtls_hba_match" "tls" {
  content  = pgtls_hba_file.main.content
  user     = "app"
  database = "app"
  address  = "10.1.2.3"
  tls      = true
}
data "pgtls_hba_match" "plain" {
  content  = pgtls_hba_file.main.content
  user     = "app"
  database = "app"
  address  = "10.1.2.3"
}
data "pgtls_hba_match" "dba_wrong_cert" {
  content        = pgtls_hba_file.main.content
  user           = "carol"
  database       = "app"
  address        = "10.200.1.1"
  tls            = true
  member_of      = ["dba"]
  client_cert_cn = "mallory"
}
data "pgtls_hba_match" "nothing" {
  content  = pgtls_hba_file.main.content
  user     = "app"
  database = "app"
  local    = true
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.pgtls_hba_match.tls", tfjsonpath.New("result"), knownvalue.StringExact("allow")),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.tls", tfjsonpath.New("method"), knownvalue.StringExact("scram-sha-256")),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.tls", tfjsonpath.New("line_number"), knownvalue.Int64Exact(3)),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.plain", tfjsonpath.New("result"), knownvalue.StringExact("reject")),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.plain", tfjsonpath.New("line_number"), knownvalue.Int64Exact(4)),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.dba_wrong_cert", tfjsonpath.New("result"), knownvalue.StringExact("reject")),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.dba_wrong_cert", tfjsonpath.New("cert_passes"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.dba_wrong_cert", tfjsonpath.New("clientcert"), knownvalue.StringExact("verify-full")),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.dba_wrong_cert", tfjsonpath.New("reason"),
					knownvalue.StringRegexp(regexp.MustCompile(`certificate CN "mallory" does not match role "carol"`))),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.nothing", tfjsonpath.New("implicit_reject"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.pgtls_hba_match.nothing", tfjsonpath.New("line_number"), knownvalue.Int64Exact(0)),
			},
		}, {
			Config: cfg + `
data "pgtls_hba_match" "must_reject" {
  content  = pgtls_hba_file.main.content
  user     = "app"
  database = "app"
  address  = "10.1.2.3"
  tls      = true
  expect   = "reject"
}`,
			ExpectError: regexp.MustCompile(`(?s)expected\s+reject,\s+but\s+PostgreSQL\s+15\s+would\s+allow\s+with\s+scram-sha-256:\s+line\s+3\s+\(hostssl\s+app\s+app\s+10\.0\.0\.0/8\s+scram-sha-256\)`),
		}},
	})
}

// TestAccHBAAccessDiff_dataSource compares two hand-written files.
func TestAccHBAAccessDiff_dataSource(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
data "pgtls_hba_access_diff" "pr" {
  before_content = "hostssl all all 10.0.0.0/8 cert\nhost all all all reject\n"
  after_content  = "hostssl all all 10.0.0.0/8 md5\nhost all all all reject\n"
  access_review  = { fail_on = [] }
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.pgtls_hba_access_diff.pr", tfjsonpath.New("access_changes").AtSliceIndex(0).AtMapKey("change"), knownvalue.StringExact("weakened")),
				statecheck.ExpectKnownValue("data.pgtls_hba_access_diff.pr", tfjsonpath.New("access_changes").AtSliceIndex(0).AtMapKey("reason"),
					knownvalue.StringExact("weaker authentication: cert -> md5, client certificate verify-full -> none")),
				statecheck.ExpectKnownValue("data.pgtls_hba_access_diff.pr", tfjsonpath.New("access_changes").AtSliceIndex(0).AtMapKey("users"),
					knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("(any other role)")})),
			},
		}, {
			Config: `
data "pgtls_hba_access_diff" "pr" {
  before_content = "hostssl all all 10.0.0.0/8 cert\n"
  after_content  = "hostssl all all 10.0.0.0/8 md5\n"
}`,
			ExpectError: regexp.MustCompile(`pg_hba access weakened \(ac-[0-9a-f]{10}\)`),
		}},
	})
}

// TestAccHBAMatch_function calls provider::pgtls::hba_match (Terraform
// 1.8+ / OpenTofu; skipped on older CLIs by tfversion).
func TestAccHBAMatch_function(t *testing.T) {
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      `output "x" { value = provider::pgtls::hba_match("host all +dba all trust\n", { user = "carol", database = "app", address = "10.0.0.1" }) }`,
			ExpectError: regexp.MustCompile(`line 1: \+dba needs the roles "carol"\s+is\s+a\s+member\s+of`),
		}, {
			Config:      `output "x" { value = provider::pgtls::hba_match("host all all all trust\n", { usr = "carol" }) }`,
			ExpectError: regexp.MustCompile(`unknown key "usr"`),
		}, {
			Config: hbaReviewConfig("cert", "") + `
output "tls" {
  value = provider::pgtls::hba_match(pgtls_hba_file.main.content, { user = "app", database = "app", address = "10.1.2.3", tls = true })
}
output "dba" {
  value = provider::pgtls::hba_match(pgtls_hba_file.main.content, {
    user = "carol", database = "shop", address = "10.200.0.5", tls = true, member_of = ["dba"], client_cert_cn = "carol"
  })
}
output "v16_regex" {
  value = provider::pgtls::hba_match("host /^app all 10.0.0.0/8 trust\n", { user = "x", database = "app_1", address = "10.0.0.1", postgres_version = 16 })
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("tls", knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"result": knownvalue.StringExact("allow"), "method": knownvalue.StringExact("scram-sha-256"), "line_number": knownvalue.Int64Exact(3),
					"cert_passes": knownvalue.Null(),
				})),
				statecheck.ExpectKnownOutputValue("dba", knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"result": knownvalue.StringExact("allow"), "method": knownvalue.StringExact("cert"), "cert_passes": knownvalue.Bool(true),
				})),
				statecheck.ExpectKnownOutputValue("v16_regex", knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"result": knownvalue.StringExact("allow"), "line_number": knownvalue.Int64Exact(1),
				})),
			},
		}},
	})
}

// TestAccHBAPolicy_checkAndTest runs the CLI directly: a failing `check`
// block assertion on pgtls_hba_match is a warning in the plan output, and
// `tofu test` (OpenTofu; `terraform test` needs Terraform 1.6+) fails a run
// whose assertion on provider::pgtls::hba_match does not hold.
func TestAccHBAPolicy_checkAndTest(t *testing.T) {
	config := hbaReviewConfig("cert", "") + `
check "no_plaintext_app" {
  data "pgtls_hba_match" "plain" {
    content  = pgtls_hba_file.main.content
    user     = "app"
    database = "app"
    address  = "10.1.2.3"
  }
  assert {
    condition     = data.pgtls_hba_match.plain.result == "allow"
    error_message = "app must log in without TLS: ${data.pgtls_hba_match.plain.reason}"
  }
}
`
	c := newCLI(t, providerFactory, config)
	c.must("init", "-no-color")
	c.must("apply", "-no-color", "-auto-approve")
	// With the file applied, the check's data source is read at plan time.
	out := c.must("plan", "-no-color")
	if !regexp.MustCompile(`(?s)Warning: Check block assertion failed.*app\s+must\s+log\s+in\s+without\s+TLS:\s+line\s+4\s+\(host\s+all\s+all\s+all\s+reject\)\s+rejects\s+the\s+connection`).MatchString(out) {
		t.Fatalf("plan output lacks the check warning:\n%s", out)
	}
	if !strings.Contains(c.bin, "tofu") {
		t.Logf("SKIP part: `terraform test` runs need Terraform 1.6+; this CLI is %s (the tofu run covers it)", filepath.Base(c.bin))
		return
	}
	// The test runs plan from an empty state: no check block reading the
	// file; functions need the provider in required_providers.
	c.write(`terraform {
  required_providers {
    pgtls = { source = "hashicorp/pgtls" }
  }
}
` + hbaReviewConfig("cert", ""))
	if err := os.WriteFile(filepath.Join(c.dir, "policy.tftest.hcl"), []byte(`
run "app_needs_tls" {
  command = plan
  assert {
    condition     = provider::pgtls::hba_match(pgtls_hba_file.main.content, { user = "app", database = "app", address = "10.1.2.3" }).result == "reject"
    error_message = "plaintext must be refused"
  }
}
run "dba_uses_certificates" {
  command = plan
  assert {
    condition     = provider::pgtls::hba_match(pgtls_hba_file.main.content, { user = "carol", database = "app", address = "10.200.0.1", tls = true, member_of = ["dba"] }).method == "scram-sha-256"
    error_message = "dba expected scram"
  }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := c.run("test", "-no-color")
	if err == nil || !strings.Contains(out, `run "app_needs_tls"... pass`) || !strings.Contains(out, `run "dba_uses_certificates"... fail`) ||
		!strings.Contains(out, "dba expected scram") {
		t.Fatalf("tofu test: %v\n%s", err, out)
	}
}
