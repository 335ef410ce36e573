resource "pgtls_ident_map" "certs" {
  name = "certs"
  mappings = [
    { system_user = "billing.apps.acme.internal", database_user = "billing" },
    { system_user = "/^(.*)\\.apps\\.acme\\.internal$", database_user = "\\1" },
  ]
}

resource "pgtls_hba_rule" "apps" {
  type    = "hostssl"
  users   = ["+apps"]
  address = "10.20.0.0/16"
  method  = "cert"
  map     = pgtls_ident_map.certs.name
}

resource "pgtls_hba_file" "main" {
  header = "Managed by Terraform. Edits are overwritten."

  # First match wins: the order here is the order in the file.
  rules = [
    { type = "local", users = ["postgres"], method = "peer" },
    { type = "hostnossl", address = "0.0.0.0/0", method = "reject", comment = "never without TLS" },
    pgtls_hba_rule.apps,
    { type = "hostssl", users = ["+staff"], address = "10.30.0.0/16", method = "scram-sha-256" },
  ]

  # map= names are checked against these (missing_ident_map).
  ident_maps = [pgtls_ident_map.certs]

  postgres_version = 16
  lint = {
    fail_on = ["error", "warning"] # CI: also fail on warnings
    ignore  = []
  }
}

resource "pgtls_ident_file" "main" {
  maps = [pgtls_ident_map.certs]
}

# PgBouncer's auth_hba_file takes a subset: pgtls refuses what it would drop.
resource "pgtls_hba_file" "pgbouncer" {
  target = "pgbouncer"
  rules = [
    { type = "hostssl", address = "10.20.0.0/16", method = "cert" },
  ]
}

# Options that hold a secret (ldapbindpasswd, radiussecrets) go in
# secret_options, which is always sensitive. `content` is the review copy
# plans show (ldapbindpasswd="(sensitive)"); `sensitive_content` is the exact
# file PostgreSQL reads; `sha256` is of the exact file (reload trigger).
variable "ldap_bind_password" {
  type      = string
  sensitive = true
}

resource "pgtls_hba_file" "ldap" {
  rules = [{
    type    = "hostssl"
    users   = ["+people"]
    address = "10.30.0.0/16"
    method  = "ldap"
    options = {
      ldapserver = "ldap.acme.internal"
      ldapbasedn = "dc=acme,dc=internal"
      ldapbinddn = "cn=postgres,dc=acme,dc=internal"
    }
    secret_options = { ldapbindpasswd = var.ldap_bind_password }
  }]
}

output "pg_hba_conf_for_disk" {
  value     = pgtls_hba_file.ldap.sensitive_content
  sensitive = true
}
