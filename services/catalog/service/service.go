// Package service is the catalog's composition root: it wires the app to
// its document database (DocumentDB, or FerretDB embedded), the outbox
// relay, the HTTP API and the service runtime.
package service

import (
	"context"
	"errors"
	"time"

	"github.com/bloody-sweet/platform/services/catalog/adapters"
	"github.com/bloody-sweet/platform/services/catalog/app"
	"github.com/bloody-sweet/platform/services/catalog/ports"
	"github.com/bloody-sweet/platform/services/catalog/seed"
	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/docdb"
	"github.com/bloody-sweet/platform/services/internal/svc"
)

// Config is the catalog's own configuration (besides the runtime's).
type Config struct {
	Auth ports.AuthConfig
	DB   docdb.Config
	// Seed creates the seed restaurants that do not exist yet at start
	// (demo, dev); never set in a cluster.
	Seed bool
}

// Bind registers the catalog's flags: AUTH_*, CATALOG_MONGODB_URL,
// CATALOG_MONGODB_CA_FILE, CATALOG_SEED.
func Bind(b *config.Binder, c *Config) {
	ports.BindAuth(b, &c.Auth)
	docdb.Bind(b, &c.DB, "catalog-", "CATALOG_")
	b.Bool(&c.Seed, "catalog-seed", "CATALOG_SEED", false, "create the demo restaurants and menus that do not exist yet at start (demo, dev)")
}

// Database is the database name when CATALOG_MONGODB_URL names none.
const Database = "catalog"

// RelayInterval is how often the outbox is polled for changes to publish.
const RelayInterval = 500 * time.Millisecond

// Spec is the catalog service. cfg is read when the service is built,
// after the flags are parsed.
func Spec(cfg *Config) svc.Spec {
	return svc.Spec{
		Name:     "catalog",
		API:      true,
		Produces: []string{events.TopicCatalog},
		Build: func(ctx context.Context, rt *svc.Runtime) (*svc.Parts, error) {
			c := *cfg
			if c.Auth.OperatorScope == "" {
				c.Auth.OperatorScope = ports.DefaultOperatorScope
			}
			if c.DB.Database == "" {
				c.DB.Database = Database
			}
			if err := c.Auth.Config.Validate(); err != nil {
				return nil, err
			}
			guard, err := auth.NewGuard(c.Auth.Config, ports.RefusalsMetric, rt.Registry, rt.Log)
			if err != nil {
				return nil, err
			}
			if guard == nil {
				rt.Log.Warn("catalog API verifies no tokens (AUTH_ISSUER not set): anyone browses, nobody edits")
			}
			db, err := docdb.Open(ctx, c.DB, rt.Log)
			if err != nil {
				return nil, err
			}
			closeDB := func() error { return db.Close(context.Background()) }
			repo := adapters.NewMongoRepository(db.Database)
			if err := repo.EnsureIndexes(ctx); err != nil {
				return nil, errors.Join(err, closeDB())
			}
			a := app.New(repo, nil)
			if c.Seed {
				n, err := a.Seed(ctx, seed.Restaurants())
				if err != nil {
					return nil, errors.Join(err, closeDB())
				}
				rt.Log.Info("seeded the catalog", "created", n, "of", len(seed.Restaurants()))
			}
			rt.Log.Info("catalog database", "kind", db.Kind, "database", c.DB.Database)
			api := ports.API{App: a, Guard: guard, OperatorScope: c.Auth.OperatorScope, Log: rt.Log}
			return &svc.Parts{
				Routes: api.Routes(),
				Background: func(bctx context.Context) error {
					return relay(bctx, rt, repo)
				},
				Close: closeDB,
			}, nil
		},
	}
}

// relay publishes the outbox until ctx ends; a failure (broker or database
// down) is logged and retried on the next tick, the events stay queued.
func relay(ctx context.Context, rt *svc.Runtime, repo *adapters.MongoRepository) error {
	tick := time.NewTicker(RelayInterval)
	defer tick.Stop()
	for {
		for {
			n, err := repo.RelayOnce(ctx, rt.Producer, 500)
			if err != nil {
				if ctx.Err() == nil {
					rt.Log.Warn("catalog outbox relay", "err", err.Error())
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
