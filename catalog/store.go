package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

type storeInfo struct {
	hash, source, content string
}

// store writes a parsed document in one transaction: the same document again changes nothing;
// a changed one replaces what it said before and adds a version to its history. It returns the
// payloads to register for the document, as the catalog holds them once it commits.
func (c *Catalog) store(ctx context.Context, doc *parsedDocument, info storeInfo) (res ImportResult, payloads []payloadSchema, err error) {
	res.Document = doc.Key
	tx, err := c.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return res, nil, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()

	var current string
	var docID int64
	err = tx.QueryRowContext(ctx, `SELECT id, hash, version FROM catalog_documents WHERE key = ?`, doc.Key).Scan(&docID, &current, &res.Version)
	switch {
	case err == nil && current == info.hash:
		// Nothing changes, but the conflicts still stand: report them again, and register the
		// payloads again (the registry may have refused them before).
		if res.Conflicts, err = conflictsOf(ctx, tx, docID, doc.Key); err != nil {
			return res, nil, err
		}
		if payloads, err = payloadSchemas(ctx, tx, docID); err != nil {
			return res, nil, err
		}
		return res, payloads, tx.Rollback()
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return res, nil, fmt.Errorf("read document %q: %w", doc.Key, err)
	}
	res.Changed = true
	now := c.now().UTC().Format(time.RFC3339Nano)

	err = tx.QueryRowContext(ctx, `
		INSERT INTO catalog_documents (key, asyncapi_version, version, hash, source, imported_at)
		VALUES (?, ?, 1, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET asyncapi_version = excluded.asyncapi_version,
			version = catalog_documents.version + 1, hash = excluded.hash,
			source = excluded.source, imported_at = excluded.imported_at
		RETURNING id, version`,
		doc.Key, doc.AsyncAPIVersion, info.hash, info.source, now).Scan(&docID, &res.Version)
	if err != nil {
		return res, nil, fmt.Errorf("write document %q: %w", doc.Key, err)
	}
	if _, err = tx.ExecContext(ctx, `
		INSERT INTO catalog_document_versions (document_id, version, hash, source, content, imported_at)
		VALUES (?, ?, ?, ?, ?, ?)`, docID, res.Version, info.hash, info.source, info.content, now); err != nil {
		return res, nil, fmt.Errorf("write history of %q: %w", doc.Key, err)
	}

	w := &writer{ctx: ctx, tx: tx, docID: docID}
	if err = w.document(doc); err != nil {
		return res, nil, err
	}
	if res.Conflicts, err = conflictsOf(ctx, tx, docID, doc.Key); err != nil {
		return res, nil, err
	}
	if payloads, err = payloadSchemas(ctx, tx, docID); err != nil {
		return res, nil, err
	}
	return res, payloads, tx.Commit()
}

// writer writes one document's rows inside the import's transaction.
type writer struct {
	ctx   context.Context
	tx    *sql.Tx
	docID int64
}

