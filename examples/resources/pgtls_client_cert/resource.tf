resource "pgtls_root_ca" "root" {
  subject = { common_name = "Acme PostgreSQL Root CA" }
}

# Logs in as role "app" with `hostssl all app 10.0.0.0/8 cert`.
resource "pgtls_client_cert" "app" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "app"
}

# A full DN for `clientname=DN` rules or pg_ident.conf mappings.
resource "pgtls_client_cert" "reporting" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "reporting"
  subject = {
    common_name         = "reporting"
    organizational_unit = "analytics"
    organization        = "Acme"
  }
}

# SANs for other software that reads the certificate; PostgreSQL's cert
# authentication ignores them and compares only the subject.
resource "pgtls_client_cert" "etl" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "etl"
  dns_names          = ["etl.acme.internal"]
  email_addresses    = ["etl-team@acme.example"]
  uris               = ["spiffe://acme.example/ns/data/sa/etl"]
}

# subject_dn is known at plan time, in the form PostgreSQL compares:
# "CN=reporting,OU=analytics,O=Acme"
output "reporting_dn" {
  value = pgtls_client_cert.reporting.subject_dn
}
