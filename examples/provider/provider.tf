terraform {
  required_providers {
    pgtls = {
      source = "pgtls/pgtls"
    }
  }
}

provider "pgtls" {
  # PostgreSQL major version that pg_hba.conf content is checked against.
  postgres_version = 16
}
