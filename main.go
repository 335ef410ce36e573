// Command terraform-provider-pgtls serves the pgtls Terraform provider over
// plugin protocol 6.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/pgtls/terraform-provider-pgtls/internal/provider"
)

// version is set by goreleaser at release time.
var version = "dev"

//go:generate go run -C tools github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name pgtls

// quietLogVars are the loggers of the plugin SDK and of pgtls itself. Served
// by a CLI (no test log sink), each defaults to TRACE when its variable is
// unset: every RPC writes JSON lines the CLI decodes and then drops unless
// TF_LOG or TF_LOG_PROVIDER asks for them. That costs about half of a no-op
// plan of a few hundred certificates.
var quietLogVars = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_PGTLS"}

// quietLogEnv switches those loggers off when the user asked the CLI for no
// logs (TF_LOG and TF_LOG_PROVIDER unset); a variable the user set is kept.
func quietLogEnv(lookup func(string) (string, bool), set func(string, string) error) error {
	for _, v := range []string{"TF_LOG", "TF_LOG_PROVIDER"} {
		if val, ok := lookup(v); ok && val != "" {
			return nil
		}
	}
	for _, v := range quietLogVars {
		if _, ok := lookup(v); ok {
			continue
		}
		if err := set(v, "OFF"); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if err := quietLogEnv(os.LookupEnv, os.Setenv); err != nil {
		log.Fatal(err.Error())
	}
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
