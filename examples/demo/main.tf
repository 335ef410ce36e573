# make demo: the postgres-mtls module on this machine. scripts/demo.sh
# applies this twice: first to write every file (PKI, pg_hba.conf,
# pg_ident.conf, postgresql.conf, PgBouncer's files, the clients' files),
# then, with PostgreSQL and PgBouncer started on those files, with
# check = true to prove who gets in.

terraform {
  required_providers {
    pgtls = {
      source = "pgtls/pgtls"
    }
  }
}

variable "demo_dir" {
  description = "Directory holding everything the demo writes (its data directory, PgBouncer's and the clients' directories)."
  type        = string
}

variable "port" {
  description = "PostgreSQL's port (loopback only)."
  type        = number
}

variable "pgbouncer_port" {
  description = "PgBouncer's port (loopback only)."
  type        = number
}

variable "check" {
  description = "Connect to the running servers and fill the connection matrix."
  type        = bool
  default     = false
}

locals {
  # Client identities (the certificates' CN) and the roles each may use.
  clients = {
    app             = { roles = ["app"] }
    "billing batch" = { roles = ["billing", "billing_ro"] }
  }
  roles = sort(distinct(flatten([for c in values(local.clients) : c.roles])))
}

# The roles the policy names, created once by demo.sh (psql -f roles.sql).
resource "pgtls_file_set" "roles" {
  directory = var.demo_dir
  files = {
    "roles.sql" = {
      mode    = "0644"
      content = "SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(ARRAY['${join("','", local.roles)}']) AS r WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \\gexec\n"
    }
  }
}

module "postgres" {
  source = "../modules/postgres-mtls"

  directory          = "${var.demo_dir}/data"
  owner              = "postgres"
  postgresql_version = 15
  server_names       = ["localhost"]
  server_ips         = ["127.0.0.1"]
  port               = var.port
  allowed_networks   = ["127.0.0.1/32"]
  clients            = local.clients
  client_directories = { for c, _ in local.clients : c => "${var.demo_dir}/clients/${replace(c, " ", "-")}" }
  pgbouncer          = { directory = "${var.demo_dir}/pgbouncer", port = var.pgbouncer_port }
  settings = {
    unix_socket_directories = "'${var.demo_dir}/run'"
    max_connections         = "100"
    shared_buffers          = "32MB"
    log_connections         = "on"
  }
  connection_check = var.check ? { host = "127.0.0.1" } : null
}

output "connection_matrix_table" {
  description = "Who gets in, per client identity, role tried, path and sslmode."
  value       = module.postgres.connection_matrix_table
}

output "connection_matrix" {
  value = module.postgres.connection_matrix
}

output "server_files" {
  value = module.postgres.server_files
}

output "pgbouncer_files" {
  value = module.postgres.pgbouncer_files
}

output "conninfo" {
  description = "libpq connection strings per client and role, naming the files the module wrote."
  value       = { for c, b in module.postgres.client_bundles : c => b.conninfo }
}

output "app_conninfo" {
  description = "psql \"$(terraform output -raw app_conninfo)\": client app as role app."
  value       = module.postgres.client_bundles["app"].conninfo["app"]
}

output "pg_hba_conf" {
  value = module.postgres.pg_hba_conf
}

output "pg_ident_conf" {
  value = module.postgres.pg_ident_conf
}
