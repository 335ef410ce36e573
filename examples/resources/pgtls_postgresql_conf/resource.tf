# The TLS block of postgresql.conf for PostgreSQL 16, checked against the
# pg_hba.conf it will run with.
resource "pgtls_postgresql_conf" "tls" {
  postgres_version         = 16
  listen_addresses         = ["10.0.0.5", "127.0.0.1"]
  ssl_cert_file            = "/etc/postgresql/tls/server.crt"
  ssl_key_file             = "/etc/postgresql/tls/server.key"
  ssl_ca_file              = "/etc/postgresql/tls/root.crt"
  ssl_crl_file             = "/etc/postgresql/tls/root.crl"
  ssl_min_protocol_version = "TLSv1.3"
  hba_content              = pgtls_hba_file.main.content
}

# Write the snippet next to postgresql.conf and load it with
#   include 'pgtls-tls.conf'
# (or drop it into an include_dir such as conf.d).
output "postgresql_conf_snippet" {
  value     = pgtls_postgresql_conf.tls.sensitive_content
  sensitive = true
}

# The same settings as a map, for ALTER SYSTEM or an operator such as
# CloudNativePG (postgresql.parameters).
output "postgresql_parameters" {
  value = pgtls_postgresql_conf.tls.parameters
}
