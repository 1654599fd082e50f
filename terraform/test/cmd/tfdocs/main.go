// Command tfdocs refreshes the Inputs/Outputs tables in terraform/modules/*/README.md
// (run from terraform/test: go run ./cmd/tfdocs); -check only reports stale READMEs.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bloody-sweet/platform/terraform/test/tfdocs"
)

func main() {
	check := flag.Bool("check", false, "fail if a README is stale instead of rewriting it")
	modules := flag.String("modules", "../modules", "folder holding the modules")
	flag.Parse()
	dirs, err := filepath.Glob(filepath.Join(*modules, "*"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	stale := 0
	for _, d := range dirs {
		changed, err := tfdocs.Update(d, *check)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if changed {
			stale++
			fmt.Println(filepath.Join(d, "README.md"))
		}
	}
	if *check && stale > 0 {
		fmt.Fprintf(os.Stderr, "%d README(s) stale: run go run ./cmd/tfdocs in terraform/test\n", stale)
		os.Exit(1)
	}
}
