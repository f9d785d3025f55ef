// Command storebudget measures what stored spans cost: "size" ingests the benchmark mix
// (tracingtest.BenchMix) into a fresh SQLite store and reports the bytes per stored span per
// table and index from SQLite's dbstat; "cap" ingests it at full speed for a while with
// --store-max-bytes set and reports how far the store ever went over the cap.
//
//	go run ./bench/storebudget size -spans 500000
//	go run ./bench/storebudget cap -duration 10m -cap 64MiB
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/labstack/gommon/bytes"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
	"github.com/eventlens/eventlens/tracing/tracingtest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: storebudget size|cap [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "size":
		err = size(os.Args[2:])
	case "cap":
		err = capped(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: want size or cap", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// requests decodes distinct requests of the mix, 1,000 spans each.
func requests(n int) ([][]tracing.Span, error) {
	out := make([][]tracing.Span, n)
	for i := range out {
		d, err := tracing.FromTraces(tracingtest.BenchMix(uint64(i+1), 1000, time.Now()), tracing.DecodeLimits{})
		if err != nil {
			return nil, err
		}
		out[i] = d.Spans
	}
	return out, nil
}

// ingest sends requests from 8 goroutines until stop says so; each request's trace ids are made
// unique by the request's sequence number.
func ingest(in *tracing.Ingester, reqs [][]tracing.Span, stop func(sent int64) bool) (int64, error) {
	var sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	var seq atomic.Uint64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop(sent.Load()) {
				n := seq.Add(1)
				spans := retrace(reqs[n%uint64(len(reqs))], n)
				if err := in.Ingest(context.Background(), spans); err != nil {
					if err == tracing.ErrQueueFull {
						time.Sleep(time.Millisecond)
						continue
					}
					errs <- err
					return
				}
				sent.Add(int64(len(spans)))
			}
		}()
	}
	wg.Wait()
	close(errs)
	return sent.Load(), <-errs
}

// retrace copies spans with trace ids (and links) of request n.
func retrace(spans []tracing.Span, n uint64) []tracing.Span {
	out := make([]tracing.Span, len(spans))
	for i, s := range spans {
		s.TraceID = withSeq(s.TraceID, n)
		if len(s.Links) > 0 {
			links := make([]tracing.SpanRef, len(s.Links))
			for j, l := range s.Links {
				links[j] = tracing.SpanRef{TraceID: withSeq(l.TraceID, n), SpanID: l.SpanID}
			}
			s.Links = links
		}
		out[i] = s
	}
	return out
}

func withSeq(t tracing.TraceID, n uint64) tracing.TraceID {
	for i := range 8 {
		t[i] = byte(n >> (56 - 8*i))
	}
	return t
}

