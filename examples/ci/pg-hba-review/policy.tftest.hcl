# `terraform test` (1.8+ for provider functions) / `tofu test`: assertions on
# who can connect, evaluated on the planned file.
run "app_needs_tls" {
  command = plan
  assert {
    condition     = provider::pgtls::hba_match(pgtls_hba_file.main.content, { postgres_version = 16, user = "app", database = "app", address = "10.10.1.5" }).result == "reject"
    error_message = "the app must not log in without TLS"
  }
}

run "replication_only_with_certificates" {
  command = plan
  assert {
    condition     = provider::pgtls::hba_match(pgtls_hba_file.main.content, { postgres_version = 16, user = "replicator", database = "x", replication = true, address = "10.20.0.7", tls = true }).method == "cert"
    error_message = "replication must use certificates"
  }
}
