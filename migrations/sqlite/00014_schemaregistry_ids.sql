-- +goose Up
-- The highest schema id ever handed out, so a hard-deleted id is never given again. It was
-- AUTOINCREMENT's, in sqlite_sequence; a table of the registry's own is copied with the rest
-- to PostgreSQL (eventlens migrate-store), which keeps the same table (its 00002 and 00008).
-- No row: none handed out yet.
CREATE TABLE sr_ids (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    last INTEGER NOT NULL
);
INSERT INTO sr_ids (one, last)
SELECT 1, max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'sr_schemas'), 0), coalesce((SELECT max(id) FROM sr_schemas), 0))
WHERE EXISTS (SELECT 1 FROM sr_schemas) OR EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'sr_schemas');

-- +goose Down
DROP TABLE sr_ids;
