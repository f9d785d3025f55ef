package storage

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// ErrFull marks an error that means the store's disk is full: nothing of the failed write was
// kept, what was committed before is intact, and the same write succeeds once space is freed.
// The server answers 503 with Retry-After.
var ErrFull = errors.New("the store's disk is full")

// Full returns err marked with ErrFull when it says the disk is full (SQLite's SQLITE_FULL,
// PostgreSQL's disk_full, ENOSPC from the file system), and err unchanged otherwise.
func Full(err error) error {
	if err == nil || errors.Is(err, ErrFull) || !isFull(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrFull, err)
}

const (
	sqliteFull = 13      // SQLITE_FULL, the low byte of any extended code
	pgDiskFull = "53100" // disk_full
)

func isFull(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqliteFull {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == pgDiskFull {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}
