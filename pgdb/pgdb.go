// Package pgdb opens eventlens' PostgreSQL store: a pgx pool shared by the domain packages, the
// schema migrated under an advisory lock (so replicas starting together migrate once), and the
// LISTEN/NOTIFY channel replicas use to tell each other about writes.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/eventlens/eventlens/migrations"
)

// DB is the store: one pool for every query, Postgres' own MVCC doing what SQLite's single
// writer does for the file backend.
type DB struct {
	Pool *pgxpool.Pool
	// URL is the address without its password, for logs and messages.
	URL string

	migration int64 // the newest migration this binary carries
}

// IsURL reports whether target names a PostgreSQL database rather than a SQLite file.
func IsURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// connectTimeout bounds each connection attempt when the URL sets none, so an unreachable
// server stops start-up in seconds instead of the kernel's TCP timeout.
const connectTimeout = 5 * time.Second

// Open connects to the database at rawURL and applies pending migrations. A malformed URL, a
// refused login or an unreachable server fail here, with the address (password hidden) in the
// message.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	cfg, shown, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", shown, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s: %s", shown, connectProblem(err))
	}
	db := &DB{Pool: pool, URL: shown}
	if db.migration, err = db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate %s: %w", shown, err)
	}
	return db, nil
}

func parseURL(rawURL string) (*pgxpool.Config, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !IsURL(rawURL) || u.Host == "" {
		return nil, "", fmt.Errorf("PostgreSQL URL %q: want postgres://user:password@host:5432/database?sslmode=disable", Redact(rawURL))
	}
	shown := Redact(rawURL)
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("PostgreSQL URL %s: %s", shown, connectProblem(err))
	}
	if u.Query().Get("connect_timeout") == "" {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if u.Query().Get("pool_max_conns") == "" {
		cfg.MaxConns = 16
	}
	return cfg, shown, nil
}

// Redact hides the password in a PostgreSQL URL.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Cut "user:password@" by hand: the URL may be malformed anywhere.
		if at := strings.LastIndex(rawURL, "@"); at >= 0 {
			if scheme := strings.Index(rawURL, "://"); scheme >= 0 && scheme < at {
				return rawURL[:scheme+3] + "…@" + rawURL[at+1:]
			}
		}
		return rawURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// connectProblem says why a connection failed in a person's words, keeping the server's own
// message (it names the user or database) and dropping pgx's restatement of the address.
func connectProblem(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			return "login refused: " + pgErr.Message
		case "3D000":
			return "no such database: " + pgErr.Message
		}
		return pgErr.Message + " (SQLSTATE " + pgErr.Code + ")"
	}
	var cerr *pgconn.ConnectError
	if errors.As(err, &cerr) {
		return "server unreachable: " + errors.Unwrap(cerr).Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "server unreachable: no answer within the connect timeout"
	}
	return err.Error()
}

// migrate applies pending migrations under a session advisory lock, so replicas that start
// together apply each migration once, and returns the newest one this binary carries.
func (db *DB) migrate(ctx context.Context) (int64, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 120))
	if err != nil {
		return 0, err
	}
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.Postgres, goose.WithSessionLocker(locker))
	if err != nil {
		return 0, err
	}
	return migrations.Apply(ctx, p)
}

// Ready reports whether the database answers and carries every migration this binary knows.
func (db *DB) Ready(ctx context.Context) error {
	var current int64
	err := db.Pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&current)
	if err != nil {
		return fmt.Errorf("read schema version: %s", connectProblem(err))
	}
	if current != db.migration {
		return fmt.Errorf("schema at migration %d, want %d", current, db.migration)
	}
	return nil
}

// SizeBytes is what eventlens' tables (with their indexes and TOAST) take on disk, in the
// schema its connections use.
func (db *DB) SizeBytes(ctx context.Context) (int64, error) {
	var total int64
	err := db.Pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')`).Scan(&total)
	if err != nil {
		return 0, fmt.Errorf("store size: %w", Unavailable(err))
	}
	return total, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.Pool.Close()
	return nil
}
