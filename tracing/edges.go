package tracing

import (
	"context"
	"fmt"
	"time"
)

// FlowEdge is one edge of the flow graph with when it was first and last seen, without its
// aggregates: what the catalog compares with what documents say.
type FlowEdge struct {
	Direction     string // "produce" or "consume"
	Service       string
	Channel       Channel
	ConsumerGroup string
	FirstSeen     time.Time
	LastSeen      time.Time
	SchemaID      string // the last messaging.message.schema.id seen on the edge, if any
	SchemaVersion string // the last messaging.message.schema.version seen on the edge, if any
}

// FlowEdges lists every edge last seen at or after seenSince (every edge still within the flow
// retention when seenSince is zero). It reads the flow table alone, one row per edge.
func (in *Ingester) FlowEdges(ctx context.Context, seenSince time.Time) ([]FlowEdge, error) {
	var since int64
	if !seenSince.IsZero() {
		since = seenSince.UnixNano()
	}
	rows, err := in.db.Read.QueryContext(ctx, `SELECT direction, service, system, cluster, destination, consumer_group,
		first_seen_ns, last_seen_ns, coalesce(schema_id, ''), coalesce(schema_version, '')
		FROM flow WHERE last_seen_ns >= ? ORDER BY destination, direction DESC, service, consumer_group, system, cluster`, since)
	if err != nil {
		return nil, fmt.Errorf("read flow edges: %w", err)
	}
	defer rows.Close()
	edges := []FlowEdge{}
	for rows.Next() {
		var e FlowEdge
		var first, last int64
		if err := rows.Scan(&e.Direction, &e.Service, &e.Channel.System, &e.Channel.Cluster, &e.Channel.Destination,
			&e.ConsumerGroup, &first, &last, &e.SchemaID, &e.SchemaVersion); err != nil {
			return nil, fmt.Errorf("read flow edges: %w", err)
		}
		e.FirstSeen, e.LastSeen = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		edges = append(edges, e)
	}
	return edges, rows.Err()
}
