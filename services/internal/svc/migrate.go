package svc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/storage"
)

func checkMigrateConfig(cfg config.Common, spec Spec) error {
	if spec.Migrations == nil {
		return fmt.Errorf("the %s service has no database to migrate", spec.Name)
	}
	if cfg.DatabaseIAMAuth {
		return errors.New("DATABASE_IAM_AUTH=true: migrate connects as the master user with DATABASE_URL's password; unset DATABASE_IAM_AUTH")
	}
	if u := cfg.DatabaseURL; !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		return fmt.Errorf("DATABASE_URL must be the master user's postgres:// URL (database roles and schemas are Postgres only)")
	}
	return nil
}

// Migrate prepares the database for the service, idempotently: as the
// user of cfg.DatabaseURL (the RDS master user) it provisions the role
// <service>_svc and its schema (storage.ProvisionRole), moves the tables
// the service kept in schema public before roles existed into that schema
// (storage.AdoptLegacyTables), then applies the service's migrations as
// the role (SET ROLE), so the role owns its tables and nobody else's. It
// is the migrate hook; the service then runs as <service>_svc with
// DATABASE_IAM_AUTH and only checks the migrations.
func Migrate(ctx context.Context, cfg config.Common, spec Spec, log *slog.Logger) error {
	if err := checkMigrateConfig(cfg, spec); err != nil {
		return err
	}
	role := storage.ServiceRole(spec.Name)
	admin, err := storage.Open(ctx, cfg.DatabaseURL, spec.Name)
	if err != nil {
		return err
	}
	p, err := storage.ProvisionRole(ctx, admin, role)
	var adopted []string
	if err == nil {
		// Before roles, the service's tables were the master user's, in
		// schema public: they move into the role's schema with their data.
		adopted, err = storage.AdoptLegacyTables(ctx, admin, spec.Name, role)
	}
	if cerr := admin.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("svc: close admin connection: %w", cerr)
	}
	if err != nil {
		return err
	}
	log.Info("database role ready", "role", role, "created", p.CreatedRole, "rds_iam", p.RDSIAM, "adopted_from_public", adopted)
	db, err := storage.Open(ctx, cfg.DatabaseURL, spec.Name, storage.Options{Role: role})
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.Pending(ctx, spec.Migrations)
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx, spec.Migrations); err != nil {
		return err
	}
	log.Info("migrations applied", "schema", role, "applied", before)
	return nil
}