// open starts an ingester on a fresh SQLite file in dir, or on the PostgreSQL database at url.
func open(dir, url string, cfg tracing.Config) (*storage.DB, *tracing.Ingester, error) {
	target := filepath.Join(dir, "eventlens.db")
	if url != "" {
		target = url
	}
	db, err := storage.Open(context.Background(), target)
	if err != nil {
		return nil, nil, err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	in, err := tracing.Start(context.Background(), db, cfg)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, in, nil
}

func size(args []string) error {
	fs := flag.NewFlagSet("size", flag.ExitOnError)
	spans := fs.Int64("spans", 500_000, "spans to ingest")
	keep := fs.String("keep", "all", "--span-keep")
	fs.Parse(args)
	k, err := tracing.ParseSpanKeep(*keep)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "storebudget")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, in, err := open(dir, "", tracing.Config{Keep: k, QueueSpans: 100_000})
	if err != nil {
		return err
	}
	defer db.Close()
	reqs, err := requests(16)
	if err != nil {
		return err
	}
	sent, err := ingest(in, reqs, func(sent int64) bool { return sent >= *spans })
	if err != nil {
		return err
	}
	if err := in.Close(context.Background()); err != nil {
		return err
	}
	counts, err := in.Counts(context.Background())
	if err != nil {
		return err
	}
	rows, err := db.SQLite.Read.Query(`SELECT name, count(*), sum(pgsize), sum(payload), sum(unused) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC`)
	if err != nil {
		return fmt.Errorf("dbstat: %w", err)
	}
	defer rows.Close()
	fmt.Printf("spans sent %d, stored %d (--span-keep %s)\n", sent, counts.Spans, *keep)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table or index\tpages\tbytes\tpayload\tunused\tbytes/stored span\tbytes/sent span\t")
	var total, others, otherPages int64
	for rows.Next() {
		var name string
		var pages, bytes, payload, unused int64
		if err := rows.Scan(&name, &pages, &bytes, &payload, &unused); err != nil {
			return err
		}
		total += bytes
		if pages <= 2 { // the tables of other packages, empty here
			others, otherPages = others+bytes, otherPages+pages
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t\n", name, pages, bytes, payload, unused, float64(bytes)/float64(counts.Spans), float64(bytes)/float64(sent))
	}
	fmt.Fprintf(tw, "%s\t%d\t%d\t\t\t%.1f\t%.1f\t\n", "the other tables and indexes", otherPages, others, float64(others)/float64(counts.Spans), float64(others)/float64(sent))
	fmt.Fprintf(tw, "total\t\t%d\t\t\t%.1f\t%.1f\t\n", total, float64(total)/float64(counts.Spans), float64(total)/float64(sent))
	return tw.Flush()
}

// capped ingests at full speed for the duration with the cap set, and samples the store every
// 100 ms: the pages in use (what the cap counts) and the database file's size (which only grows
// when the pages in use outgrow the free pages SQLite reuses).
func capped(args []string) error {
	fs := flag.NewFlagSet("cap", flag.ExitOnError)
	duration := fs.Duration("duration", 10*time.Minute, "how long to ingest")
	capText := fs.String("cap", "64MiB", "--store-max-bytes")
	batch := fs.Int("batch", 10_000, "--ingest-batch")
	pgURL := fs.String("postgres", "", "PostgreSQL URL of an empty scratch database (default: a fresh SQLite file)")
	fs.Parse(args)
	limit, err := bytes.Parse(*capText)
	if err != nil || limit <= 0 {
		return fmt.Errorf("cap %q: want a size such as 64MiB", *capText)
	}
	dir, err := os.MkdirTemp("", "storebudget")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, in, err := open(dir, *pgURL, tracing.Config{Keep: tracing.SpanKeep{All: true}, MaxStoreBytes: limit, BatchSpans: *batch, QueueSpans: 100_000})
	if err != nil {
		return err
	}
	defer db.Close()
	reqs, err := requests(16)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "eventlens.db")
	var maxUsed, maxFile, maxWAL int64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if used, err := storeBytes(db); err == nil {
				maxUsed = max(maxUsed, used)
			}
			if st, err := os.Stat(path); err == nil {
				maxFile = max(maxFile, st.Size())
			}
			if st, err := os.Stat(path + "-wal"); err == nil {
				maxWAL = max(maxWAL, st.Size())
			}
		}
	}()
	start := time.Now()
	sent, err := ingest(in, reqs, func(int64) bool { return time.Since(start) >= *duration })
	elapsed := time.Since(start)
	close(done)
	<-sampled
	if err != nil {
		return err
	}
	if err := in.Close(context.Background()); err != nil {
		return err
	}
	counts, err := in.Counts(context.Background())
	if err != nil {
		return err
	}
	// One batch's bytes: the spans of a batch at the bytes per span the store holds now.
	used, err := storeBytes(db)
	if err != nil {
		return err
	}
	perSpan := float64(used) / float64(max(counts.Spans, 1))
	batchBytes := perSpan * float64(*batch)
	fmt.Printf("ingested %d spans in %s (%.0f spans/s); %d spans stored at the end\n", sent, elapsed.Round(time.Second), float64(sent)/elapsed.Seconds(), counts.Spans)
	fmt.Printf("cap %d bytes; one batch of %d spans ≈ %.0f bytes (%.1f bytes per stored span)\n", limit, *batch, batchBytes, perSpan)
	if db.Postgres != nil {
		fmt.Printf("largest span and trace_index partitions %d (%+.2f batches over the cap)\n", maxUsed, float64(maxUsed-limit)/batchBytes)
		return nil
	}
	fmt.Printf("largest pages in use %d (%+.2f batches over the cap), largest file %d (%+.2f batches), largest WAL %d\n",
		maxUsed, float64(maxUsed-limit)/batchBytes, maxFile, float64(maxFile-limit)/batchBytes, maxWAL)
	return nil
}

// storeBytes is what --store-max-bytes counts: SQLite's pages in use, or PostgreSQL's span and
// trace_index partitions with their indexes and TOAST.
func storeBytes(db *storage.DB) (int64, error) {
	var used int64
	if db.Postgres != nil {
		err := db.Postgres.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0)::bigint
			FROM pg_inherits WHERE inhparent IN ('span'::regclass, 'trace_index'::regclass)`).Scan(&used)
		return used, err
	}
	err := db.SQLite.Read.QueryRow(`SELECT (p.page_count - f.freelist_count) * s.page_size
		FROM pragma_page_count() AS p, pragma_freelist_count() AS f, pragma_page_size() AS s`).Scan(&used)
	return used, err
}
