# Prove, sslmode by sslmode, what a libpq client sees: role "app" gets in only
# over TLS with its certificate, and never without encryption.
data "pgtls_connection_check" "app" {
  host            = "db.acme.internal"
  port            = 5432
  database        = "app"
  user            = "app"
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.app.cert_pem
  client_key_pem  = pgtls_client_cert.app.private_key_pem

  # Any mode that behaves otherwise fails the plan, one error per mode.
  expect = {
    disable       = "failure"
    allow         = "success"
    prefer        = "success"
    require       = "success"
    "verify-ca"   = "success"
    "verify-full" = "success"
  }
}

# The same as a continuous check (Terraform 1.5+): a failure is reported as a
# warning on every plan and apply instead of blocking it.
check "app_verify_full" {
  data "pgtls_connection_check" "app_live" {
    host            = "db.acme.internal"
    user            = "app"
    sslmodes        = ["verify-full"]
    root_cert_pem   = pgtls_root_ca.root.cert_pem
    client_cert_pem = pgtls_client_cert.app.cert_pem
    client_key_pem  = pgtls_client_cert.app.private_key_pem
  }

  assert {
    condition     = data.pgtls_connection_check.app_live.results["verify-full"].success
    error_message = "app cannot log in with verify-full: ${data.pgtls_connection_check.app_live.results["verify-full"].error}"
  }
}

# A password login must not work without TLS, even if pg_hba has a host line.
data "pgtls_connection_check" "reporting_password" {
  host          = "db.acme.internal"
  user          = "reporting"
  password      = var.reporting_password
  sslmodes      = ["disable", "verify-full"]
  root_cert_pem = pgtls_root_ca.root.cert_pem
  expect = {
    disable       = "failure"
    "verify-full" = "success"
  }
}
