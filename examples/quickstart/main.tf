# Quick start: a PKI for one PostgreSQL server and one application role.
# `make demo` applies this, writes the files, starts PostgreSQL with them and
# shows who gets in.

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
