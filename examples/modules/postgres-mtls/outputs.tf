output "root_cert_pem" {
  description = "The root CA certificate: clients' sslrootcert (root.crt) and the server's ssl_ca_file."
  value       = pgtls_root_ca.root.cert_pem
}

output "server_files" {
  description = "The files written for PostgreSQL, by name: path and mode (owned by var.owner)."
  value = merge(
    { for n, f in pgtls_file_set.server.files : n => { path = "${var.directory}/${n}", mode = f.mode, secret = false } },
    { for n, f in pgtls_file_set.server.sensitive_files : n => { path = "${var.directory}/${n}", mode = f.mode, secret = true } },
  )
}

output "pgbouncer_files" {
  description = "The files written for PgBouncer (null without var.pgbouncer): path and mode."
  value = var.pgbouncer == null ? null : merge(
    { for n, f in pgtls_file_set.pgbouncer["main"].files : n => { path = "${var.pgbouncer.directory}/${n}", mode = f.mode, secret = false } },
    { for n, f in pgtls_file_set.pgbouncer["main"].sensitive_files : n => { path = "${var.pgbouncer.directory}/${n}", mode = f.mode, secret = true } },
  )
}

output "client_bundles" {
  description = "Per client: its certificate, its roles and, per role, the libpq conninfo / URI / environment (sslmode=verify-full). The private keys are in client_private_keys; the files are written where client_directories says."
  value = {
    for c, v in var.clients : c => {
      roles          = v.roles
      cert_pem       = pgtls_client_cert.client[c].cert_pem
      subject_dn     = pgtls_client_cert.client[c].subject_dn
      not_after      = pgtls_client_cert.client[c].not_after
      directory      = lookup(var.client_directories, c, null)
      conninfo       = { for r in v.roles : r => pgtls_libpq_bundle.client["${c}/${r}"].conninfo }
      uri            = { for r in v.roles : r => pgtls_libpq_bundle.client["${c}/${r}"].uri }
      env            = { for r in v.roles : r => pgtls_libpq_bundle.client["${c}/${r}"].env }
      pgbouncer_user = contains(local.pgbouncer_users, c) ? c : null
    }
  }
}

output "client_private_keys" {
  description = "Per client: its private key (PEM). Sensitive."
  value       = { for c, _ in var.clients : c => pgtls_client_cert.client[c].private_key_pem }
  sensitive   = true
}

output "pg_hba_conf" {
  description = "The pg_hba.conf written (review copy; it holds no secret)."
  value       = pgtls_hba_file.server.content
}

output "pg_hba_findings" {
  description = "pgtls's lint findings on pg_hba.conf."
  value       = [for f in pgtls_hba_file.server.findings : "${f.severity}: ${f.code}: ${f.message}"]
}

output "pg_ident_conf" {
  description = "The pg_ident.conf written."
  value       = pgtls_ident_file.server.content
}

output "postgresql_conf_snippet" {
  description = "The TLS and authentication settings pgtls renders (also at the end of the written postgresql.conf): include it in a postgresql.conf you manage yourself."
  value       = pgtls_postgresql_conf.server.content
}

output "postgresql_conf" {
  description = "The whole postgresql.conf written."
  value       = local.postgresql_conf
}

output "expected_access" {
  description = "The policy, known at plan time: for each client, role tried, path (postgresql or pgbouncer) and sslmode, whether the login must succeed."
  value = flatten([for p in local.probes : [for m in local.sslmodes : {
    client = p.client, role = p.role, via = p.via, sslmode = m, expected = local.expected[p.key][m] == "success" ? "in" : "refused"
  }]])
}

output "connection_matrix" {
  description = "With var.connection_check: what the running servers did, per client, role tried, path and sslmode: result, role logged in as, libpq path, TLS version, error. Null otherwise."
  value       = local.matrix
}

output "connection_matrix_table" {
  description = "connection_matrix as a text table (terraform output -raw connection_matrix_table). A result that differs from the policy is marked (!)."
  value       = local.matrix_table
}
