// Command payment authorizes and refunds order payments with the
// (simulated) payment provider.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/payment/adapters"
	"github.com/bloody-sweet/platform/services/payment/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg sim.Config
	provider := adapters.NewSimProvider(sim.Defaults())
	spec := service.Spec(provider)
	build := spec.Build
	// The provider is created before flags are parsed; rebuild it with
	// the parsed configuration when the service is wired.
	spec.Build = func(ctx context.Context, rt *svc.Runtime) (*svc.Parts, error) {
		provider.SetConfig(cfg)
		return build(ctx, rt)
	}
	code := svc.Main(ctx, spec, os.Args[1:], func(b *config.Binder) { sim.Bind(b, &cfg) })
	stop()
	os.Exit(code)
}
