-- +goose Up
-- Full-text search over services, channels, messages, domains, registry subjects and the fields
-- inside their latest schemas. search_docs holds the rows; search_fts indexes them (FTS5 with
-- external content, kept in step by the triggers below). catalog.Search refreshes the rows
-- from their sources when a cheap signature of a source changes (see catalog/search.go).
CREATE TABLE search_docs (
    id     INTEGER PRIMARY KEY,
    source TEXT NOT NULL,              -- 'catalog' or 'registry': which refresh owns the row
    owner  TEXT NOT NULL,              -- the subject a registry row belongs to; '' for catalog rows
    kind   TEXT NOT NULL,              -- service, channel, message, domain, subject or field
    name   TEXT NOT NULL,              -- the entity's name (the subject, for a field)
    detail TEXT NOT NULL DEFAULT '',   -- the field's path, a message's kind, ...
    body   TEXT NOT NULL DEFAULT ''    -- more words to match: descriptions, tags, field names
);
CREATE INDEX search_docs_owner ON search_docs (source, owner);

CREATE VIRTUAL TABLE search_fts USING fts5(name, detail, body, content = 'search_docs', content_rowid = 'id');

-- +goose StatementBegin
CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, name, detail, body) VALUES (new.id, new.name, new.detail, new.body);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, name, detail, body) VALUES ('delete', old.id, old.name, old.detail, old.body);
END;
-- +goose StatementEnd

-- What each source looked like when its rows were last refreshed, and which schema each
-- subject's rows were built from.
CREATE TABLE search_state (
    source    TEXT PRIMARY KEY,
    signature TEXT NOT NULL
);
CREATE TABLE search_subjects (
    subject   TEXT PRIMARY KEY,
    schema_id INTEGER NOT NULL
);

-- +goose Down
DROP TABLE search_subjects;
DROP TABLE search_state;
DROP TRIGGER search_docs_delete;
DROP TRIGGER search_docs_insert;
DROP TABLE search_fts;
DROP TABLE search_docs;
