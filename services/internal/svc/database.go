package svc

import (
	"context"
	"errors"
	"fmt"

	"github.com/bloody-sweet/platform/services/internal/awscfg"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/rdsauth"
	"github.com/bloody-sweet/platform/services/internal/storage"
)

// openDatabase opens the service's database (DATABASE_URL; "embedded": an
// in-memory SQLite), applies or checks its migrations and starts nothing
// else. An empty DATABASE_URL is an error: a pod whose Secret lost the key
// must not start on a database that forgets every order at restart.
func (s *Service) openDatabase(ctx context.Context, cfg config.Common, spec Spec, aws *awscfg.Lazy, o Options) (*storage.DB, error) {
	url := cfg.DatabaseURL
	switch url {
	case "":
		return nil, errors.New("svc: DATABASE_URL is not set: name the postgres:// (or sqlite://path) database, or DATABASE_URL=" + config.Embedded + " for an in-memory SQLite (demo and tests only)")
	case config.Embedded:
		url = "" // storage.Open: in-memory SQLite
	}
	var dbOpts storage.Options
	if cfg.DatabaseIAMAuth {
		var err error
		if dbOpts.Password, err = dbPassword(ctx, aws, o.DBPassword); err != nil {
			return nil, err
		}
	}
	db, err := storage.Open(ctx, url, spec.Name, dbOpts)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, db.Close)
	if err := migrateOrCheck(ctx, db, cfg, spec); err != nil {
		return nil, err
	}
	return db, nil
}

// migrateOrCheck applies the migrations, except with DATABASE_IAM_AUTH: the
// service then runs as its own database user, the migrate hook (a PreSync
// Job running "<service> migrate" as the master user) has applied them
// before the pods change, and the service only checks that none is
// pending. It runs no DDL, so a new version cannot start against a schema
// the hook has not migrated (it fails its start instead).
func migrateOrCheck(ctx context.Context, db *storage.DB, cfg config.Common, spec Spec) error {
	if !cfg.DatabaseIAMAuth {
		return db.Migrate(ctx, spec.Migrations)
	}
	pending, err := db.Pending(ctx, spec.Migrations)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("svc: migrations %v are not applied in schema %s: run %q with the master user's DATABASE_URL first (the chart's PreSync migrate Job does)",
			pending, storage.ServiceRole(spec.Name), spec.Name+" migrate")
	}
	return nil
}

// dbPassword is the password source of DATABASE_IAM_AUTH: the test's stub,
// or RDS IAM tokens signed with the process's AWS configuration.
func dbPassword(ctx context.Context, aws *awscfg.Lazy, stub storage.PasswordFunc) (storage.PasswordFunc, error) {
	if stub != nil {
		return stub, nil
	}
	awsCfg, err := aws.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("svc: AWS configuration for DATABASE_IAM_AUTH: %w", err)
	}
	return rdsauth.Signer{Region: awsCfg.Region, Creds: awsCfg.Credentials}.Password, nil
}

func dbKind(db *storage.DB) string {
	if db == nil {
		return "none"
	}
	return db.Dialect.String()
}
