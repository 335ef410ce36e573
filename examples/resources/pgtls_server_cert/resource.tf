resource "pgtls_root_ca" "root" {
  subject = { common_name = "Acme PostgreSQL Root CA" }
}

resource "pgtls_server_cert" "primary" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem

  # Every name and address clients use with sslmode=verify-full.
  dns_names    = ["db.acme.internal", "primary.db.acme.internal"]
  ip_addresses = ["10.1.2.3"]

  # Optional: the common name defaults to the first DNS name.
  subject = {
    organization = "Acme"
    country      = "DE"
  }

  validity_period_hours = 2160 # 90 days
  early_renewal_hours   = 720  # renewed (replaced) 30 days before expiry
}

# postgresql.conf:
#   ssl_cert_file = 'server.crt'  <- pgtls_server_cert.primary.fullchain_pem
#   ssl_key_file  = 'server.key'  <- pgtls_server_cert.primary.private_key_pem (mode 0600)
#   ssl_ca_file   = 'root.crt'    <- pgtls_server_cert.primary.ca_bundle_pem
