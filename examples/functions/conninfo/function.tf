# Terraform 1.8+ or OpenTofu 1.7+.
output "conninfo" {
  # host=db1.example.com,db2.example.com port=5432 dbname=app user=app sslmode=verify-full
  value = provider::pgtls::conninfo({
    host    = "db1.example.com,db2.example.com"
    port    = "5432"
    dbname  = "app"
    user    = "app"
    sslmode = "verify-full"
  })
}

output "uri" {
  # postgresql://app@db1.example.com:5432/app?sslmode=verify-full
  value = provider::pgtls::conninfo({
    host    = "db1.example.com"
    port    = "5432"
    dbname  = "app"
    user    = "app"
    sslmode = "verify-full"
  }, "uri")
}
