// Package storage is the SQL plumbing shared by the services: one DB type
// over Postgres (pgx) or SQLite (modernc, pure Go) chosen by URL, embedded
// migrations, and the transactional outbox and inbox tables. Queries are
// written once with "?" placeholders and rebound for Postgres.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	neturl "net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	_ "modernc.org/sqlite"           // registers the "sqlite" driver

	"github.com/bloody-sweet/platform/services/internal/retry"
)

// Dialect is the SQL engine behind a DB.
type Dialect int

// The supported engines.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is a database handle with its dialect and the table prefix of the
// service that owns it (services may share one database in development).
type DB struct {
	*sql.DB
	Dialect Dialect
	Prefix  string
}

// PasswordFunc returns the password of one new Postgres connection to
// host:port as user: an RDS IAM auth token (rdsauth), valid 15 minutes, so
// it is asked for again for every connection the pool opens.
type PasswordFunc func(ctx context.Context, host string, port uint16, user string) (string, error)

// Options are the optional settings of Open (Postgres only).
type Options struct {
	// Password, when set, supplies the password of every new connection;
	// the URL must then ask for TLS (sslmode=require or stricter), since
	// the token is a bearer credential and RDS accepts it over TLS only.
	Password PasswordFunc
	// Role, when set, makes every connection SET ROLE to it and put its
	// schema (same name) first on the search path: the migrate mode
	// connects as the master user and creates the service's tables as the
	// service's role, so that role owns them.
	Role string
}

// Open connects to url: "postgres://..." or "sqlite://path"; "" is a private
// in-memory SQLite database. prefix (e.g. "payment") namespaces the outbox,
// inbox and migration bookkeeping of one service. At most one Options.
func Open(ctx context.Context, url, prefix string, opts ...Options) (*DB, error) {
	var (
		db  *sql.DB
		d   Dialect
		err error
		o   Options
	)
	if len(opts) > 1 {
		return nil, errors.New("storage: Open takes at most one Options")
	}
	if len(opts) == 1 {
		o = opts[0]
	}
	isPostgres := strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
	if !isPostgres && (o.Password != nil || o.Role != "") {
		return nil, fmt.Errorf("storage: IAM auth and roles need a postgres:// database URL, not %q", redact(url))
	}
	switch {
	case isPostgres:
		d = Postgres
		db, err = openPostgres(url, o)
		if err == nil {
			db.SetMaxOpenConns(16)
			db.SetMaxIdleConns(16)
			db.SetConnMaxIdleTime(5 * time.Minute)
		}
	case url == "" || strings.HasPrefix(url, "sqlite://"):
		d = SQLite
		file := strings.TrimPrefix(url, "sqlite://")
		dsn := "file::memory:"
		if file != "" {
			dsn = "file:" + file + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)"
		}
		db = openSQLite(dsn)
		{
			// One connection: SQLite has one writer anyway, and an in-memory
			// database lives and dies with its connection.
			db.SetMaxOpenConns(1)
			db.SetMaxIdleConns(1)
			db.SetConnMaxLifetime(0)
			db.SetConnMaxIdleTime(0)
		}
	default:
		return nil, fmt.Errorf("storage: database URL %q: want postgres://... or sqlite://path", redact(url))
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", d, err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: connect to %s: %w", d, err)
	}
	return &DB{DB: db, Dialect: d, Prefix: prefix}, nil
}

