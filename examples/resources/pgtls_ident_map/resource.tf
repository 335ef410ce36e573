resource "pgtls_client_cert" "reporting" {
  ca_cert_pem        = pgtls_root_ca.root.cert_pem
  ca_private_key_pem = pgtls_root_ca.root.private_key_pem
  user               = "reporting"
  subject = {
    common_name  = "reporting"
    organization = "Acme, Inc."
  }
}

resource "pgtls_ident_map" "dn" {
  name = "dn"
  mappings = [{
    # The DN as it is: pgtls quotes it for pg_ident.conf (commas, blanks, \C3\BC escapes).
    system_user   = pgtls_client_cert.reporting.subject_dn
    database_user = "reporting"
  }]
}

# hostssl all reporting 10.0.0.0/8 cert clientname=DN map=dn
