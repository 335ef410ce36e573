# The same verifier for PostgreSQL and PgBouncer: PgBouncer can then pass a
# client's SCRAM login through to PostgreSQL without knowing the password.
resource "pgtls_scram_verifier" "app" {
  password = var.app_password
}

resource "pgtls_pgbouncer_userlist" "main" {
  header = "Managed by Terraform. Edits are overwritten."
  users = [
    # CREATE ROLE app LOGIN PASSWORD '<pgtls_scram_verifier.app.verifier>' on PostgreSQL.
    { name = "app", scram_verifier = pgtls_scram_verifier.app.verifier },
    # A verifier computed here (random salt kept in state).
    { name = "reporting", password = var.reporting_password },
    # Certificate users (auth_type cert, or cert lines in auth_hba_file).
    { name = "billing", format = "none" },
  ]
}

variable "app_password" {
  type      = string
  sensitive = true
}

variable "reporting_password" {
  type      = string
  sensitive = true
}
