package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/server"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/tracing"
)

type serveCmd struct {
	Addr            string        `help:"Address to listen on for the console, the registry API and OTLP/HTTP." default:"127.0.0.1:8080" env:"EVENTLENS_ADDR"`
	DB              string        `name:"db" help:"SQLite database file; created if missing." default:"./eventlens.db" env:"EVENTLENS_DB" type:"path"`
	MaxBody         string        `help:"Largest request body accepted (e.g. 512K, 16M); larger ones get 413." default:"16M" env:"EVENTLENS_MAX_BODY"`
	WriteRate       float64       `help:"Writes per second each API key (or client address, without keys) may make; more get 429 with Retry-After. 0 turns the limit off." default:"500" env:"EVENTLENS_WRITE_RATE"`
	WriteBurst      int           `help:"Writes a client may make at once before --write-rate applies." default:"1000" env:"EVENTLENS_WRITE_BURST"`
	ShutdownTimeout time.Duration `help:"How long to let in-flight requests finish on SIGINT/SIGTERM." default:"15s" env:"EVENTLENS_SHUTDOWN_TIMEOUT"`
	InsecureNoAuth  bool          `help:"Allow listening on a non-loopback address with no API keys, so that anyone who can reach it may change schemas. Create keys instead: eventlens keys create." env:"EVENTLENS_INSECURE_NO_AUTH"`
}

func (s serveCmd) Run(e env) (err error) {
	db, err := sqlitedb.Open(e.ctx, s.DB)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()

	keys := apikeys.New(db)
	if err := s.checkExposure(e.ctx, keys); err != nil {
		return err
	}

	tp := tracing.NewSelfTracerProvider()
	defer func() { err = errors.Join(err, tp.Shutdown(context.WithoutCancel(e.ctx))) }()

	registry := schemaregistry.New(db, schemaregistry.Formats())
	srv, err := server.New(
		server.Config{MaxBody: s.MaxBody, WriteRate: s.WriteRate, WriteBurst: s.WriteBurst, Logger: e.log, TracerProvider: tp},
		server.Services{DB: db, Keys: keys, Catalog: catalog.New(db, registry), Registry: registry},
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

// checkExposure refuses to serve a non-loopback address without API keys: with no keys anyone
// who reaches the port could change the contracts CI relies on.
func (s serveCmd) checkExposure(ctx context.Context, keys *apikeys.Keys) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", s.Addr, err)
	}
	ip := net.ParseIP(host)
	if host == "localhost" || (ip != nil && ip.IsLoopback()) || s.InsecureNoAuth {
		return nil
	}
	anyKeys, err := keys.Any(ctx)
	if err != nil {
		return err
	}
	if !anyKeys {
		return fmt.Errorf("refusing to listen on %s without API keys: create one with 'eventlens keys create --db %s --role admin --name admin', or pass --insecure-no-auth", s.Addr, s.DB)
	}
	return nil
}