// openPostgres opens a pgx pool; with o.Password every new connection gets
// a fresh password through pgx's BeforeConnect hook (database/sql opens
// connections lazily, so this is the one place that sees each of them).
func openPostgres(url string, o Options) (*sql.DB, error) {
	if o.Password == nil && o.Role == "" {
		return sql.Open("pgx", url)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL %q: %w", redact(url), err)
	}
	var stdOpts []stdlib.OptionOpenDB
	if o.Password != nil {
		if err := requireTLS(url); err != nil {
			return nil, err
		}
		pw := o.Password
		stdOpts = append(stdOpts, stdlib.OptionBeforeConnect(func(ctx context.Context, c *pgx.ConnConfig) error {
			tok, err := pw(ctx, c.Host, c.Port, c.User)
			if err != nil {
				return fmt.Errorf("storage: password for %s@%s:%d: %w", c.User, c.Host, c.Port, err)
			}
			c.Password = tok
			return nil
		}))
	}
	if o.Role != "" {
		role := pgx.Identifier{o.Role}.Sanitize()
		stdOpts = append(stdOpts, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
			if _, err := c.Exec(ctx, "SET ROLE "+role+"; SET search_path TO "+role); err != nil {
				return fmt.Errorf("storage: set role %s: %w", o.Role, err)
			}
			return nil
		}))
	}
	return stdlib.OpenDB(*cfg, stdOpts...), nil
}

// requireTLS refuses a URL whose sslmode would let the password travel in
// clear text (or that leaves it to the PGSSLMODE environment).
func requireTLS(url string) error {
	u, err := neturl.Parse(url)
	if err != nil {
		return fmt.Errorf("parse database URL %q: %w", redact(url), err)
	}
	switch m := u.Query().Get("sslmode"); m {
	case "require", "verify-ca", "verify-full":
		return nil
	case "":
		return fmt.Errorf("database URL %q: IAM auth needs TLS: add sslmode=require (or verify-ca, verify-full)", redact(url))
	default:
		return fmt.Errorf("database URL %q: IAM auth needs TLS, sslmode=%s allows plain text: use require, verify-ca or verify-full", redact(url), m)
	}
}

// redact hides a URL's password, for error messages.
func redact(url string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

// SQL rewrites a query written with "?" placeholders for the dialect, and
// expands {p} to the table prefix ("payment_").
func (db *DB) SQL(q string) string {
	return rebind(db.Dialect, strings.ReplaceAll(q, "{p}", db.Prefix+"_"))
}

func rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Tx runs fn in a transaction, committing if it returns nil. An error the
// same data will always cause is marked retry.Permanent (see permanent), so
// a consumer dead-letters its message instead of retrying it forever.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return permanent(err)
	}
	if err := tx.Commit(); err != nil {
		return permanent(fmt.Errorf("storage: commit: %w", err))
	}
	return nil
}

// permanent marks Postgres data exceptions (SQLSTATE class 22: a NUL or
// invalid UTF-8 in text, a number out of range, a value too long) as
// retry.Permanent: the statement fails the same way for the same values
// however often it runs, so a consumer dead-letters that one message.
// Everything else stays transient for a consumer: integrity violations
// (class 23), because a concurrent writer's row (two replicas during a
// rebalance) makes the retry succeed or skip through the inbox, and access
// or schema errors (class 42), because a missing grant or migration is
// fixed by a deploy and must block the consumer (not ready, paged) rather
// than dead-letter every valid message meanwhile.
func permanent(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && strings.HasPrefix(pg.Code, "22") {
		return retry.Permanent(err)
	}
	return err
}

// migration is one named SQL file.
type migration struct{ name, sql string }

// migrationList is the shared outbox/inbox migration followed by the
// *.sql files of migrations sorted by name.
func migrationList(migrations fs.FS) ([]migration, error) {
	all := []migration{{"000_outbox_inbox.sql", sharedMigration}}
	if migrations == nil {
		return all, nil
	}
	var names []string
	err := fs.WalkDir(migrations, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sql") {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list migrations: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("storage: no *.sql migrations found")
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations, n)
		if err != nil {
			return nil, fmt.Errorf("storage: read migration %s: %w", n, err)
		}
		all = append(all, migration{path.Base(n), string(b)})
	}
	return all, nil
}

