# Quick start: a PKI for one PostgreSQL server and one application role.
# (`make demo` goes further: examples/demo applies the postgres-mtls module,
# writes the files with pgtls_file_set, starts PostgreSQL and PgBouncer on
# them and shows who gets in.)

terraform {
  required_providers {
    pgtls = {
      source = "pgtls/pgtls"
    }
  }
}

variable "server_names" {
  description = "DNS names clients use to reach the server."
  type        = list(string)
  default     = ["localhost"]
}

variable "server_ips" {
  description = "IP addresses clients use to reach the server."
  type        = list(string)
  default     = ["127.0.0.1"]
}

variable "app_role" {
  description = "PostgreSQL role that logs in with a client certificate."
  type        = string
  default     = "app"
}

variable "check_port" {
  description = "Port of the running server to prove the setup against; null skips the check."
  type        = number
  default     = null
}

resource "pgtls_root_ca" "root" {
  subject = {
    common_name  = "pgtls quickstart root CA"
    organization = "pgtls"
  }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = var.server_names
  ip_addresses       = var.server_ips
}

resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = var.app_role
}

# pg_hba.conf: certificate logins over TLS only, nothing in plain text.
resource "pgtls_hba_file" "db" {
  rules = [
    { type = "local", users = ["postgres"], method = "peer" },
    { type = "hostnossl", address = "127.0.0.1/32", method = "reject", comment = "never without TLS" },
    { type = "hostssl", users = [var.app_role], address = "127.0.0.1/32", method = "cert" },
  ]
}

# Once the server runs (apply with -var check_port=...), prove it:
# the app role gets in only over TLS with its certificate...
data "pgtls_connection_check" "app" {
  count           = var.check_port == null ? 0 : 1
  host            = "localhost"
  port            = var.check_port
  database        = "postgres"
  user            = var.app_role
  root_cert_pem   = pgtls_server_cert.db.ca_bundle_pem
  client_cert_pem = pgtls_client_cert.app.cert_pem
  client_key_pem  = pgtls_client_cert.app.private_key_pem
  expect = {
    disable       = "failure"
    allow         = "success"
    prefer        = "success"
    require       = "success"
    "verify-ca"   = "success"
    "verify-full" = "success"
  }
}

# ...and its certificate does not log in anyone else.
data "pgtls_connection_check" "other_role" {
  count           = var.check_port == null ? 0 : 1
  host            = "localhost"
  port            = var.check_port
  database        = "postgres"
  user            = "postgres"
  sslmodes        = ["verify-full"]
  root_cert_pem   = pgtls_server_cert.db.ca_bundle_pem
  client_cert_pem = pgtls_client_cert.app.cert_pem
  client_key_pem  = pgtls_client_cert.app.private_key_pem
  expect          = { "verify-full" = "failure" }
}

output "check" {
  value = var.check_port == null ? null : {
    for mode, r in data.pgtls_connection_check.app[0].results :
    mode => r.success ? "accepted: ${r.authenticated_user} via ${r.path}${r.encrypted ? " (${r.tls_version})" : ""}" : "refused: ${r.error}"
  }
}

output "check_other_role" {
  value = var.check_port == null ? null : data.pgtls_connection_check.other_role[0].results["verify-full"].error
}

# The exact file for disk. `content` is the review copy (secret option values
# masked); with no secret in the rules the two are identical.
output "pg_hba_conf" {
  value     = pgtls_hba_file.db.sensitive_content
  sensitive = true
}

# Server side: ssl_cert_file, ssl_key_file, ssl_ca_file.
output "server_crt" {
  value = pgtls_server_cert.db.fullchain_pem
}

output "server_key" {
  value     = pgtls_server_cert.db.private_key_pem
  sensitive = true
}

# Both sides: the trust anchor (server ssl_ca_file, client sslrootcert).
output "root_crt" {
  value = pgtls_server_cert.db.ca_bundle_pem
}

# Client side: sslcert, sslkey.
output "app_crt" {
  value = pgtls_client_cert.app.cert_pem
}

output "app_key" {
  value     = pgtls_client_cert.app.private_key_pem
  sensitive = true
}

output "app_subject_dn" {
  value = pgtls_client_cert.app.subject_dn
}
