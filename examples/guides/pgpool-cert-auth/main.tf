terraform {
  required_providers {
    pgtls = { source = "pgtls/pgtls" }
  }
}

variable "pool_key" {
  type      = string
  sensitive = true
}

variable "app_backend_password" {
  description = "The password of role app in PostgreSQL (scram-sha-256 there)."
  type        = string
  sensitive   = true
}

locals {
  dir = "/etc/pgpool-II"
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "Example PostgreSQL root CA" }
}

# Pgpool-II's certificate: clients connect to pgpool.example.internal.
resource "pgtls_server_cert" "pgpool" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["pgpool.example.internal"]
}

# A client certificate: CN = the role (Pgpool-II compares the CN with the
# user name, ignoring case).
resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}

# pool_hba.conf: certificates only, never without TLS.
resource "pgtls_hba_file" "pool_hba" {
  target = "pgpool"
  rules = [
    { type = "hostnossl", address = "0.0.0.0/0", method = "reject" },
    { type = "hostssl", address = "0.0.0.0/0", method = "cert" },
  ]
}

# Pgpool-II cannot present a client certificate to PostgreSQL: it logs in
# with the password it decrypts from an AES entry, so PostgreSQL can keep
# hostssl ... scram-sha-256 for Pgpool-II's address.
resource "pgtls_pgpool_passwd" "main" {
  encryption_key = var.pool_key
  users          = [{ name = "app", password = var.app_backend_password }]
}

resource "pgtls_pgpool_conf" "main" {
  listen_addresses = "*"
  port             = 9999

  ssl            = true
  ssl_cert       = "${local.dir}/server.crt"
  ssl_key        = "${local.dir}/server.key"
  ssl_ca_cert    = "${local.dir}/root.crt"
  ssl_ciphers    = "HIGH:!aNULL"
  ssl_ecdh_curve = "prime256v1"

  enable_pool_hba = true
  pool_passwd     = "${local.dir}/pool_passwd"

  backend_clustering_mode = "raw"
  backends = [
    { host = "db1.example.internal", port = 5432, flag = "DISALLOW_TO_FAILOVER" },
  ]
}

# The files, where Pgpool-II reads them (pgpool -f pgpool.conf -a
# pool_hba.conf -k .pgpoolkey): secrets 0600, owned by the user Pgpool-II
# runs as (Terraform runs on this host).
resource "pgtls_file_set" "pgpool" {
  directory = local.dir
  layout    = "pgpool"
  owner     = "postgres"
  files = {
    "pgpool.conf"   = { content = pgtls_pgpool_conf.main.content }
    "pool_hba.conf" = { content = pgtls_hba_file.pool_hba.content }
    "server.crt"    = { content = pgtls_server_cert.pgpool.fullchain_pem }
    "root.crt"      = { content = pgtls_root_ca.root.cert_pem }
  }
  sensitive_files = {
    "pool_passwd" = { content = pgtls_pgpool_passwd.main.sensitive_content }
    ".pgpoolkey"  = { content = pgtls_pgpool_passwd.main.key_file_content }
    "server.key"  = { content = pgtls_server_cert.pgpool.private_key_pem }
  }
}
