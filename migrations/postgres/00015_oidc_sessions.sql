-- +goose Up
-- OpenID Connect sign-in. A login in progress, from the redirect to the provider until its
-- callback: found by the SHA-256 of its state (the browser holds the state in a cookie) and
-- deleted when the callback uses it, so a callback replayed is refused, on any replica.
CREATE TABLE oidc_logins (
    state_hash BYTEA       PRIMARY KEY,       -- sha256(state)
    nonce      TEXT        NOT NULL,          -- the ID token must carry it back
    verifier   TEXT        NOT NULL,          -- PKCE code verifier
    next       TEXT        NOT NULL,          -- the local path to return to
    expires_at TIMESTAMPTZ NOT NULL
);

-- A console session signed in through the provider: found by the SHA-256 of the cookie's
-- random token. The refresh token renews the role when the access token expires; the ID
-- token is the hint the provider's logout asks for.
CREATE TABLE oidc_sessions (
    id_hash          BYTEA       PRIMARY KEY, -- sha256(cookie token)
    subject          TEXT        NOT NULL,    -- the ID token's sub
    name             TEXT        NOT NULL,    -- what the header shows
    role             TEXT        NOT NULL CHECK (role IN ('read', 'write', 'admin')),
    refresh_token    TEXT        NOT NULL,    -- '' when the provider gave none
    id_token         TEXT        NOT NULL,
    tokens_expire_at TIMESTAMPTZ NOT NULL,    -- when to refresh (or end, without a refresh token)
    expires_at       TIMESTAMPTZ NOT NULL,    -- the session's end, whatever the tokens say
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_sessions_expires ON oidc_sessions (expires_at);

-- +goose Down
DROP TABLE oidc_sessions;
DROP TABLE oidc_logins;
