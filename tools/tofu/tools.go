//go:build tools

// Package tofu pins the OpenTofu CLI version for the acceptance tests.
package tofu

import _ "github.com/opentofu/opentofu/cmd/tofu"
