package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
)

type exportCmd struct {
	AsyncAPI exportAsyncAPICmd `cmd:"" name:"asyncapi" help:"Write the catalog, or one service, as an AsyncAPI 3.0 document."`
}

type exportAsyncAPICmd struct {
	Service string `help:"The service to export (default: the whole catalog)." placeholder:"NAME"`
	Format  string `help:"yaml or json." enum:"yaml,json" default:"yaml"`
	Output  string `short:"o" help:"Write the document to this file instead of standard output." type:"path" placeholder:"FILE"`
	dbFlag
}

// Run exports from an existing database, with the flows traces showed (x-eventlens-observed)
// as `eventlens serve` exports them; the output file is written only when the export
// succeeded, so a failed run leaves no half-written file.
func (c exportAsyncAPICmd) Run(e env) (err error) {
	if _, err := os.Stat(c.DB); err != nil {
		return fmt.Errorf("no catalog to export: %w", err)
	}
	db, err := sqlitedb.Open(e.ctx, c.DB)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	store := &storage.DB{SQLite: db}
	cat := catalog.New(store, schemaregistry.New(store, schemaregistry.Formats()))
	cat.SetFlows(tracing.NewFlowReader(store)) // reads only: safe beside a server on the same file
	var out []byte
	if c.Format == "json" {
		out, err = cat.ExportJSON(e.ctx, c.Service)
	} else {
		out, err = cat.Export(e.ctx, c.Service)
	}
	if err != nil {
		return err
	}
	if c.Output == "" {
		_, err = e.stdout.Write(out)
		return err
	}
	if err := os.WriteFile(c.Output, out, 0o644); err != nil {
		return err
	}
	what := "the catalog"
	if c.Service != "" {
		what = fmt.Sprintf("service %q", c.Service)
	}
	_, err = fmt.Fprintf(e.stderr, "Exported %s to %s.\n", what, c.Output)
	return err
}
