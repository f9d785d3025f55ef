-- +goose Up
-- Contexts: SQLite's 00022 (see there for what each column holds), in PostgreSQL's types.
CREATE TABLE sr_contexts (
    name    TEXT COLLATE "C" PRIMARY KEY,
    number  BIGINT  NOT NULL UNIQUE CHECK (number > 0),
    last_id BIGINT  NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE
);

-- +goose Down
DROP TABLE sr_contexts;
