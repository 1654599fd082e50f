// Command eta predicts when each order will be delivered: it follows the
// saga's events and announces an ETA with a P10-P90 interval at placement
// and at every step.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/eta/service"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/svc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var cfg service.Config
	code := svc.Main(ctx, service.Spec(&cfg), os.Args[1:], func(b *config.Binder) { service.Bind(b, &cfg) })
	stop()
	os.Exit(code)
}
