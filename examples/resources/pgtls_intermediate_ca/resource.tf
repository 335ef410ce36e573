resource "pgtls_root_ca" "root" {
  subject = { common_name = "Acme PostgreSQL Root CA" }
}

resource "pgtls_intermediate_ca" "db" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem

  subject = {
    common_name  = "Acme PostgreSQL Issuing CA"
    organization = "Acme"
  }
  validity_period_hours = 43800 # 5 years, within the root's 10
  max_path_length       = 1     # may sign one more level of CA below it
}

# An intermediate below another intermediate passes the chain above it, so
# its chain_pem and ca_bundle_pem are complete.
resource "pgtls_intermediate_ca" "team" {
  ca_cert_pem        = pgtls_intermediate_ca.db.cert_pem
  ca_private_key_pem = pgtls_intermediate_ca.db.private_key_pem
  ca_chain_pem       = "${pgtls_intermediate_ca.db.chain_pem}${pgtls_intermediate_ca.db.ca_bundle_pem}"

  subject               = { common_name = "Acme Team CA" }
  validity_period_hours = 26280
}
