package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// The SQLite driver parses every query passed to Exec afresh; on the hot
// path (inbox, outbox and state writes, one of each per event) parsing
// was the largest single cost. cachingDriver keeps one prepared statement
// per distinct query and connection. A query's statement stays busy while
// its rows are open (database/sql lets a transaction run the same text
// again before closing the first rows): the second one then runs uncached.

const maxCachedStatements = 256

type cachingConnector struct{ dsn string }

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	inner, err := (&sqlite.Driver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: inner, stmts: map[string]driver.Stmt{}, queries: map[string]*cachedQuery{}}, nil
}

func (c cachingConnector) Driver() driver.Driver { return &sqlite.Driver{} }

type cachingConn struct {
	driver.Conn
	stmts   map[string]driver.Stmt
	queries map[string]*cachedQuery
}

// cachedQuery is a prepared query and whether rows of it are open.
type cachedQuery struct {
	st   driver.Stmt
	busy bool
}

var (
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, ok := c.stmts[query]
	if !ok {
		if len(c.stmts) >= maxCachedStatements {
			return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
		}
		var err error
		if st, err = c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		c.stmts[query] = st
	}
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.queries[query]
	if !ok {
		if len(c.queries) >= maxCachedStatements {
			return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
		}
		st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		q = &cachedQuery{st: st}
		c.queries[query] = q
	}
	if q.busy {
		return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	rows, err := q.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	q.busy = true
	return &cachedRows{Rows: rows, q: q}, nil
}

// cachedRows frees its statement for the next query when closed.
type cachedRows struct {
	driver.Rows
	q *cachedQuery
}

func (r *cachedRows) Close() error {
	if r.q == nil {
		return nil
	}
	r.q.busy = false
	r.q = nil
	return r.Rows.Close()
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

func (c *cachingConn) Close() error {
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	for _, q := range c.queries {
		errs = append(errs, q.st.Close())
	}
	c.stmts, c.queries = nil, nil
	return errors.Join(append(errs, c.Conn.Close())...)
}

func openSQLite(dsn string) *sql.DB { return sql.OpenDB(cachingConnector{dsn: dsn}) }
