resource "pgtls_root_ca" "root" {
  subject = {
    common_name  = "Acme PostgreSQL Root CA"
    organization = "Acme"
    country      = "NL"
  }

  key_type              = "ecdsa-p384"
  validity_period_hours = 87600 # 10 years
  early_renewal_hours   = 8760  # replace one year before expiry

  # Only let this CA vouch for names under db.acme.internal and the 10/8 network.
  permitted_dns_domains = ["db.acme.internal"]
  permitted_ip_ranges   = ["10.0.0.0/8"]
}
