package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Domains lists every domain, by name.
func (c *Catalog) Domains(ctx context.Context) ([]Domain, error) {
	return queryList(ctx, c.db.Read, scanDomain, `
		SELECT d.name, d.description, coalesce(o.name, ''), d.tags
		FROM catalog_domains d LEFT JOIN catalog_owners o ON o.id = d.owner_id ORDER BY d.name`)
}

// Domain returns one domain with its services.
func (c *Catalog) Domain(ctx context.Context, name string) (Domain, error) {
	d, err := queryOne(ctx, c.db.Read, "domain", name, scanDomain, `
		SELECT d.name, d.description, coalesce(o.name, ''), d.tags
		FROM catalog_domains d LEFT JOIN catalog_owners o ON o.id = d.owner_id WHERE d.name = ?`, name)
	if err != nil {
		return d, err
	}
	d.Services, err = c.names(ctx, `
		SELECT s.name FROM catalog_services s JOIN catalog_domains d ON d.id = s.domain_id
		WHERE d.name = ? ORDER BY s.name`, name)
	return d, err
}

func scanDomain(row scanner) (Domain, error) {
	var d Domain
	var tags string
	if err := row.Scan(&d.Name, &d.Description, &d.Owner, &tags); err != nil {
		return d, err
	}
	return d, json.Unmarshal([]byte(tags), &d.Tags)
}

const serviceColumns = `
	SELECT s.name, s.version, s.description, coalesce(d.name, ''), coalesce(o.name, ''), s.tags, coalesce(doc.key, '')
	FROM catalog_services s
	LEFT JOIN catalog_domains d ON d.id = s.domain_id
	LEFT JOIN catalog_owners o ON o.id = s.owner_id
	LEFT JOIN catalog_documents doc ON doc.id = s.document_id`

// Services lists every service, by name.
func (c *Catalog) Services(ctx context.Context) ([]Service, error) {
	return queryList(ctx, c.db.Read, scanService, serviceColumns+` ORDER BY s.name`)
}

// Service returns one service with what it sends and receives.
func (c *Catalog) Service(ctx context.Context, name string) (Service, error) {
	s, err := queryOne(ctx, c.db.Read, "service", name, scanService, serviceColumns+` WHERE s.name = ?`, name)
	if err != nil {
		return s, err
	}
	if s.Operations, err = c.operations(ctx, `s.name = ?`, name); err != nil {
		return s, err
	}
	s.ServerDetails, s.Servers, err = c.serversWhere(ctx, `sv.id IN (SELECT ss.server_id FROM catalog_service_servers ss
		JOIN catalog_services s ON s.id = ss.service_id WHERE s.name = ?)`, name)
	return s, err
}

func scanService(row scanner) (Service, error) {
	var s Service
	var tags string
	if err := row.Scan(&s.Name, &s.Version, &s.Description, &s.Domain, &s.Owner, &tags, &s.Document); err != nil {
		return s, err
	}
	return s, json.Unmarshal([]byte(tags), &s.Tags)
}

const channelColumns = `
	SELECT c.name, c.address, c.kafka_topic, c.bindings, c.description, coalesce(o.name, ''), c.tags
	FROM catalog_channels c LEFT JOIN catalog_owners o ON o.id = c.owner_id`

// Channels lists every channel, by name.
func (c *Catalog) Channels(ctx context.Context) ([]Channel, error) {
	return queryList(ctx, c.db.Read, scanChannel, channelColumns+` ORDER BY c.name`)
}

// Channel returns one channel with its messages (and their subjects), the operations on it and
// its consumer groups.
func (c *Catalog) Channel(ctx context.Context, name string) (Channel, error) {
	ch, err := queryOne(ctx, c.db.Read, "channel", name, scanChannel, channelColumns+` WHERE c.name = ?`, name)
	if err != nil {
		return ch, err
	}
	ch.ServerDetails, ch.Servers, err = c.serversWhere(ctx, `sv.id IN (SELECT cs.server_id FROM catalog_channel_servers cs
		JOIN catalog_channels c ON c.id = cs.channel_id WHERE c.name = ?)`, name)
	if err != nil {
		return ch, err
	}
	ch.Messages, err = queryList(ctx, c.db.Read, scanChannelMessage, `
		SELECT DISTINCT m.name, cm.subject, `+keySubject+` FROM catalog_channel_messages cm
		JOIN catalog_messages m ON m.id = cm.message_id JOIN catalog_channels c ON c.id = cm.channel_id
		WHERE c.name = ? ORDER BY m.name, cm.subject`, name)
	if err != nil {
		return ch, err
	}
	if ch.Operations, err = c.operations(ctx, `c.name = ?`, name); err != nil {
		return ch, err
	}
	ch.ConsumerGroups, err = c.names(ctx, `
		SELECT DISTINCT op.consumer_group FROM catalog_operations op JOIN catalog_channels c ON c.id = op.channel_id
		WHERE c.name = ? AND op.consumer_group <> '' ORDER BY 1`, name)
	return ch, err
}

