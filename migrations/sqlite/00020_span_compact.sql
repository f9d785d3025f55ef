-- +goose Up
-- A smaller stored span (about 100 bytes instead of 290 on the benchmark mix, see
-- docs/benchmarks.md): service, name, channel, status message and attributes in one compact
-- "fields" blob whose repeated texts are numbers into span_text (tracing/spanrow.go says how),
-- the end as a duration, links as 24 bytes each. Spans stored before stay in span_json, read
-- and expired beside the new ones until retention has removed them; rowids go on from theirs,
-- so span_batch and trace_index cover both.
ALTER TABLE span RENAME TO span_json;

CREATE TABLE span (
    id             INTEGER PRIMARY KEY,
    trace_id       BLOB    NOT NULL,
    span_id        BLOB    NOT NULL,
    parent_span_id BLOB,
    start_ns       INTEGER NOT NULL,
    duration_ns    INTEGER NOT NULL,
    kind           INTEGER NOT NULL,
    status_code    INTEGER NOT NULL,
    fields         BLOB    NOT NULL,
    links          BLOB
);

-- The texts spans refer to by number: field 1 service, 2 span name (key: the service),
-- 3 channel, 4 status message, 5 attribute key (key: the key as JSON), 6 attribute key and value
-- (key and value as JSON). Entries are never changed or deleted.
CREATE TABLE span_text (
    id    INTEGER PRIMARY KEY,
    field INTEGER NOT NULL,
    key   TEXT    NOT NULL,
    value TEXT    NOT NULL,
    UNIQUE (field, key, value)
);

-- +goose Down
DROP TABLE span_text;
DROP TABLE span;
ALTER TABLE span_json RENAME TO span;
