// Package service is the eta service's composition root: it loads the
// model, wires the app to its adapters and to the service runtime.
package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/bloody-sweet/platform/services/eta/adapters"
	"github.com/bloody-sweet/platform/services/eta/app"
	"github.com/bloody-sweet/platform/services/eta/domain"
	"github.com/bloody-sweet/platform/services/eta/model"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/kafka"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/internal/svc"
)

// Config is the eta service's configuration.
type Config struct {
	// Sim is the simulated world: its map (stores, zones) gives the
	// distance feature and its clock the world hour and durations.
	Sim sim.Config
	// ModelDir is the folder of model versions (ETA_MODEL_DIR); the
	// current one is loaded at start. "embedded" trains one at start on
	// EmbeddedDays simulated days, for the demo, dev and tests only.
	ModelDir     string
	EmbeddedDays int
}

// Bind registers the eta flags (ETA_*) and the simulator's (SIM_*).
func Bind(b *config.Binder, c *Config) {
	sim.Bind(b, &c.Sim)
	b.String(&c.ModelDir, "eta-model-dir", "ETA_MODEL_DIR", "", `folder of model versions (its CURRENT is loaded); "embedded" trains one at start`)
	b.Int(&c.EmbeddedDays, "eta-embedded-days", "ETA_EMBEDDED_DAYS", 4, "simulated days the embedded model trains on")
	b.AfterParse(func() error {
		switch {
		case c.ModelDir == "":
			return errors.New("ETA_MODEL_DIR is required (a folder of model versions, or embedded)")
		case c.ModelDir == config.Embedded && c.EmbeddedDays < 1:
			return fmt.Errorf("ETA_EMBEDDED_DAYS %d: must be at least 1", c.EmbeddedDays)
		}
		return nil
	})
}

// Spec is the eta service configured by *cfg (read when the service is
// built, after flags are parsed).
func Spec(cfg *Config) svc.Spec {
	return svc.Spec{
		Name:       "eta",
		Consumes:   []string{events.TopicOrder, events.TopicStore, events.TopicDelivery},
		Produces:   []string{events.TopicETA},
		Migrations: adapters.Migrations(),
		// The store queues and the busy couriers are shared by the
		// replicas in Redis (adapters.RedisCounts).
		UsesRedis: true,
		Build: func(ctx context.Context, rt *svc.Runtime) (*svc.Parts, error) {
			w, err := cfg.Sim.NewWorld()
			if err != nil {
				return nil, err
			}
			var m *model.Model
			if cfg.ModelDir == config.Embedded {
				m, err = model.TrainSimulated(w, cfg.EmbeddedDays)
			} else {
				m, err = model.Dir{Path: cfg.ModelDir}.Current(ctx)
				if errors.Is(err, model.ErrNoModel) {
					err = fmt.Errorf("ETA_MODEL_DIR %s has no model version: run platform eta train --models %s", cfg.ModelDir, cfg.ModelDir)
				}
			}
			if err != nil {
				return nil, err
			}
			rt.Log.Info("eta model loaded", "model_version", m.Version, "trained_on_orders", m.Orders)
			a := app.New(adapters.NewSQLRepository(rt.DB), rt.Relay, adapters.NewMetrics(rt.Registry, m.Version), domain.NewPredictor(w, m, adapters.NewRedisCounts(rt.Redis)))
			return &svc.Parts{Handler: kafka.Handle(a.Handle)}, nil
		},
	}
}
