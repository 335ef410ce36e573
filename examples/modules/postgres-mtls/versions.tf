terraform {
  # Terraform 1.5+ or OpenTofu 1.6+ (optional object attributes with
  # defaults, startswith, strcontains).
  required_version = ">= 1.5.0"

  required_providers {
    pgtls = {
      source = "pgtls/pgtls"
    }
  }
}
