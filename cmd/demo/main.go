// Command demo is `platform demo` on its own: the six order services in one
// process on embedded defaults, placing orders. `make demo` runs it because
// it links only the services (not Helm, OPA, CUE or the Kubernetes and AWS
// clients of the full CLI), so the first run on a fresh machine compiles a
// fraction of what `go run ./cmd/platform demo` would.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/cmd/internal/democmd"
	"github.com/bloody-sweet/platform/internal/cliexit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cmd := democmd.New()
	cmd.Use = "demo"
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
	}
	os.Exit(cliexit.Code(err))
}
