terraform {
  required_providers {
    pgtls = { source = "pgtls/pgtls" }
  }
}

# The PostgreSQL data directory Terraform writes the TLS files into (on the
# machine running Terraform: here, the database server itself).
variable "data_dir" {
  type    = string
  default = "/var/lib/postgresql/15/main"
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "Acme PostgreSQL Root CA" }
}

resource "pgtls_intermediate_ca" "issuing" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "Acme PostgreSQL Issuing CA" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem       = pgtls_intermediate_ca.issuing.chain_pem
  dns_names          = ["db.acme.internal"]
  # Renewed (replaced, new key) by any plan in its last 30 days.
  early_renewal_hours = 720
}

resource "pgtls_client_cert" "app1" {
  ca_cert_pem         = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem  = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem        = pgtls_intermediate_ca.issuing.chain_pem
  user                = "app1"
  early_renewal_hours = 720
}

resource "pgtls_client_cert" "app2" {
  ca_cert_pem         = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem  = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem        = pgtls_intermediate_ca.issuing.chain_pem
  user                = "app2"
  early_renewal_hours = 720
}

# One CRL per CA. The root revokes nothing, but PostgreSQL checks the CRL of
# every CA of a client's chain once any CRL is configured.
resource "pgtls_crl" "root" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
}

resource "pgtls_crl" "issuing" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  # app1's key leaked. Removing the line later does not un-revoke it: it
  # stays on the CRL until the certificate expires.
  revoked = [
    { cert_pem = pgtls_client_cert.app1.cert_pem, reason = "key_compromise" },
  ]
}

# Both CRLs, checked against the chain: a CA without a current CRL fails the
# plan instead of locking its clients out.
resource "pgtls_crl_bundle" "chain" {
  crls         = [pgtls_crl.root, pgtls_crl.issuing]
  ca_certs_pem = "${pgtls_root_ca.root.cert_pem}${pgtls_intermediate_ca.issuing.cert_pem}"
}

# postgresql.conf names the files (include this snippet from postgresql.conf).
resource "pgtls_postgresql_conf" "tls" {
  postgres_version = 15
  ssl_cert_file    = "server.crt"
  ssl_key_file     = "server.key"
  ssl_ca_file      = "root.crt"
  ssl_crl_file     = "root.crl"
}

# The files, and a reload the server judges first. A re-issued CRL (a new
# revocation, or its renewal) rewrites root.crl and reloads PostgreSQL in
# the same apply.
resource "pgtls_file_set" "postgres" {
  directory = var.data_dir
  layout    = "postgresql_data_dir"
  owner     = "postgres"
  group     = "postgres"
  files = {
    "server.crt"     = { content = pgtls_server_cert.db.fullchain_pem }
    "root.crt"       = { content = pgtls_root_ca.root.cert_pem }
    "root.crl"       = { content = pgtls_crl_bundle.chain.crl_pem }
    "pgtls-tls.conf" = { content = pgtls_postgresql_conf.tls.content }
  }
  sensitive_files = {
    "server.key" = { content = pgtls_server_cert.db.private_key_pem }
  }
  reload = {
    program = "postgresql"
    host    = "/var/run/postgresql"
    user    = "postgres"
    sslmode = "disable"
  }
}

# The same CRLs for libpq clients that check the server (sslcrl).
resource "pgtls_libpq_bundle" "app2" {
  hosts           = ["db.acme.internal"]
  user            = "app2"
  cert_pem        = pgtls_client_cert.app2.fullchain_pem
  private_key_pem = pgtls_client_cert.app2.private_key_pem
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  crl_pem         = pgtls_crl_bundle.chain.crl_pem
}

# Every entry, known at plan time: what the CRL says and until when.
output "revoked" {
  value = pgtls_crl.issuing.entries
}
