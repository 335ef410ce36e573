# Pgpool-II 4.3 with TLS and pool_hba.conf in front of one PostgreSQL (seed 000).
resource "pgtls_pgpool_conf" "main" {
  listen_addresses = "*"
  port             = 9999

  ssl            = true
  ssl_cert       = "/etc/pgpool-II/server.crt"
  ssl_key        = "/etc/pgpool-II/server.key"
  ssl_ca_cert    = "/etc/pgpool-II/root.crt"
  ssl_ciphers    = "HIGH:!aNULL"
  ssl_ecdh_curve = "prime256v1"

  enable_pool_hba = true
  pool_passwd     = "/etc/pgpool-II/pool_passwd"

  backend_clustering_mode = "raw"
  backends = [
    { host = "db1.internal.example", port = 5432, flag = "DISALLOW_TO_FAILOVER" },
  ]

  settings = {
    num_init_children = "32"
    sr_check_user     = "pgpool"
  }
  secret_settings = {
    sr_check_password = var.sr_check_password
  }
}

variable "sr_check_password" {
  type      = string
  sensitive = true
}

# pool_hba.conf, checked for what Pgpool-II 4.3 accepts.
resource "pgtls_hba_file" "pool_hba" {
  target = "pgpool"
  rules = [
    { type = "hostssl", address = "0.0.0.0/0", method = "cert" },
  ]
}
