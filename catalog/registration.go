package catalog

import (
	"context"
	"fmt"
	"sort"

	"github.com/eventlens/eventlens/schemaregistry"
)

// payloadSchema is a message payload, or its Kafka key schema, to register under subject.
type payloadSchema struct {
	subject, schemaType, schema, message, channel string
	key                                           bool
}

// payloadSchemas lists the payloads to register for document docID: one per message and
// channel it links, under the link's subject, and one per Kafka key schema under <channel>-key
// (TopicNameStrategy); sorted by subject and message. They are the catalog's merged messages,
// not the document's own copies: a consumer's document with an older copy of a producer's
// schema registers the producer's, so it adds no version of its own.
func payloadSchemas(ctx context.Context, tx storeTx, docID int64) ([]payloadSchema, error) {
	links, err := tx.payloadLinks(ctx, docID)
	if err != nil {
		return nil, fmt.Errorf("read payloads to register: %w", err)
	}
	schemas := []payloadSchema{}
	for _, l := range links {
		if l.payload != "" && l.schemaType != "" {
			schemas = append(schemas, payloadSchema{subject: l.subject, schemaType: l.schemaType, schema: l.payload, message: l.message, channel: l.channel})
		}
		if l.key != "" && l.keyType != "" {
			schemas = append(schemas, payloadSchema{subject: l.channel + "-key", schemaType: l.keyType, schema: l.key, message: l.message, channel: l.channel, key: true})
		}
	}
	sort.SliceStable(schemas, func(i, j int) bool {
		if schemas[i].subject != schemas[j].subject {
			return schemas[i].subject < schemas[j].subject
		}
		return schemas[i].message < schemas[j].message
	})
	return schemas, nil
}

// registerPayloads registers each payload with the registry, each in the registry's own
// transaction, after the catalog's import has committed. A schema the subject already holds
// changes nothing; one the registry refuses (incompatible, invalid, read-only subject) is
// reported with the registry's code and message and never forced, and the others still land.
// A cancelled context or a failing store stops it early, with an error.
func (c *Catalog) registerPayloads(ctx context.Context, payloads []payloadSchema) ([]SchemaRegistration, error) {
	out := make([]SchemaRegistration, 0, len(payloads))
	first := map[string]int{} // subject → index in out of the first payload registered under it
	for _, p := range payloads {
		reg := SchemaRegistration{Subject: p.subject, SchemaType: p.schemaType, Message: p.message, Channel: p.channel, Key: p.key}
		if i, seen := first[p.subject]; seen {
			// One subject holds one schema per document: a second, different payload under it
			// would become a new version of the first message's schema.
			prev := out[i]
			switch {
			case payloads[i].schema == p.schema && prev.Status != Refused:
				reg.Status, reg.Version, reg.ID = Unchanged, prev.Version, prev.ID
			case payloads[i].schema == p.schema:
				reg.Status, reg.ErrorCode, reg.Reason = Refused, prev.ErrorCode, prev.Reason
			case p.key:
				reg.Status = Refused
				reg.Reason = fmt.Sprintf("subject %q already takes the key of message %q on channel %q in this document; the messages of one topic share its key schema",
					p.subject, prev.Message, prev.Channel)
			default:
				reg.Status = Refused
				reg.Reason = fmt.Sprintf("subject %q already takes the payload of message %q on channel %q in this document; give message %q its own subject with x-eventlens-subject",
					p.subject, prev.Message, prev.Channel, p.message)
			}
			out = append(out, reg)
			continue
		}
		first[p.subject] = len(out)
		s, status, err := c.register(ctx, p)
		if err != nil {
			if ctx.Err() != nil {
				return out, fmt.Errorf("register %q: %w", p.subject, ctx.Err())
			}
			if code := schemaregistry.ErrorCode(err); code == 0 || code >= 50000 {
				// The store failed (away, disk full), not the schema: answering the import
				// as done would leave the payload unregistered. Importing again registers it.
				return out, fmt.Errorf("register %q: %w", p.subject, err)
			}
			reg.Status, reg.ErrorCode, reg.Reason = Refused, schemaregistry.ErrorCode(err), err.Error()
		} else {
			reg.Status, reg.Version, reg.ID = status, s.Version, s.ID
		}
		out = append(out, reg)
	}
	return out, nil
}

// register registers one payload, or finds it already registered under its subject.
func (c *Catalog) register(ctx context.Context, p payloadSchema) (schemaregistry.Schema, string, error) {
	in := schemaregistry.NewSchema{Schema: p.schema, SchemaType: p.schemaType}
	s, err := c.registry.Lookup(ctx, p.subject, in, false, false)
	switch code := schemaregistry.ErrorCode(err); {
	case err == nil:
		return s, Unchanged, nil
	case code != schemaregistry.CodeSubjectNotFound && code != schemaregistry.CodeSchemaNotFound:
		return s, "", err
	}
	s, err = c.registry.Register(ctx, p.subject, in, schemaregistry.RegisterOptions{})
	return s, Registered, err
}
