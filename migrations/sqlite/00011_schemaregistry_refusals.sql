-- +goose Up
-- Registrations the registry refused because the schema broke the subject's compatibility level
-- (409), so the console can show what a producer tried to ship and why it may not. The newest
-- few per subject are kept (the registry trims on insert); a hard-deleted subject takes its
-- refusals with it.
CREATE TABLE sr_refusals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subject         TEXT    NOT NULL,
    schema_type     TEXT    NOT NULL,
    compatibility   TEXT    NOT NULL, -- the level it broke
    against_version INTEGER NOT NULL, -- the version it was found incompatible with
    reasons         TEXT    NOT NULL, -- JSON [{type, path, message}], the first few
    reason_count    INTEGER NOT NULL, -- how many reasons there were in all
    created_at      INTEGER NOT NULL  -- unix milliseconds
);
CREATE INDEX sr_refusals_subject ON sr_refusals (subject, id);

-- +goose Down
DROP TABLE sr_refusals;