func (w *writer) document(doc *parsedDocument) error {
	for _, o := range doc.Owners {
		if err := w.owner(o); err != nil {
			return err
		}
	}
	var domainID sql.NullInt64
	if d := doc.Domain; d != nil {
		if err := w.tx.QueryRowContext(w.ctx, `
			INSERT INTO catalog_domains (name, description, owner_id) VALUES (?, ?, (SELECT id FROM catalog_owners WHERE name = ?))
			ON CONFLICT (name) DO UPDATE SET
				description = CASE WHEN excluded.description <> '' THEN excluded.description ELSE catalog_domains.description END,
				owner_id = coalesce(excluded.owner_id, catalog_domains.owner_id)
			RETURNING id`, d.Name, d.Description, d.Owner).Scan(&domainID); err != nil {
			return fmt.Errorf("write domain %q: %w", d.Name, err)
		}
	}

	s := doc.Service
	// A document that renamed its service leaves the old one behind: remove it.
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM catalog_services WHERE document_id = ? AND name <> ?`, w.docID, s.Name); err != nil {
		return fmt.Errorf("remove renamed services: %w", err)
	}
	var serviceID int64
	if err := w.tx.QueryRowContext(w.ctx, `
		INSERT INTO catalog_services (name, version, description, domain_id, owner_id, tags, document_id)
		VALUES (?, ?, ?, ?, (SELECT id FROM catalog_owners WHERE name = ?), ?, ?)
		ON CONFLICT (name) DO UPDATE SET version = excluded.version, description = excluded.description,
			domain_id = coalesce(excluded.domain_id, catalog_services.domain_id),
			owner_id = coalesce(excluded.owner_id, catalog_services.owner_id), tags = excluded.tags,
			document_id = excluded.document_id
		RETURNING id`,
		s.Name, s.Version, s.Description, domainID, s.Owner, tagsJSON(s.Tags), w.docID).Scan(&serviceID); err != nil {
		return fmt.Errorf("write service %q: %w", s.Name, err)
	}
	// What the document said before about operations and channel messages is replaced.
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM catalog_operations WHERE service_id = ?`, serviceID); err != nil {
		return fmt.Errorf("replace operations of %q: %w", s.Name, err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM catalog_channel_messages WHERE document_id = ?`, w.docID); err != nil {
		return fmt.Errorf("replace channel messages: %w", err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM catalog_service_servers WHERE service_id = ?`, serviceID); err != nil {
		return fmt.Errorf("replace servers of %q: %w", s.Name, err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM catalog_channel_servers WHERE document_id = ?`, w.docID); err != nil {
		return fmt.Errorf("replace channel servers: %w", err)
	}
	// What it said before about channels, servers and messages is replaced too; the rows it no
	// longer describes are merged again from what the other documents say (or removed) at the end.
	described := map[*shared][]int64{}
	for _, k := range sharedKinds {
		ids, err := k.describedBy(w.ctx, w.tx, w.docID)
		if err != nil {
			return fmt.Errorf("read what the document described: %w", err)
		}
		described[k] = ids
		if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM `+k.descriptions+` WHERE document_id = ?`, w.docID); err != nil {
			return fmt.Errorf("replace %s descriptions: %w", k.kind, err)
		}
	}

	serverIDs := map[string]int64{}
	for _, sv := range doc.Servers {
		id, err := w.server(sv)
		if err != nil {
			return err
		}
		serverIDs[sv.Name] = id
		described[sharedServers] = append(described[sharedServers], id)
		if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO catalog_service_servers (service_id, server_id) VALUES (?, ?)`, serviceID, id); err != nil {
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
		id, err := w.channel(c, sendsOn[c.Name])
		if err != nil {
			return err
		}
		channelIDs[c.Name] = id
		described[sharedChannels] = append(described[sharedChannels], id)
	}
	messageIDs := map[string]int64{}
	for _, m := range doc.Messages {
		id, err := w.message(m, sendsMessage[m.Name])
		if err != nil {
			return err
		}
		messageIDs[m.Name] = id
		described[sharedMessages] = append(described[sharedMessages], id)
	}
	for _, l := range doc.Links {
		if _, err := w.tx.ExecContext(w.ctx, `
			INSERT INTO catalog_channel_messages (channel_id, message_id, document_id, subject) VALUES (?, ?, ?, ?)`,
			channelIDs[l.Channel], messageIDs[l.Message], w.docID, l.Subject); err != nil {
			return fmt.Errorf("link message %q to channel %q: %w", l.Message, l.Channel, err)
		}
	}
	for _, cs := range doc.ChannelServers {
		if _, err := w.tx.ExecContext(w.ctx, `
			INSERT INTO catalog_channel_servers (channel_id, server_id, document_id) VALUES (?, ?, ?)`,
			channelIDs[cs.Channel], serverIDs[cs.Server], w.docID); err != nil {
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

// owner adds an owner or fills in contact details it lacked; details set through the API stay.
func (w *writer) owner(o Owner) error {
	_, err := w.tx.ExecContext(w.ctx, `
		INSERT INTO catalog_owners (name, kind, email, url, description) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			email = CASE WHEN catalog_owners.email = '' THEN excluded.email ELSE catalog_owners.email END,
			url = CASE WHEN catalog_owners.url = '' THEN excluded.url ELSE catalog_owners.url END,
			description = CASE WHEN catalog_owners.description = '' THEN excluded.description ELSE catalog_owners.description END`,
		o.Name, o.Kind, o.Email, o.URL, o.Description)
	if err != nil {
		return fmt.Errorf("write owner %q: %w", o.Name, err)
	}
	return nil
}

// server adds a server this document describes, named only until settle merges its facts.
func (w *writer) server(s Server) (id int64, err error) {
	facts, err := asFacts(s)
	if err != nil {
		return 0, fmt.Errorf("server %q: %w", s.Name, err)
	}
	if err = w.tx.QueryRowContext(w.ctx, `
		INSERT INTO catalog_servers (name, host, protocol) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, s.Name, s.Host, s.Protocol).Scan(&id); err != nil {
		return 0, fmt.Errorf("write server %q: %w", s.Name, err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `
		INSERT INTO catalog_server_descriptions (server_id, document_id, facts) VALUES (?, ?, ?)`, id, w.docID, facts); err != nil {
		return 0, fmt.Errorf("describe server %q: %w", s.Name, err)
	}
	return id, nil
}

// channel adds a channel this document describes, named only until settle merges its facts.
func (w *writer) channel(c Channel, sends bool) (id int64, err error) {
	facts, err := asFacts(c)
	if err != nil {
		return 0, fmt.Errorf("channel %q: %w", c.Name, err)
	}
	if err = w.tx.QueryRowContext(w.ctx, `
		INSERT INTO catalog_channels (name) VALUES (?)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, c.Name).Scan(&id); err != nil {
		return 0, fmt.Errorf("write channel %q: %w", c.Name, err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `
		INSERT INTO catalog_channel_descriptions (channel_id, document_id, sends, facts) VALUES (?, ?, ?, ?)`,
		id, w.docID, sends, facts); err != nil {
		return 0, fmt.Errorf("describe channel %q: %w", c.Name, err)
	}
	return id, nil
}

// settle writes the merge of what the documents say about the channel or server id into its
// row, or removes the row when no document describes it any more.
func (w *writer) settle(k *shared, id int64) error {
	name, descs, err := k.read(w.ctx, w.tx, id)
	if err != nil {
		return err
	}
	if len(descs) == 0 {
		if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM `+k.table+` WHERE id = ?`, id); err != nil {
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
	_, err = w.tx.ExecContext(w.ctx, `
		UPDATE catalog_servers SET host = ?, pathname = ?, protocol = ?, protocol_version = ?, description = ?,
			variables = ?, bindings = ?, tags = ?, document_id = ?
		WHERE id = ?`,
		s.Host, s.Pathname, s.Protocol, s.ProtocolVersion, s.Description, variables, bindings, tagsJSON(s.Tags), docID, id)
	return err
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
	_, err = w.tx.ExecContext(w.ctx, `
		UPDATE catalog_channels SET address = ?, kafka_topic = ?, bindings = ?, description = ?,
			owner_id = coalesce((SELECT id FROM catalog_owners WHERE name = ?), owner_id), tags = ?, document_id = ?
		WHERE id = ?`,
		c.Address, c.KafkaTopic, bindings, c.Description, c.Owner, tagsJSON(c.Tags), docID, id)
	return err
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

// message adds a message this document describes, named only until settle merges its facts;
// sends says the document's service sends it.
func (w *writer) message(m Message, sends bool) (id int64, err error) {
	facts, err := asFacts(messageFacts{Name: m.Name, Kind: m.Kind, Title: m.Title, Summary: m.Summary,
		Description: m.Description, ContentType: m.ContentType, Subject: m.Subject, Owner: m.Owner, Tags: m.Tags,
		Payload:  schemaFacts{m.SchemaFormat, m.SchemaType, m.Payload},
		Key:      schemaFacts{m.KeySchemaFormat, m.KeySchemaType, m.Key},
		Bindings: m.Bindings})
	if err != nil {
		return 0, fmt.Errorf("message %q: %w", m.Name, err)
	}
	if err = w.tx.QueryRowContext(w.ctx, `
		INSERT INTO catalog_messages (name) VALUES (?)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, m.Name).Scan(&id); err != nil {
		return 0, fmt.Errorf("write message %q: %w", m.Name, err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `
		INSERT INTO catalog_message_descriptions (message_id, document_id, sends, facts) VALUES (?, ?, ?, ?)`,
		id, w.docID, sends, facts); err != nil {
		return 0, fmt.Errorf("describe message %q: %w", m.Name, err)
	}
	return id, nil
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
	payload, key := m.Payload, m.Key
	if _, err := w.tx.ExecContext(w.ctx, `
		UPDATE catalog_messages SET kind = ?, title = ?, summary = ?, description = ?, content_type = ?,
			schema_format = ?, schema_type = ?, payload = ?, subject = ?,
			key_schema_format = ?, key_schema_type = ?, key_schema = ?, bindings = ?,
			owner_id = coalesce((SELECT id FROM catalog_owners WHERE name = ?), owner_id), tags = ?, document_id = ?
		WHERE id = ?`,
		m.Kind, m.Title, m.Summary, m.Description, m.ContentType, payload.Format, payload.Type, payload.Schema, m.Subject,
		key.Format, key.Type, key.Schema, bindings, m.Owner, tagsJSON(m.Tags), docID, id); err != nil {
		return err
	}
	_, err = w.tx.ExecContext(w.ctx, `
		UPDATE catalog_channel_messages
		SET subject = CASE WHEN ?1 <> '' THEN ?1 ELSE (SELECT name FROM catalog_channels WHERE id = channel_id) || '-value' END
		WHERE message_id = ?2`, m.Subject, id)
	return err
}

func (w *writer) operation(serviceID, channelID int64, o Operation, messageIDs map[string]int64) error {
	bindings, err := objectJSON(o.Bindings)
	if err != nil {
		return fmt.Errorf("operation %q bindings: %w", o.Name, err)
	}
	var id int64
	if err := w.tx.QueryRowContext(w.ctx, `
		INSERT INTO catalog_operations (service_id, name, action, channel_id, summary, description, consumer_group, bindings)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		serviceID, o.Name, o.Action, channelID, o.Summary, o.Description, o.ConsumerGroup, bindings).Scan(&id); err != nil {
		return fmt.Errorf("write operation %q: %w", o.Name, err)
	}
	for _, m := range o.Messages {
		if _, err := w.tx.ExecContext(w.ctx, `
			INSERT INTO catalog_operation_messages (operation_id, message_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			id, messageIDs[m]); err != nil {
			return fmt.Errorf("link operation %q to message %q: %w", o.Name, m, err)
		}
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
