package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// subjectConsumer is a consumer of a subject's channel and the schema version its spans last
// carried (messaging.message.schema.id or .version).
type subjectConsumer struct {
	Service, Group, Channel string
	SchemaID                string
	Version                 int // 0 when the spans' id or version matches no version of the subject
	Latest                  bool
	LastSeen                time.Time
}

// subjectConsumers finds the consumers of the channel a subject belongs to by the
// TopicNameStrategy (orders-value → channel orders) whose spans name a schema.
func (p *Pages) subjectConsumers(ctx context.Context, subject string, history []schemaregistry.Schema) ([]subjectConsumer, error) {
	channel, ok := strings.CutSuffix(subject, "-value")
	if !ok {
		if channel, ok = strings.CutSuffix(subject, "-key"); !ok {
			return nil, nil
		}
	}
	edges, err := p.Tracing.FlowEdges(ctx, time.Time{})
	if err != nil {
		return nil, err
	}
	latest := 0
	for _, s := range history {
		if !s.Deleted {
			latest = max(latest, s.Version)
		}
	}
	var out []subjectConsumer
	for _, e := range edges {
		if e.Direction != tracing.RoleConsumer.String() || e.Channel.Destination != channel || (e.SchemaID == "" && e.SchemaVersion == "") {
			continue
		}
		c := subjectConsumer{Service: e.Service, Group: e.ConsumerGroup, Channel: channel, SchemaID: e.SchemaID, LastSeen: e.LastSeen}
		for _, s := range history {
			if (e.SchemaVersion != "" && e.SchemaVersion == strconv.Itoa(s.Version)) || (e.SchemaVersion == "" && e.SchemaID == strconv.Itoa(s.ID)) {
				c.Version = s.Version
			}
		}
		c.Latest = c.Version != 0 && c.Version == latest
		out = append(out, c)
	}
	return out, nil
}
