# Inspect a CA that came from elsewhere before trusting it.
data "pgtls_certificate" "corporate_ca" {
  pem = file("${path.module}/corporate-ca.pem")
}

output "corporate_ca" {
  value = {
    subject   = data.pgtls_certificate.corporate_ca.certificates[0].subject
    not_after = data.pgtls_certificate.corporate_ca.certificates[0].not_after
    is_ca     = data.pgtls_certificate.corporate_ca.certificates[0].is_ca
  }
}
