// Package docdb opens a service's document database through the MongoDB
// API: Amazon DocumentDB in production (a mongodb:// URL, TLS with the RDS
// CA bundle), or FerretDB embedded in this process for the demo, dev and
// fast tests, asked for by name ("embedded") and never chosen silently.
package docdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/bloody-sweet/platform/services/internal/config"
)

// Config says where the database is.
type Config struct {
	// URL is mongodb://user:pass@host:27017/db?tls=true... or
	// config.Embedded (FerretDB on an in-memory SQLite in this process).
	URL string
	// CAFile is the PEM bundle the server's certificate is checked against
	// (the RDS CA bundle); set, it turns TLS on.
	CAFile string
	// Database is used when the URL names none.
	Database string
}

// Bind registers the flags of a service's document database under prefix
// (CATALOG_MONGODB_URL, CATALOG_MONGODB_CA_FILE).
func Bind(b *config.Binder, c *Config, flagPrefix, envPrefix string) {
	b.String(&c.URL, flagPrefix+"mongodb-url", envPrefix+"MONGODB_URL", "",
		"mongodb://... of the document database (DocumentDB); \""+config.Embedded+"\" runs FerretDB on an in-memory SQLite in this process (demo, tests)")
	b.String(&c.CAFile, flagPrefix+"mongodb-ca-file", envPrefix+"MONGODB_CA_FILE", "",
		"PEM CA bundle the document database's certificate is checked against (the RDS CA bundle); turns TLS on")
	b.AfterParse(c.Validate)
}

// Validate checks the URL's form without printing its password.
func (c Config) Validate() error {
	switch {
	case c.URL == "":
		return errors.New("config: MONGODB_URL is not set: name the mongodb:// database, or " + config.Embedded + " for FerretDB in this process (demo and tests only)")
	case c.URL == config.Embedded:
		if c.CAFile != "" {
			return errors.New("config: MONGODB_CA_FILE is set but MONGODB_URL is " + config.Embedded + ": the embedded database takes no TLS")
		}
		return nil
	}
	if err := config.CheckURL("MONGODB_URL", c.URL); err != nil {
		return err
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "mongodb" && u.Scheme != "mongodb+srv") || u.Host == "" {
		return fmt.Errorf("config: MONGODB_URL %q: want mongodb://host:port/database or %s", config.Redact(c.URL), config.Embedded)
	}
	return nil
}

// DB is an open document database.
type DB struct {
	Client   *mongo.Client
	Database *mongo.Database
	// Kind is "ferretdb-embedded" or "mongodb" (for the start log).
	Kind  string
	close func(context.Context) error
}

// Close disconnects and stops an embedded FerretDB.
func (d *DB) Close(ctx context.Context) error { return d.close(ctx) }

// Open connects to c and pings the server. The embedded database lives
// until Close.
func Open(ctx context.Context, c Config, log *slog.Logger) (*DB, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.URL == config.Embedded {
		return startEmbedded(ctx, c.Database, log)
	}
	opts := options.Client().ApplyURI(c.URL).
		// DocumentDB does not support retryable writes: a driver that
		// retries by default fails every write there.
		SetRetryWrites(false)
	if c.CAFile != "" {
		tlsCfg, err := caBundle(c.CAFile)
		if err != nil {
			return nil, err
		}
		opts.SetTLSConfig(tlsCfg)
	}
	db := c.Database
	if cs, err := url.Parse(c.URL); err == nil && strings.Trim(cs.Path, "/") != "" {
		db = strings.Trim(cs.Path, "/")
	}
	d, err := connect(ctx, opts, db, "mongodb", nil)
	return d, hidePassword(err, c.URL)
}

// hidePassword removes the URL's password from err: the driver quotes
// pieces of the URI in its parse errors.
func hidePassword(err error, raw string) error {
	u, perr := url.Parse(raw)
	if err == nil || perr != nil || u.User == nil {
		return err
	}
	p, ok := u.User.Password()
	if !ok || p == "" || !strings.Contains(err.Error(), p) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
}

// startEmbedded runs FerretDB on SQLite files in a fresh temporary
// directory, removed at Close: the data lives as long as the process, like
// the embedded SQL database. (FerretDB's in-memory SQLite mode holds one
// connection and deadlocks an update against its own read.)
func startEmbedded(ctx context.Context, database string, log *slog.Logger) (*DB, error) {
	dir, err := os.MkdirTemp("", "ferretdb-")
	if err != nil {
		return nil, fmt.Errorf("docdb: embedded FerretDB: %w", err)
	}
	db, err := StartFerret(ctx, "sqlite", "file:"+dir+"/", database, log)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	stop := db.close
	db.close = func(ctx context.Context) error { return errors.Join(stop(ctx), os.RemoveAll(dir)) }
	return db, nil
}

// StartFerret runs FerretDB in this process with the given backend
// ("sqlite" with a SQLite URI, "postgresql" with a postgres:// URL) on a
// loopback port and connects to it. Integration tests run it on a real
// Postgres; Open runs it on an in-memory SQLite.
func StartFerret(ctx context.Context, handler, backendURL, database string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		// FerretDB logs every connection at INFO and dumps the whole
		// wire message of each command it lacks (endSessions at every
		// disconnect) at WARN; the service's log keeps its errors.
		Logger:  slog.New(levelAtLeast{log.Handler(), slog.LevelError}).With("component", "ferretdb"),
		Handler: handler,
	}
	switch handler {
	case "sqlite":
		cfg.SQLiteURL = backendURL
	case "postgresql":
		cfg.PostgreSQLURL = backendURL
	default:
		return nil, fmt.Errorf("docdb: FerretDB backend %q: want sqlite or postgresql", handler)
	}
	f, err := ferretdb.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("docdb: start FerretDB: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- f.Run(runCtx) }()
	stopFerret := func() error { stop(); return <-done }
	// MongoDBURI waits for the listener, so it is read after Run started.
	uri := f.MongoDBURI()
	db, err := connect(ctx, options.Client().ApplyURI(uri).SetRetryWrites(false), database, "ferretdb-embedded", stopFerret)
	if err != nil {
		return nil, errors.Join(err, stopFerret())
	}
	return db, nil
}

func connect(ctx context.Context, opts *options.ClientOptions, database, kind string, after func() error) (*DB, error) {
	if database == "" {
		return nil, errors.New("docdb: no database name (neither in the URL nor configured)")
	}
	client, err := mongo.Connect(opts.SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("docdb: connect: %w", err)
	}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		return nil, errors.Join(fmt.Errorf("docdb: ping %s: %w", kind, err), client.Disconnect(context.WithoutCancel(ctx)))
	}
	return &DB{
		Client: client, Database: client.Database(database), Kind: kind,
		close: func(ctx context.Context) error {
			err := client.Disconnect(ctx)
			if after != nil {
				err = errors.Join(err, after())
			}
			return err
		},
	}, nil
}

// levelAtLeast drops records below min.
type levelAtLeast struct {
	slog.Handler
	min slog.Level
}

func (h levelAtLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelAtLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return levelAtLeast{h.Handler.WithAttrs(as), h.min}
}

func (h levelAtLeast) WithGroup(g string) slog.Handler {
	return levelAtLeast{h.Handler.WithGroup(g), h.min}
}
