-- +goose Up
-- Raw spans, append-only: the rowid grows in arrival order and there is no index on a random key
-- (an index on trace ids costs most of the ingest budget). Spans are found through span_batch
-- (rowid ranges by arrival time) and trace_index (one row per trace that carries messaging spans).
CREATE TABLE span (
    id              INTEGER PRIMARY KEY,
    trace_id        BLOB    NOT NULL,
    span_id         BLOB    NOT NULL,
    parent_span_id  BLOB,
    service         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    kind            INTEGER NOT NULL,
    start_ns        INTEGER NOT NULL,
    end_ns          INTEGER NOT NULL,
    status_code     INTEGER NOT NULL,
    status_message  TEXT,
    channel         TEXT,
    attributes      TEXT    NOT NULL,
    links           TEXT
);

-- One row per committed ingest batch: which span rowids it wrote and when. Retention and
-- time-bounded lookups walk this small table instead of indexing span.
CREATE TABLE span_batch (
    id             INTEGER PRIMARY KEY,
    first_span     INTEGER NOT NULL,
    last_span      INTEGER NOT NULL,
    spans          INTEGER NOT NULL,
    min_start_ns   INTEGER NOT NULL,
    max_start_ns   INTEGER NOT NULL,
    committed_ns   INTEGER NOT NULL
);
CREATE INDEX span_batch_committed ON span_batch (committed_ns);

-- Written once per trace that carries a messaging span, so flow examples can be opened. The rowid
-- grows with first_span, so retention deletes a prefix.
CREATE TABLE trace_index (
    id         INTEGER PRIMARY KEY,
    trace_id   BLOB    NOT NULL UNIQUE,
    first_span INTEGER NOT NULL,
    start_ns   INTEGER NOT NULL
);

-- One row per observed edge: a producing service → channel (direction 'produce') or a channel →
-- consuming service and group (direction 'consume'). The channel is system + cluster + destination.
CREATE TABLE flow (
    id             INTEGER PRIMARY KEY,
    direction      TEXT    NOT NULL CHECK (direction IN ('produce', 'consume')),
    service        TEXT    NOT NULL,
    system         TEXT    NOT NULL,
    cluster        TEXT    NOT NULL,
    destination    TEXT    NOT NULL,
    consumer_group TEXT    NOT NULL,
    first_seen_ns  INTEGER NOT NULL,
    last_seen_ns   INTEGER NOT NULL,
    schema_id      TEXT,
    schema_version TEXT,
    UNIQUE (direction, service, system, cluster, destination, consumer_group)
);

-- Per-minute aggregates of each flow (minute = unix seconds / 60).
-- p0…p17: processing-time histogram, d0…d17: end-to-end delay histogram; bucket bounds are
-- tracing.histogramBounds. One column per bucket so upserts and window sums stay plain SQL.
CREATE TABLE flow_minute (
    minute            INTEGER NOT NULL,
    flow_id           INTEGER NOT NULL REFERENCES flow (id) ON DELETE CASCADE,
    messages          INTEGER NOT NULL DEFAULT 0,
    errors            INTEGER NOT NULL DEFAULT 0,
    processing_sum_ns INTEGER NOT NULL DEFAULT 0,
    delays            INTEGER NOT NULL DEFAULT 0,
    last_seen_ns      INTEGER NOT NULL DEFAULT 0,
    p0 INTEGER NOT NULL DEFAULT 0,
    p1 INTEGER NOT NULL DEFAULT 0,
    p2 INTEGER NOT NULL DEFAULT 0,
    p3 INTEGER NOT NULL DEFAULT 0,
    p4 INTEGER NOT NULL DEFAULT 0,
    p5 INTEGER NOT NULL DEFAULT 0,
    p6 INTEGER NOT NULL DEFAULT 0,
    p7 INTEGER NOT NULL DEFAULT 0,
    p8 INTEGER NOT NULL DEFAULT 0,
    p9 INTEGER NOT NULL DEFAULT 0,
    p10 INTEGER NOT NULL DEFAULT 0,
    p11 INTEGER NOT NULL DEFAULT 0,
    p12 INTEGER NOT NULL DEFAULT 0,
    p13 INTEGER NOT NULL DEFAULT 0,
    p14 INTEGER NOT NULL DEFAULT 0,
    p15 INTEGER NOT NULL DEFAULT 0,
    p16 INTEGER NOT NULL DEFAULT 0,
    p17 INTEGER NOT NULL DEFAULT 0,
    d0 INTEGER NOT NULL DEFAULT 0,
    d1 INTEGER NOT NULL DEFAULT 0,
    d2 INTEGER NOT NULL DEFAULT 0,
    d3 INTEGER NOT NULL DEFAULT 0,
    d4 INTEGER NOT NULL DEFAULT 0,
    d5 INTEGER NOT NULL DEFAULT 0,
    d6 INTEGER NOT NULL DEFAULT 0,
    d7 INTEGER NOT NULL DEFAULT 0,
    d8 INTEGER NOT NULL DEFAULT 0,
    d9 INTEGER NOT NULL DEFAULT 0,
    d10 INTEGER NOT NULL DEFAULT 0,
    d11 INTEGER NOT NULL DEFAULT 0,
    d12 INTEGER NOT NULL DEFAULT 0,
    d13 INTEGER NOT NULL DEFAULT 0,
    d14 INTEGER NOT NULL DEFAULT 0,
    d15 INTEGER NOT NULL DEFAULT 0,
    d16 INTEGER NOT NULL DEFAULT 0,
    d17 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, flow_id)
) WITHOUT ROWID;

