# The PKI and the rules the files below carry.
resource "pgtls_root_ca" "root" {
  subject = { common_name = "Acme PostgreSQL Root CA" }
}

resource "pgtls_server_cert" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  dns_names          = ["localhost"]
  ip_addresses       = ["127.0.0.1"]
}

resource "pgtls_client_cert" "admin" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "pgtls_admin"
}

resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}

resource "pgtls_hba_file" "main" {
  rules = [
    { type = "local", users = ["postgres"], method = "peer" },
    { type = "hostnossl", address = "0.0.0.0/0", method = "reject" },
    { type = "hostssl", users = ["pgtls_admin", "app"], address = "127.0.0.1/32", method = "cert" },
  ]
}

resource "pgtls_ident_file" "main" {
  maps = [{ name = "certs", mappings = [{ system_user = "app", database_user = "app" }] }]
}

resource "pgtls_hba_file" "pgbouncer" {
  target = "pgbouncer"
  rules  = [{ type = "hostssl", address = "10.0.0.0/8", method = "cert" }]
}

# pgtls_file_set writes on the machine that runs Terraform: here, the
# database server itself.
#
# A PostgreSQL data directory: the server's certificate, key and CA, and the
# pg_hba.conf / pg_ident.conf pgtls renders. The files belong to postgres;
# the key is written 0600 and never shown in a plan.
resource "pgtls_file_set" "postgres" {
  directory = "/var/lib/postgresql/15/main"
  layout    = "postgresql_data_dir"
  owner     = "postgres"
  group     = "postgres"

  files = {
    "server.crt"    = { content = pgtls_server_cert.db.fullchain_pem }
    "root.crt"      = { content = pgtls_root_ca.root.cert_pem }
    "pg_ident.conf" = { content = pgtls_ident_file.main.content }
  }
  sensitive_files = {
    "server.key" = { content = pgtls_server_cert.db.private_key_pem }
    # The exact file (secret options such as radiussecrets included); the
    # review copy is pgtls_hba_file.main.content.
    "pg_hba.conf" = { content = pgtls_hba_file.main.sensitive_content }
  }

  # Reload only what the running server accepts: it checks the files on
  # disk first (pg_hba_file_rules, pg_ident_file_mappings, pg_file_settings);
  # a refused file, or one that would lock this role out, is put back and
  # the apply fails with PostgreSQL's own error and line.
  reload = {
    program         = "postgresql"
    host            = "localhost"
    user            = "pgtls_admin"
    root_cert_pem   = pgtls_root_ca.root.cert_pem
    client_cert_pem = pgtls_client_cert.admin.cert_pem
    client_key_pem  = pgtls_client_cert.admin.private_key_pem
  }
}

# Prove the new rules in the same apply: read after the reload.
data "pgtls_connection_check" "app" {
  depends_on      = [pgtls_file_set.postgres]
  host            = "localhost"
  user            = "app"
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.app.cert_pem
  client_key_pem  = pgtls_client_cert.app.private_key_pem
  expect          = { "verify-full" = "success", disable = "failure" }
}

# A libpq client's ~/.postgresql: psql then needs no sslcert/sslkey options.
resource "pgtls_file_set" "psql_home" {
  directory = "/home/app/.postgresql"
  layout    = "libpq_home"
  owner     = "app"
  files = {
    "postgresql.crt" = { content = pgtls_client_cert.app.cert_pem }
    "root.crt"       = { content = pgtls_root_ca.root.cert_pem }
  }
  sensitive_files = {
    "postgresql.key" = { content = pgtls_client_cert.app.private_key_pem }
  }
}

# PgBouncer: its hba file (no options, so no secret: the review copy is
# the file), reloaded through the admin console. PgBouncer
# silently drops hba lines it cannot parse; pgtls refuses them and reads
# PgBouncer's own log after the RELOAD.
resource "pgtls_file_set" "pgbouncer" {
  directory = "/etc/pgbouncer"
  layout    = "pgbouncer"
  owner     = "postgres"
  files     = { "pgbouncer_hba.conf" = { content = pgtls_hba_file.pgbouncer.content } }
  reload = {
    program = "pgbouncer"
    host    = "/var/run/postgresql"
    port    = 6432
    user    = "pgbouncer"
    sslmode = "disable"
  }
}
