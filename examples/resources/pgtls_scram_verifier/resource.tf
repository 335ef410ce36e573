variable "app_password" {
  type      = string
  sensitive = true
}

# The verifier stays the same across plans (its random salt is kept in
# state) and changes only when the password changes.
resource "pgtls_scram_verifier" "app" {
  password = var.app_password
}

# CREATE ROLE app LOGIN PASSWORD '<verifier>': the server never sees the
# plain-text password, so it is in no log and no pg_stat_statements entry.
output "create_role_sql" {
  value     = "CREATE ROLE app LOGIN PASSWORD '${pgtls_scram_verifier.app.verifier}';"
  sensitive = true
}
