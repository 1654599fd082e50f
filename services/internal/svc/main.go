package svc

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/telemetry"
)

// Main is what a service's main.go calls: parse configuration (bind adds
// the service's own flags), start, run until SIGINT/SIGTERM, shut down.
// It returns the process exit code.
//
// "<service> migrate [flags]" runs the migrate mode instead (Migrate).
func Main(ctx context.Context, spec Spec, args []string, bind func(*config.Binder)) int {
	if len(args) > 0 && args[0] == "migrate" {
		return migrateMain(ctx, spec, args[1:], bind)
	}
	cfg, err := config.Parse(spec.Name, args, bind)
	if err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+":", err)
		return 2
	}
	s, err := Start(ctx, cfg, spec, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+":", err)
		return 1
	}
	select {
	case <-ctx.Done():
	case <-s.consumerStopped():
		s.Runtime.Log.Error("consumer stopped", "err", s.consErr)
	}
	s.Runtime.Log.Info("shutting down", "delay", cfg.ShutdownDelay)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownDelay+30*time.Second)
	defer cancel()
	if err := s.Close(sctx, cfg.ShutdownDelay); err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+": shutdown:", err)
		return 1
	}
	return 0
}

// consumerStopped is closed when the service's consumer stopped on its
// own; a service that consumes nothing (the catalog) has no consumer to
// stop, and the nil channel never fires.
func (s *Service) consumerStopped() <-chan struct{} {
	if s.parts == nil || s.parts.Handler == nil {
		return nil
	}
	return s.consClosed
}

// migrateMain is Main's migrate mode: exit 2 for bad configuration, 1 when
// a step fails, 0 when the database is ready for the service.
func migrateMain(ctx context.Context, spec Spec, args []string, bind func(*config.Binder)) int {
	cfg, err := config.Parse(spec.Name, args, bind)
	if err == nil {
		err = checkMigrateConfig(cfg, spec)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+" migrate:", err)
		return 2
	}
	log, err := telemetry.NewLogger(os.Stderr, cfg.LogLevel, cfg.ServiceName)
	if err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+" migrate:", err)
		return 2
	}
	if err := Migrate(ctx, cfg, spec, log); err != nil {
		fmt.Fprintln(os.Stderr, spec.Name+" migrate:", err)
		return 1
	}
	return 0
}
