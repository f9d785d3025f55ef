package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/schemaregistry/avro"
	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/server"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/tracing"
)

// schemaFormats are the schema types the registry accepts; AVRO is the default.
var schemaFormats = map[string]format.Format{"AVRO": avro.Format{}}

type serveCmd struct {
	Addr            string        `help:"Address to listen on for the console, the registry API and OTLP/HTTP." default:"127.0.0.1:8080" env:"EVENTLENS_ADDR"`
	DB              string        `name:"db" help:"SQLite database file; created if missing." default:"./eventlens.db" env:"EVENTLENS_DB" type:"path"`
	MaxBody         string        `help:"Largest request body accepted (e.g. 512K, 16M); larger ones get 413." default:"16M" env:"EVENTLENS_MAX_BODY"`
	ShutdownTimeout time.Duration `help:"How long to let in-flight requests finish on SIGINT/SIGTERM." default:"15s" env:"EVENTLENS_SHUTDOWN_TIMEOUT"`
}

func (s serveCmd) Run(e env) (err error) {
	db, err := sqlitedb.Open(e.ctx, s.DB)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()

	tp := tracing.NewSelfTracerProvider()
	defer func() { err = errors.Join(err, tp.Shutdown(context.WithoutCancel(e.ctx))) }()

	srv, err := server.New(
		server.Config{MaxBody: s.MaxBody, Logger: e.log, TracerProvider: tp},
		server.Services{DB: db, Catalog: catalog.New(db), Registry: schemaregistry.New(db, schemaFormats)},
	)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	e.log.Info("eventlens listening", "url", "http://"+ln.Addr().String(), "db", s.DB)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-e.ctx.Done():
	}
	e.log.Info("shutting down", "timeout", s.ShutdownTimeout)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), s.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return <-served
}
