package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

type storeInfo struct {
	hash, source, content string
}

// write writes a parsed document in one transaction: the same document again changes nothing;
// a changed one replaces what it said before and adds a version to its history. It returns the
// payloads to register for the document, as the catalog holds them once it commits.
func (c *Catalog) write(ctx context.Context, doc *parsedDocument, info storeInfo) (res ImportResult, payloads []payloadSchema, err error) {
	res.Document = doc.Key
	err = c.store.update(ctx, func(tx storeTx) error {
		stored, found, err := tx.document(ctx, doc.Key)
		if err != nil {
			return fmt.Errorf("read document %q: %w", doc.Key, err)
		}
		docID := stored.id
		res.Version = stored.version
		if !found || stored.hash != info.hash {
			// A changed document: write it.
			res.Changed = true
			docID, res.Version, err = tx.saveDocument(ctx, documentImport{key: doc.Key, asyncAPIVersion: doc.AsyncAPIVersion,
				hash: info.hash, source: info.source, content: info.content, importedAt: c.now().UTC()})
			if err != nil {
				return fmt.Errorf("write document %q: %w", doc.Key, err)
			}
			w := &writer{ctx: ctx, tx: tx, docID: docID}
			if err := w.document(doc); err != nil {
				return err
			}
			if err := tx.changed(ctx, "document "+doc.Key); err != nil {
				return err
			}
		}
		// Unchanged, the conflicts still stand: report them again, and register the payloads
		// again (the registry may have refused them before).
		if res.Conflicts, err = conflictsOf(ctx, tx, docID, doc.Key); err != nil {
			return err
		}
		payloads, err = payloadSchemas(ctx, tx, docID)
		return err
	})
	if err == nil && res.Changed {
		c.searchChanged()
	}
	return res, payloads, err
}

// writer writes one document's rows inside the import's transaction.
type writer struct {
	ctx   context.Context
	tx    storeTx
	docID int64
}

