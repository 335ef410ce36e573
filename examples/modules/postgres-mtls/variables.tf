variable "directory" {
  description = <<-EOT
    Existing directory the PostgreSQL server's files are written to: postgresql.conf, pg_hba.conf,
    pg_ident.conf, server.crt, server.key (0600) and root.crt, all mode 0600 like initdb's. Either the
    data directory itself (the module's postgresql.conf then replaces initdb's), or, with
    `data_directory` set, a separate configuration directory as on Debian (/etc/postgresql/15/main).
  EOT
  type        = string

  validation {
    condition     = startswith(var.directory, "/") && !strcontains(var.directory, "'")
    error_message = "directory must be an absolute path (it is written into postgresql.conf) without a single quote, for example \"/var/lib/postgresql/15/main\"."
  }
}

variable "data_directory" {
  description = "The data directory, when `directory` is a separate configuration directory: postgresql.conf then sets data_directory and the server is started with `pg_ctl -D <directory>` (or `postgres -D <directory>`). Leave null when `directory` is the data directory."
  type        = string
  default     = null

  validation {
    condition     = var.data_directory == null || (startswith(coalesce(var.data_directory, "/"), "/") && !strcontains(coalesce(var.data_directory, "/"), "'"))
    error_message = "data_directory must be an absolute path without a single quote, or null."
  }
}

variable "owner" {
  description = "OS user owning the server's files (name or uid): the user PostgreSQL runs as, which must own server.key. Writing files for another user needs Terraform to run as root; null leaves ownership to whoever runs Terraform."
  type        = string
  default     = "postgres"
}

variable "server_names" {
  description = "DNS names clients use to reach the server: the server certificate's DNS SANs, checked by sslmode=verify-full. At least one name or IP address is needed."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for n in var.server_names : can(regex("^(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", n)) && length(n) <= 253
    ])
    error_message = "Each of server_names must be a lower-case DNS name such as \"db1.example.internal\" (letters, digits, hyphens; a wildcard only as a leading \"*.\" label). IP addresses go in server_ips."
  }
}

variable "server_ips" {
  description = "IP addresses clients use to reach the server: the server certificate's IP SANs (verify-full to an IP checks them) and, unless listen_addresses is set, what the server listens on."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for ip in var.server_ips : can(cidrhost("${ip}/${strcontains(ip, ":") ? 128 : 32}", 0))])
    error_message = "Each of server_ips must be a plain IPv4 or IPv6 address such as \"10.0.0.5\" or \"fd00::5\" (no prefix length, no brackets)."
  }
}

variable "listen_addresses" {
  description = "What PostgreSQL (and PgBouncer) listen on. Defaults to server_ips."
  type        = list(string)
  default     = null
}

variable "port" {
  description = "PostgreSQL's TCP port."
  type        = number
  default     = 5432

  validation {
    condition     = var.port >= 1 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be a whole number from 1 to 65535."
  }
}

variable "clients" {
  description = <<-EOT
    Client identities and the roles each may log in as. The key is the common name (CN) of the client
    certificate the module issues; `roles` are the PostgreSQL roles that certificate may log in as,
    through a pg_ident.conf map (`hostssl ... cert map=pgtls`). The roles must exist in the database.
    Example: { app = { roles = ["app"] }, "billing batch" = { roles = ["billing", "billing_ro"] } }.
  EOT
  type = map(object({
    roles = list(string)
  }))

  validation {
    condition     = length(var.clients) > 0
    error_message = "clients needs at least one client identity, for example { app = { roles = [\"app\"] } }."
  }
  validation {
    condition     = alltrue([for name, _ in var.clients : can(regex("^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$", name))])
    error_message = "Each client name (the certificate's CN, which pg_ident.conf matches) must be 1 to 64 characters: letters, digits, spaces, '.', '_', '@' or '-', starting with a letter or digit. A leading '/' would make pg_ident.conf read it as a regular expression."
  }
  validation {
    condition     = alltrue([for _, c in var.clients : length(c.roles) > 0])
    error_message = "Each client needs at least one role in roles: the roles its certificate may log in as."
  }
  validation {
    condition     = alltrue(flatten([for _, c in var.clients : [for r in c.roles : can(regex("^[a-z_][a-z0-9_$]{0,62}$", r))]]))
    error_message = "Each role must be a plain PostgreSQL identifier in lower case (a letter or '_', then letters, digits, '_' or '$'; at most 63 bytes), for example \"app_ro\". Quoted or mixed-case role names are not supported by this module."
  }
}

variable "allowed_networks" {
  description = "Networks (CIDR) client certificates are accepted from: one `hostssl ... cert map=pgtls` line per network. PgBouncer's address must be in one of them when PgBouncer is enabled."
  type        = list(string)

  validation {
    condition     = length(var.allowed_networks) > 0 && alltrue([for n in var.allowed_networks : strcontains(n, "/") && can(cidrhost(n, 0))])
    error_message = "allowed_networks needs at least one network in CIDR notation, for example [\"10.0.0.0/8\"] or [\"127.0.0.1/32\"]; a bare address needs its prefix length (\"/32\")."
  }
}

