resource "pgtls_root_ca" "root" {
  subject = { common_name = "Acme PostgreSQL Root CA" }
}

resource "pgtls_intermediate_ca" "issuing" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "Acme PostgreSQL Issuing CA" }
}

resource "pgtls_client_cert" "app1" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem       = pgtls_intermediate_ca.issuing.chain_pem
  user               = "app1"
}

resource "pgtls_client_cert" "app2" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
  ca_chain_pem       = pgtls_intermediate_ca.issuing.chain_pem
  user               = "app2"
}

# The issuing CA's CRL. Revoke a certificate by naming its resource, or give
# its cert_pem with a reason, or the serial of a certificate made elsewhere.
resource "pgtls_crl" "issuing" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem

  revoked = [
    pgtls_client_cert.app1,
    { cert_pem = pgtls_client_cert.app2.cert_pem, reason = "key_compromise" },
    { serial_number = "0x1A2B3C4D", reason = "superseded", revocation_time = "2026-01-15T09:30:00Z" },
  ]

  # Valid 30 days, re-issued by any plan in the last 15 (the defaults).
  validity_period_hours = 720
  early_renewal_hours   = 360
}

# PostgreSQL, libpq and Pgpool-II check the CRL of every CA of a chain once a
# CRL is configured: the root needs one too, even if it revokes nothing.
resource "pgtls_crl" "root" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
}
