// Command storebudget measures what stored spans cost: "size" ingests the benchmark mix
// (tracingtest.BenchMix) into a fresh store and reports the bytes per stored span per table and
// index (SQLite's dbstat, or PostgreSQL's relation sizes with partitions counted in their
// parent); "cap" ingests it at full speed for a while with --store-max-bytes set and reports how
// far the store ever went over the cap. With -db a PostgreSQL URL, the store is a fresh
// database made on that server (storebudget_<pid>) and dropped at the end.
//
//	go run ./bench/storebudget size -spans 500000
//	go run ./bench/storebudget cap -duration 10m -cap 64MiB
//	go run ./bench/storebudget cap -duration 10m -cap 64MiB -db postgres://postgres:pw@127.0.0.1/postgres
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/gommon/bytes"

	"github.com/eventlens/eventlens/pgdb"
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

// store is the fresh store a run ingests into.
type store struct {
	db      *storage.DB
	in      *tracing.Ingester
	cleanup func()
}

// open makes a fresh store: a SQLite file in a temporary directory when server is empty, else a
// new database on the PostgreSQL server that URL reaches.
func open(server string, cfg tracing.Config) (*store, error) {
	ctx := context.Background()
	target, cleanup, err := freshTarget(ctx, server)
	if err != nil {
		return nil, err
	}
	db, err := storage.Open(ctx, target)
	if err != nil {
		cleanup()
		return nil, err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	in, err := tracing.Start(ctx, db, cfg)
	if err != nil {
		db.Close()
		cleanup()
		return nil, err
	}
	return &store{db: db, in: in, cleanup: func() { db.Close(); cleanup() }}, nil
}

func freshTarget(ctx context.Context, server string) (string, func(), error) {
	if server == "" {
		dir, err := os.MkdirTemp("", "storebudget")
		if err != nil {
			return "", nil, err
		}
		return filepath.Join(dir, "eventlens.db"), func() { os.RemoveAll(dir) }, nil
	}
	if !pgdb.IsURL(server) {
		return "", nil, fmt.Errorf("-db %q: want a postgres:// URL", server)
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, fmt.Errorf("-db: %w", err)
	}
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	name := fmt.Sprintf("storebudget_%d", os.Getpid())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	return u.String(), func() {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "drop database %s: %v\n", name, err)
		}
		conn.Close(ctx)
	}, nil
}

// relation is a table or index and what it takes.
type relation struct {
	name            string
	pages, bytes    int64
	payload, unused int64 // SQLite only
}

