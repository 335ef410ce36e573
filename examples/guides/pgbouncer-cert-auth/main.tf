terraform {
  required_providers {
    pgtls = { source = "pgtls/pgtls" }
  }
}

locals {
  dir = "/etc/pgbouncer"
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "Example PostgreSQL root CA" }
}

# PgBouncer's server certificate: clients connect to pgbouncer.example.internal.
resource "pgtls_server_cert" "pgbouncer" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["pgbouncer.example.internal"]
}

# PgBouncer's own client certificate towards PostgreSQL.
resource "pgtls_client_cert" "pgbouncer" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "pgbouncer"
}

# One certificate per application role: CN = role.
resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}

# PgBouncer knows its users from auth_file; with cert authentication they
# need no password.
resource "pgtls_pgbouncer_userlist" "main" {
  header = "Managed by Terraform"
  users  = [{ name = "app", format = "none" }]
}

resource "pgtls_pgbouncer_ini" "main" {
  header = "Managed by Terraform"
  databases = [
    { name = "app", host = "db1.example.internal", port = 5432, dbname = "app" },
  ]
  listen_addr = ["*"]
  listen_port = 6432
  logfile     = "/var/log/postgresql/pgbouncer.log"
  pidfile     = "/var/run/postgresql/pgbouncer.pid"

  auth_type = "cert"
  auth_file = "${local.dir}/userlist.txt"

  client_tls_sslmode   = "verify-full"
  client_tls_ca_file   = "${local.dir}/root.crt"
  client_tls_cert_file = "${local.dir}/server.crt"
  client_tls_key_file  = "${local.dir}/server.key"
  client_tls_protocols = "tlsv1.2,tlsv1.3"

  server_tls_sslmode   = "verify-full"
  server_tls_ca_file   = "${local.dir}/root.crt"
  server_tls_cert_file = "${local.dir}/pgbouncer-client.crt"
  server_tls_key_file  = "${local.dir}/pgbouncer-client.key"
}

# On PostgreSQL: PgBouncer's certificate may act as the application roles.
resource "pgtls_ident_map" "pgbouncer" {
  name     = "pgbouncer"
  mappings = [{ system_user = "pgbouncer", database_user = "app" }]
}

resource "pgtls_hba_file" "postgres" {
  rules = [
    { type = "hostnossl", address = "0.0.0.0/0", method = "reject" },
    { type = "hostssl", users = ["app"], address = "10.0.0.0/8", method = "cert", map = "pgbouncer" },
  ]
  ident_maps = [pgtls_ident_map.pgbouncer]
}

resource "pgtls_ident_file" "postgres" {
  maps = [pgtls_ident_map.pgbouncer]
}

# The files, where PgBouncer reads them: the keys 0600, userlist.txt 0640,
# owned by the user PgBouncer runs as (Terraform runs on this host).
resource "pgtls_file_set" "pgbouncer" {
  directory = local.dir
  layout    = "pgbouncer"
  owner     = "postgres"
  files = {
    "pgbouncer.ini"        = { content = pgtls_pgbouncer_ini.main.content }
    "root.crt"             = { content = pgtls_root_ca.root.cert_pem }
    "server.crt"           = { content = pgtls_server_cert.pgbouncer.fullchain_pem }
    "pgbouncer-client.crt" = { content = pgtls_client_cert.pgbouncer.fullchain_pem }
  }
  sensitive_files = {
    "userlist.txt"         = { content = pgtls_pgbouncer_userlist.main.sensitive_content }
    "server.key"           = { content = pgtls_server_cert.pgbouncer.private_key_pem }
    "pgbouncer-client.key" = { content = pgtls_client_cert.pgbouncer.private_key_pem }
  }
}
