package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/mcpserver"
	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
)

type mcpCmd struct {
	HealthWindow      time.Duration `help:"Consumer health measures throughput, errors and latency over this window (as serve's --health-window)." default:"5m" env:"EVENTLENS_HEALTH_WINDOW"`
	HealthSilentAfter time.Duration `help:"A consumer is silent when it processed nothing for this long while its channel is active." default:"5m" env:"EVENTLENS_HEALTH_SILENT_AFTER"`
	dbFlag
}

// Run answers one assistant on stdin and stdout with the read tools, from an existing store,
// read as export reads it (safe beside a server on the same file). Logs go to stderr: stdout
// carries the protocol.
func (c mcpCmd) Run(e env) (err error) {
	if !pgdb.IsURL(c.DB) {
		if _, err := os.Stat(c.DB); err != nil {
			return fmt.Errorf("no store to serve: %w", err)
		}
	}
	store, err := storage.Open(e.ctx, c.DB)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	registry := schemaregistry.New(store, schemaregistry.Formats())
	cat := catalog.New(store, registry)
	flows := tracing.NewFlowReader(store)
	cat.SetFlows(flows)
	th := tracing.HealthThresholds{Window: c.HealthWindow, SilentAfter: c.HealthSilentAfter}
	srv := mcpserver.New(mcpserver.Deps{Catalog: cat, Registry: registry, Flows: flows, Logger: e.log,
		Health: func(ctx context.Context) (tracing.HealthReport, error) { return flows.Health(ctx, th, time.Now()) }})
	e.log.Info("eventlens MCP server on stdio", "db", store.Where())
	if err := srv.ServeStdio(e.ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("mcp: %w", err)
	}
	return nil
}
