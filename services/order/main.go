// Command order is the order service: the HTTP API the app places orders
// with, and the owner of each order's status.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/order/ports"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := svc.Main(ctx, ports.Spec(), os.Args[1:], nil)
	stop()
	os.Exit(code)
}
