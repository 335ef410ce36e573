# Applications log in with a client certificate whose CN is mapped to a role.
resource "pgtls_hba_rule" "apps_cert" {
  type      = "hostssl"
  databases = ["app"]
  users     = ["+apps"] # members of role apps
  address   = "10.20.0.0/16"
  method    = "cert"
  map       = "certs"
  comment   = "applications: certificate only"
}

# People use passwords, but only over TLS and only with SCRAM.
resource "pgtls_hba_rule" "staff_scram" {
  type       = "hostssl"
  users      = ["+staff"]
  address    = "10.30.0.0/16"
  method     = "scram-sha-256"
  clientcert = "verify-full" # and a certificate whose CN is the role
}

# A role literally named "all" is written quoted, as in pg_hba.conf.
resource "pgtls_hba_rule" "role_named_all" {
  type    = "hostssl"
  users   = ["\"all\""]
  address = "10.40.0.1/32"
  method  = "cert"
}

# line is known at plan time:
# hostssl app +apps 10.20.0.0/16 cert map=certs  # applications: certificate only
output "apps_line" {
  value = pgtls_hba_rule.apps_cert.line
}
