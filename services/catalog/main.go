// Command catalog is the catalog service: restaurants and menus customers
// browse and store operators edit, stored in DocumentDB.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/catalog/service"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/svc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Spec reads cfg when the service is built, after the flags are parsed.
	var cfg service.Config
	code := svc.Main(ctx, service.Spec(&cfg), os.Args[1:], func(b *config.Binder) { service.Bind(b, &cfg) })
	stop()
	os.Exit(code)
}
