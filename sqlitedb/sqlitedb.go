// Package sqlitedb opens eventlens' SQLite store: one writer connection and a pool of readers on
// the same file, with the pragmas that make acknowledged writes durable and the schema migrated.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/eventlens/eventlens/migrations"
)

// DB is the store. Write has exactly one connection, so writers queue in Go instead of failing
// with SQLITE_BUSY; Read is a pool of read-only connections that WAL lets run beside the writer.
//
// Durability: journal_mode=WAL with synchronous=NORMAL appends each commit to the WAL file before
// the commit returns, so a committed (acknowledged) write survives the process being killed
// (kill -9); only a power loss or OS crash can drop the last commits, because the WAL is synced at
// checkpoints rather than on every commit. Close checkpoints the WAL into the main file.
type DB struct {
	Write *sql.DB
	Read  *sql.DB
	Path  string

	migration       int64 // the newest migration this binary carries
	stopCheckpoints context.CancelFunc
	checkpointsDone chan struct{}
}

// checkpointEvery is how often the WAL is copied into the database file in the background.
const checkpointEvery = 250 * time.Millisecond

// Open opens (creating if needed) the database file at path and applies pending migrations.
// It refuses a database whose schema is newer than the migrations this binary carries.
func Open(ctx context.Context, path string) (*DB, error) {
	write, err := open(path, false)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	migration, err := migrate(ctx, write)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	read, err := open(path, true)
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	checkpoints, err := open(path, false)
	if err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	db := &DB{Write: write, Read: read, Path: path, migration: migration, checkpointsDone: make(chan struct{})}
	var cpCtx context.Context
	cpCtx, db.stopCheckpoints = context.WithCancel(context.Background())
	go db.checkpoint(cpCtx, checkpoints)
	return db, nil
}

// checkpoint copies the WAL into the database file every checkpointEvery on a connection of its
// own. The writer's automatic checkpoint runs inside a commit and makes it wait for an fsync of
// the database file, so its threshold is raised to a safety net that a burst between two
// background checkpoints rarely reaches. A passive checkpoint blocks neither writer nor readers.
func (db *DB) checkpoint(ctx context.Context, conn *sql.DB) {
	defer close(db.checkpointsDone)
	defer conn.Close()
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			// An error (say, a busy database) is retried at the next tick.
			_, _ = conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

func open(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// Take the write lock at BEGIN, so a transaction that reads then writes never fails to upgrade.
		q.Set("_txlock", "immediate")
		// Checkpoints run in the background (see checkpoint); this is only the safety net.
		q.Add("_pragma", "wal_autocheckpoint(4096)")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// A file that is not SQLite fails here, not at the first query.
	if _, err := db.Exec("SELECT count(*) FROM sqlite_master"); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// migrate applies pending migrations and returns the newest one this binary carries.
func migrate(ctx context.Context, db *sql.DB) (int64, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.SQLite)
	if err != nil {
		return 0, err
	}
	return migrations.Apply(ctx, p)
}

// Ready reports whether the database answers and carries every migration this binary knows.
func (db *DB) Ready(ctx context.Context) error {
	var current int64
	err := db.Read.QueryRowContext(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&current)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current != db.migration {
		return fmt.Errorf("schema at migration %d, want %d", current, db.migration)
	}
	return nil
}

// SizeBytes is what the store takes on disk: the database file and its write-ahead log.
func (db *DB) SizeBytes() (int64, error) {
	var total int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(db.Path + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("store size: %w", err)
		}
		total += fi.Size()
	}
	return total, nil
}

// Close checkpoints the WAL into the database file, so the file alone holds every write, and
// closes both pools.
func (db *DB) Close() error {
	db.stopCheckpoints()
	<-db.checkpointsDone
	_, cerr := db.Write.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	rerr := db.Read.Close()
	werr := db.Write.Close()
	return errors.Join(cerr, rerr, werr)
}

// Backup writes a consistent copy of the database to dest with VACUUM INTO, while other
// connections (and other processes) go on reading and writing. dest must not exist.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup to %s: the file exists; choose a new name", dest)
	}
	// A connection of its own: the read pool is query-only, and the writer must stay free. In
	// WAL mode the copy reads one snapshot without blocking writers.
	conn, err := open(db.Path, false)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return nil
}

// IntegrityCheck runs SQLite's integrity check and returns its findings, or nil when the file is sound.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	rows, err := db.Read.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	return nil
}
