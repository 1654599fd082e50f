//go:build integration

package svc_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bloody-sweet/platform/services/devissuer"
	"github.com/bloody-sweet/platform/services/internal/auth"
	"github.com/bloody-sweet/platform/services/internal/config"
	"github.com/bloody-sweet/platform/services/internal/sim"
	"github.com/bloody-sweet/platform/services/internal/storage"
	"github.com/bloody-sweet/platform/services/internal/svc"
	orderports "github.com/bloody-sweet/platform/services/order/ports"
	orderservice "github.com/bloody-sweet/platform/services/order/service"
	paymentadapters "github.com/bloody-sweet/platform/services/payment/adapters"
	paymentservice "github.com/bloody-sweet/platform/services/payment/service"
	storeservice "github.com/bloody-sweet/platform/services/store/service"
	"github.com/bloody-sweet/platform/tests/testenv"
)

// TestMigrateThenRunAsServiceRole is the database side of the chart's
// PreSync migrate Job on a real Postgres 15, with a master user that, like
// RDS's, may create roles but is no superuser: "<service> migrate" twice
// (idempotent) provisions <service>_svc and its schema and creates the
// tables as that role; the service then runs as <service>_svc logging in
// with its token over TLS; order_svc cannot read payment_svc's tables; and
// a service whose migrations the hook has not run refuses to start rather
// than run DDL.
func TestMigrateThenRunAsServiceRole(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateDatabase(t, "orders")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	super := open(t, pg.URL("orders"))
	mustExec(t, super, "CREATE ROLE master LOGIN CREATEROLE", "GRANT CREATE, CONNECT ON DATABASE orders TO master")
	masterURL := fmt.Sprintf("postgres://master@127.0.0.1:%d/orders?sslmode=disable", pg.Port)

	payment := paymentservice.Spec(paymentadapters.NewSimProvider(sim.Defaults()))
	issuer, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = issuer.Close() })
	order := orderservice.Spec(&orderports.AuthConfig{Config: auth.Config{Required: true, Issuer: issuer.Issuer,
		Audiences: []string{devissuer.Audience}, Client: issuer.TLSClient()}}, nil)
	migrate := func(spec svc.Spec) {
		t.Helper()
		if code := svc.Main(ctx, spec, []string{"migrate", "-database-url", masterURL, "-log-level", "error"}, nil); code != 0 {
			t.Fatalf("%s migrate: exit %d", spec.Name, code)
		}
	}
	// Plain Postgres: no rds_iam role, so none is granted. Then the server
	// "becomes RDS" (rds_iam exists) and the order role gets it.
	migrate(payment)
	mustExec(t, super, "CREATE ROLE rds_iam NOLOGIN")
	for range 2 {
		migrate(order)
		migrate(payment)
	}

	type table struct{ Schema, Name, Owner string }
	var tables []table
	rows, err := super.QueryContext(ctx, `SELECT schemaname, tablename, tableowner FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb table
		if err := rows.Scan(&tb.Schema, &tb.Name, &tb.Owner); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	rows.Close()
	want := []table{
		{"order_svc", "order_eta", "order_svc"},
		{"order_svc", "order_idempotency_keys", "order_svc"}, {"order_svc", "order_inbox", "order_svc"},
		{"order_svc", "order_orders", "order_svc"}, {"order_svc", "order_outbox", "order_svc"},
		{"order_svc", "order_schema_migrations", "order_svc"},
		{"payment_svc", "payment_inbox", "payment_svc"}, {"payment_svc", "payment_outbox", "payment_svc"},
		{"payment_svc", "payment_payments", "payment_svc"}, {"payment_svc", "payment_schema_migrations", "payment_svc"},
	}
	if d := cmp.Diff(want, tables); d != "" {
		t.Errorf("tables after migrating twice (-want +got):\n%s", d)
	}
	files, err := fs.Glob(order.Migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := super.QueryRowContext(ctx, "SELECT count(*) FROM order_svc.order_schema_migrations").Scan(&applied); err != nil || applied != 1+len(files) {
		t.Errorf("order migrations recorded: %d, %v; want %d (shared, %v), once each", applied, err, 1+len(files), files)
	}
	type role struct {
		Name           string
		Login, Super   bool
		HasPassword    bool
		RDSIAM         bool
		SearchPathConf string
	}
	var roles []role
	for _, r := range []string{"order_svc", "payment_svc"} {
		var x role
		x.Name = r
		if err := super.QueryRowContext(ctx, `SELECT r.rolcanlogin, r.rolsuper, a.rolpassword IS NOT NULL,
			pg_has_role($1, 'rds_iam', 'MEMBER'), coalesce(array_to_string(r.rolconfig, ','), '')
			FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1`, r).Scan(&x.Login, &x.Super, &x.HasPassword, &x.RDSIAM, &x.SearchPathConf); err != nil {
			t.Fatal(err)
		}
		roles = append(roles, x)
	}
	wantRoles := []role{
		{Name: "order_svc", Login: true, RDSIAM: true, SearchPathConf: "search_path=order_svc"},
		{Name: "payment_svc", Login: true, RDSIAM: true, SearchPathConf: "search_path=payment_svc"},
	}
	// payment_svc was created before rds_iam existed, the second migrate
	// granted it: the grant follows the server, not the first run.
	if d := cmp.Diff(wantRoles, roles); d != "" {
		t.Errorf("roles (-want +got):\n%s", d)
	}

	// The service's turn: the pods log in as <service>_svc over TLS with a
	// token, which here is the role's password (RDS checks a real token).
	testenv.RequireTLSPasswords(t, pg, "order_svc", "payment_svc", "store_svc")
	mustExec(t, super, "ALTER ROLE order_svc PASSWORD 'token-order'", "ALTER ROLE payment_svc PASSWORD 'token-payment'")
	svcURL := func(role string) string {
		return fmt.Sprintf("postgres://%s@127.0.0.1:%d/orders?sslmode=require", role, pg.Port)
	}
	var tokens atomic.Int32
	token := func(_ context.Context, _ string, _ uint16, user string) (string, error) {
		tokens.Add(1)
		return "token-" + strings.TrimSuffix(user, "_svc"), nil
	}
	cfg := config.Common{ServiceName: "order", HTTPAddr: "127.0.0.1:0", LogLevel: "error", KafkaBrokers: []string{config.Embedded},
		DatabaseURL: svcURL("order_svc"), DatabaseIAMAuth: true}
	s, err := svc.Start(ctx, cfg, order, svc.Options{LogWriter: io.Discard, DBPassword: token})
	if err != nil {
		t.Fatalf("start order as order_svc: %v", err)
	}
	defer s.Close(context.Background(), 0)
	body := `{"store_id":"store-1","items":[{"sku":"pizza-margherita","quantity":2}],"address":{"street":"1 Main St","city":"Springfield","postcode":"12345"}}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/v1/orders", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k-1")
	customer, err := issuer.Client("c-42")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := customer.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("place order as order_svc: %d %s", resp.StatusCode, b)
	}
	var n int
	if err := super.QueryRowContext(ctx, "SELECT count(*) FROM order_svc.order_orders").Scan(&n); err != nil || n != 1 {
		t.Errorf("orders stored in order_svc's schema: %d, %v; want 1", n, err)
	}
	if tokens.Load() == 0 {
		t.Error("the service connected without asking for a token")
	}

	// order_svc sees its own tables and none of payment_svc's.
	asOrder, err := storage.Open(ctx, svcURL("order_svc"), "order", storage.Options{Password: token})
	if err != nil {
		t.Fatal(err)
	}
	defer asOrder.Close()
	if _, err := asOrder.ExecContext(ctx, "SELECT 1 FROM order_orders LIMIT 1"); err != nil {
		t.Errorf("order_svc reading its own table: %v", err)
	}
	for _, q := range []string{
		"SELECT * FROM payment_svc.payment_payments",
		"INSERT INTO payment_svc.payment_inbox (event_id, processed_at) VALUES ('x', 0)",
		"CREATE TABLE payment_svc.sneaky (id INT)",
		"SET ROLE payment_svc",
	} {
		_, err := asOrder.ExecContext(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" { // insufficient_privilege
			t.Errorf("order_svc: %s = %v, want permission denied", q, err)
		}
	}

	// A service the hook has not migrated does not start (and creates
	// nothing): its role exists but its schema is empty.
	admin, err := storage.Open(ctx, masterURL, "store")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.ProvisionRole(ctx, admin, "store_svc"); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	mustExec(t, super, "ALTER ROLE store_svc PASSWORD 'token-store'")
	var storeCfg sim.Config
	_, err = svc.Start(ctx, config.Common{ServiceName: "store", HTTPAddr: "127.0.0.1:0", LogLevel: "error", KafkaBrokers: []string{config.Embedded},
		DatabaseURL: svcURL("store_svc"), DatabaseIAMAuth: true}, storeservice.Spec(&storeCfg), svc.Options{LogWriter: io.Discard, DBPassword: token})
	if err == nil || !strings.Contains(err.Error(), "are not applied") || !strings.Contains(err.Error(), "store migrate") {
		t.Errorf("start store before its migration: %v, want an error asking for store migrate", err)
	}
	if err := super.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'store_svc'").Scan(&n); err != nil || n != 0 {
		t.Errorf("tables in store_svc after a refused start: %d, %v; want 0", n, err)
	}
}

