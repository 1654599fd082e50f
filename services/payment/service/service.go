// Package service is the payment service's composition root: it wires the app
// to its adapters and to the service runtime.
package service

import (
	"context"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/payment/adapters"
	"github.com/bloody-sweet/platform/services/payment/app"
)

// Spec is the payment service, calling provider (the simulator in every
// environment of this repository).
func Spec(provider *adapters.SimProvider) svc.Spec {
	return svc.Spec{
		Name:       "payment",
		Consumes:   []string{events.TopicOrder, events.TopicStore},
		Produces:   []string{events.TopicPayment},
		Migrations: adapters.Migrations(),
		Build: func(_ context.Context, rt *svc.Runtime) (*svc.Parts, error) {
			a := &app.App{Repo: adapters.NewSQLRepository(rt.DB), Provider: provider, Relay: rt.Relay}
			return &svc.Parts{Handler: kafka.Handle(a.Handle)}, nil
		},
	}
}
