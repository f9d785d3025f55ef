package pgdb

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Queryer is what a store's statements run on: the pool or a transaction.
type Queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Row is a result row to scan. It is an alias, so that a store's scan functions, written for
// its own identical interface, serve its SQLite and PostgreSQL code alike.
type Row = interface{ Scan(dest ...any) error }

// List runs query and scans each row with scan: an empty list, not nil, when no row matches.
// Connection problems are marked ErrUnavailable.
func List[T any](ctx context.Context, q Queryer, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, Unavailable(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
	if out == nil {
		out = []T{}
	}
	return out, Unavailable(err)
}
