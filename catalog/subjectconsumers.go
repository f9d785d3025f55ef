package catalog

import (
	"strconv"
	"strings"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// SubjectConsumer is a consumer of a subject's channel and the schema version its spans last
// carried (messaging.message.schema.id or .version).
type SubjectConsumer struct {
	Service  string    `json:"service"`
	Group    string    `json:"group,omitempty"`
	Channel  string    `json:"channel"`
	System   string    `json:"system,omitempty"` // kafka, rabbitmq, ...
	SchemaID string    `json:"schemaId,omitempty"`
	Version  int       `json:"version,omitempty"` // 0 when the spans' id or version matches no version of the subject
	Latest   bool      `json:"latest"`
	LastSeen time.Time `json:"lastSeen"`
}

// SubjectChannel is the channel a subject belongs to by the TopicNameStrategy (orders-value and
// orders-key → orders), or "" for a subject named otherwise.
func SubjectChannel(subject string) string {
	if channel, ok := strings.CutSuffix(subject, "-value"); ok {
		return channel
	}
	channel, _ := strings.CutSuffix(subject, "-key")
	if channel == subject {
		return ""
	}
	return channel
}

// SubjectConsumers picks from edges the consumers of the subject's channel whose spans name a
// schema, and finds in history (the subject's versions) the version each last read.
func SubjectConsumers(edges []tracing.FlowEdge, subject string, history []schemaregistry.Schema) []SubjectConsumer {
	channel := SubjectChannel(subject)
	if channel == "" {
		return nil
	}
	latest := 0
	for _, s := range history {
		if !s.Deleted {
			latest = max(latest, s.Version)
		}
	}
	var out []SubjectConsumer
	for _, e := range edges {
		if e.Direction != tracing.RoleConsumer.String() || e.Channel.Destination != channel || (e.SchemaID == "" && e.SchemaVersion == "") {
			continue
		}
		c := SubjectConsumer{Service: e.Service, Group: e.ConsumerGroup, Channel: channel, System: e.Channel.System, SchemaID: e.SchemaID, LastSeen: e.LastSeen}
		for _, s := range history {
			if (e.SchemaVersion != "" && e.SchemaVersion == strconv.Itoa(s.Version)) || (e.SchemaVersion == "" && e.SchemaID == strconv.Itoa(s.ID)) {
				c.Version = s.Version
			}
		}
		c.Latest = c.Version != 0 && c.Version == latest
		out = append(out, c)
	}
	return out
}
