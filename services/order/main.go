// Command order is the order service: the HTTP API the app places orders
// with, and the owner of each order's status.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/internal/admission"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/order/ports"
	"github.com/bloody-sweet/platform/services/order/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Spec reads auth and adm when the service is built, after the flags
	// are parsed.
	var (
		auth ports.AuthConfig
		adm  admission.Config
	)
	code := svc.Main(ctx, service.Spec(&auth, &adm), os.Args[1:], func(b *config.Binder) {
		ports.BindAuth(b, &auth)
		admission.Bind(b, &adm)
	})
	stop()
	os.Exit(code)
}
