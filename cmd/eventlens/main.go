// Command eventlens is the event catalog and observability console: one binary that serves the
// console, the schema registry API and OTLP ingest, and the CLI that CI pipelines call.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/eventlens/eventlens/buildinfo"
)

// Exit codes, the same for every command.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found a problem (e.g. an incompatible schema)
	exitUsage = 2 // bad usage, I/O, network or auth error
)

type cli struct {
	LogLevel  slog.Level `help:"Log level: debug, info, warn or error." default:"info" env:"EVENTLENS_LOG_LEVEL"`
	LogFormat string     `help:"Log format: text or json." enum:"text,json" default:"text" env:"EVENTLENS_LOG_FORMAT"`

	Serve        serveCmd        `cmd:"" help:"Run the eventlens server: console, schema registry API and OTLP ingest on one port."`
	Demo         demoCmd         `cmd:"" help:"Run the server with a demo shop sending it live spans: flows and health within seconds."`
	Check        checkCmd        `cmd:"" help:"Check schema files for compatibility, against a registry or offline against older files."`
	Register     registerCmd     `cmd:"" help:"Register schema files with a registry as new versions of their subjects."`
	Import       importCmd       `cmd:"" help:"Import documents into the catalog: eventlens import asyncapi FILE…"`
	Registry     registryCmd     `cmd:"" help:"Schema registry tools: eventlens registry import --from URL copies another registry in."`
	Export       exportCmd       `cmd:"" help:"Export the catalog: eventlens export asyncapi [--service NAME] [-o FILE]"`
	MCP          mcpCmd          `cmd:"" name:"mcp" help:"Answer an AI assistant over MCP on stdin/stdout: search and describe the catalog, schema impact and compatibility, consumer health, drift (read-only)."`
	Keys         keysCmd         `cmd:"" help:"Manage API keys: create, list, revoke."`
	Backup       backupCmd       `cmd:"" help:"Copy the database to a file while eventlens runs."`
	MigrateStore migrateStoreCmd `cmd:"" name:"migrate-store" help:"Copy a SQLite store into an empty PostgreSQL database."`
	Version      versionCmd      `cmd:"" help:"Print the version and the commit this binary was built from."`
}

// env is what every command gets besides its flags.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args, runs the command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c cli
	exited := -1
	parser, err := kong.New(&c,
		kong.Name("eventlens"),
		kong.Description("eventlens: an event catalog, schema registry and event-flow console for event-driven microservices."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exited = code }),
	)
	if err != nil {
		fmt.Fprintln(stderr, "eventlens:", err)
		return exitUsage
	}
	kctx, err := parser.Parse(args)
	if exited >= 0 { // --help, or kong reported a usage error itself
		return exited
	}
	if err != nil {
		fmt.Fprintln(stderr, "eventlens:", err)
		return exitUsage
	}
	e := env{ctx: ctx, stdout: stdout, stderr: stderr, log: newLogger(stderr, c.LogLevel, c.LogFormat)}
	if err := kctx.Run(e); err != nil {
		fmt.Fprintln(stderr, "eventlens:", err)
		var fail failure
		if errors.As(err, &fail) {
			return exitFail
		}
		return exitUsage
	}
	return exitOK
}

// failure is an error that means "the command ran and the answer is no" (exit code 1) rather than
// "the command could not run" (exit code 2).
type failure struct{ error }

func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

type versionCmd struct{}

func (versionCmd) Run(e env) error {
	_, err := fmt.Fprintf(e.stdout, "eventlens %s (commit %s)\n", buildinfo.Version(), buildinfo.Commit())
	return err
}
