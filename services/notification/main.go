// Command notification streams order status changes to clients over
// Server-Sent Events, fanned out across replicas through Redis pub/sub.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/notification/ports"
	"github.com/bloody-sweet/platform/services/notification/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// Spec reads cfg when the service is built, after the flags are parsed.
	var (
		auth    ports.AuthConfig
		streams ports.StreamConfig
	)
	code := svc.Main(ctx, service.Spec(&auth, &streams), os.Args[1:], func(b *config.Binder) {
		ports.BindAuth(b, &auth)
		ports.BindStreams(b, &streams)
	})
	stop()
	os.Exit(code)
}
