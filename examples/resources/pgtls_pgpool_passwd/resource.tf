# pool_passwd for scram-sha-256 through Pgpool-II (seed 003): AES entries,
# byte for byte what `pg_enc -K <key>` writes. Pgpool-II decrypts them with
# the key in its key file and logs in to PostgreSQL with the password.
resource "pgtls_pgpool_passwd" "main" {
  encryption_key = var.pool_key
  users = [
    { name = "app", password = var.app_password },
    { name = "reporting", password = var.reporting_password },
  ]
}

variable "pool_key" {
  type      = string
  sensitive = true
}

variable "app_password" {
  type      = string
  sensitive = true
}

variable "reporting_password" {
  type      = string
  sensitive = true
}

# Write sensitive_content to pool_passwd and key_file_content to
# ~postgres/.pgpoolkey (mode 0600), or pass it with `pgpool -k`.
