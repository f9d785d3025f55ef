-- +goose Up
-- A smaller stored span, as SQLite's migration 20: service, name, channel, status message and
-- attributes in one compact "fields" value whose repeated texts are numbers into span_text
-- (tracing/spanrow.go says how), the end as a duration, links as 24 bytes each. Rows stored
-- before keep their columns and are read as they are until retention drops their partitions;
-- new rows leave those columns NULL, which costs a bit each in the row's null bitmap.
ALTER TABLE span
    ALTER COLUMN service DROP NOT NULL,
    ALTER COLUMN name DROP NOT NULL,
    ALTER COLUMN end_ns DROP NOT NULL,
    ALTER COLUMN attributes DROP NOT NULL,
    ADD COLUMN duration_ns bigint,
    ADD COLUMN fields bytea,
    ADD COLUMN link_refs bytea;

-- The texts spans refer to by number, shared by the replicas: field 1 service, 2 span name (key:
-- the service), 3 channel, 4 status message, 5 attribute key (key: the key as JSON), 6 attribute
-- key and value (key and value as JSON). Entries are never changed or deleted.
CREATE TABLE span_text (
    id    bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    field smallint NOT NULL,
    key   text     NOT NULL,
    value text     NOT NULL,
    UNIQUE (field, key, value)
);

-- +goose Down
DROP TABLE span_text;
DELETE FROM span WHERE fields IS NOT NULL;
ALTER TABLE span
    DROP COLUMN link_refs,
    DROP COLUMN fields,
    DROP COLUMN duration_ns,
    ALTER COLUMN attributes SET NOT NULL,
    ALTER COLUMN end_ns SET NOT NULL,
    ALTER COLUMN name SET NOT NULL,
    ALTER COLUMN service SET NOT NULL;
