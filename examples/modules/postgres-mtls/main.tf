locals {
  listen = coalesce(var.listen_addresses, var.server_ips)
  # The name clients connect with (checked by verify-full). Without any
  # name or address pgtls_server_cert.server's precondition fails the plan.
  server_host = try(concat(var.server_names, var.server_ips)[0], "localhost")

  # Every (client, role) pair the policy allows, keyed "client/role".
  client_roles = merge([
    for c in sort(keys(var.clients)) : {
      for r in var.clients[c].roles : "${c}/${r}" => { client = c, role = r }
    }
  ]...)
  roles = sort(distinct([for p in values(local.client_roles) : p.role]))

  # Through PgBouncer 1.18 a certificate logs in only as the role named
  # like its CN.
  pgbouncer_users = var.pgbouncer == null ? [] : sort([for c, v in var.clients : c if contains(v.roles, c)])

  # A pg_ident.conf token: quoted when it holds a blank.
  ident_token = { for c, _ in var.clients : c => strcontains(c, " ") ? "\"${c}\"" : c }

  # Where the server reads its files.
  file = { for n in ["server.crt", "server.key", "root.crt", "pg_hba.conf", "pg_ident.conf"] : n => "${var.directory}/${n}" }
}

resource "pgtls_root_ca" "root" {
  subject = { common_name = "${local.server_host} PostgreSQL root CA" }
}

resource "pgtls_server_cert" "server" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = var.server_names
  ip_addresses       = var.server_ips

  lifecycle {
    precondition {
      condition     = length(var.server_names) + length(var.server_ips) > 0
      error_message = "Give at least one of server_names or server_ips: the names clients connect with, which verify-full checks against the server certificate."
    }
  }
}

resource "pgtls_client_cert" "client" {
  for_each           = var.clients
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  # The certificate's CN is the client name; pg_ident maps it to the roles.
  user    = each.value.roles[0]
  subject = { common_name = each.key }

  lifecycle {
    precondition {
      condition     = var.pgbouncer == null || each.key != "pgbouncer"
      error_message = "The client name \"pgbouncer\" is PgBouncer's own certificate when pgbouncer is set: choose another name."
    }
  }
}

resource "pgtls_ident_map" "pgtls" {
  name             = "pgtls"
  postgres_version = var.postgresql_version
  mappings = concat(
    [for p in values(local.client_roles) : { system_user = local.ident_token[p.client], database_user = p.role }],
    [for u in local.pgbouncer_users : { system_user = "pgbouncer", database_user = u }],
  )
}

resource "pgtls_ident_file" "server" {
  header           = "Certificate CN -> role, written by the postgres-mtls module"
  postgres_version = var.postgresql_version
  maps             = [pgtls_ident_map.pgtls]
}

resource "pgtls_hba_file" "server" {
  header           = "Written by the postgres-mtls module: certificates over TLS only"
  postgres_version = var.postgresql_version
  rules = concat(
    var.local_admin ? [{ type = "local", users = ["postgres"], method = "peer", comment = "administration by the OS user postgres" }] : [],
    [
      { type = "hostnossl", address = "0.0.0.0/0", method = "reject", comment = "never without TLS" },
      { type = "hostnossl", address = "::/0", method = "reject" },
    ],
    [for n in var.allowed_networks : { type = "hostssl", users = local.roles, address = n, method = "cert", map = "pgtls" }],
    var.password_fallback ? [for n in var.allowed_networks : { type = "hostssl", address = n, method = "scram-sha-256" }] : [],
  )
  ident_maps = [pgtls_ident_map.pgtls]
}

resource "pgtls_postgresql_conf" "server" {
  postgres_version         = var.postgresql_version
  listen_addresses         = local.listen
  ssl_cert_file            = local.file["server.crt"]
  ssl_key_file             = local.file["server.key"]
  ssl_ca_file              = local.file["root.crt"]
  hba_file                 = local.file["pg_hba.conf"]
  ident_file               = local.file["pg_ident.conf"]
  ssl_min_protocol_version = var.ssl_min_protocol_version
  password_encryption      = "scram-sha-256"
  hba_content              = pgtls_hba_file.server.sensitive_content
}

locals {
  postgresql_conf = join("", concat(
    ["# Written by the postgres-mtls module (pgtls): this instance's settings, then pgtls's TLS and authentication settings.\n"],
    var.data_directory == null ? [] : ["data_directory = '${var.data_directory}'\n"],
    ["port = ${var.port}\n"],
    [for k in sort(keys(var.settings)) : "${k} = ${var.settings[k]}\n"],
    ["\n", pgtls_postgresql_conf.server.content],
  ))
}

# The server's files, mode 0600 (the postgresql_data_dir layout), owned by
# the user PostgreSQL runs as.
resource "pgtls_file_set" "server" {
  directory = var.directory
  layout    = "postgresql_data_dir"
  owner     = var.owner
  files = {
    "postgresql.conf" = { content = local.postgresql_conf }
    "pg_ident.conf"   = { content = pgtls_ident_file.server.content }
    "server.crt"      = { content = pgtls_server_cert.server.fullchain_pem }
    "root.crt"        = { content = pgtls_root_ca.root.cert_pem }
  }
  sensitive_files = {
    "pg_hba.conf" = { content = pgtls_hba_file.server.sensitive_content }
    "server.key"  = { content = pgtls_server_cert.server.private_key_pem }
  }
}

# One libpq bundle per client and role: conninfo, URI, environment.
resource "pgtls_libpq_bundle" "client" {
  for_each        = local.client_roles
  hosts           = [local.server_host]
  ports           = [var.port]
  dbname          = var.database
  user            = each.value.role
  ident_map       = pgtls_ident_map.pgtls.name
  directory       = lookup(var.client_directories, each.value.client, null)
  cert_pem        = pgtls_client_cert.client[each.value.client].fullchain_pem
  private_key_pem = pgtls_client_cert.client[each.value.client].private_key_pem
  root_cert_pem   = pgtls_root_ca.root.cert_pem
}

# A client's ~/.postgresql-style files, where a directory is given.
resource "pgtls_file_set" "client" {
  for_each  = var.client_directories
  directory = each.value
  layout    = "libpq_home"
  files = {
    "postgresql.crt" = { content = pgtls_client_cert.client[each.key].fullchain_pem }
    "root.crt"       = { content = pgtls_root_ca.root.cert_pem }
  }
  sensitive_files = {
    "postgresql.key" = { content = pgtls_client_cert.client[each.key].private_key_pem }
  }

  lifecycle {
    precondition {
      condition     = contains(keys(var.clients), each.key)
      error_message = "client_directories names a client that is not in clients."
    }
  }
}
