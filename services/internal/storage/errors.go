package storage

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Permanent reports whether err is a database error that the same
// statement with the same values will meet again: the database refused
// the data or the statement (a NUL byte or an invalid byte sequence, a
// value out of range, a constraint, an undefined column), not a lost
// connection, a timeout, a serialization conflict or a database shutting
// down. A caller answers a permanent error with a 4xx or 500 instead of
// "retry", and a consumer does not retry it for ever.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && len(pg.Code) == 5 {
		switch pg.Code[:2] {
		case "22", // data exception: 22021 character_not_in_repertoire (NUL), 22P02 invalid text, 22003 out of range
			"23", // integrity constraint violation
			"42": // syntax error or access rule violation: a bug, not an outage
			return true
		}
		return false
	}
	// SQLite (modernc) reports constraint and datatype failures in its
	// message; busy/locked and I/O errors are transient.
	msg := err.Error()
	for _, s := range []string{"constraint failed", "datatype mismatch", "no such table", "no such column", "syntax error"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
