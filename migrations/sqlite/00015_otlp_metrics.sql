-- +goose Up
-- OTLP metrics: the latest point of each series eventlens reads (Kafka lag and offsets, RabbitMQ
-- queues, messaging client metrics) and the point before it, so a rate can be computed. Any
-- replica may receive any export, so the points live here rather than in one replica's memory;
-- series not updated for --otlp-metrics-expiry are deleted. Times are Unix nanoseconds.
CREATE TABLE otlp_metric_series (
    series_id      BLOB    PRIMARY KEY,  -- 16 bytes: a hash of metric name, resource, scope, attributes
    metric         TEXT    NOT NULL,     -- the current name of what it measures
    source         TEXT    NOT NULL,     -- what the series cap counts by: kafka/<cluster>, rabbitmq/<node>, service/<name>
    system         TEXT    NOT NULL,     -- the channel: messaging system, cluster, destination
    cluster        TEXT    NOT NULL,
    destination    TEXT    NOT NULL,
    consumer_group TEXT    NOT NULL,
    partition_id   INTEGER NOT NULL,     -- Kafka partition; -1: none
    service        TEXT    NOT NULL,
    direction      TEXT    NOT NULL,     -- client metrics: produce or consume
    vhost          TEXT    NOT NULL,     -- RabbitMQ
    queue          TEXT    NOT NULL,
    node           TEXT    NOT NULL,
    state          TEXT    NOT NULL,     -- RabbitMQ message state
    operation      TEXT    NOT NULL,     -- messaging.operation.name
    error_type     TEXT    NOT NULL,     -- error.type; '' when the operation worked
    temporality    INTEGER NOT NULL,     -- 0 gauge, 1 cumulative, 2 delta
    start_ns       INTEGER NOT NULL,
    time_ns        INTEGER NOT NULL,
    value          REAL    NOT NULL,     -- a number, or a histogram's sum
    histogram      TEXT    NOT NULL,     -- JSON {count, sum, bounds, counts}; '' for numbers
    prev_start_ns  INTEGER NOT NULL DEFAULT 0,
    prev_time_ns   INTEGER NOT NULL DEFAULT 0, -- 0: no previous point yet
    prev_value     REAL    NOT NULL DEFAULT 0,
    prev_histogram TEXT    NOT NULL DEFAULT '',
    seen_ns        INTEGER NOT NULL      -- when a replica last stored a newer point
) WITHOUT ROWID;

-- +goose Down
DROP TABLE otlp_metric_series;