func scanChannel(row scanner) (Channel, error) {
	var ch Channel
	var bindings, tags string
	if err := row.Scan(&ch.Name, &ch.Address, &ch.KafkaTopic, &bindings, &ch.Description, &ch.Owner, &tags); err != nil {
		return ch, err
	}
	if err := unmarshalObject(bindings, &ch.Bindings); err != nil {
		return ch, err
	}
	return ch, json.Unmarshal([]byte(tags), &ch.Tags)
}

// unmarshalObject reads stored bindings or variables, integers as integers; {} is nil.
func unmarshalObject(text string, dst *map[string]any) error {
	v, err := decodeSchema(text)
	if err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("stored %s: not an object", text)
	}
	*dst = m
	if len(m) == 0 {
		*dst = nil
	}
	return nil
}

const serverColumns = `
	SELECT sv.name, sv.host, sv.pathname, sv.protocol, sv.protocol_version, sv.description, sv.variables,
		sv.bindings, sv.tags, coalesce(doc.key, '')
	FROM catalog_servers sv LEFT JOIN catalog_documents doc ON doc.id = sv.document_id`

// Servers lists every server, by name.
func (c *Catalog) Servers(ctx context.Context) ([]Server, error) {
	return queryList(ctx, c.db.Read, scanServer, serverColumns+` ORDER BY sv.name`)
}

// Server returns one server with the services whose documents declare it and the channels
// available on it.
func (c *Catalog) Server(ctx context.Context, name string) (Server, error) {
	s, err := queryOne(ctx, c.db.Read, "server", name, scanServer, serverColumns+` WHERE sv.name = ?`, name)
	if err != nil {
		return s, err
	}
	s.Services, err = c.names(ctx, `
		SELECT s.name FROM catalog_service_servers ss
		JOIN catalog_services s ON s.id = ss.service_id JOIN catalog_servers sv ON sv.id = ss.server_id
		WHERE sv.name = ? ORDER BY s.name`, name)
	if err != nil {
		return s, err
	}
	s.Channels, err = c.names(ctx, `
		SELECT DISTINCT c.name FROM catalog_channel_servers cs
		JOIN catalog_channels c ON c.id = cs.channel_id JOIN catalog_servers sv ON sv.id = cs.server_id
		WHERE sv.name = ? ORDER BY c.name`, name)
	return s, err
}

// serversWhere lists the servers that match cond, by name, in full and by name only.
func (c *Catalog) serversWhere(ctx context.Context, cond string, args ...any) ([]Server, []string, error) {
	servers, err := queryList(ctx, c.db.Read, scanServer, serverColumns+` WHERE `+cond+` ORDER BY sv.name`, args...)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, s := range servers {
		names = append(names, s.Name)
	}
	return servers, names, nil
}

func scanServer(row scanner) (Server, error) {
	var s Server
	var variables, bindings, tags string
	if err := row.Scan(&s.Name, &s.Host, &s.Pathname, &s.Protocol, &s.ProtocolVersion, &s.Description,
		&variables, &bindings, &tags, &s.Document); err != nil {
		return s, err
	}
	if err := unmarshalObject(variables, &s.Variables); err != nil {
		return s, err
	}
	if err := unmarshalObject(bindings, &s.Bindings); err != nil {
		return s, err
	}
	return s, json.Unmarshal([]byte(tags), &s.Tags)
}

func scanChannelMessage(row scanner) (ChannelMessage, error) {
	var cm ChannelMessage
	return cm, row.Scan(&cm.Message, &cm.Subject, &cm.KeySubject)
}

