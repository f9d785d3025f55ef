-- +goose Up
-- Contexts (Confluent's ":.staging:orders-value"): each context other than the default one
-- has its own schema ids. A schema's key in sr_schemas is its context's number times 2^32 plus
-- its id in the context, so the default context (number 0, no row here) keeps every id as it
-- was. last_id is the highest id the context ever handed out (sr_ids is the default context's),
-- so a hard-deleted id is not given again. A deleted context (DELETE /contexts/{c}, only when
-- it has no subjects) keeps its row and number, marked deleted, and comes back with its ids
-- when a subject is registered in it again. Subjects, config and mode rows name contexts by
-- the qualified subject (":.staging:orders-value", ":.staging:" for the context's own).
CREATE TABLE sr_contexts (
    name    TEXT    PRIMARY KEY,           -- ".staging"
    number  INTEGER NOT NULL UNIQUE CHECK (number > 0),
    last_id INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- +goose Down
DROP TABLE sr_contexts;
