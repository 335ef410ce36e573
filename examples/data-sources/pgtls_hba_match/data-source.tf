# Who does PostgreSQL let in, and through which line? Decided exactly as
# hba.c decides, at plan time.
data "pgtls_hba_match" "app_plaintext" {
  content  = pgtls_hba_file.main.content
  user     = "app"
  database = "app"
  address  = "10.10.1.5"
  tls      = false
}

# In a check block, a failing assertion is a plan warning.
check "app_needs_tls" {
  assert {
    condition     = data.pgtls_hba_match.app_plaintext.result == "reject"
    error_message = "the app must not log in without TLS: ${data.pgtls_hba_match.app_plaintext.reason}"
  }
}

# A certificate login through an ident map, on PostgreSQL 16 (regexes).
data "pgtls_hba_match" "dba" {
  content          = file("${path.module}/pg_hba.conf")
  ident_content    = file("${path.module}/pg_ident.conf")
  postgres_version = 16
  user             = "carol"
  database         = "app"
  address          = "10.200.3.4"
  tls              = true
  member_of        = ["dba"]
  client_cert_dn   = "CN=carol,OU=dba,O=Example"
  expect           = "cert" # an error unless the file decides cert
}

output "dba_line" {
  value = "${data.pgtls_hba_match.dba.line_number}: ${data.pgtls_hba_match.dba.rule} (certificate passes: ${data.pgtls_hba_match.dba.cert_passes})"
}
