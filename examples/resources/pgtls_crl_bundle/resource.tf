resource "pgtls_root_ca" "root" {
  subject = { common_name = "Acme PostgreSQL Root CA" }
}

resource "pgtls_intermediate_ca" "issuing" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  subject            = { common_name = "Acme PostgreSQL Issuing CA" }
}

resource "pgtls_crl" "root" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
}

resource "pgtls_crl" "issuing" {
  ca_cert_pem        = pgtls_intermediate_ca.issuing.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.issuing.private_key_pem
}

# The CRLs of the whole chain. The plan fails if a CA of ca_certs_pem has no
# current CRL here: that CA's certificates would all be refused.
resource "pgtls_crl_bundle" "chain" {
  crls         = [pgtls_crl.root, pgtls_crl.issuing]
  ca_certs_pem = "${pgtls_root_ca.root.cert_pem}${pgtls_intermediate_ca.issuing.cert_pem}"
}

# One file: PostgreSQL's ssl_crl_file (reloaded), libpq's sslcrl, Pgpool-II's
# ssl_crl_file (Pgpool-II 4.3 reads it only at start: restart it).
output "root_crl" {
  value = pgtls_crl_bundle.chain.crl_pem
}

# A hashed directory: PostgreSQL 14+'s ssl_crl_dir (read at each
# connection, no reload needed) and libpq's sslcrldir.
output "crl_dir_files" {
  value = pgtls_crl_bundle.chain.crl_dir_files
}
