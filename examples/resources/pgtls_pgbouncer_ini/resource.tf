# PgBouncer 1.18 with certificate authentication for clients and TLS
# verify-full to PostgreSQL with its own client certificate (seed 001).
resource "pgtls_pgbouncer_ini" "main" {
  header = "Managed by Terraform. Edits are overwritten."

  databases = [
    { name = "app", host = "db1.internal.example", port = 5432, dbname = "app" },
  ]

  listen_addr     = ["*"]
  listen_port     = 6432
  unix_socket_dir = "/var/run/postgresql"
  logfile         = "/var/log/postgresql/pgbouncer.log"
  pidfile         = "/var/run/postgresql/pgbouncer.pid"

  # The CN of a client certificate is the user; the user must still be listed
  # in auth_file (pgtls_pgbouncer_userlist, format "none").
  auth_type   = "cert"
  auth_file   = "/etc/pgbouncer/userlist.txt"
  admin_users = ["pgbouncer_admin"]

  client_tls_sslmode   = "verify-full"
  client_tls_ca_file   = "/etc/pgbouncer/root.crt"
  client_tls_cert_file = "/etc/pgbouncer/server.crt"
  client_tls_key_file  = "/etc/pgbouncer/server.key"
  client_tls_protocols = "tlsv1.2,tlsv1.3"
  client_tls_ciphers   = "HIGH:!aNULL:!eNULL"

  server_tls_sslmode   = "verify-full"
  server_tls_ca_file   = "/etc/pgbouncer/root.crt"
  server_tls_cert_file = "/etc/pgbouncer/pgbouncer-client.crt"
  server_tls_key_file  = "/etc/pgbouncer/pgbouncer-client.key"

  settings = {
    max_client_conn           = "500"
    default_pool_size         = "20"
    ignore_startup_parameters = "extra_float_digits"
  }
}

# Write sensitive_content to /etc/pgbouncer/pgbouncer.ini; review content in plans.
output "pgbouncer_ini_sha256" {
  value = pgtls_pgbouncer_ini.main.sha256
}
