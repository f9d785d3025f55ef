package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/storecopy"
)

type migrateStoreCmd struct {
	From string `help:"The SQLite store to copy (eventlens may keep serving it; the copy reads one snapshot)." required:""`
	To   string `help:"URL of an empty PostgreSQL database: postgres://user:password@host:5432/eventlens." required:""`
}

func (c migrateStoreCmd) Help() string {
	return `Copies a SQLite store into an empty PostgreSQL database: schema ids and versions, configs and
modes, API keys, the catalog with its document history, and flow aggregates. Raw spans and the
search index are not copied: spans expire within --span-retention anyway (flows and health live
in the aggregates), and the index is rebuilt at start. The copy is one transaction: an
interrupted copy leaves the target empty and can be run again.`
}

func (c migrateStoreCmd) Run(e env) error {
	if !pgdb.IsURL(c.To) {
		return fmt.Errorf("--to %q: want a postgres:// URL", pgdb.Redact(c.To))
	}
	if _, err := os.Stat(c.From); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	src, err := sqlitedb.Open(e.ctx, c.From)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := pgdb.Open(e.ctx, c.To)
	if err != nil {
		return err
	}
	defer dst.Close()

	out := &progressPrinter{w: e.stderr, live: isTerminal(e.stderr)}
	tables, err := storecopy.Copy(e.ctx, src, dst, out.update)
	out.clear()
	summary(e.stdout, tables, out.elapsed)
	if err != nil {
		return fmt.Errorf("migrate-store: %w; nothing was kept in %s (the copy is one transaction), so it can be run again", err, dst.URL)
	}
	_, err = fmt.Fprintf(e.stdout, "Copied %s into %s. Start eventlens with --db '%s'.\n", c.From, dst.URL, dst.URL)
	return err
}

// progressPrinter redraws one line per table on a terminal, at most every 200 ms.
type progressPrinter struct {
	w       io.Writer
	live    bool
	drawn   int // lines drawn last time
	last    time.Time
	elapsed time.Duration
}

func (p *progressPrinter) update(tables []storecopy.Table, elapsed time.Duration) {
	p.elapsed = elapsed
	if !p.live || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.clear()
	var done, total int64
	for _, t := range tables {
		done, total = done+t.Copied, total+t.Rows
	}
	rate := float64(done) / max(elapsed.Seconds(), 0.001)
	left := "?"
	if rate > 0 {
		left = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	lines := 0
	for _, t := range tables {
		if t.Copied > 0 && t.Copied < t.Rows {
			fmt.Fprintf(p.w, "  %-32s %12d of %d rows\n", t.Name, t.Copied, t.Rows)
			lines++
		}
	}
	fmt.Fprintf(p.w, "  %d of %d rows, %.0f rows/s, %s left\n", done, total, rate, left)
	p.drawn = lines + 1
}

// clear erases what update drew.
func (p *progressPrinter) clear() {
	for ; p.drawn > 0; p.drawn-- {
		fmt.Fprint(p.w, "\x1b[1A\x1b[2K")
	}
}

func summary(w io.Writer, tables []storecopy.Table, elapsed time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tsource rows\tcopied\t")
	var total int64
	for _, t := range tables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", t.Name, t.Rows, t.Copied)
		total += t.Copied
	}
	tw.Flush()
	fmt.Fprintf(w, "%d rows in %s.\n", total, elapsed.Round(time.Millisecond))
}
