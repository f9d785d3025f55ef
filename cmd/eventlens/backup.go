package main

import (
	"fmt"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/sqlitedb"
)

type backupCmd struct {
	File string `arg:"" help:"Where to write the copy; must not exist."`
	dbFlag
}

func (c backupCmd) Help() string {
	return `Writes a consistent copy of the database while eventlens keeps serving (SQLite VACUUM INTO,
which reads one snapshot and blocks no writer). To restore: stop eventlens, replace the database
file with the copy (and delete any -wal and -shm files beside it), start eventlens.

A PostgreSQL store is backed up with PostgreSQL's own tools (pg_dump, or the continuous archiving
the database already has); see docs/operations.md.`
}

func (c backupCmd) Run(e env) error {
	if pgdb.IsURL(c.DB) {
		return fmt.Errorf("backup of %s: eventlens backs up SQLite files only; back up PostgreSQL with pg_dump (pg_dump --format=custom --file=eventlens.dump '%s'), see docs/operations.md", pgdb.Redact(c.DB), pgdb.Redact(c.DB))
	}
	db, err := sqlitedb.Open(e.ctx, c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(e.ctx, c.File); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "Backed up %s to %s.\n", c.DB, c.File)
	return err
}
