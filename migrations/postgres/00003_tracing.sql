-- +goose Up
-- Raw spans, append-only, partitioned by the hour their batch was committed (arrived_ns): every
-- batch lands in one partition, which the writer creates ahead, and retention drops whole
-- partitions instead of deleting rows. No index on a random key (it would cost most of the
-- ingest budget): a trace is found through trace_index, then read within a bounded arrival
-- range, which the BRIN index narrows to a few blocks. Partitions are named span_h<unix hour>.
CREATE TABLE span (
    arrived_ns      bigint   NOT NULL,
    trace_id        bytea    NOT NULL,
    span_id         bytea    NOT NULL,
    parent_span_id  bytea,
    service         text     NOT NULL,
    name            text     NOT NULL,
    kind            smallint NOT NULL,
    start_ns        bigint   NOT NULL,
    end_ns          bigint   NOT NULL,
    status_code     smallint NOT NULL,
    status_message  text,
    channel         text,
    attributes      text     NOT NULL,
    links           text
) PARTITION BY RANGE (arrived_ns);
CREATE INDEX span_arrived ON span USING brin (arrived_ns) WITH (pages_per_range = 16, autosummarize = on);

-- How many spans each replica committed in each second, so the home page counts spans without
-- scanning them and a start finds the newest spans; a replica only ever adds to its own rows,
-- so replicas never wait for each other here. Retention deletes the rows of the partitions it
-- drops.
CREATE TABLE span_batch (
    second  bigint NOT NULL,
    replica bigint NOT NULL,
    spans   bigint NOT NULL,
    PRIMARY KEY (second, replica)
);

-- One row per trace that carries a messaging span, written once per trace by each replica that
-- sees it, partitioned as span is (trace_index_h<unix hour>), so its index only grows for the
-- hours retention keeps.
CREATE TABLE trace_index (
    trace_id   bytea  NOT NULL,
    arrived_ns bigint NOT NULL,
    start_ns   bigint NOT NULL
) PARTITION BY RANGE (arrived_ns);
CREATE INDEX trace_index_trace ON trace_index (trace_id);

-- One row per observed edge: a producing service → channel (direction 'produce') or a channel →
-- consuming service and group (direction 'consume'). Replicas upsert it by its key.
CREATE TABLE flow (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    direction      text   NOT NULL CHECK (direction IN ('produce', 'consume')),
    service        text   NOT NULL,
    system         text   NOT NULL,
    cluster        text   NOT NULL,
    destination    text   NOT NULL,
    consumer_group text   NOT NULL,
    first_seen_ns  bigint NOT NULL,
    last_seen_ns   bigint NOT NULL,
    schema_id      text,
    schema_version text,
    UNIQUE (direction, service, system, cluster, destination, consumer_group)
);

