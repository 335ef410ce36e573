# Review a hand-written pg_hba.conf change: the file on the main branch
# against the proposed one. Weakened access is an error unless acknowledged;
# every other change is a warning.
data "pgtls_hba_access_diff" "pr" {
  before_content   = file("${path.module}/pg_hba.conf.main")
  after_content    = file("${path.module}/pg_hba.conf")
  postgres_version = 16

  access_review = {
    fail_on     = ["weakened", "granted"]
    acknowledge = [] # ids of intended changes, from the plan message
  }

  expect = [
    { user = "app", database = "app", address = "10.10.1.5", tls = false, result = "reject" },
  ]
}

output "access_changes" {
  value = [for c in data.pgtls_hba_access_diff.pr.access_changes : "${c.change} ${c.id}: ${c.reason} (${join(", ", c.networks)})"]
}
