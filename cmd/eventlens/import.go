package main

import (
	"errors"
	"fmt"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/sqlitedb"
)

type importCmd struct {
	AsyncAPI importAsyncAPICmd `cmd:"" name:"asyncapi" help:"Import AsyncAPI 2.x/3.0 documents (YAML or JSON) into the catalog."`
}

type importAsyncAPICmd struct {
	Files         []string `arg:"" name:"file" help:"AsyncAPI documents; $refs to relative files are followed within --base-dir." type:"existingfile"`
	ReversePubSub bool     `name:"reverse-pubsub" help:"Read AsyncAPI 2.x publish as 'the application sends' and subscribe as 'it receives', the opposite of the spec, as many files do." env:"EVENTLENS_REVERSE_PUBSUB"`
	BaseDir       string   `help:"Directory that relative $refs may reach (default: each file's own directory)." type:"path"`
	dbFlag
}

// Run imports every file, each in its own transaction, and reports each; a broken file does not
// stop the others, but makes the command fail with exit code 1.
func (c importAsyncAPICmd) Run(e env) (err error) {
	db, err := sqlitedb.Open(e.ctx, c.DB)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	cat := catalog.New(db)
	var failed int
	for _, f := range c.Files {
		res, err := cat.ImportFile(e.ctx, f, catalog.ImportOptions{ReversePubSub: c.ReversePubSub, BaseDir: c.BaseDir})
		if err != nil {
			fmt.Fprintln(e.stderr, "eventlens:", err)
			failed++
			continue
		}
		state := "unchanged"
		if res.Changed {
			state = "imported"
		}
		fmt.Fprintf(e.stdout, "%s: %s %q as version %d: service %q, %d channels, %d operations, %d messages, %d payload schemas\n",
			f, state, res.Document, res.Version, res.Service, res.Channels, res.Operations, res.Messages, len(res.Schemas))
	}
	if failed > 0 {
		return failure{fmt.Errorf("%d of %d documents not imported", failed, len(c.Files))}
	}
	return nil
}
