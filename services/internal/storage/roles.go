package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ServiceRole is the database user of a service, and the name of the schema
// it owns: "<service>_svc" (docs/CONTRACTS.md, "Connection Secrets").
func ServiceRole(service string) string { return service + "_svc" }

var roleName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Provisioned says what ProvisionRole found or did.
type Provisioned struct {
	Role        string
	CreatedRole bool // false: the role existed
	RDSIAM      bool // granted rds_iam (the server is RDS)
}

// ProvisionRole makes role a login role without a password that owns the
// schema of the same name, searched first when it logs in, so its tables
// are invisible to every other service's role. On RDS (where the rds_iam
// role exists) it also grants rds_iam: the role then logs in with IAM auth
// tokens only. db must be connected as a user that may create roles (the
// RDS master user). Every step is idempotent: the migrate hook runs it on
// every sync.
func ProvisionRole(ctx context.Context, db *DB, role string) (Provisioned, error) {
	p := Provisioned{Role: role}
	if db.Dialect != Postgres {
		return p, fmt.Errorf("storage: database roles need Postgres, not %s", db.Dialect)
	}
	if !roleName.MatchString(role) {
		return p, fmt.Errorf("storage: role name %q: want lower case letters, digits and _", role)
	}
	id := pgx.Identifier{role}.Sanitize()
	// One connection: the steps below are ordered and a role created in
	// one statement must be visible to the next (no pool hopping).
	conn, err := db.Conn(ctx)
	if err != nil {
		return p, fmt.Errorf("storage: provision %s: %w", role, err)
	}
	defer conn.Close()
	exists := func(q string, args ...any) (bool, error) {
		var ok bool
		err := conn.QueryRowContext(ctx, q, args...).Scan(&ok)
		return ok, err
	}
	steps := []struct {
		what string
		run  func() error
	}{
		{"create role", func() error {
			ok, err := exists(`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role)
			if err != nil || ok {
				return err
			}
			// No password: on RDS it logs in with IAM tokens (rds_iam).
			_, err = conn.ExecContext(ctx, "CREATE ROLE "+id+" LOGIN")
			p.CreatedRole = err == nil
			return err
		}},
		{"allow login", func() error { _, err := conn.ExecContext(ctx, "ALTER ROLE "+id+" LOGIN"); return err }},
		{"grant rds_iam", func() error {
			ok, err := exists(`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam')`)
			if err != nil || !ok {
				return err
			}
			_, err = conn.ExecContext(ctx, "GRANT rds_iam TO "+id)
			p.RDSIAM = err == nil
			return err
		}},
		{"make the master user a member", func() error {
			// RDS's master user is not a superuser: it needs membership to
			// create the schema for the role and to SET ROLE to it.
			ok, err := exists(`SELECT pg_has_role(current_user, $1, 'MEMBER')`, role)
			if err != nil || ok {
				return err
			}
			_, err = conn.ExecContext(ctx, "GRANT "+id+" TO CURRENT_USER")
			return err
		}},
		{"create schema", func() error {
			_, err := conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+id+" AUTHORIZATION "+id)
			return err
		}},
		{"own schema", func() error { _, err := conn.ExecContext(ctx, "ALTER SCHEMA "+id+" OWNER TO "+id); return err }},
		{"set search_path", func() error {
			_, err := conn.ExecContext(ctx, "ALTER ROLE "+id+" SET search_path TO "+id)
			return err
		}},
	}
	for _, s := range steps {
		if err := s.run(); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return p, fmt.Errorf("storage: provision role %s: %s: %w", role, s.what, err)
		}
	}
	return p, nil
}

// AdoptLegacyTables moves the tables a service kept in schema public before it
// had its own role (the master user created them there, named <prefix>_...)
// into the role's schema and gives them to the role, in one transaction, so
// its data survives the switch to <service>_svc. It does nothing once the
// role's schema has its migration table (adopted or migrated already), or when
// public has none of the service's tables. It returns the tables moved.
func AdoptLegacyTables(ctx context.Context, db *DB, prefix, role string) ([]string, error) {
	if db.Dialect != Postgres {
		return nil, fmt.Errorf("storage: database roles need Postgres, not %s", db.Dialect)
	}
	if !roleName.MatchString(role) || !roleName.MatchString(prefix) {
		return nil, fmt.Errorf("storage: adopt tables: bad role %q or prefix %q", role, prefix)
	}
	var moved []string
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var done bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2)`,
			role, prefix+"_schema_migrations").Scan(&done); err != nil || done {
			return err
		}
		// LIKE treats _ as a wildcard: escape it in the prefix.
		rows, err := tx.QueryContext(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1 ESCAPE '\' ORDER BY tablename`,
			strings.ReplaceAll(prefix, "_", `\_`)+`\_%`)
		if err != nil {
			return err
		}
		var tables []string
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return err
			}
			tables = append(tables, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		schema := pgx.Identifier{role}.Sanitize()
		for _, t := range tables {
			// SET SCHEMA takes the table's indexes and owned sequences along;
			// OWNER TO passes the owned sequences to the role too.
			if _, err := tx.ExecContext(ctx, "ALTER TABLE public."+pgx.Identifier{t}.Sanitize()+" SET SCHEMA "+schema); err != nil {
				return fmt.Errorf("move %s: %w", t, err)
			}
			if _, err := tx.ExecContext(ctx, "ALTER TABLE "+pgx.Identifier{role, t}.Sanitize()+" OWNER TO "+schema); err != nil {
				return fmt.Errorf("give %s to %s: %w", t, role, err)
			}
		}
		moved = tables
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: adopt %s tables from schema public: %w", prefix, err)
	}
	return moved, nil
}
