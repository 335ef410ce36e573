//go:build deps

// Package internal pins dependencies the packages below are being built on,
// so `go mod tidy` keeps them while work is in flight. Removed once every
// dependency is imported by real code.
package internal

import (
	_ "github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	_ "github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	_ "github.com/hashicorp/terraform-plugin-log/tflog"
	_ "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	_ "github.com/hashicorp/terraform-plugin-testing/plancheck"
	_ "github.com/hashicorp/terraform-plugin-testing/statecheck"
	_ "github.com/hashicorp/terraform-plugin-testing/tfversion"
	_ "github.com/jackc/pgx/v5"
	_ "software.sslmate.com/src/go-pkcs12"
)
