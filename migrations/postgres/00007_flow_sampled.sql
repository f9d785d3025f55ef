-- +goose Up
-- When a flow last had a span kept by probability sampling (a W3C tracestate threshold): its
-- counts are then estimates (each such span counts as the spans it stands for), and the console
-- says so for any window that reaches this time. 0: never.
ALTER TABLE flow ADD COLUMN last_sampled_ns bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE flow DROP COLUMN last_sampled_ns;