// relations lists the store's tables and indexes, largest first: SQLite's from dbstat,
// PostgreSQL's with every partition (and partition index) counted in its parent, TOAST, free
// space and visibility maps in the table's bytes.
func relations(db *storage.DB) ([]relation, error) {
	var out []relation
	if db.Postgres != nil {
		rows, err := db.Postgres.Pool.Query(context.Background(), `SELECT coalesce(p.relname, c.relname),
			sum(CASE WHEN c.relkind = 'i' THEN pg_relation_size(c.oid) ELSE pg_table_size(c.oid) END)::bigint AS bytes
			FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
			LEFT JOIN pg_inherits AS i ON i.inhrelid = c.oid LEFT JOIN pg_class AS p ON p.oid = i.inhparent
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i') GROUP BY 1 ORDER BY 2 DESC`)
		if err != nil {
			return nil, fmt.Errorf("relation sizes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r relation
			if err := rows.Scan(&r.name, &r.bytes); err != nil {
				return nil, err
			}
			r.pages = r.bytes / 8192
			out = append(out, r)
		}
		return out, rows.Err()
	}
	rows, err := db.SQLite.Read.Query(`SELECT name, count(*), sum(pgsize), sum(payload), sum(unused) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC`)
	if err != nil {
		return nil, fmt.Errorf("dbstat: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r relation
		if err := rows.Scan(&r.name, &r.pages, &r.bytes, &r.payload, &r.unused); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func size(args []string) error {
	fs := flag.NewFlagSet("size", flag.ExitOnError)
	spans := fs.Int64("spans", 500_000, "spans to ingest")
	keep := fs.String("keep", "all", "--span-keep")
	server := fs.String("db", "", "a PostgreSQL server's URL to measure a fresh database on (default: a SQLite file)")
	fs.Parse(args)
	k, err := tracing.ParseSpanKeep(*keep)
	if err != nil {
		return err
	}
	st, err := open(*server, tracing.Config{Keep: k, QueueSpans: 100_000})
	if err != nil {
		return err
	}
	defer st.cleanup()
	in := st.in
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
	if st.db.Postgres != nil {
		// Free space and visibility maps are made by VACUUM, as autovacuum would.
		if _, err := st.db.Postgres.Pool.Exec(context.Background(), "VACUUM ANALYZE"); err != nil {
			return err
		}
	}
	fmt.Printf("spans sent %d, stored %d (--span-keep %s, %s)\n", sent, counts.Spans, *keep, st.db.Backend())
	return printRelations(st.db, counts.Spans, sent)
}

// printRelations prints where the store's bytes go, per table and index.
func printRelations(db *storage.DB, stored, sent int64) error {
	rels, err := relations(db)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table or index\tpages\tbytes\tpayload\tunused\tbytes/stored span\tbytes/sent span\t")
	var total, others, otherPages int64
	for _, r := range rels {
		total += r.bytes
		if r.pages <= 2 { // the tables of other packages, empty here
			others, otherPages = others+r.bytes, otherPages+r.pages
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t\n", r.name, r.pages, r.bytes, r.payload, r.unused, float64(r.bytes)/float64(stored), float64(r.bytes)/float64(sent))
	}
	fmt.Fprintf(tw, "%s\t%d\t%d\t\t\t%.1f\t%.1f\t\n", "the other tables and indexes", otherPages, others, float64(others)/float64(stored), float64(others)/float64(sent))
	fmt.Fprintf(tw, "total\t\t%d\t\t\t%.1f\t%.1f\t\n", total, float64(total)/float64(stored), float64(total)/float64(sent))
	return tw.Flush()
}

// capped ingests at full speed for the duration with the cap set, and samples the store every
// 100 ms: what the cap counts (tracing.CappedBytes) and the database's size on disk (SQLite: the file,
// which only grows when the pages in use outgrow the free pages SQLite reuses, and its WAL;
// PostgreSQL: pg_database_size).
func capped(args []string) error {
	fs := flag.NewFlagSet("cap", flag.ExitOnError)
	duration := fs.Duration("duration", 10*time.Minute, "how long to ingest")
	capText := fs.String("cap", "64MiB", "--store-max-bytes")
	batch := fs.Int("batch", 10_000, "--ingest-batch")
	server := fs.String("db", "", "a PostgreSQL server's URL to measure a fresh database on (default: a SQLite file)")
	fs.Parse(args)
	limit, err := bytes.Parse(*capText)
	if err != nil || limit <= 0 {
		return fmt.Errorf("cap %q: want a size such as 64MiB", *capText)
	}
	st, err := open(*server, tracing.Config{Keep: tracing.SpanKeep{All: true}, MaxStoreBytes: limit, BatchSpans: *batch, QueueSpans: 100_000})
	if err != nil {
		return err
	}
	defer st.cleanup()
	db, in := st.db, st.in
	reqs, err := requests(16)
	if err != nil {
		return err
	}
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
			if used, err := tracing.CappedBytes(context.Background(), db); err == nil {
				maxUsed = max(maxUsed, used)
			}
			if db.Postgres != nil {
				var size int64
				if err := db.Postgres.Pool.QueryRow(context.Background(), "SELECT pg_database_size(current_database())").Scan(&size); err == nil {
					maxFile = max(maxFile, size)
				}
				continue
			}
			if st, err := os.Stat(db.SQLite.Path); err == nil {
				maxFile = max(maxFile, st.Size())
			}
			if st, err := os.Stat(db.SQLite.Path + "-wal"); err == nil {
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
	used, err := tracing.CappedBytes(context.Background(), db)
	if err != nil {
		return err
	}
	perSpan := float64(used) / float64(max(counts.Spans, 1))
	batchBytes := perSpan * float64(*batch)
	fmt.Printf("ingested %d spans in %s (%.0f spans/s); %d spans stored at the end\n", sent, elapsed.Round(time.Second), float64(sent)/elapsed.Seconds(), counts.Spans)
	fmt.Printf("cap %d bytes; one batch of %d spans ≈ %.0f bytes (%.1f bytes per stored span)\n", limit, *batch, batchBytes, perSpan)
	fmt.Printf("%s: largest store (what the cap counts) %d (%+.2f batches over the cap), largest on disk %d (%+.2f batches), largest WAL %d\n",
		db.Backend(), maxUsed, float64(maxUsed-limit)/batchBytes, maxFile, float64(maxFile-limit)/batchBytes, maxWAL)
	fmt.Println("at the end:")
	return printRelations(db, counts.Spans, sent)
}
