package main

import (
	"fmt"

	"github.com/eventlens/eventlens/sqlitedb"
)

type backupCmd struct {
	File string `arg:"" help:"Where to write the copy; must not exist."`
	dbFlag
}

func (c backupCmd) Help() string {
	return `Writes a consistent copy of the database while eventlens keeps serving (SQLite VACUUM INTO,
which reads one snapshot and blocks no writer). To restore: stop eventlens, replace the database
file with the copy (and delete any -wal and -shm files beside it), start eventlens.`
}

func (c backupCmd) Run(e env) error {
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
