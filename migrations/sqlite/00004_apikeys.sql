-- +goose Up
-- API keys. Only the SHA-256 of each secret is kept: secrets are 32 random bytes, so a fast hash
-- is enough (there is nothing to brute-force), and lookups by hash need no per-key salt.
CREATE TABLE api_keys (
    id          TEXT    PRIMARY KEY,          -- public key id, the user name in HTTP Basic
    name        TEXT    NOT NULL,             -- what the key is for, e.g. "ci"
    role        TEXT    NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    secret_hash BLOB    NOT NULL UNIQUE,      -- sha256(secret)
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT                          -- NULL while the key is valid
);

-- The key that signs browser session cookies and CSRF tokens, made once per store so sessions
-- survive restarts.
CREATE TABLE signing_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB    NOT NULL
);
INSERT INTO signing_key (id, key) VALUES (1, randomblob(32));

-- +goose Down
DROP TABLE signing_key;
DROP TABLE api_keys;