-- The same aggregates rolled up per hour (hour = unix seconds / 3600), so long windows read few rows.
-- p0…p17: processing-time histogram, d0…d17: end-to-end delay histogram; bucket bounds are
-- tracing.histogramBounds. One column per bucket so upserts and window sums stay plain SQL.
CREATE TABLE flow_hour (
    hour            INTEGER NOT NULL,
    flow_id           INTEGER NOT NULL REFERENCES flow (id) ON DELETE CASCADE,
    messages          INTEGER NOT NULL DEFAULT 0,
    errors            INTEGER NOT NULL DEFAULT 0,
    processing_sum_ns INTEGER NOT NULL DEFAULT 0,
    delays            INTEGER NOT NULL DEFAULT 0,
    last_seen_ns      INTEGER NOT NULL DEFAULT 0,
    p0 INTEGER NOT NULL DEFAULT 0,
    p1 INTEGER NOT NULL DEFAULT 0,
    p2 INTEGER NOT NULL DEFAULT 0,
    p3 INTEGER NOT NULL DEFAULT 0,
    p4 INTEGER NOT NULL DEFAULT 0,
    p5 INTEGER NOT NULL DEFAULT 0,
    p6 INTEGER NOT NULL DEFAULT 0,
    p7 INTEGER NOT NULL DEFAULT 0,
    p8 INTEGER NOT NULL DEFAULT 0,
    p9 INTEGER NOT NULL DEFAULT 0,
    p10 INTEGER NOT NULL DEFAULT 0,
    p11 INTEGER NOT NULL DEFAULT 0,
    p12 INTEGER NOT NULL DEFAULT 0,
    p13 INTEGER NOT NULL DEFAULT 0,
    p14 INTEGER NOT NULL DEFAULT 0,
    p15 INTEGER NOT NULL DEFAULT 0,
    p16 INTEGER NOT NULL DEFAULT 0,
    p17 INTEGER NOT NULL DEFAULT 0,
    d0 INTEGER NOT NULL DEFAULT 0,
    d1 INTEGER NOT NULL DEFAULT 0,
    d2 INTEGER NOT NULL DEFAULT 0,
    d3 INTEGER NOT NULL DEFAULT 0,
    d4 INTEGER NOT NULL DEFAULT 0,
    d5 INTEGER NOT NULL DEFAULT 0,
    d6 INTEGER NOT NULL DEFAULT 0,
    d7 INTEGER NOT NULL DEFAULT 0,
    d8 INTEGER NOT NULL DEFAULT 0,
    d9 INTEGER NOT NULL DEFAULT 0,
    d10 INTEGER NOT NULL DEFAULT 0,
    d11 INTEGER NOT NULL DEFAULT 0,
    d12 INTEGER NOT NULL DEFAULT 0,
    d13 INTEGER NOT NULL DEFAULT 0,
    d14 INTEGER NOT NULL DEFAULT 0,
    d15 INTEGER NOT NULL DEFAULT 0,
    d16 INTEGER NOT NULL DEFAULT 0,
    d17 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, flow_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE flow_hour;
DROP TABLE flow_minute;
DROP TABLE flow;
DROP TABLE trace_index;
DROP TABLE span_batch;
DROP TABLE span;
