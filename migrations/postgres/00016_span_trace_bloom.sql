-- +goose Up
-- The BRIN index on span arrival also keeps a bloom filter of trace ids per block range, so a
-- trace page reads only the ranges that may hold the trace: with the arrival bound alone it read
-- every span that arrived in the trace's 16-minute window, which at tens of thousands of spans
-- a second is most of the store (476 ms at p95 on 10 M spans). One index with both columns,
-- because the planner does not combine a second BRIN index it cannot cost well. A btree on
-- trace_id would do it too, but cost ingest about 40 %; BRIN summaries are built when the
-- writer summarises new ranges (every 5 s). 32 pages hold about 1,000 spans; 500 distinct
-- traces per range at 1 % false positives is about 0.5 bytes a span. Building it on an existing
-- store takes about a second per million spans.
DROP INDEX span_arrived;
CREATE INDEX span_arrived ON span USING brin (arrived_ns, trace_id bytea_bloom_ops(n_distinct_per_range = 500, false_positive_rate = 0.01))
    WITH (pages_per_range = 32, autosummarize = on);

-- +goose Down
DROP INDEX span_arrived;
CREATE INDEX span_arrived ON span USING brin (arrived_ns) WITH (pages_per_range = 16, autosummarize = on);
