terraform {
  required_providers {
    pgtls = { source = "pgtls/pgtls" }
  }
}

variable "data_dir" {
  type    = string
  default = "/var/lib/postgresql/15/main"
}

resource "pgtls_root_ca" "new" {
  subject = { common_name = "Acme PostgreSQL Root CA 2027" }
}

resource "pgtls_crl" "new" {
  ca_cert_pem        = pgtls_root_ca.new.cert_pem
  ca_private_key_pem = pgtls_root_ca.new.private_key_pem
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.new.cert_pem
  ca_private_key_pem = pgtls_root_ca.new.private_key_pem
  dns_names          = ["db.acme.internal"]
}

resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.new.cert_pem
  ca_private_key_pem = pgtls_root_ca.new.private_key_pem
  user               = "app"
}

locals {
  # Step 3: the old CA is gone; its certificates are refused from now on.
  trust = pgtls_root_ca.new.cert_pem
}

# The CRL of every trusted CA (PostgreSQL checks each CA of a chain).
resource "pgtls_crl_bundle" "server" {
  crls         = [pgtls_crl.new]
  ca_certs_pem = local.trust
}

resource "pgtls_file_set" "postgres" {
  directory = var.data_dir
  layout    = "postgresql_data_dir"
  owner     = "postgres"
  group     = "postgres"
  files = {
    "server.crt" = { content = pgtls_server_cert.db.fullchain_pem }
    "root.crt"   = { content = local.trust }
    "root.crl"   = { content = pgtls_crl_bundle.server.crl_pem }
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

# What the client installs: its certificate and root.crt = the same trust.
resource "pgtls_libpq_bundle" "app" {
  hosts           = ["db.acme.internal"]
  user            = "app"
  cert_pem        = pgtls_client_cert.app.fullchain_pem
  private_key_pem = pgtls_client_cert.app.private_key_pem
  root_cert_pem   = local.trust
}
