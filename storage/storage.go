// Package storage opens the store that --db names: a SQLite file (the default) or a PostgreSQL
// database shared by several replicas. Each domain package takes a *DB and picks its own
// implementation of the storage it needs for the backend that is set.
package storage

import (
	"context"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/sqlitedb"
)

// DB is an open store; exactly one of SQLite and Postgres is set.
type DB struct {
	SQLite   *sqlitedb.DB
	Postgres *pgdb.DB
}

// Open opens target: a postgres:// or postgresql:// URL, or else a SQLite file path.
func Open(ctx context.Context, target string) (*DB, error) {
	if pgdb.IsURL(target) {
		db, err := pgdb.Open(ctx, target)
		if err != nil {
			return nil, err
		}
		return &DB{Postgres: db}, nil
	}
	db, err := sqlitedb.Open(ctx, target)
	if err != nil {
		return nil, err
	}
	return &DB{SQLite: db}, nil
}

// Backend names the backend: "sqlite" or "postgres".
func (db *DB) Backend() string {
	if db.Postgres != nil {
		return "postgres"
	}
	return "sqlite"
}

// Where says where the data is, for logs: the file path, or the URL without its password.
func (db *DB) Where() string {
	if db.Postgres != nil {
		return db.Postgres.URL
	}
	return db.SQLite.Path
}

// Ready reports whether the store answers and carries every migration this binary knows.
func (db *DB) Ready(ctx context.Context) error {
	if db.Postgres != nil {
		return db.Postgres.Ready(ctx)
	}
	return db.SQLite.Ready(ctx)
}

// SizeBytes is what the store takes on disk: the SQLite file and its WAL, or the PostgreSQL
// tables and indexes of eventlens' schema.
func (db *DB) SizeBytes(ctx context.Context) (int64, error) {
	if db.Postgres != nil {
		return db.Postgres.SizeBytes(ctx)
	}
	return db.SQLite.SizeBytes()
}

// Close closes the store.
func (db *DB) Close() error {
	if db.Postgres != nil {
		return db.Postgres.Close()
	}
	return db.SQLite.Close()
}
