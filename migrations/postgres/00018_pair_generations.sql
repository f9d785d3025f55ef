-- +goose Up
-- Pending pairs are kept in generations, as a single node keeps them in memory
-- (tracing/pairing.go): the newest generation takes new rows and ends after half the pair window,
-- or sooner once it holds half of the pending-pair bound; the generations before the one that
-- ends are dropped then. So the tables hold at most a window and the bound at any rate. Kept by
-- five minutes of arrival they held 10 to 15 minutes of every producer span: 227 MB after two
-- minutes at 60,000 spans a second, with a 64 MiB cap on the spans. The upgrade forgets the
-- pending pairs, as a restart did before replicas shared them.
DROP TABLE pair_waiter;
DROP TABLE pair_producer;

CREATE TABLE pair_generation (
    gen        bigint PRIMARY KEY,
    started_ns bigint NOT NULL
);
INSERT INTO pair_generation (gen, started_ns) VALUES (0, 0);

CREATE TABLE pair_producer (
    gen      bigint NOT NULL,
    at_ns    bigint NOT NULL,
    key      bigint NOT NULL,
    start_ns bigint NOT NULL
) PARTITION BY LIST (gen);
CREATE INDEX pair_producer_key ON pair_producer (key);

CREATE TABLE pair_waiter (
    gen      bigint NOT NULL,
    at_ns    bigint NOT NULL,
    ref      bigint NOT NULL,
    consumer bigint NOT NULL,
    flow_id  bigint NOT NULL,
    minute   bigint NOT NULL,
    start_ns bigint NOT NULL
) PARTITION BY LIST (gen);
CREATE INDEX pair_waiter_ref ON pair_waiter (ref);
CREATE INDEX pair_waiter_consumer ON pair_waiter (consumer, at_ns);

-- Unlogged: a crash of the database forgets pending pairs, and they cost no WAL.
CREATE UNLOGGED TABLE pair_producer_g0 PARTITION OF pair_producer FOR VALUES IN (0);
CREATE UNLOGGED TABLE pair_waiter_g0 PARTITION OF pair_waiter FOR VALUES IN (0);

-- +goose Down
DROP TABLE pair_waiter;
DROP TABLE pair_producer;
DROP TABLE pair_generation;

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