// keySubject is the subject of message m's Kafka key on channel c (TopicNameStrategy), empty without a key.
const keySubject = `CASE WHEN m.key_schema <> '' THEN c.name || '-key' ELSE '' END`

const messageColumns = `
	SELECT m.name, m.kind, m.title, m.summary, m.description, m.content_type, m.schema_format, m.schema_type,
		m.payload, m.subject, m.key_schema_format, m.key_schema_type, m.key_schema, m.bindings, coalesce(o.name, ''), m.tags
	FROM catalog_messages m LEFT JOIN catalog_owners o ON o.id = m.owner_id`

// Messages lists every message, by name.
func (c *Catalog) Messages(ctx context.Context) ([]Message, error) {
	return queryList(ctx, c.db.Read, scanMessage, messageColumns+` ORDER BY m.name`)
}

// Message returns one message with the channels it travels on (and its subject on each), and
// the services that send and receive it.
func (c *Catalog) Message(ctx context.Context, name string) (Message, error) {
	m, err := queryOne(ctx, c.db.Read, "message", name, scanMessage, messageColumns+` WHERE m.name = ?`, name)
	if err != nil {
		return m, err
	}
	channels, err := c.messageChannels(ctx, `m.name = ?`, name)
	if err != nil {
		return m, err
	}
	m.Channels = channels[name]
	for _, action := range []string{ActionSend, ActionReceive} {
		names, err := c.names(ctx, `
			SELECT DISTINCT s.name FROM catalog_operation_messages om
			JOIN catalog_operations op ON op.id = om.operation_id JOIN catalog_services s ON s.id = op.service_id
			JOIN catalog_messages m ON m.id = om.message_id
			WHERE m.name = ? AND op.action = ? ORDER BY s.name`, name, action)
		if err != nil {
			return m, err
		}
		if action == ActionSend {
			m.Senders = names
		} else {
			m.Readers = names
		}
	}
	return m, nil
}

// MessageChannels lists the channels of every message (with its subjects there), by message
// name: what Message fills for one message, for lists of them.
func (c *Catalog) MessageChannels(ctx context.Context) (map[string][]MessageChannel, error) {
	return c.messageChannels(ctx, `1 = 1`)
}

// messageChannels lists the channels of the messages that match where (on m, the message).
func (c *Catalog) messageChannels(ctx context.Context, where string, args ...any) (map[string][]MessageChannel, error) {
	type row struct {
		message string
		MessageChannel
	}
	rows, err := queryList(ctx, c.db.Read, func(sc scanner) (row, error) {
		var r row
		return r, sc.Scan(&r.message, &r.Channel, &r.Subject, &r.KeySubject)
	}, `
		SELECT DISTINCT m.name, c.name, cm.subject, `+keySubject+` FROM catalog_channel_messages cm
		JOIN catalog_messages m ON m.id = cm.message_id JOIN catalog_channels c ON c.id = cm.channel_id
		WHERE `+where+` ORDER BY m.name, c.name, cm.subject`, args...)
	if err != nil {
		return nil, err
	}
	out := map[string][]MessageChannel{}
	for _, r := range rows {
		out[r.message] = append(out[r.message], r.MessageChannel)
	}
	return out, nil
}

func scanMessage(row scanner) (Message, error) {
	var m Message
	var bindings, tags string
	if err := row.Scan(&m.Name, &m.Kind, &m.Title, &m.Summary, &m.Description, &m.ContentType, &m.SchemaFormat,
		&m.SchemaType, &m.Payload, &m.Subject, &m.KeySchemaFormat, &m.KeySchemaType, &m.Key, &bindings, &m.Owner, &tags); err != nil {
		return m, err
	}
	if err := unmarshalObject(bindings, &m.Bindings); err != nil {
		return m, err
	}
	return m, json.Unmarshal([]byte(tags), &m.Tags)
}

// Owners lists every owner, by name, with how many of each kind of thing it owns.
func (c *Catalog) Owners(ctx context.Context) ([]Owner, error) {
	return queryList(ctx, c.db.Read, func(row scanner) (Owner, error) {
		o := Owner{Owns: &OwnerCounts{}}
		n := o.Owns
		return o, row.Scan(&o.Name, &o.Kind, &o.Email, &o.URL, &o.Description, &n.Domains, &n.Services, &n.Channels, &n.Messages)
	}, `SELECT name, kind, email, url, description,
		(SELECT count(*) FROM catalog_domains WHERE owner_id = o.id), (SELECT count(*) FROM catalog_services WHERE owner_id = o.id),
		(SELECT count(*) FROM catalog_channels WHERE owner_id = o.id), (SELECT count(*) FROM catalog_messages WHERE owner_id = o.id)
		FROM catalog_owners o ORDER BY name`)
}

