package main

import (
	"errors"
	"fmt"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/storage"
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

// Run imports every file, each in its own transaction, registers its payloads with the registry
// in the same database, and reports each, with the fields it and another document set
// differently. A broken file does not stop the others, nor does a payload the registry refuses,
// but either makes the command fail with exit code 1.
func (c importAsyncAPICmd) Run(e env) (err error) {
	db, err := sqlitedb.Open(e.ctx, c.DB)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	store := &storage.DB{SQLite: db}
	cat := catalog.New(store, schemaregistry.New(store, schemaregistry.Formats()))
	var failed, refused, payloads int
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
		payloads += len(res.Schemas)
		for _, s := range res.Schemas {
			what := s.SchemaType
			if s.Key {
				what += " key"
			}
			switch s.Status {
			case catalog.Refused:
				refused++
				fmt.Fprintf(e.stdout, "  refused     %s (%s, message %s): %s\n", s.Subject, what, s.Message, s.Reason)
			default:
				fmt.Fprintf(e.stdout, "  %-11s %s version %d, id %d (%s, message %s)\n", s.Status, s.Subject, s.Version, s.ID, what, s.Message)
			}
		}
		// Conflicts are warnings: the catalog keeps one value by a fixed rule (docs/catalog.md).
		for _, c := range res.Conflicts {
			fmt.Fprintf(e.stdout, "  conflict    %s\n", c)
		}
	}
	var errs []error
	if failed > 0 {
		errs = append(errs, fmt.Errorf("%d of %d documents not imported", failed, len(c.Files)))
	}
	if refused > 0 {
		errs = append(errs, fmt.Errorf("%d of %d payload schemas refused by the registry; the documents were imported: fix the schemas (or the subjects' compatibility) and import again", refused, payloads))
	}
	if len(errs) > 0 {
		return failure{errors.Join(errs...)}
	}
	return nil
}
