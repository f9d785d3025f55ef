package tracing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eventlens/eventlens/storage"
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
// retention when seenSince is zero), ordered by channel, producers first, then service.
func (in *Ingester) FlowEdges(ctx context.Context, seenSince time.Time) ([]FlowEdge, error) {
	rows, err := in.flowRows(ctx, sinceNs(seenSince))
	if err != nil {
		return nil, fmt.Errorf("read flow edges: %w", err)
	}
	return flowEdges(rows), nil
}

// FlowReader reads the flow edges of a store without ingesting anything: for commands that open
// the database, perhaps beside a running server.
type FlowReader struct{ store store }

// NewFlowReader reads db's flow table (on SQLite through its read pool).
func NewFlowReader(db *storage.DB) FlowReader { return FlowReader{store: openStore(db)} }

// FlowEdges is Ingester.FlowEdges, read from the table.
func (r FlowReader) FlowEdges(ctx context.Context, seenSince time.Time) ([]FlowEdge, error) {
	rows, err := r.flowRows(ctx, sinceNs(seenSince))
	if err != nil {
		return nil, fmt.Errorf("read flow edges: %w", err)
	}
	return flowEdges(rows), nil
}

func sinceNs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func flowEdges(rows map[int64]flowRow) []FlowEdge {
	edges := make([]FlowEdge, 0, len(rows))
	for _, r := range rows {
		edges = append(edges, FlowEdge{Direction: r.key.Role.String(), Service: r.key.Service, Channel: r.key.Channel,
			ConsumerGroup: r.key.Group, FirstSeen: time.Unix(0, r.firstSeenNs).UTC(), LastSeen: time.Unix(0, r.lastSeenNs).UTC(),
			SchemaID: r.schemaID, SchemaVersion: r.schemaVersion})
	}
	slices.SortFunc(edges, func(a, b FlowEdge) int {
		return cmp.Or(strings.Compare(a.Channel.Destination, b.Channel.Destination), strings.Compare(b.Direction, a.Direction),
			strings.Compare(a.Service, b.Service), strings.Compare(a.ConsumerGroup, b.ConsumerGroup),
			strings.Compare(a.Channel.System, b.Channel.System), strings.Compare(a.Channel.Cluster, b.Channel.Cluster))
	})
	return edges
}
