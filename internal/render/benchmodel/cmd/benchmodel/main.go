// Command benchmodel writes a synthetic repository root with N services for
// scripts/bench-render.sh (see internal/render/benchmodel).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bloody-sweet/platform/internal/render/benchmodel"
)

func main() {
	out := flag.String("out", "", "directory to create (must not exist)")
	src := flag.String("src", ".", "repository root to take schemas, templates and chart from")
	n := flag.Int("services", 5, "number of services")
	flag.Parse()
	if *out == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: benchmodel -out DIR -services N [-src REPO]")
		os.Exit(2)
	}
	if err := benchmodel.Write(*out, *src, *n); err != nil {
		fmt.Fprintln(os.Stderr, "benchmodel:", err)
		os.Exit(1)
	}
}
