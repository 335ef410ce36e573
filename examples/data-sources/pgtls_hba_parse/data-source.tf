# Lint the pg_hba.conf you run today before moving it into Terraform.
data "pgtls_hba_parse" "current" {
  content          = file("${path.module}/pg_hba.conf")
  ident_content    = file("${path.module}/pg_ident.conf")
  postgres_version = 15
}

output "problems" {
  value = data.pgtls_hba_parse.current.problems
}

output "findings" {
  value = [for f in data.pgtls_hba_parse.current.findings : "${f.severity} ${f.code}: ${f.message}"]
}

# Then manage it: the parsed rules can be passed as they are.
resource "pgtls_hba_file" "main" {
  rules = data.pgtls_hba_parse.current.rules
}
