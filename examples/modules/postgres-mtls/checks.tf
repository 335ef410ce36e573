# Who gets in: the policy's expectation per client, role and sslmode (known
# at plan time), and, with var.connection_check, what the running servers
# actually do (pgtls_connection_check, libpq's semantics).

locals {
  all_sslmodes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
  sslmodes     = var.connection_check == null ? local.all_sslmodes : var.connection_check.sslmodes
  # A role each client's certificate must not log in as.
  wrong_role = { for c, v in var.clients : c => contains(v.roles, "postgres") ? "pgtls_no_such_role" : "postgres" }

  probes = concat(
    [for k in sort(keys(local.client_roles)) : {
      key = "${k} postgresql", client = local.client_roles[k].client, role = local.client_roles[k].role, via = "postgresql", port = var.port, allowed = true
    }],
    [for c in sort(keys(var.clients)) : {
      key = "${c}/${local.wrong_role[c]} postgresql", client = c, role = local.wrong_role[c], via = "postgresql", port = var.port, allowed = false
    }],
    [for u in local.pgbouncer_users : {
      key = "${u}/${u} pgbouncer", client = u, role = u, via = "pgbouncer", port = var.pgbouncer.port, allowed = true
    }],
    [for u in local.pgbouncer_users : {
      key = "${u}/${local.wrong_role[u]} pgbouncer", client = u, role = local.wrong_role[u], via = "pgbouncer", port = var.pgbouncer.port, allowed = false
    }],
  )

  # The policy: an allowed client/role pair gets in with every sslmode that
  # can use TLS (allow retries with TLS after the refused plaintext
  # attempt), never without TLS; anything else is refused.
  expected = { for p in local.probes : p.key => { for m in local.sslmodes : m => p.allowed && m != "disable" ? "success" : "failure" } }
}

data "pgtls_connection_check" "probe" {
  for_each   = var.connection_check == null ? {} : { for p in local.probes : p.key => p }
  depends_on = [pgtls_file_set.server, pgtls_file_set.pgbouncer]

  host            = var.connection_check.host
  server_name     = local.server_host
  port            = each.value.port
  database        = var.database
  user            = each.value.role
  sslmodes        = var.connection_check.sslmodes
  root_cert_pem   = pgtls_root_ca.root.cert_pem
  client_cert_pem = pgtls_client_cert.client[each.value.client].cert_pem
  client_key_pem  = pgtls_client_cert.client[each.value.client].private_key_pem
  expect          = var.connection_check.enforce ? local.expected[each.key] : {}
}

locals {
  matrix = var.connection_check == null ? null : flatten([
    for p in local.probes : [
      for m in local.sslmodes : {
        client           = p.client
        role             = p.role
        via              = p.via
        sslmode          = m
        expected         = local.expected[p.key][m] == "success" ? "in" : "refused"
        result           = data.pgtls_connection_check.probe[p.key].results[m].success ? "in" : "refused"
        authenticated_as = data.pgtls_connection_check.probe[p.key].results[m].authenticated_user
        path             = data.pgtls_connection_check.probe[p.key].results[m].path
        tls_version      = data.pgtls_connection_check.probe[p.key].results[m].tls_version
        error            = data.pgtls_connection_check.probe[p.key].results[m].error
      }
    ]
  ])

  # Why a login failed, in short: the last attempt's error in the server's
  # words, without the host/user/database it repeats, severities and
  # SQLSTATEs (PATH says which attempts were made).
  reason = local.matrix == null ? {} : { for e in distinct([for r in local.matrix : r.error]) : e => substr(
    replace(replace(replace(replace(element(split("; then ", e), length(split("; then ", e)) - 1), "/^(tls|plaintext)[^:]*: /", ""),
      "/ for host \"[^\"]*\", user \"[^\"]*\", database \"[^\"]*\"/", ""),
      "/(FATAL|ERROR): +/", ""),
    "/ \\(SQLSTATE [0-9A-Z]+\\)/", ""),
  0, 90) }

  row_format = "%-14s %-10s %-10s %-11s %-8s %-10s %-26s %-7s %s"
  matrix_table = local.matrix == null ? null : join("\n", concat(
    [
      format(local.row_format, "CLIENT (CN)", "ROLE", "VIA", "SSLMODE", "RESULT", "AS", "PATH", "TLS", "WHY NOT"),
      format(local.row_format, "-----------", "----", "---", "-------", "------", "--", "----", "---", "-------"),
    ],
    [for r in local.matrix : format(local.row_format, r.client, r.role, r.via, r.sslmode,
      r.result == r.expected ? r.result : "${r.result}(!)",
      coalesce(r.authenticated_as, "-"), r.path, coalesce(r.tls_version, "-"),
    r.result == "in" ? "" : local.reason[r.error])],
  ))
}
