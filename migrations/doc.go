// Package migrations holds eventlens' database schema as numbered SQL files, one folder per
// backend, embedded in the binary and applied in order at start-up. A landed file is never
// edited: a change is a new file, in each backend's folder.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// SQLite and Postgres hold each backend's numbered goose migrations (NNNNN_name.sql).
var (
	SQLite   = sub("sqlite")
	Postgres = sub("postgres")
)

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the folder is embedded above
	}
	return f
}

// ErrNewerSchema means the database was migrated by a newer eventlens than this binary.
var ErrNewerSchema = errors.New("database schema is newer than this eventlens")

// Apply refuses a database whose schema is newer than the migrations p carries, then applies
// what is pending, and returns the newest migration p carries.
func Apply(ctx context.Context, p *goose.Provider) (int64, error) {
	current, known, err := p.GetVersions(ctx)
	if err != nil {
		return 0, err
	}
	if current > known {
		return 0, fmt.Errorf("%w: it is at migration %d, this binary knows up to %d; run a newer eventlens or restore a backup", ErrNewerSchema, current, known)
	}
	_, err = p.Up(ctx)
	return known, err
}
