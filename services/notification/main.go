// Command notification streams order status changes to clients over
// Server-Sent Events, fanned out across replicas through Redis pub/sub.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/notification/ports"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := svc.Main(ctx, ports.Spec(), os.Args[1:], nil)
	stop()
	os.Exit(code)
}
