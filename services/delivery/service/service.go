// Package service is the delivery service's composition root: it wires the app
// to its adapters and to the service runtime.
package service

import (
	"context"

	"github.com/bloody-sweet/platform/services/delivery/adapters"
	"github.com/bloody-sweet/platform/services/delivery/app"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/internal/svc"
)

// Spec is the delivery service with simulated couriers configured by *cfg
// (read when the service is built, after flags are parsed).
func Spec(cfg *sim.Config) svc.Spec {
	return svc.Spec{
		Name:       "delivery",
		Consumes:   []string{events.TopicStore},
		Produces:   []string{events.TopicDelivery},
		Migrations: adapters.Migrations(),
		Build: func(_ context.Context, rt *svc.Runtime) (*svc.Parts, error) {
			w, err := cfg.NewWorld()
			if err != nil {
				return nil, err
			}
			a := &app.App{Repo: adapters.NewSQLRepository(rt.DB), Relay: rt.Relay, Sim: *cfg, World: w}
			return &svc.Parts{Handler: kafka.Handle(a.Handle)}, nil
		},
	}
}
