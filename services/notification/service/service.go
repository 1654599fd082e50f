// Package service is the notification service's composition root: it
// wires the hub and the SSE streams to the Redis store, the event handler
// and the service runtime.
package service

import (
	"context"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/svc"
	"github.com/bloody-sweet/platform/services/notification/adapters"
	"github.com/bloody-sweet/platform/services/notification/app"
	"github.com/bloody-sweet/platform/services/notification/ports"
)

// Spec is the notification service; authCfg (read when the service is built,
// after the flags are parsed) says how its streams verify bearer tokens:
// nil or the zero value, they do not. limits bound the streams (nil: the
// defaults).
func Spec(authCfg *ports.AuthConfig, limits *ports.StreamConfig) svc.Spec {
	return svc.Spec{
		Name:      "notification",
		API:       true,
		Consumes:  events.AllTopics(),
		UsesRedis: true,
		Build: func(ctx context.Context, rt *svc.Runtime) (*svc.Parts, error) {
			// Before anything starts: a bad or missing (AUTH_REQUIRED)
			// configuration fails the start, closed.
			var cfg ports.AuthConfig
			if authCfg != nil {
				cfg = *authCfg
			}
			if err := cfg.Validate(); err != nil {
				return nil, err
			}
			guard, err := auth.NewGuard(cfg.Config, ports.RefusalsMetric, rt.Registry, rt.Log)
			if err != nil {
				return nil, err
			}
			if guard == nil {
				rt.Log.Warn("stream endpoints serve without tokens (AUTH_ISSUER not set)")
			}
			store := adapters.NewStore(rt.Redis)
			hub := app.NewHub(app.RecentChanges)
			maxStreams := ports.DefaultMaxStreams
			if limits != nil && limits.MaxStreams > 0 {
				maxStreams = limits.MaxStreams
			}
			streams := ports.Streams{Store: store, Hub: hub, Stopping: rt.Stopping, AllScope: cfg.StreamAllScope, Log: rt.Log}.Capped(maxStreams)
			// The subscription must be live before the first change is
			// published, or a stream opened now could miss it.
			ready := make(chan struct{})
			subErr := make(chan error, 1)
			subCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			go func() { subErr <- store.Subscribe(subCtx, ready, hub) }()
			select {
			case <-ready:
			case err := <-subErr:
				cancel()
				return nil, err
			}
			return &svc.Parts{
				Handler: kafka.Handle(app.Handler(store)),
				Routes:  streams.Routes(guard),
				Background: func(bctx context.Context) error {
					select {
					case <-bctx.Done():
					case err := <-subErr:
						cancel()
						return err
					}
					cancel()
					return <-subErr
				},
			}, nil
		},
	}
}
