# The pg_hba.conf of one PostgreSQL cluster, reviewed in CI: every pull
# request runs `terraform plan`, which shows the access diff against the
# file in state and fails on weakened access or a broken expectation.
terraform {
  required_providers {
    pgtls = { source = "pgtls/pgtls" }
  }
}

provider "pgtls" {
  postgres_version = 16
}

resource "pgtls_hba_file" "main" {
  header = "Managed by Terraform; changes are reviewed in CI (access diff and expectations)."
  rules = [
    { type = "local", users = ["postgres"], method = "peer" },
    { type = "hostnossl", address = "all", method = "reject", comment = "never without TLS" },
    { type = "hostssl", users = ["+dba"], address = "10.200.0.0/16", method = "cert", comment = "DBAs: certificate only" },
    { type = "hostssl", databases = ["app"], users = ["app"], address = "10.10.0.0/16", method = "scram-sha-256" },
    { type = "hostssl", databases = ["replication"], users = ["replicator"], address = "10.20.0.0/24", method = "cert" },
  ]

  # The policy the file must keep, whatever the change.
  expect = [
    { name = "app over TLS", user = "app", database = "app", address = "10.10.1.5", tls = true, result = "scram-sha-256" },
    { name = "no plaintext", user = "app", database = "app", address = "10.10.1.5", tls = false, result = "reject" },
    { name = "DBAs use certificates", user = "carol", database = "app", address = "10.200.3.4", tls = true, member_of = ["dba"], client_cert_cn = "carol", result = "cert" },
    { name = "no app from outside", user = "app", database = "app", address = "192.0.2.10", tls = true, result = "reject" },
  ]

  # Weakened access fails the plan unless acknowledged by id; every other
  # change is a plan warning the reviewer reads in the CI log.
  access_review = {
    fail_on     = ["weakened"]
    acknowledge = []
  }
}

output "access_changes" {
  value = [for c in pgtls_hba_file.main.access_changes : "${c.change} ${c.id}: ${c.reason}"]
}
