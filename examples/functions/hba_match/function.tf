# Assert who can connect, in outputs, check blocks or test files.
output "app_over_tls" {
  value = provider::pgtls::hba_match(pgtls_hba_file.main.content, {
    user     = "app"
    database = "app"
    address  = "10.10.1.5"
    tls      = true
  })
}

check "replication_uses_certificates" {
  assert {
    condition = provider::pgtls::hba_match(pgtls_hba_file.main.content, {
      user        = "replicator"
      replication = true
      address     = "10.20.0.7"
      tls         = true
    }).method == "cert"
    error_message = "physical replication must authenticate with certificates"
  }
}
