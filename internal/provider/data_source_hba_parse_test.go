package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// A hand-written file as teams have them today: continuation lines, quoted
// names, an md5 rule, a shadowed reject and a line PostgreSQL refuses.
const handWrittenHBA = `# TYPE  DATABASE  USER  ADDRESS  METHOD
local   all       postgres                peer
host    all       all       10.0.0.0/8     md5
host    all       mallory   10.1.0.0/16    reject
hostssl "all"     app,\
                  "+not a group"  192.168.1.0/24  cert  map=certs
host    all       all       10.2.0.0/16    cert
`

const handWrittenIdent = `certs  app.example.com  app
`

func TestAccHBAParseDataSource(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
locals {
  hba   = <<-EOT
` + handWrittenHBA + `EOT
  ident = <<-EOT
` + handWrittenIdent + `EOT
}

data "pgtls_hba_parse" "today" {
  content       = local.hba
  ident_content = local.ident
}

# What was parsed (minus the refused line and the dead reject) moves into a managed file as it is.
resource "pgtls_hba_file" "managed" {
  rules = [for r in data.pgtls_hba_parse.today.rules : r
    if r.method != "reject" && !contains(data.pgtls_hba_parse.today.problems[*].line_number, r.line_number)
  ]
  ident_maps = [{ name = "certs", mappings = [{ system_user = "app.example.com", database_user = "app" }] }]
  lint       = { fail_on = [] }
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.today", "rules.#", "5"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.today", "rules.3.line_number", "5"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.today", "rules.3.databases.0", `"all"`),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.today", "rules.3.users.1", `"+not a group"`),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.today", "rules.3.map", "certs"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.today", "problems.#", "1"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.today", "problems.0.line_number", "7"),
				resource.TestMatchResourceAttr("data.pgtls_hba_parse.today", "problems.0.message",
					regexpMust(`cert authentication is only supported on hostssl connections`)),
				resource.TestCheckTypeSetElemNestedAttrs("data.pgtls_hba_parse.today", "findings.*", map[string]string{
					"code": "shadowed", "rule_index": "2", "other_rule_index": "1",
				}),
				resource.TestCheckTypeSetElemNestedAttrs("data.pgtls_hba_parse.today", "findings.*", map[string]string{
					"code": "md5_deprecated", "rule_index": "1",
				}),
				resource.TestMatchResourceAttr("pgtls_hba_file.managed", "content",
					regexpMust(`(?m)^hostssl\s+"all"\s+app,"\+not a group"\s+192\.168\.1\.0/24\s+cert\s+map=certs$`)),
			),
		}},
	})
}

// Issue 7 §3: include directives, a NUL byte and header problems are never
// dropped silently.
func TestAccHBAParseDataSource_directivesAndNUL(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
data "pgtls_hba_parse" "inc" {
  postgres_version = 16
  content          = <<-EOT
    include other.conf
    include_if_exists x.conf
    include_dir conf.d
    hostssl all @admins 10.0.0.0/8 cert
  EOT
}

data "pgtls_hba_parse" "nul" {
  postgres_version = 15
  content          = "host all all 10.0.0.0/8 md5\u0000 ignored\nhost all all 10.1.0.0/16 trust\nhostssl all all 10.2.0.0/16 cert\n"
}

data "pgtls_hba_parse" "nul13" {
  postgres_version = 13
  content          = "host all all 10.0.0.0/8 md5\u0000 ignored\nhost all all 10.1.0.0/16 trust\n"
}
`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "rules.#", "1"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "problems.#", "0"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "directives.#", "3"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "directives.2.kind", "include_dir"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "directives.2.path", "conf.d"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "directives.2.line_number", "3"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "findings.0.code", "include_not_followed"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "findings.0.line_number", "1"),
				resource.TestMatchResourceAttr("data.pgtls_hba_parse.inc", "findings.0.message",
					regexpMust(`line 1: include other.conf: PostgreSQL 16 reads the lines of "other.conf" .*incomplete`)),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.inc", "findings.2.code", "include_not_followed"),
				// 15: the NUL swallows the line break, so line 2 is read as part of line 1 (as PostgreSQL 14+ does).
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.nul", "rules.#", "1"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.nul", "rules.0.line_number", "3"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.nul", "problems.0.line_number", "1"),
				resource.TestMatchResourceAttr("data.pgtls_hba_parse.nul", "problems.0.message", regexpMust(`invalid authentication method "md5host"`)),
				resource.TestCheckTypeSetElemNestedAttrs("data.pgtls_hba_parse.nul", "findings.*", map[string]string{
					"code": "nul_byte", "line_number": "1", "rule_index": "-1",
				}),
				// 13: the rest of the line is ignored, the rule before the NUL is kept.
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.nul13", "rules.#", "2"),
				resource.TestCheckResourceAttr("data.pgtls_hba_parse.nul13", "rules.0.method", "md5"),
				resource.TestCheckTypeSetElemNestedAttrs("data.pgtls_hba_parse.nul13", "findings.*", map[string]string{
					"code": "nul_byte", "line_number": "1", "rule_index": "0",
				}),
			),
		}},
	})
}

func TestAccHBAFile_headerProblemOnHeader(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
resource "pgtls_hba_file" "bad" {
  header = "line one\rstill one"
  rules  = [{ type = "local", method = "peer" }]
}`,
			PlanOnly:    true,
			ExpectError: regexpMust(`(?s)Invalid header.*with pgtls_hba_file.bad,.*header = "line one\\rstill one".*header line 1 contains a carriage return`),
		}},
	})
}
