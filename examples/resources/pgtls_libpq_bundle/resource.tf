resource "pgtls_root_ca" "root" {
  subject = { common_name = "Acme PostgreSQL Root CA" }
}

resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}

# Everything the "app" client needs to log in with verify-full to a
# primary and a standby (libpq tries them in order).
resource "pgtls_libpq_bundle" "app" {
  hosts           = ["db1.example.com", "db2.example.com"]
  ports           = [5432]
  dbname          = "app"
  user            = "app"
  directory       = "/etc/app/postgresql"
  cert_pem        = pgtls_client_cert.app.fullchain_pem
  private_key_pem = pgtls_client_cert.app.private_key_pem
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  params = {
    target_session_attrs = "read-write"
    application_name     = "app"
  }
}

# psql "$(terraform output -raw conninfo)"
output "conninfo" {
  value = pgtls_libpq_bundle.app.conninfo
}

# Files to install: postgresql.crt, postgresql.key (0600), root.crt,
# postgresql.pk8 (for pgJDBC), with their paths and modes.
output "files" {
  value = [for f in pgtls_libpq_bundle.app.files : { path = f.path, mode = f.mode }]
}
