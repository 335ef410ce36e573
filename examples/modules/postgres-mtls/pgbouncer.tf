# Optional PgBouncer in front of PostgreSQL (var.pgbouncer).

locals {
  bouncer     = var.pgbouncer == null ? {} : { main = var.pgbouncer }
  bouncer_dir = try(var.pgbouncer.directory, "")
}

resource "pgtls_server_cert" "pgbouncer" {
  for_each           = local.bouncer
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = var.server_names
  ip_addresses       = var.server_ips
}

# PgBouncer's own certificate towards PostgreSQL (mapped by pg_ident).
resource "pgtls_client_cert" "pgbouncer" {
  for_each           = local.bouncer
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "pgbouncer"
}

resource "pgtls_pgbouncer_userlist" "main" {
  for_each = local.bouncer
  header   = "auth_type = cert: the certificate's CN is the user; no passwords"
  users    = [for u in local.pgbouncer_users : { name = u, format = "none" }]
}

resource "pgtls_pgbouncer_ini" "main" {
  for_each  = local.bouncer
  header    = "Written by the postgres-mtls module (pgtls)"
  databases = [{ name = "*", host = coalesce(each.value.backend_host, try(var.server_ips[0], local.server_host)), port = var.port }]

  listen_addr     = coalesce(each.value.listen_addresses, local.listen)
  listen_port     = each.value.port
  unix_socket_dir = each.value.directory
  logfile         = "${each.value.directory}/pgbouncer.log"
  pidfile         = "${each.value.directory}/pgbouncer.pid"

  auth_type = "cert"
  auth_file = "${each.value.directory}/userlist.txt"

  client_tls_sslmode   = "verify-full"
  client_tls_ca_file   = "${each.value.directory}/root.crt"
  client_tls_cert_file = "${each.value.directory}/server.crt"
  client_tls_key_file  = "${each.value.directory}/server.key"
  client_tls_protocols = var.ssl_min_protocol_version == "TLSv1.3" ? "tlsv1.3" : "tlsv1.2,tlsv1.3"

  server_tls_sslmode   = "verify-full"
  server_tls_ca_file   = "${each.value.directory}/root.crt"
  server_tls_cert_file = "${each.value.directory}/pgbouncer-client.crt"
  server_tls_key_file  = "${each.value.directory}/pgbouncer-client.key"

  # pgx-based clients (and pgtls_connection_check) send it.
  settings = { ignore_startup_parameters = "extra_float_digits" }
}

resource "pgtls_file_set" "pgbouncer" {
  for_each  = local.bouncer
  directory = each.value.directory
  layout    = "pgbouncer"
  owner     = var.owner
  files = {
    "pgbouncer.ini"        = { content = pgtls_pgbouncer_ini.main[each.key].content }
    "root.crt"             = { content = pgtls_root_ca.root.cert_pem }
    "server.crt"           = { content = pgtls_server_cert.pgbouncer[each.key].fullchain_pem }
    "pgbouncer-client.crt" = { content = pgtls_client_cert.pgbouncer[each.key].fullchain_pem }
  }
  sensitive_files = {
    "userlist.txt"         = { content = pgtls_pgbouncer_userlist.main[each.key].sensitive_content }
    "server.key"           = { content = pgtls_server_cert.pgbouncer[each.key].private_key_pem }
    "pgbouncer-client.key" = { content = pgtls_client_cert.pgbouncer[each.key].private_key_pem }
  }
}
