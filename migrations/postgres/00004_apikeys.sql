-- +goose Up
-- API keys. Only the SHA-256 of each secret is kept: secrets are 32 random bytes, so a fast hash
-- is enough (there is nothing to brute-force), and lookups by hash need no per-key salt.
CREATE TABLE api_keys (
    id          TEXT        PRIMARY KEY,          -- public key id, the user name in HTTP Basic
    name        TEXT        NOT NULL,             -- what the key is for, e.g. "ci"
    role        TEXT        NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    secret_hash BYTEA       NOT NULL UNIQUE,      -- sha256(secret)
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ                       -- NULL while the key is valid
);

-- The key that signs browser session cookies and CSRF tokens, made once per store so sessions
-- survive restarts and every replica accepts the cookies the others issued. eventlens writes it
-- from crypto/rand on first use (PostgreSQL's random() is not a secure source).
CREATE TABLE signing_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BYTEA   NOT NULL
);

-- +goose Down
DROP TABLE signing_key;
DROP TABLE api_keys;