func (w *writer) document(doc *parsedDocument) error {
	ctx, tx := w.ctx, w.tx
	for _, o := range doc.Owners {
		if err := tx.owner(ctx, o); err != nil {
			return fmt.Errorf("write owner %q: %w", o.Name, err)
		}
	}
	var domainID int64
	if d := doc.Domain; d != nil {
		var err error
		if domainID, err = tx.domain(ctx, *d); err != nil {
			return fmt.Errorf("write domain %q: %w", d.Name, err)
		}
	}

	s := doc.Service
	// A document that renamed its service leaves the old one behind: remove it.
	if err := tx.removeRenamedServices(ctx, w.docID, s.Name); err != nil {
		return fmt.Errorf("remove renamed services: %w", err)
	}
	serviceID, err := tx.service(ctx, s, domainID, w.docID)
	if err != nil {
		return fmt.Errorf("write service %q: %w", s.Name, err)
	}
	// What the document said before about operations, channel messages and servers is replaced.
	if err := tx.forgetLinks(ctx, w.docID, serviceID); err != nil {
		return fmt.Errorf("replace what %q uses: %w", s.Name, err)
	}
	// What it said before about channels, servers and messages is replaced too; the rows it no
	// longer describes are merged again from what the other documents say (or removed) at the end.
	described := map[*shared][]int64{}
	for _, k := range sharedKinds {
		ids, err := tx.describedBy(ctx, k, w.docID)
		if err != nil {
			return fmt.Errorf("read what the document described: %w", err)
		}
		described[k] = ids
		if err := tx.forgetDescriptions(ctx, k, w.docID); err != nil {
			return fmt.Errorf("replace %s descriptions: %w", k.kind, err)
		}
	}

	serverIDs := map[string]int64{}
	for _, sv := range doc.Servers {
		id, err := w.describe(sharedServers, sv.Name, false, sv)
		if err != nil {
			return err
		}
		serverIDs[sv.Name] = id
		described[sharedServers] = append(described[sharedServers], id)
		if err := tx.linkServiceServer(ctx, serviceID, id); err != nil {
			return fmt.Errorf("link service %q to server %q: %w", s.Name, sv.Name, err)
		}
	}

	// The channels the service sends on, and the messages it sends, by name.
	sendsOn, sendsMessage := map[string]bool{}, map[string]bool{}
	for _, o := range doc.Operations {
		if o.Action == ActionSend {
			sendsOn[o.Channel] = true
			for _, m := range o.Messages {
				sendsMessage[m] = true
			}
		}
	}
	channelIDs := map[string]int64{}
	for _, c := range doc.Channels {
		id, err := w.describe(sharedChannels, c.Name, sendsOn[c.Name], c)
		if err != nil {
			return err
		}
		channelIDs[c.Name] = id
		described[sharedChannels] = append(described[sharedChannels], id)
	}
	messageIDs := map[string]int64{}
	for _, m := range doc.Messages {
		id, err := w.describe(sharedMessages, m.Name, sendsMessage[m.Name], messageFacts{Name: m.Name, Kind: m.Kind,
			Title: m.Title, Summary: m.Summary, Description: m.Description, ContentType: m.ContentType,
			Subject: m.Subject, Owner: m.Owner, Tags: m.Tags,
			Payload:  schemaFacts{m.SchemaFormat, m.SchemaType, m.Payload},
			Key:      schemaFacts{m.KeySchemaFormat, m.KeySchemaType, m.Key},
			Bindings: m.Bindings})
		if err != nil {
			return err
		}
		messageIDs[m.Name] = id
		described[sharedMessages] = append(described[sharedMessages], id)
	}
	for _, l := range doc.Links {
		if err := tx.linkChannelMessage(ctx, channelIDs[l.Channel], messageIDs[l.Message], w.docID, l.Subject); err != nil {
			return fmt.Errorf("link message %q to channel %q: %w", l.Message, l.Channel, err)
		}
	}
	for _, cs := range doc.ChannelServers {
		if err := tx.linkChannelServer(ctx, channelIDs[cs.Channel], serverIDs[cs.Server], w.docID); err != nil {
			return fmt.Errorf("link channel %q to server %q: %w", cs.Channel, cs.Server, err)
		}
	}
	for _, o := range doc.Operations {
		if err := w.operation(serviceID, channelIDs[o.Channel], o, messageIDs); err != nil {
			return err
		}
	}
	for _, k := range sharedKinds {
		slices.Sort(described[k])
		for _, id := range slices.Compact(described[k]) {
			if err := w.settle(k, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// describe adds a channel, server or message this document describes (a Channel, a Server or
// messageFacts), named only until settle merges its facts; sends says the document's service
// sends on the channel or sends the message.
func (w *writer) describe(k *shared, name string, sends bool, v any) (int64, error) {
	facts, err := asFacts(v)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", k.kind, name, err)
	}
	id, err := w.tx.describe(w.ctx, k, name, w.docID, sends, facts)
	if err != nil {
		return 0, fmt.Errorf("describe %s %q: %w", k.kind, name, err)
	}
	return id, nil
}

// settle writes the merge of what the documents say about the channel, server or message id
// into its row, or removes the row when no document describes it any more.
func (w *writer) settle(k *shared, id int64) error {
	name, descs, err := w.tx.descriptions(w.ctx, k, id)
	if err != nil {
		return err
	}
	if len(descs) == 0 {
		if err := w.tx.remove(w.ctx, k, id); err != nil {
			return fmt.Errorf("remove %s %q: %w", k.kind, name, err)
		}
		return nil
	}
	facts, _ := k.merge(name, descs)
	if err := k.write(w, id, facts, descs[0].docID); err != nil {
		return fmt.Errorf("write %s %q: %w", k.kind, name, err)
	}
	return nil
}

// writeServer rewrites server id as merged from its documents; docID's description comes first.
func (w *writer) writeServer(id int64, facts map[string]any, docID int64) error {
	var s Server
	if err := fromFacts(facts, &s); err != nil {
		return err
	}
	variables, err := objectJSON(s.Variables)
	if err != nil {
		return fmt.Errorf("variables: %w", err)
	}
	bindings, err := objectJSON(s.Bindings)
	if err != nil {
		return fmt.Errorf("bindings: %w", err)
	}
	return w.tx.writeServer(w.ctx, id, s, variables, bindings, docID)
}

// writeChannel rewrites channel id as merged from its documents; docID's description comes
// first. An owner set through the API stays when no document names one.
func (w *writer) writeChannel(id int64, facts map[string]any, docID int64) error {
	var c Channel
	if err := fromFacts(facts, &c); err != nil {
		return err
	}
	bindings, err := objectJSON(c.Bindings)
	if err != nil {
		return fmt.Errorf("bindings: %w", err)
	}
	return w.tx.writeChannel(w.ctx, id, c, bindings, docID)
}

// messageFacts is a message as one document describes it, stored as its description: the
// payload and the Kafka key each with their format, so that each comes whole from one document.
type messageFacts struct {
	Name        string      `json:"name"`
	Kind        string      `json:"kind"` // "" when the document does not say: event
	Title       string      `json:"title"`
	Summary     string      `json:"summary"`
	Description string      `json:"description"`
	ContentType string      `json:"contentType"`
	Subject     string      `json:"subject"`
	Owner       string      `json:"owner"`
	Tags        []string    `json:"tags"`
	Payload     schemaFacts `json:"payload,omitzero"`
	Key         schemaFacts `json:"key,omitzero"`
	// Merged key by key like a channel's, so absent from descriptions stored before they were kept.
	Bindings map[string]any `json:"bindings,omitempty"`
}

type schemaFacts struct {
	Format string `json:"schemaFormat"`
	Type   string `json:"schemaType"`
	Schema string `json:"schema"`
}

// writeMessage rewrites message id as merged from its documents; docID's description comes
// first. An owner set through the API stays when no document names one. Every document's links
// of the message take its merged subject, so each registers the payload under the same one.
func (w *writer) writeMessage(id int64, facts map[string]any, docID int64) error {
	var m messageFacts
	if err := fromFacts(facts, &m); err != nil {
		return err
	}
	if m.Kind == "" {
		m.Kind = KindEvent
	}
	bindings, err := objectJSON(m.Bindings)
	if err != nil {
		return fmt.Errorf("bindings: %w", err)
	}
	return w.tx.writeMessage(w.ctx, id, m, bindings, docID)
}

func (w *writer) operation(serviceID, channelID int64, o Operation, messageIDs map[string]int64) error {
	bindings, err := objectJSON(o.Bindings)
	if err != nil {
		return fmt.Errorf("operation %q bindings: %w", o.Name, err)
	}
	ids := make([]int64, 0, len(o.Messages))
	for _, m := range o.Messages {
		ids = append(ids, messageIDs[m])
	}
	if err := w.tx.operation(w.ctx, serviceID, channelID, o, bindings, ids); err != nil {
		return fmt.Errorf("write operation %q: %w", o.Name, err)
	}
	return nil
}

// objectJSON writes bindings or variables as a JSON object; nil is {}.
func objectJSON(m map[string]any) (string, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// tagsJSON writes a list of names as a JSON array; nil is [].
func tagsJSON(names []string) string {
	if names == nil {
		names = []string{}
	}
	b, _ := json.Marshal(names)
	return string(b)
}
