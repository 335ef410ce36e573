resource "pgtls_ident_file" "main" {
  header = "Managed by Terraform."
  maps = [
    pgtls_ident_map.certs,
    {
      name     = "ops"
      mappings = [{ system_user = "/^(.*)@OPS\\.ACME\\.INTERNAL$", database_user = "\\1" }]
    },
  ]
}
