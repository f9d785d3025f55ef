package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/sqlitedb"
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

// readOnlyRetention keeps the export's ingester from expiring anything: no span or flow is
// older than a century.
const readOnlyRetention = 100 * 365 * 24 * time.Hour

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
	// The catalog reads observed flows through an ingester only. This one is given no spans and
	// a retention beyond any data, so beside a running server on the same file it deletes
	// nothing the server keeps: it reads the flows and otherwise waits on SQLite's write lock
	// as any other writer would.
	ingest, err := tracing.Start(e.ctx, db, tracing.Config{SpanRetention: readOnlyRetention, FlowRetention: readOnlyRetention,
		RetentionEvery: readOnlyRetention, Windows: []time.Duration{}, Logger: e.log})
	if err != nil {
		return fmt.Errorf("read observed flows: %w", err)
	}
	defer func() { err = errors.Join(err, ingest.Close(context.WithoutCancel(e.ctx))) }()
	cat := catalog.New(db, schemaregistry.New(db, schemaregistry.Formats()))
	cat.SetIngester(ingest)
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
