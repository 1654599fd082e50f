// Command terraform-provider-aws serves the offline, schema-only hashicorp/aws provider
// (package awsprovider) over the plugin protocol. scripts/test-terraform.sh installs it
// into a filesystem mirror; it is never meant to talk to AWS.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/bloody-sweet/platform/terraform/test/awsprovider"
)

func main() {
	schemas, err := awsprovider.LoadSchemas()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := awsprovider.New(schemas)
	if err := tf6server.Serve(awsprovider.ProviderAddress, func() tfprotov6.ProviderServer { return srv }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
