package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Channels, servers and messages are known by name across documents: each service's document
// lists the channels and brokers it uses and the messages it sends or receives, so several
// documents describe one. Each document's description is kept as it gives it
// (catalog_channel_descriptions, catalog_server_descriptions, catalog_message_descriptions) and
// the catalog's row is their merge, so a document that leaves a field out erases nothing another
// one says, and the row no longer depends on which document was imported last.
//
// Precedence: for a channel, the documents whose service sends on it come first (a producer
// defines its channel), and for a message those whose service sends it; then the others; among
// equals, and for servers, the first imported (the lower document id) comes first. A field takes
// the value of the first description that sets it (an empty string, object or list sets
// nothing); objects (bindings, variables) merge key by key; tags are the union. Another
// description setting a different value is a Conflict. A message's payload and key are taken
// whole from the first description that has one, so a schema never comes with another
// document's format.

// Conflict is a field that two documents set differently on one channel, server or message; the
// catalog keeps the value of the document that comes first.
type Conflict struct {
	Kind        string `json:"kind"`  // channel, server or message
	Name        string `json:"name"`  // the channel's, server's or message's name
	Field       string `json:"field"` // description, address, bindings.kafka.partitions, payload.schema, ...
	Kept        any    `json:"kept"`
	KeptFrom    string `json:"keptFrom"` // the document whose value the catalog keeps
	Ignored     any    `json:"ignored"`
	IgnoredFrom string `json:"ignoredFrom"` // the document whose value it does not
}

func (c Conflict) String() string {
	return fmt.Sprintf("%s %q %s: %q says %s, %q says %s; kept %s",
		c.Kind, c.Name, c.Field, c.KeptFrom, jsonText(c.Kept), c.IgnoredFrom, jsonText(c.Ignored), jsonText(c.Kept))
}

// jsonText writes a value for a conflict line, cut short when long (a payload schema): the
// import's JSON answer has it whole.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const most = 60
	if len(b) > most {
		return fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(string(b[:most]), ""), len(b))
	}
	return string(b)
}

// shared describes one kind of row that documents share: where the rows and their descriptions
// live and in which order the descriptions count.
type shared struct {
	kind         string // channel, server or message
	table        string // the merged rows
	descriptions string // each document's description
	ref          string // the descriptions' column naming the row
	// sendsFirst puts the descriptions of documents whose service sends first; else, and among
	// equals, the lower document id (the first imported) comes first.
	sendsFirst bool
	// whole names the objects taken whole from the first description that has one, with the
	// fields that make another description's object differ from it.
	whole map[string][]string
	// write rewrites row id with the merged facts; docID's description came first.
	write func(w *writer, id int64, facts map[string]any, docID int64) error
}

var (
	sharedChannels = &shared{kind: "channel", table: "catalog_channels", descriptions: "catalog_channel_descriptions",
		ref: "channel_id", sendsFirst: true, write: (*writer).writeChannel}
	sharedServers = &shared{kind: "server", table: "catalog_servers", descriptions: "catalog_server_descriptions",
		ref: "server_id", write: (*writer).writeServer}
	// Two payloads differ in their schema or its type, not in how their format is spelled
	// (application/vnd.apache.avro and …avro+json are one Avro schema).
	sharedMessages = &shared{kind: "message", table: "catalog_messages", descriptions: "catalog_message_descriptions",
		ref: "message_id", sendsFirst: true, write: (*writer).writeMessage,
		whole: map[string][]string{"payload": {"schema", "schemaType"}, "key": {"schema", "schemaType"}}}
	sharedKinds = []*shared{sharedChannels, sharedServers, sharedMessages}
)

// description is what one document says about a channel, server or message.
type description struct {
	docID    int64
	document string // its key
	facts    map[string]any
}

// merge merges descriptions given first to last by precedence into one object of facts.
func (s *shared) merge(name string, descs []description) (map[string]any, []Conflict) {
	m := &merger{kind: s.kind, name: name, whole: s.whole, from: map[string]string{}}
	out := map[string]any{}
	for _, d := range descs {
		m.object(out, d.facts, "", d.document)
	}
	return out, m.conflicts
}

type merger struct {
	kind, name string
	whole      map[string][]string
	from       map[string]string // field path → the document whose value it holds
	conflicts  []Conflict
}

func (m *merger) object(into, facts map[string]any, prefix, document string) {
	for _, key := range sortedKeys(facts) {
		v, path := facts[key], prefix+key
		// An empty field sets nothing, but an empty object inside one does: bindings
		// {kafka: {}} says the channel is a Kafka topic.
		if isEmptyFact(v) && (prefix == "" || !isObject(v)) {
			continue
		}
		have, ok := into[key]
		if fields, whole := m.whole[path]; whole && ok && isObject(v) && isObject(have) {
			m.differ(have.(map[string]any), v.(map[string]any), fields, path+".", m.from[path], document)
			continue
		}
		if obj, isObj := v.(map[string]any); isObj && (!ok || isObject(have)) {
			if !ok {
				have = map[string]any{}
				into[key] = have
				m.from[path] = document
			}
			m.object(have.(map[string]any), obj, path+".", document)
			continue
		}
		switch {
		case !ok:
			into[key] = v
			m.from[path] = document
		case path == "tags":
			for _, tag := range v.([]any) {
				if !slices.Contains(have.([]any), tag) {
					have = append(have.([]any), tag)
				}
			}
			into[key] = have
		case !reflect.DeepEqual(have, v):
			m.conflict(path, have, m.from[path], v, document)
		}
	}
}

// differ reports the fields of an object taken whole from document keptFrom that facts, from
// document, sets differently; nothing of facts is merged in.
func (m *merger) differ(kept, facts map[string]any, fields []string, prefix, keptFrom, document string) {
	for _, f := range fields {
		have, v := kept[f], facts[f]
		if !isEmptyFact(have) && !isEmptyFact(v) && !reflect.DeepEqual(have, v) {
			m.conflict(prefix+f, have, keptFrom, v, document)
		}
	}
}

func (m *merger) conflict(path string, kept any, keptFrom string, ignored any, ignoredFrom string) {
	m.conflicts = append(m.conflicts, Conflict{Kind: m.kind, Name: m.name, Field: path,
		Kept: kept, KeptFrom: keptFrom, Ignored: ignored, IgnoredFrom: ignoredFrom})
}

func isObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// isEmptyFact reports whether a description leaves a field out.
func isEmptyFact(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// asFacts writes a channel, server or message as a document describes it, to be stored as its
// description.
func asFacts(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// fromFacts reads merged facts into a Channel, Server or messageFacts, keeping numbers as written.
func fromFacts(facts map[string]any, dst any) error {
	b, err := json.Marshal(facts)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(dst)
}

// conflictsOf lists the conflicts on the channels, servers and messages document docID (key) describes
// that involve it: its value kept over another document's, or ignored for one.
func conflictsOf(ctx context.Context, tx storeTx, docID int64, key string) ([]Conflict, error) {
	out := []Conflict{}
	for _, s := range sharedKinds {
		ids, err := tx.describedBy(ctx, s, docID)
		if err != nil {
			return nil, fmt.Errorf("conflicts of %q: %w", key, err)
		}
		for _, id := range ids {
			name, descs, err := tx.descriptions(ctx, s, id)
			if err != nil {
				return nil, err
			}
			_, conflicts := s.merge(name, descs)
			for _, c := range conflicts {
				if c.KeptFrom == key || c.IgnoredFrom == key {
					out = append(out, c)
				}
			}
		}
	}
	return out, nil
}