// Migrate applies the *.sql files of migrations (sorted by name) that have
// not been applied yet, each in its own transaction, after the shared
// outbox/inbox migration. In the SQL, {p} is the table prefix and
// {autoid} an auto-increment primary key column type.
func (db *DB) Migrate(ctx context.Context, migrations fs.FS) error {
	all, err := migrationList(migrations)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, db.SQL(`CREATE TABLE IF NOT EXISTS {p}schema_migrations (
		name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`)); err != nil {
		return fmt.Errorf("storage: migrations table: %w", err)
	}
	autoid := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if db.Dialect == Postgres {
		autoid = "BIGSERIAL PRIMARY KEY"
	}
	for _, m := range all {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, db.SQL(`SELECT COUNT(*) FROM {p}schema_migrations WHERE name = ?`), m.name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range strings.Split(m.sql, ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				stmt = strings.ReplaceAll(stmt, "{autoid}", autoid)
				if _, err := tx.ExecContext(ctx, db.SQL(stmt)); err != nil {
					return fmt.Errorf("%s: %w", strings.TrimSpace(stmt), err)
				}
			}
			_, err := tx.ExecContext(ctx, db.SQL(`INSERT INTO {p}schema_migrations (name, applied_at) VALUES (?, ?)`), m.name, time.Now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("storage: migration %s (%s): %w", m.name, db.Dialect, err)
		}
	}
	return nil
}

// Pending returns the names of the migrations not applied yet, without
// changing anything (no DDL): what a service running as its own database
// user checks at start, since the migrate hook applies them.
func (db *DB) Pending(ctx context.Context, migrations fs.FS) ([]string, error) {
	all, err := migrationList(migrations)
	if err != nil {
		return nil, err
	}
	applied := map[string]bool{}
	rows, err := db.QueryContext(ctx, db.SQL(`SELECT name FROM {p}schema_migrations`))
	if err == nil {
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return nil, fmt.Errorf("storage: read applied migrations: %w", err)
			}
			applied[n] = true
		}
		err = rows.Err()
	}
	if err != nil && !isUndefinedTable(err) {
		return nil, fmt.Errorf("storage: read applied migrations: %w", err)
	}
	var pending []string
	for _, m := range all {
		if !applied[m.name] {
			pending = append(pending, m.name)
		}
	}
	return pending, nil
}

// isUndefinedTable reports a missing table (nothing migrated yet).
func isUndefinedTable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "42P01" // undefined_table
	}
	return strings.Contains(err.Error(), "no such table") // SQLite
}

// The outbox holds events to publish (available_at lets a simulator schedule
// an event in the future); the inbox holds the ids of consumed events.
const sharedMigration = `
CREATE TABLE IF NOT EXISTS {p}outbox (
	id {autoid},
	topic TEXT NOT NULL,
	msg_key TEXT NOT NULL,
	event_type TEXT NOT NULL,
	event_id TEXT NOT NULL,
	payload TEXT NOT NULL,
	traceparent TEXT NOT NULL,
	available_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}outbox_available ON {p}outbox (available_at, id);
CREATE TABLE IF NOT EXISTS {p}inbox (
	event_id TEXT PRIMARY KEY,
	processed_at BIGINT NOT NULL
)`

// ErrNotFound is returned by repositories for a missing row.
var ErrNotFound = errors.New("storage: not found")

// Micros converts a time to the BIGINT the tables store (0 for zero time).
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// ApplyOnce runs fn for each event id not yet in the inbox, in one
// transaction with the inbox rows: either all effects and their inbox rows
// commit, or none do.
func (db *DB) ApplyOnce(ctx context.Context, ids []string, fn func(tx *sql.Tx, i int) error) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for i, id := range ids {
			fresh, err := db.MarkProcessed(ctx, tx, id)
			if err != nil {
				return err
			}
			if !fresh {
				continue
			}
			if err := fn(tx, i); err != nil {
				return err
			}
		}
		return nil
	})
}

// Inserted reports whether an INSERT ... ON CONFLICT DO NOTHING wrote a row.
func Inserted(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
