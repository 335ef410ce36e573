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
