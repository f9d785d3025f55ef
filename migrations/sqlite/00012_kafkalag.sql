-- +goose Up
-- Kafka lag: what each poll of a cluster read, kept for Burrow's window (committed offsets) and
-- for the time-lag history (end offsets), then trimmed.
-- Keys are (cluster, poll time, …), so rows append at the end of each index and a trim deletes
-- a prefix. Times are Unix nanoseconds.
CREATE TABLE kafkalag_polls (
    cluster    TEXT    NOT NULL,
    polled_ns  INTEGER NOT NULL,
    cluster_id TEXT    NOT NULL DEFAULT '',   -- the id the brokers report
    state      TEXT    NOT NULL,              -- ok, unauthorized, unreachable or error
    error      TEXT    NOT NULL DEFAULT '',   -- why the poll failed; '' when it worked
    PRIMARY KEY (cluster, polled_ns)
);

-- One row per topic and poll: its partitions' offsets as JSON [[partition, start, end], …].
CREATE TABLE kafkalag_end_offsets (
    cluster   TEXT    NOT NULL,
    polled_ns INTEGER NOT NULL,
    topic     TEXT    NOT NULL,
    offsets   TEXT    NOT NULL,
    PRIMARY KEY (cluster, polled_ns, topic)
);

-- One row per consumer group and poll: its committed offsets as JSON
-- {"topic": [[partition, committed (-1: none), assigned to a live member 0|1], …]}.
CREATE TABLE kafkalag_commits (
    cluster    TEXT    NOT NULL,
    polled_ns  INTEGER NOT NULL,
    group_name TEXT    NOT NULL,
    state      TEXT    NOT NULL,              -- Kafka's group state: Stable, Empty, …
    members    INTEGER NOT NULL,
    error      TEXT    NOT NULL DEFAULT '',   -- why the group could not be read; '' when it was
    offsets    TEXT    NOT NULL,
    PRIMARY KEY (cluster, polled_ns, group_name)
);

-- +goose Down
DROP TABLE kafkalag_commits;
DROP TABLE kafkalag_end_offsets;
DROP TABLE kafkalag_polls;
