// Command delivery simulates the couriers: it assigns one to each ready order
// and announces pick-up and delivery.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/delivery/service"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/internal/svc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg sim.Config
	code := svc.Main(ctx, service.Spec(&cfg), os.Args[1:], func(b *config.Binder) { sim.Bind(b, &cfg) })
	stop()
	os.Exit(code)
}