// Owner returns one owner with what it owns.
func (c *Catalog) Owner(ctx context.Context, name string) (Owner, error) {
	o, err := queryOne(ctx, c.db.Read, "owner", name, scanOwner, `SELECT name, kind, email, url, description FROM catalog_owners WHERE name = ?`, name)
	if err != nil {
		return o, err
	}
	for table, dst := range map[string]*[]string{"catalog_services": &o.Services, "catalog_channels": &o.Channels,
		"catalog_messages": &o.Messages, "catalog_domains": &o.Domains} {
		// table comes from the map above, never from input.
		if *dst, err = c.names(ctx, `SELECT t.name FROM `+table+` t JOIN catalog_owners o ON o.id = t.owner_id WHERE o.name = ? ORDER BY t.name`, name); err != nil {
			return o, err
		}
	}
	return o, nil
}

func scanOwner(row scanner) (Owner, error) {
	var o Owner
	return o, row.Scan(&o.Name, &o.Kind, &o.Email, &o.URL, &o.Description)
}

// DocumentHistory lists the versions of the document with key, oldest first.
func (c *Catalog) DocumentHistory(ctx context.Context, key string) ([]DocumentVersion, error) {
	versions, err := queryList(ctx, c.db.Read, func(row scanner) (DocumentVersion, error) {
		var v DocumentVersion
		var at string
		if err := row.Scan(&v.Document, &v.Version, &v.Hash, &v.Source, &at); err != nil {
			return v, err
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		v.ImportedAt = t
		return v, err
	}, `
		SELECT d.key, v.version, v.hash, v.source, v.imported_at FROM catalog_document_versions v
		JOIN catalog_documents d ON d.id = v.document_id WHERE d.key = ? ORDER BY v.version`, key)
	if err == nil && len(versions) == 0 {
		err = notFound("document", key)
	}
	return versions, err
}

// operations lists operations with their messages; where filters on s (service) or c (channel).
func (c *Catalog) operations(ctx context.Context, where string, args ...any) ([]Operation, error) {
	ops, err := queryList(ctx, c.db.Read, func(row scanner) (Operation, error) {
		var o Operation
		var bindings, messages string
		if err := row.Scan(&o.Name, &o.Service, &o.Action, &o.Channel, &o.ConsumerGroup, &o.Summary, &o.Description, &bindings, &messages); err != nil {
			return o, err
		}
		if err := unmarshalObject(bindings, &o.Bindings); err != nil {
			return o, err
		}
		return o, json.Unmarshal([]byte(messages), &o.Messages)
	}, `
		SELECT op.name, s.name, op.action, c.name, op.consumer_group, op.summary, op.description, op.bindings,
			(SELECT json_group_array(name) FROM (SELECT m.name FROM catalog_operation_messages om
				JOIN catalog_messages m ON m.id = om.message_id WHERE om.operation_id = op.id ORDER BY m.name))
		FROM catalog_operations op
		JOIN catalog_services s ON s.id = op.service_id JOIN catalog_channels c ON c.id = op.channel_id
		WHERE `+where+` ORDER BY s.name, op.name`, args...)
	return ops, err
}

// names runs a query that returns one text column.
func (c *Catalog) names(ctx context.Context, query string, args ...any) ([]string, error) {
	return queryList(ctx, c.db.Read, func(row scanner) (string, error) {
		var s string
		return s, row.Scan(&s)
	}, query, args...)
}

type scanner interface{ Scan(dest ...any) error }

// queryer is what reads need: the read pool, or a write transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func queryList[T any](ctx context.Context, db queryer, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query catalog: %w", err)
	}
	defer rows.Close()
	list := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

func queryOne[T any](ctx context.Context, db queryer, kind, name string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(db.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound(kind, name)
	}
	if err != nil {
		return v, fmt.Errorf("read %s %q: %w", kind, name, err)
	}
	return v, nil
}