-- Per-minute aggregates of each flow (minute = unix seconds / 60), added to by every replica's
-- upserts. p0…p17: processing-time histogram, d0…d17: end-to-end delay histogram; bucket bounds
-- are tracing.histogramBounds. No foreign key to flow: retention deletes aggregates by age, and
-- a flow only once its aggregates have aged out.
CREATE TABLE flow_minute (
    minute            bigint NOT NULL,
    flow_id           bigint NOT NULL,
    messages          bigint NOT NULL DEFAULT 0,
    errors            bigint NOT NULL DEFAULT 0,
    processing_sum_ns bigint NOT NULL DEFAULT 0,
    delays            bigint NOT NULL DEFAULT 0,
    last_seen_ns      bigint NOT NULL DEFAULT 0,
    p0 bigint NOT NULL DEFAULT 0, p1 bigint NOT NULL DEFAULT 0, p2 bigint NOT NULL DEFAULT 0,
    p3 bigint NOT NULL DEFAULT 0, p4 bigint NOT NULL DEFAULT 0, p5 bigint NOT NULL DEFAULT 0,
    p6 bigint NOT NULL DEFAULT 0, p7 bigint NOT NULL DEFAULT 0, p8 bigint NOT NULL DEFAULT 0,
    p9 bigint NOT NULL DEFAULT 0, p10 bigint NOT NULL DEFAULT 0, p11 bigint NOT NULL DEFAULT 0,
    p12 bigint NOT NULL DEFAULT 0, p13 bigint NOT NULL DEFAULT 0, p14 bigint NOT NULL DEFAULT 0,
    p15 bigint NOT NULL DEFAULT 0, p16 bigint NOT NULL DEFAULT 0, p17 bigint NOT NULL DEFAULT 0,
    d0 bigint NOT NULL DEFAULT 0, d1 bigint NOT NULL DEFAULT 0, d2 bigint NOT NULL DEFAULT 0,
    d3 bigint NOT NULL DEFAULT 0, d4 bigint NOT NULL DEFAULT 0, d5 bigint NOT NULL DEFAULT 0,
    d6 bigint NOT NULL DEFAULT 0, d7 bigint NOT NULL DEFAULT 0, d8 bigint NOT NULL DEFAULT 0,
    d9 bigint NOT NULL DEFAULT 0, d10 bigint NOT NULL DEFAULT 0, d11 bigint NOT NULL DEFAULT 0,
    d12 bigint NOT NULL DEFAULT 0, d13 bigint NOT NULL DEFAULT 0, d14 bigint NOT NULL DEFAULT 0,
    d15 bigint NOT NULL DEFAULT 0, d16 bigint NOT NULL DEFAULT 0, d17 bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, flow_id)
);

-- The same aggregates rolled up per hour (hour = unix seconds / 3600), so long windows read few rows.
CREATE TABLE flow_hour (LIKE flow_minute INCLUDING DEFAULTS);
ALTER TABLE flow_hour RENAME COLUMN minute TO hour;
ALTER TABLE flow_hour ADD PRIMARY KEY (hour, flow_id);

-- The change feed: one row per ingest commit (and per retention run that deleted flows), saying
-- what it changed (flows touched, aggregate deltas, failed messaging spans) in a compact body.
-- Each replica reads the rows other replicas committed since its previous snapshot — those
-- whose transaction (tx) that snapshot did not see — and adds them to its live windows and
-- recent failures. Rows are kept a few minutes.
CREATE TABLE flow_change (
    tx      xid8   NOT NULL DEFAULT pg_current_xact_id(),
    replica bigint NOT NULL,
    at_ns   bigint NOT NULL,
    body    bytea  NOT NULL
);
CREATE INDEX flow_change_tx ON flow_change (tx);
CREATE INDEX flow_change_at ON flow_change (at_ns);

-- Pending pairs, shared by the replicas so a consumer span on one is paired with the producer
-- span another stored: every producer (key: a 64-bit fingerprint of its trace and span id), and
-- every consumer whose producer was not found (one row per span it links to or is a child of).
-- A replica deletes the consumer's rows when it pairs it, so each is counted once. Partitioned by
-- five minutes of arrival (pair_producer_m<unix 5 minutes>), so expiry drops partitions, and the
-- writer creates the partitions UNLOGGED: a crash of the database forgets pending pairs as a
-- restart forgot the writer's memory, and they cost no WAL.
CREATE TABLE pair_producer (
    at_ns    bigint NOT NULL,
    key      bigint NOT NULL,
    start_ns bigint NOT NULL
) PARTITION BY RANGE (at_ns);
CREATE INDEX pair_producer_key ON pair_producer (key);

CREATE TABLE pair_waiter (
    at_ns    bigint NOT NULL,
    ref      bigint NOT NULL,
    consumer bigint NOT NULL,
    flow_id  bigint NOT NULL,
    minute   bigint NOT NULL,
    start_ns bigint NOT NULL
) PARTITION BY RANGE (at_ns);
CREATE INDEX pair_waiter_ref ON pair_waiter (ref);
CREATE INDEX pair_waiter_consumer ON pair_waiter (consumer, at_ns);

-- +goose Down
DROP TABLE pair_waiter;
DROP TABLE pair_producer;
DROP TABLE flow_change;
DROP TABLE flow_hour;
DROP TABLE flow_minute;
DROP TABLE flow;
DROP TABLE trace_index;
DROP TABLE span_batch;
DROP TABLE span;
