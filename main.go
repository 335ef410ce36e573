// Command terraform-provider-pgtls serves the pgtls Terraform provider over
// plugin protocol 6.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/pgtls/terraform-provider-pgtls/internal/provider"
)

// version is set by goreleaser at release time.
var version = "dev"

//go:generate go run -C tools github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name pgtls

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/pgtls/pgtls",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