// TestMigrateRefusesBadConfig: exit 2 with nothing done.
func TestMigrateRefusesBadConfig(t *testing.T) {
	t.Parallel()
	issuer, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = issuer.Close() })
	order := orderservice.Spec(&orderports.AuthConfig{Config: auth.Config{Required: true, Issuer: issuer.Issuer,
		Audiences: []string{devissuer.Audience}, Client: issuer.TLSClient()}}, nil)
	for _, args := range [][]string{
		{"migrate"}, // in-memory SQLite has no roles
		{"migrate", "-database-url", "sqlite:///tmp/x.db"},
		{"migrate", "-database-url", "postgres://order_svc@h:5432/db?sslmode=require", "-database-iam-auth"},
	} {
		if code := svc.Main(context.Background(), order, args, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func open(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestMigrateAdoptsLegacyTables: a database from before the roles, where the
// master user (here, like on RDS, the database's owner) created the order
// tables in schema public, keeps its data: the migrate hook moves the tables
// (with their sequences) into order_svc's schema and gives them to order_svc,
// once; nothing is migrated twice.
func TestMigrateAdoptsLegacyTables(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.CreateDatabase(t, "legacy")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	super := open(t, pg.URL("legacy"))
	mustExec(t, super, "CREATE ROLE master LOGIN CREATEROLE", "ALTER DATABASE legacy OWNER TO master")
	masterURL := fmt.Sprintf("postgres://master@127.0.0.1:%d/legacy?sslmode=disable", pg.Port)
	issuer, err := devissuer.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = issuer.Close() })
	order := orderservice.Spec(&orderports.AuthConfig{Config: auth.Config{Required: true, Issuer: issuer.Issuer,
		Audiences: []string{devissuer.Audience}, Client: issuer.TLSClient()}}, nil)

	// The old deployment: the service itself migrated as the master user.
	old, err := storage.Open(ctx, masterURL, "order")
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Migrate(ctx, order.Migrations); err != nil {
		t.Fatal(err)
	}
	var before int
	if err := old.QueryRowContext(ctx, "SELECT count(*) FROM order_schema_migrations").Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := old.ExecContext(ctx, `INSERT INTO order_orders (id, store_id, customer_id, status, body) VALUES ('o-1', 's-1', 'c-1', 'PLACED', '{}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.ExecContext(ctx, `INSERT INTO order_outbox (topic, msg_key, event_type, event_id, payload, traceparent, available_at) VALUES ('t', 'k', 'e', 'id-1', '{}', '', 0)`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	for range 2 {
		if code := svc.Main(ctx, order, []string{"migrate", "-database-url", masterURL, "-log-level", "error"}, nil); code != 0 {
			t.Fatalf("order migrate: exit %d", code)
		}
	}
	type rel struct{ Schema, Name, Kind, Owner string }
	var rels []rel
	rows, err := super.QueryContext(ctx, `SELECT n.nspname, c.relname, c.relkind::text, pg_get_userbyid(c.relowner)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'S') AND n.nspname IN ('public', 'order_svc') ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r rel
		if err := rows.Scan(&r.Schema, &r.Name, &r.Kind, &r.Owner); err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r)
	}
	rows.Close()
	want := []rel{
		{"order_svc", "order_eta", "r", "order_svc"},
		{"order_svc", "order_idempotency_keys", "r", "order_svc"}, {"order_svc", "order_inbox", "r", "order_svc"},
		{"order_svc", "order_orders", "r", "order_svc"}, {"order_svc", "order_outbox", "r", "order_svc"},
		{"order_svc", "order_outbox_id_seq", "S", "order_svc"}, {"order_svc", "order_schema_migrations", "r", "order_svc"},
	}
	if d := cmp.Diff(want, rels); d != "" {
		t.Errorf("tables and sequences after adopting (-want +got):\n%s", d)
	}
	var id string
	if err := super.QueryRowContext(ctx, "SELECT id FROM order_svc.order_orders").Scan(&id); err != nil || id != "o-1" {
		t.Errorf("the legacy order: %q, %v; want o-1 kept", id, err)
	}
	var applied int
	if err := super.QueryRowContext(ctx, "SELECT count(*) FROM order_svc.order_schema_migrations").Scan(&applied); err != nil || applied != before {
		t.Errorf("migrations recorded: %d, %v; want the %d of before, none applied again", applied, err, before)
	}
	// order_svc writes with the adopted sequence.
	conn, err := super.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var next int64
	if _, err := conn.ExecContext(ctx, "SET ROLE order_svc"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, `INSERT INTO order_svc.order_outbox (topic, msg_key, event_type, event_id, payload, traceparent, available_at)
		VALUES ('t', 'k', 'e', 'id-2', '{}', '', 0) RETURNING id`).Scan(&next); err != nil || next != 2 {
		t.Errorf("order_svc inserting into its adopted outbox: id %d, %v; want 2", next, err)
	}
}
