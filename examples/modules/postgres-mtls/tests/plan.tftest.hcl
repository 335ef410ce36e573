# Plan-time outputs of the module: run with `tofu test` (make test-module).
# Nothing is written: every run is a plan.

variables {
  directory        = "/srv/postgresql/15/main"
  owner            = "postgres"
  server_names     = ["db.example.internal", "db"]
  server_ips       = ["10.0.0.5"]
  port             = 5433
  allowed_networks = ["10.0.0.0/8", "192.168.10.0/24"]
  clients = {
    app             = { roles = ["app"] }
    "billing batch" = { roles = ["billing", "billing_ro"] }
  }
}

run "policy_files" {
  command = plan

  assert {
    condition = output.pg_hba_conf == join("\n", [
      "# Written by the postgres-mtls module: certificates over TLS only",
      "local        all             postgres                                peer  # administration by the OS user postgres",
      "hostnossl    all             all             0.0.0.0/0               reject  # never without TLS",
      "hostnossl    all             all             ::/0                    reject",
      "hostssl      all             app,billing,billing_ro 10.0.0.0/8              cert map=pgtls",
      "hostssl      all             app,billing,billing_ro 192.168.10.0/24         cert map=pgtls",
      "",
    ])
    error_message = "pg_hba.conf is not the certificate-only policy:\n${output.pg_hba_conf}"
  }

  assert {
    condition     = !strcontains(output.pg_hba_conf, "md5") && !strcontains(output.pg_hba_conf, "trust") && !strcontains(output.pg_hba_conf, "scram")
    error_message = "pg_hba.conf has a password or trust line without password_fallback"
  }

  assert {
    condition     = length(output.pg_hba_findings) == 0
    error_message = "pgtls lint findings: ${join("; ", output.pg_hba_findings)}"
  }

  assert {
    condition = output.pg_ident_conf == join("\n", [
      "# Certificate CN -> role, written by the postgres-mtls module",
      "pgtls           app                     app",
      "pgtls           \"billing batch\"         billing",
      "pgtls           \"billing batch\"         billing_ro",
      "",
    ])
    error_message = "pg_ident.conf:\n${output.pg_ident_conf}"
  }

  assert {
    condition = alltrue([for s in [
      "ssl = on",
      "ssl_cert_file = '/srv/postgresql/15/main/server.crt'",
      "ssl_key_file = '/srv/postgresql/15/main/server.key'",
      "ssl_ca_file = '/srv/postgresql/15/main/root.crt'",
      "ssl_min_protocol_version = 'TLSv1.2'",
      "password_encryption = 'scram-sha-256'",
      "listen_addresses = '10.0.0.5'",
    ] : strcontains(output.postgresql_conf_snippet, s)])
    error_message = "postgresql.conf snippet:\n${output.postgresql_conf_snippet}"
  }

  assert {
    condition     = startswith(output.postgresql_conf, "# Written by the postgres-mtls module") && strcontains(output.postgresql_conf, "\nport = 5433\n") && !strcontains(output.postgresql_conf, "data_directory") && endswith(output.postgresql_conf, output.postgresql_conf_snippet)
    error_message = "postgresql.conf:\n${output.postgresql_conf}"
  }

  assert {
    condition = output.server_files == {
      "postgresql.conf" = { path = "/srv/postgresql/15/main/postgresql.conf", mode = "0600", secret = false }
      "pg_hba.conf"     = { path = "/srv/postgresql/15/main/pg_hba.conf", mode = "0600", secret = true }
      "pg_ident.conf"   = { path = "/srv/postgresql/15/main/pg_ident.conf", mode = "0600", secret = false }
      "server.crt"      = { path = "/srv/postgresql/15/main/server.crt", mode = "0600", secret = false }
      "server.key"      = { path = "/srv/postgresql/15/main/server.key", mode = "0600", secret = true }
      "root.crt"        = { path = "/srv/postgresql/15/main/root.crt", mode = "0600", secret = false }
    }
    error_message = "server_files: ${jsonencode(output.server_files)}"
  }

  assert {
    condition     = output.pgbouncer_files == null && output.connection_matrix == null && output.connection_matrix_table == null
    error_message = "PgBouncer files or a connection matrix without pgbouncer / connection_check"
  }

  # 3 client/role pairs and 2 wrong-role probes, 6 sslmodes each.
  assert {
    condition     = length(output.expected_access) == 30
    error_message = "expected_access has ${length(output.expected_access)} rows"
  }

  assert {
    condition = alltrue([for r in output.expected_access :
    r.expected == (r.sslmode != "disable" && r.role != "postgres" ? "in" : "refused")])
    error_message = "expected_access: a client's own role gets in with every TLS sslmode, nothing without TLS, no other role"
  }

  assert {
    condition = contains(output.expected_access, {
      client = "billing batch", role = "billing_ro", via = "postgresql", sslmode = "verify-full", expected = "in"
    })
    error_message = "billing batch may log in as billing_ro"
  }
}

