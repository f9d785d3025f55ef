-- +goose Up
-- sr_ids has no row until an id is handed out, as on SQLite (its migration 14), so that
-- eventlens migrate-store can copy SQLite's row (the highest id that store ever gave) into a
-- new database, whose tables must be empty. The registry adds the row with its first id.
DELETE FROM sr_ids WHERE last = 0;

-- +goose Down
INSERT INTO sr_ids (one, last) SELECT true, 0 WHERE NOT EXISTS (SELECT 1 FROM sr_ids);
