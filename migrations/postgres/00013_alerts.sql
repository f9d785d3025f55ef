-- +goose Up
-- Alerts: each episode of a rule's condition holding for one thing (pending, firing, then
-- resolved), kept as history for 30 days after it resolved. One replica evaluates and sends
-- (it holds a session advisory lock) and writes here; every replica reads. Times are Unix
-- nanoseconds; 0 is "not yet".
CREATE TABLE alerts (
    id          TEXT    PRIMARY KEY,  -- fingerprint and the time it became active
    fingerprint TEXT    NOT NULL,     -- hash of the rule and the labels
    rule        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    labels      TEXT    NOT NULL,     -- JSON object
    summary     TEXT    NOT NULL,
    owner       TEXT    NOT NULL DEFAULT '',
    owner_email TEXT    NOT NULL DEFAULT '',
    owner_url   TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL,     -- pending, firing or resolved
    active_ns   BIGINT  NOT NULL,
    fired_ns    BIGINT  NOT NULL DEFAULT 0,
    resolved_ns BIGINT  NOT NULL DEFAULT 0
);
-- One open (pending or firing) alert per fingerprint.
CREATE UNIQUE INDEX alerts_open ON alerts (fingerprint) WHERE state <> 'resolved';
CREATE INDEX alerts_by_state ON alerts (state, active_ns);
CREATE INDEX alerts_by_active ON alerts (active_ns);

-- What each receiver of a fired alert has been told: want is the alert's state to tell, sent
-- the state last told; a row with want <> sent is due at next_ns.
CREATE TABLE alert_deliveries (
    alert_id   TEXT    NOT NULL,
    receiver   TEXT    NOT NULL,
    want       TEXT    NOT NULL,
    sent       TEXT    NOT NULL DEFAULT '',
    attempts   BIGINT  NOT NULL DEFAULT 0,
    next_ns    BIGINT  NOT NULL DEFAULT 0,
    last_error TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (alert_id, receiver)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_ns) WHERE want <> sent;

-- +goose Down
DROP TABLE alert_deliveries;
DROP TABLE alerts;