run "debian_layout_with_pgbouncer" {
  command = plan

  variables {
    directory         = "/etc/postgresql/15/main"
    data_directory    = "/var/lib/postgresql/15/main"
    pgbouncer         = { directory = "/etc/pgbouncer", port = 6432 }
    password_fallback = true
    connection_check  = { sslmodes = ["disable", "verify-full"] }
  }

  assert {
    condition     = strcontains(output.postgresql_conf, "\ndata_directory = '/var/lib/postgresql/15/main'\n") && strcontains(output.postgresql_conf_snippet, "hba_file = '/etc/postgresql/15/main/pg_hba.conf'")
    error_message = "Debian layout: postgresql.conf must name the data directory and the hba file:\n${output.postgresql_conf}"
  }

  # PgBouncer's certificate may act as the roles it serves: only "app"
  # (PgBouncer 1.18 compares the CN with the user name).
  assert {
    condition     = strcontains(output.pg_ident_conf, "pgtls           pgbouncer               app\n") && !strcontains(output.pg_ident_conf, "pgbouncer               billing")
    error_message = "pg_ident.conf for PgBouncer:\n${output.pg_ident_conf}"
  }

  assert {
    condition     = endswith(output.pg_hba_conf, "hostssl      all             all             192.168.10.0/24         scram-sha-256\n")
    error_message = "password_fallback: scram-sha-256 after the certificate lines:\n${output.pg_hba_conf}"
  }

  assert {
    condition     = output.pgbouncer_files["server.key"].mode == "0600" && output.pgbouncer_files["userlist.txt"].secret && output.pgbouncer_files["pgbouncer.ini"].path == "/etc/pgbouncer/pgbouncer.ini"
    error_message = "pgbouncer_files: ${jsonencode(output.pgbouncer_files)}"
  }

  # 2 sslmodes: app, billing, billing_ro and two wrong roles direct; app and
  # a wrong role through PgBouncer.
  assert {
    condition     = length(output.expected_access) == 14 && contains(output.expected_access, { client = "app", role = "app", via = "pgbouncer", sslmode = "verify-full", expected = "in" })
    error_message = "expected_access: ${jsonencode(output.expected_access)}"
  }

  assert {
    condition     = output.client_bundles["app"].pgbouncer_user == "app" && output.client_bundles["billing batch"].pgbouncer_user == null
    error_message = "only a client named like one of its roles goes through PgBouncer"
  }
}

run "bundles" {
  command = plan

  variables {
    client_directories = { app = "/home/app/.postgresql" }
  }

  # The conninfo strings depend on the certificates, made at apply; what the
  # plan knows is who each client is and where its files go.
  assert {
    condition     = output.client_bundles["app"].directory == "/home/app/.postgresql" && output.client_bundles["billing batch"].directory == null
    error_message = "client directories: ${jsonencode({ for c, b in output.client_bundles : c => b.directory })}"
  }

  assert {
    condition     = output.client_bundles["billing batch"].subject_dn == "CN=billing batch" && join(",", output.client_bundles["billing batch"].roles) == "billing,billing_ro"
    error_message = "the client name is the certificate's CN, its roles are the ones given"
  }
}

# Variable validation: each bad input fails the plan with its own message.

run "client_name_regex" {
  command = plan
  variables { clients = { "/^app$" = { roles = ["app"] } } }
  expect_failures = [var.clients]
}

run "role_not_an_identifier" {
  command = plan
  variables { clients = { app = { roles = ["App-Role"] } } }
  expect_failures = [var.clients]
}

run "client_without_roles" {
  command = plan
  variables { clients = { app = { roles = [] } } }
  expect_failures = [var.clients]
}

run "no_clients" {
  command = plan
  variables { clients = {} }
  expect_failures = [var.clients]
}

run "network_without_prefix" {
  command = plan
  variables { allowed_networks = ["10.0.0.1"] }
  expect_failures = [var.allowed_networks]
}

run "ip_with_prefix" {
  command = plan
  variables { server_ips = ["10.0.0.5/32"] }
  expect_failures = [var.server_ips]
}

run "server_name_upper_case" {
  command = plan
  variables { server_names = ["DB.example.internal"] }
  expect_failures = [var.server_names]
}

run "old_postgresql" {
  command = plan
  variables { postgresql_version = 12 }
  expect_failures = [var.postgresql_version]
}

run "relative_directory" {
  command = plan
  variables { directory = "data" }
  expect_failures = [var.directory]
}

run "setting_owned_by_the_module" {
  command = plan
  variables { settings = { ssl_ciphers = "'HIGH'" } }
  expect_failures = [var.settings]
}

run "tls_1_1" {
  command = plan
  variables { ssl_min_protocol_version = "TLSv1.1" }
  expect_failures = [var.ssl_min_protocol_version]
}

run "unknown_sslmode" {
  command = plan
  variables { connection_check = { sslmodes = ["verify_full"] } }
  expect_failures = [var.connection_check]
}

run "no_server_name_or_ip" {
  command = plan
  variables {
    server_names = []
    server_ips   = []
  }
  expect_failures = [pgtls_server_cert.server]
}

run "client_named_pgbouncer" {
  command = plan
  variables {
    clients   = { pgbouncer = { roles = ["app"] } }
    pgbouncer = { directory = "/etc/pgbouncer" }
  }
  expect_failures = [pgtls_client_cert.client]
}
