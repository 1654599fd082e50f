// Package service is the order service's composition root: it wires the
// app to its SQL repository, the HTTP API and the service runtime.
package service

import (
	"context"
	"time"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/admission"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/order/adapters"
	"github.com/bloody-sweet/platform/services/order/app"
	"github.com/bloody-sweet/platform/services/order/ports"
)

// PurgeInterval is how often expired idempotency records are deleted.
const PurgeInterval = 10 * time.Minute

// Spec is the order service: the app's HTTP API, consuming the payment,
// store and delivery events, and the eta events for the orders' ETAs. authCfg (read when the service is built,
// after the flags are parsed) says how the API verifies bearer tokens; nil
// or the zero value verifies none, and then the API identifies nobody and
// answers 401. admCfg (read then too) bounds the orders in flight new
// orders are admitted at; nil takes admission.Defaults().
func Spec(authCfg *ports.AuthConfig, admCfg *admission.Config) svc.Spec {
	return svc.Spec{
		Name:       "order",
		API:        true,
		Consumes:   []string{events.TopicPayment, events.TopicStore, events.TopicDelivery, events.TopicETA},
		Produces:   []string{events.TopicOrder},
		Migrations: adapters.Migrations(),
		Build: func(ctx context.Context, rt *svc.Runtime) (*svc.Parts, error) {
			var cfg ports.AuthConfig
			if authCfg != nil {
				cfg = *authCfg
			}
			if cfg.StoreReadScope == "" {
				cfg.StoreReadScope = ports.DefaultStoreReadScope
			}
			// Before anything starts: a bad or missing (AUTH_REQUIRED)
			// configuration fails the start, closed.
			if err := cfg.Validate(); err != nil {
				return nil, err
			}
			guard, err := auth.NewGuard(cfg.Config, ports.RefusalsMetric, rt.Registry, rt.Log)
			if err != nil {
				return nil, err
			}
			if guard == nil {
				rt.Log.Warn("order API verifies no tokens (AUTH_ISSUER not set): every order endpoint answers 401")
			}
			repo := adapters.NewSQLRepository(rt.DB)
			a, err := app.New(ctx, repo, rt.Relay, app.NewMetrics(rt.Registry), ports.OrderJSON)
			if err != nil {
				return nil, err
			}
			a.WithETAs(repo) // the ETA read model of eta.events.v1 (app/eta.go)
			adm := admission.Defaults()
			if admCfg != nil {
				adm = *admCfg
			}
			gate, err := admission.New(adm, a.InFlight, ports.AdmissionMetrics, rt.Registry, rt.Log)
			if err != nil {
				return nil, err
			}
			api := ports.API{App: a, Guard: guard, Admission: gate, StoreReadScope: cfg.StoreReadScope, Log: rt.Log}
			return &svc.Parts{
				Routes:  api.Routes(),
				Handler: kafka.Handle(a.Handle),
				Background: func(bctx context.Context) error {
					// The admission gate counts the orders in flight
					// alongside; it ends with bctx, before this returns.
					gateDone := make(chan struct{})
					go func() { defer close(gateDone); _ = gate.Run(bctx) }()
					defer func() { <-gateDone }()
					// Expired idempotency records are dead weight: a key
					// older than IdempotencyTTL places a new order anyway.
					tick := time.NewTicker(PurgeInterval)
					defer tick.Stop()
					for {
						if n, err := a.PurgeExpired(bctx); err != nil && bctx.Err() == nil {
							rt.Log.Warn("purge expired idempotency keys", "err", err.Error())
						} else if n > 0 {
							rt.Log.Info("purged expired idempotency keys", "count", n)
						}
						select {
						case <-bctx.Done():
							return nil
						case <-tick.C:
						}
					}
				},
			}, nil
		},
	}
}