variable "password_fallback" {
  description = "Add `hostssl all all <network> scram-sha-256` after the certificate lines, so roles without a certificate mapping log in with a SCRAM password over TLS. Plain TCP stays refused either way."
  type        = bool
  default     = false
}

variable "local_admin" {
  description = "Keep `local all postgres peer` as the first pg_hba.conf line, so the OS user postgres administers the server over the Unix socket."
  type        = bool
  default     = true
}

variable "postgresql_version" {
  description = "PostgreSQL major version (13 to 18) the configuration files are checked and written for."
  type        = number
  default     = 15

  validation {
    condition     = contains([13, 14, 15, 16, 17, 18], var.postgresql_version)
    error_message = "postgresql_version must be a PostgreSQL major version from 13 to 18, for example 15."
  }
}

variable "ssl_min_protocol_version" {
  description = "Lowest TLS version PostgreSQL accepts."
  type        = string
  default     = "TLSv1.2"

  validation {
    condition     = contains(["TLSv1.2", "TLSv1.3"], var.ssl_min_protocol_version)
    error_message = "ssl_min_protocol_version must be \"TLSv1.2\" or \"TLSv1.3\": older versions are broken."
  }
}

variable "settings" {
  description = "More postgresql.conf settings for this instance (value as written in the file: quote strings, e.g. { unix_socket_directories = \"'/run/postgresql'\" }). The TLS and authentication settings and port, data_directory, listen_addresses, hba_file, ident_file are the module's."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, _ in var.settings : can(regex("^[a-z_][a-z0-9_.]*$", k))])
    error_message = "Each key of settings must be a postgresql.conf parameter name in lower case, such as \"shared_buffers\"."
  }
  validation {
    condition = alltrue([for k, _ in var.settings : !contains(["port", "data_directory", "listen_addresses", "hba_file", "ident_file", "password_encryption"], k) &&
    !startswith(k, "ssl")])
    error_message = "settings may not set port, data_directory, listen_addresses, hba_file, ident_file, password_encryption or any ssl* parameter: the module sets them (use its variables)."
  }
  validation {
    condition     = alltrue([for _, v in var.settings : !strcontains(v, "\n")])
    error_message = "A value in settings may not contain a line break."
  }
}

variable "database" {
  description = "Database the client bundles and the connection checks connect to."
  type        = string
  default     = "postgres"
}

variable "client_directories" {
  description = "Existing directories, by client name, where each client's libpq files are written (postgresql.crt, postgresql.key 0600, root.crt: the ~/.postgresql layout libpq reads). Clients left out get their bundle as outputs only."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for _, d in var.client_directories : startswith(d, "/")])
    error_message = "Each of client_directories must be an absolute path, for example \"/home/app/.postgresql\"."
  }
}

variable "pgbouncer" {
  description = <<-EOT
    Optional PgBouncer 1.18+ in front of PostgreSQL: client certificates authenticate to PgBouncer
    (client_tls_sslmode = verify-full, auth_type = cert), and PgBouncer logs in to PostgreSQL over
    TLS verify-full with its own certificate (CN "pgbouncer", mapped by pg_ident to the roles it
    serves). PgBouncer 1.18 compares the certificate's CN with the user name and has no ident maps, so
    through PgBouncer a client logs in only as the role named like the client. `directory` must
    exist (pgbouncer.ini, userlist.txt, keys and certificates go there; also its socket, log and pid).
  EOT
  type = object({
    directory        = string
    port             = optional(number, 6432)
    listen_addresses = optional(list(string))
    backend_host     = optional(string)
  })
  default = null

  validation {
    condition     = var.pgbouncer == null || startswith(try(var.pgbouncer.directory, "/"), "/")
    error_message = "pgbouncer.directory must be an absolute path."
  }
  validation {
    condition     = var.pgbouncer == null || (try(var.pgbouncer.port, 6432) >= 1 && try(var.pgbouncer.port, 6432) <= 65535)
    error_message = "pgbouncer.port must be from 1 to 65535."
  }
}

variable "connection_check" {
  description = <<-EOT
    When set, the module connects to the running server (and PgBouncer) with pgtls_connection_check:
    every client as each of its roles, and as a role it may not use, in each of `sslmodes`. The
    results are the connection_matrix output. With `enforce` (default), any outcome other than the
    policy's expectation fails the apply. Leave null until the server runs from the files.
  EOT
  type = object({
    host     = optional(string, "127.0.0.1")
    sslmodes = optional(list(string), ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
    enforce  = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.connection_check == null || alltrue([for m in try(var.connection_check.sslmodes, []) : contains(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"], m)])
    error_message = "connection_check.sslmodes may only hold libpq sslmodes: disable, allow, prefer, require, verify-ca, verify-full."
  }
}
