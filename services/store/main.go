// Command store simulates the stores: it accepts or rejects paid orders and
// announces when they are ready.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/store/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg sim.Config
	code := svc.Main(ctx, service.Spec(&cfg), os.Args[1:], func(b *config.Binder) { sim.Bind(b, &cfg) })
	stop()
	os.Exit(code)
}
