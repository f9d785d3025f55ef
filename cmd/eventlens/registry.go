package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/eventlens/eventlens/registryclient"
	"github.com/eventlens/eventlens/registryimport"
)

type registryCmd struct {
	Import registryImportCmd `cmd:"" help:"Copy a running Confluent-compatible schema registry into eventlens, keeping ids."`
}

type registryImportCmd struct {
	From          string        `help:"URL of the registry to copy from (Confluent, eventlens, or any compatible one). It is only read." required:"" placeholder:"URL"`
	FromBasicAuth string        `help:"HTTP Basic credentials for the source, as user:password." env:"EVENTLENS_FROM_BASIC_AUTH" placeholder:"USER:PASS"`
	FromToken     string        `help:"Bearer token for the source." env:"EVENTLENS_FROM_TOKEN"`
	To            string        `help:"URL of the eventlens to copy into." default:"http://127.0.0.1:8080" env:"EVENTLENS_REGISTRY" placeholder:"URL"`
	BasicAuth     string        `help:"HTTP Basic credentials for the target eventlens: an admin key's id and secret (setting modes needs admin)." env:"EVENTLENS_BASIC_AUTH" placeholder:"ID:SECRET"`
	Token         string        `help:"Bearer token for the target instead." env:"EVENTLENS_TOKEN"`
	SubjectPrefix string        `help:"Copy only subjects whose names start with this (and the versions they reference); the global config and mode are then left alone."`
	Timeout       time.Duration `help:"Timeout of each request." default:"1m"`
	Format        string        `help:"Report format: text or json." enum:"text,json" default:"text"`
}

func (c registryImportCmd) Help() string {
	return `Copies every subject, version (soft-deleted ones too), schema id, reference, config and mode,
through IMPORT mode on the target. Run it again after an interruption: what the target holds
already is skipped. Answers of the source that are malformed, too large or inconsistent (a version
whose id is another schema) refuse that item; the report lists each with the reason.

Exit status: 0 when everything was copied, 1 when something was refused, 2 when the copy could
not run or stopped (unreachable registry, authentication, interruption).

Example:
  eventlens registry import --from https://sr.example.com --from-basic-auth "$SR_KEY:$SR_SECRET" \
      --to http://localhost:8080 --basic-auth "$EVENTLENS_KEY:$EVENTLENS_SECRET"`
}

func (c registryImportCmd) Run(e env) error {
	src, err := registryclient.New(c.From, registryclient.Options{BasicAuth: c.FromBasicAuth, Token: c.FromToken, Timeout: c.Timeout, Retries: 3})
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	dst, err := registryclient.New(c.To, registryclient.Options{BasicAuth: c.BasicAuth, Token: c.Token, Timeout: c.Timeout, Retries: 3})
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	printer := registryimport.NewPrinter(e.stderr, isTerminal(e.stderr))
	report, err := registryimport.Import(e.ctx, registryimport.Options{
		Source:        src,
		Target:        dst,
		SubjectPrefix: c.SubjectPrefix,
		Progress:      printer.Progress,
	})
	printer.Done()
	if werr := c.write(e, report); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("registry import stopped (run it again to resume): %w", err)
	}
	if len(report.Refused) > 0 {
		return failure{fmt.Errorf("%d items refused", len(report.Refused))}
	}
	return nil
}

func (c registryImportCmd) write(e env, r registryimport.Report) error {
	if c.Format == "json" {
		if r.Refused == nil {
			r.Refused = []registryimport.Refusal{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	if _, err := fmt.Fprintf(e.stdout, "%d subjects: %d versions copied (%d of them soft-deleted, as in the source), %d already there; %d configs and %d modes set; %d refused\n",
		r.Subjects, r.Copied, r.SoftDeleted, r.Present, r.Configs, r.Modes, len(r.Refused)); err != nil {
		return err
	}
	for _, f := range r.Refused {
		if _, err := fmt.Fprintf(e.stdout, "  refused %s: %s\n", f.Item, f.Reason); err != nil {
			return err
		}
	}
	return nil
}
