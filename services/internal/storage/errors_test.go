package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestPermanent(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return fmt.Errorf("insert: %w", &pgconn.PgError{Code: code}) }
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{pg("22021"), true},  // NUL / invalid byte sequence
		{pg("22P02"), true},  // invalid text representation
		{pg("23505"), true},  // unique violation
		{pg("42P01"), true},  // undefined table
		{pg("08006"), false}, // connection failure
		{pg("40001"), false}, // serialization failure
		{pg("57P01"), false}, // admin shutdown (failover)
		{pg("53300"), false}, // too many connections
		{context.DeadlineExceeded, false},
		{errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"), false},
		{errors.New("UNIQUE constraint failed: order_orders.id"), true}, // SQLite
		{errors.New("database is locked (5) (SQLITE_BUSY)"), false},
	} {
		if got := Permanent(c.err); got != c.want {
			t.Errorf("Permanent(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
