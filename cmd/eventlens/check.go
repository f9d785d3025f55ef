package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/eventlens/eventlens/registryclient"
	"github.com/eventlens/eventlens/schemacheck"
	"github.com/eventlens/eventlens/schemaregistry"
)

// registryFlags are how the CLI reaches a schema registry.
type registryFlags struct {
	Registry  string        `help:"Schema registry URL (eventlens or any Confluent-compatible registry)." env:"EVENTLENS_REGISTRY" placeholder:"URL"`
	BasicAuth string        `help:"HTTP Basic credentials as user:password (for eventlens: key id and secret)." env:"EVENTLENS_BASIC_AUTH" placeholder:"USER:PASS"`
	Token     string        `help:"Bearer token to send instead of Basic credentials." env:"EVENTLENS_TOKEN"`
	CAFile    string        `name:"ca-file" help:"PEM file of CA certificates to trust for an https registry." type:"existingfile" env:"EVENTLENS_CA_FILE"`
	Timeout   time.Duration `help:"Timeout of each request to the registry." default:"30s"`
	Retries   int           `help:"How often to retry a request the registry answered with 429 or 5xx (exponential backoff)." default:"3"`
}

func (r registryFlags) client() (*schemacheck.Registry, error) {
	if r.Registry == "" {
		return nil, errors.New("no registry: give --registry URL or set EVENTLENS_REGISTRY")
	}
	c, err := registryclient.New(r.Registry, registryclient.Options{
		BasicAuth: r.BasicAuth, Token: r.Token, CAFile: r.CAFile, Timeout: r.Timeout, Retries: r.Retries,
	})
	if err != nil {
		return nil, err
	}
	return &schemacheck.Registry{Client: c}, nil
}

type checkCmd struct {
	Paths      []string `arg:"" optional:"" help:"Schema files or directories. A directory with eventlens.yaml is read through it; otherwise .avsc (AVRO), .json (JSON) and .proto (PROTOBUF) files map to subjects by name: orders-value.avsc is subject orders-value."`
	Against    string   `help:"Offline: compare the one file given as argument with this older version of it, without a registry." placeholder:"OLD"`
	AgainstDir string   `help:"Offline: compare the given files and directories with the schemas in this directory (e.g. the base branch checked out beside the head), subject by subject." placeholder:"DIR"`
	Level      string   `help:"Judge at this compatibility level instead of each subject's own: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE." enum:",NONE,BACKWARD,BACKWARD_TRANSITIVE,FORWARD,FORWARD_TRANSITIVE,FULL,FULL_TRANSITIVE" default:""`
	Format     string   `help:"Output format: text (for people), json (for tools), github (workflow commands that annotate the pull request), junit (XML test report)." enum:"text,json,github,junit" default:"text"`
	Output     string   `help:"Write the report to this file instead of standard output." short:"o" type:"path"`
	registryFlags
}

func (c checkCmd) Help() string {
	return `Exit status: 0 when every schema is compatible, 1 when something breaks (or a file is not a
valid schema), 2 on a usage, I/O, network or authentication error.

Examples:
  eventlens check --registry http://localhost:8080 schemas/
  eventlens check --against old/orders-value.avsc orders-value.avsc
  eventlens check --against-dir base/schemas --format github schemas/`
}

func (c checkCmd) Run(e env) error {
	if len(c.Paths) == 0 {
		return errors.New("no schema files given")
	}
	checker := &schemacheck.Checker{Formats: schemaregistry.Formats(), Level: c.Level}
	var report schemacheck.Report
	switch {
	case c.Against != "" && c.AgainstDir != "":
		return errors.New("give --against or --against-dir, not both")
	case c.Against != "":
		if len(c.Paths) != 1 {
			return errors.New("--against OLD compares one NEW file: give exactly one")
		}
		old, err := schemacheck.Collect([]string{c.Against})
		if err != nil {
			return err
		}
		cur, err := schemacheck.Collect(c.Paths)
		if err != nil {
			return err
		}
		old[0].Subject = cur[0].Subject // the two files are versions of one schema, whatever their names
		if report, err = checker.AgainstFiles(old, cur); err != nil {
			return err
		}
	case c.AgainstDir != "":
		old, err := schemacheck.Collect([]string{c.AgainstDir})
		if err != nil {
			return err
		}
		cur, err := schemacheck.Collect(c.Paths)
		if err != nil {
			return err
		}
		if report, err = checker.AgainstFiles(old, cur); err != nil {
			return err
		}
	default:
		client, err := c.client()
		if err != nil {
			return err
		}
		checker.Registry = client
		files, err := schemacheck.Collect(c.Paths)
		if err != nil {
			return err
		}
		if report, err = checker.AgainstRegistry(e.ctx, files); err != nil {
			return err
		}
	}
	if err := writeReport(e.stdout, c.Output, func(w io.Writer, colour bool) error {
		return report.Write(w, c.Format, colour && c.Format == "text")
	}); err != nil {
		return err
	}
	if !report.Compatible() {
		return failure{errors.New("incompatible schema changes found")}
	}
	return nil
}

// writeReport writes to the file path, or to stdout when path is empty; colour only when stdout
// is a terminal and NO_COLOR is unset.
func writeReport(stdout io.Writer, path string, write func(w io.Writer, colour bool) error) error {
	if path == "" {
		return write(stdout, isTerminal(stdout) && os.Getenv("NO_COLOR") == "")
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f, false); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

type registerCmd struct {
	Paths  []string `arg:"" help:"Schema files or directories, mapped to subjects as in 'eventlens check'."`
	DryRun bool     `help:"Show what would be registered without changing the registry."`
	registryFlags
}

func (c registerCmd) Help() string {
	return `Registers each schema as the next version of its subject, typically after the merge that
'eventlens check' allowed. Schemas the registry already holds are left as they are.`
}

func (c registerCmd) Run(e env) error {
	client, err := c.client()
	if err != nil {
		return err
	}
	files, err := schemacheck.Collect(c.Paths)
	if err != nil {
		return err
	}
	changes := 0
	for _, f := range files {
		version, id, found, err := client.Lookup(e.ctx, f)
		if err != nil {
			return err
		}
		switch {
		case found:
			fmt.Fprintf(e.stdout, "unchanged  %s (%s): version %d, id %d\n", f.Subject, f.Path, version, id)
		case c.DryRun:
			changes++
			fmt.Fprintf(e.stdout, "would register  %s (%s) as a new version\n", f.Subject, f.Path)
		default:
			changes++
			id, err := client.Register(e.ctx, f)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "registered  %s (%s): id %d\n", f.Subject, f.Path, id)
		}
	}
	verb := "registered"
	if c.DryRun {
		verb = "would register"
	}
	fmt.Fprintf(e.stdout, "%d schema(s), %s %d\n", len(files), verb, changes)
	return nil
}
