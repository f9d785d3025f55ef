package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
)

// sqliteStore is the catalog on the SQLite file: reads on the read pool, writes on the one
// writer connection (so catalog writes are serialised by the file's single writer).
type sqliteStore struct {
	db *sqlitedb.DB
}

// sqlQueryer is what reads need: the read pool, a read snapshot or a write transaction.
type sqlQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func sqliteList[T any](ctx context.Context, q sqlQueryer, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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

func sqliteOne[T any](ctx context.Context, q sqlQueryer, kind, name string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	return one(v, err, sql.ErrNoRows, kind, name)
}

func (s *sqliteStore) names(ctx context.Context, query string, args ...any) ([]string, error) {
	return sqliteList(ctx, s.db.Read, scanName, query, args...)
}

func (s *sqliteStore) overview(ctx context.Context) (Overview, error) {
	var o Overview
	var created string
	err := s.db.Read.QueryRowContext(ctx, `
		SELECT created_at,
			(SELECT count(*) FROM catalog_domains), (SELECT count(*) FROM catalog_services),
			(SELECT count(*) FROM catalog_channels), (SELECT count(*) FROM catalog_messages),
			(SELECT count(*) FROM catalog_owners)
		FROM instance`).Scan(&created, &o.Domains, &o.Services, &o.Channels, &o.Messages, &o.Owners)
	if err != nil {
		return o, err
	}
	if o.CreatedAt, err = time.Parse(time.RFC3339, created); err != nil {
		return o, fmt.Errorf("created_at %q: %w", created, err)
	}
	return o, nil
}

const sqliteDomainColumns = `
	SELECT d.name, d.description, coalesce(o.name, ''), d.tags
	FROM catalog_domains d LEFT JOIN catalog_owners o ON o.id = d.owner_id`

func (s *sqliteStore) domains(ctx context.Context) ([]Domain, error) {
	return sqliteList(ctx, s.db.Read, scanDomain, sqliteDomainColumns+` ORDER BY d.name`)
}

func (s *sqliteStore) domain(ctx context.Context, name string) (Domain, error) {
	d, err := sqliteOne(ctx, s.db.Read, "domain", name, scanDomain, sqliteDomainColumns+` WHERE d.name = ?`, name)
	if err != nil {
		return d, err
	}
	d.Services, err = s.names(ctx, `
		SELECT s.name FROM catalog_services s JOIN catalog_domains d ON d.id = s.domain_id
		WHERE d.name = ? ORDER BY s.name`, name)
	return d, err
}

const sqliteServiceColumns = `
	SELECT s.name, s.version, s.description, coalesce(d.name, ''), coalesce(o.name, ''), s.tags, coalesce(doc.key, '')
	FROM catalog_services s
	LEFT JOIN catalog_domains d ON d.id = s.domain_id
	LEFT JOIN catalog_owners o ON o.id = s.owner_id
	LEFT JOIN catalog_documents doc ON doc.id = s.document_id`

func (s *sqliteStore) services(ctx context.Context) ([]Service, error) {
	return sqliteList(ctx, s.db.Read, scanService, sqliteServiceColumns+` ORDER BY s.name`)
}

func (s *sqliteStore) service(ctx context.Context, name string) (Service, error) {
	sv, err := sqliteOne(ctx, s.db.Read, "service", name, scanService, sqliteServiceColumns+` WHERE s.name = ?`, name)
	if err != nil {
		return sv, err
	}
	if sv.Operations, err = s.operationsWhere(ctx, `s.name = ?`, name); err != nil {
		return sv, err
	}
	sv.ServerDetails, err = sqliteList(ctx, s.db.Read, scanServer, sqliteServerColumns+`
		WHERE sv.id IN (SELECT ss.server_id FROM catalog_service_servers ss
			JOIN catalog_services s ON s.id = ss.service_id WHERE s.name = ?)
		ORDER BY sv.name`, name)
	sv.Servers = serverNames(sv.ServerDetails)
	return sv, err
}

const sqliteChannelColumns = `
	SELECT c.name, c.address, c.kafka_topic, c.bindings, c.description, coalesce(o.name, ''), c.tags
	FROM catalog_channels c LEFT JOIN catalog_owners o ON o.id = c.owner_id`

// sqliteKeySubject is the subject of message m's Kafka key on channel c (TopicNameStrategy),
// empty without a key.
const sqliteKeySubject = `CASE WHEN m.key_schema <> '' THEN c.name || '-key' ELSE '' END`

func (s *sqliteStore) channels(ctx context.Context) ([]Channel, error) {
	return sqliteList(ctx, s.db.Read, scanChannel, sqliteChannelColumns+` ORDER BY c.name`)
}

func (s *sqliteStore) channel(ctx context.Context, name string) (Channel, error) {
	ch, err := sqliteOne(ctx, s.db.Read, "channel", name, scanChannel, sqliteChannelColumns+` WHERE c.name = ?`, name)
	if err != nil {
		return ch, err
	}
	ch.ServerDetails, err = sqliteList(ctx, s.db.Read, scanServer, sqliteServerColumns+`
		WHERE sv.id IN (SELECT cs.server_id FROM catalog_channel_servers cs
			JOIN catalog_channels c ON c.id = cs.channel_id WHERE c.name = ?)
		ORDER BY sv.name`, name)
	if err != nil {
		return ch, err
	}
	ch.Servers = serverNames(ch.ServerDetails)
	ch.Messages, err = sqliteList(ctx, s.db.Read, scanChannelMessage, `
		SELECT DISTINCT m.name, cm.subject, `+sqliteKeySubject+` FROM catalog_channel_messages cm
		JOIN catalog_messages m ON m.id = cm.message_id JOIN catalog_channels c ON c.id = cm.channel_id
		WHERE c.name = ? ORDER BY m.name, cm.subject`, name)
	if err != nil {
		return ch, err
	}
	if ch.Operations, err = s.operationsWhere(ctx, `c.name = ?`, name); err != nil {
		return ch, err
	}
	ch.ConsumerGroups, err = s.names(ctx, `
		SELECT DISTINCT op.consumer_group FROM catalog_operations op JOIN catalog_channels c ON c.id = op.channel_id
		WHERE c.name = ? AND op.consumer_group <> '' ORDER BY 1`, name)
	return ch, err
}

const sqliteServerColumns = `
	SELECT sv.name, sv.host, sv.pathname, sv.protocol, sv.protocol_version, sv.description, sv.variables,
		sv.bindings, sv.tags, coalesce(doc.key, '')
	FROM catalog_servers sv LEFT JOIN catalog_documents doc ON doc.id = sv.document_id`

func (s *sqliteStore) servers(ctx context.Context) ([]Server, error) {
	return sqliteList(ctx, s.db.Read, scanServer, sqliteServerColumns+` ORDER BY sv.name`)
}

func (s *sqliteStore) server(ctx context.Context, name string) (Server, error) {
	sv, err := sqliteOne(ctx, s.db.Read, "server", name, scanServer, sqliteServerColumns+` WHERE sv.name = ?`, name)
	if err != nil {
		return sv, err
	}
	sv.Services, err = s.names(ctx, `
		SELECT s.name FROM catalog_service_servers ss
		JOIN catalog_services s ON s.id = ss.service_id JOIN catalog_servers sv ON sv.id = ss.server_id
		WHERE sv.name = ? ORDER BY s.name`, name)
	if err != nil {
		return sv, err
	}
	sv.Channels, err = s.names(ctx, `
		SELECT DISTINCT c.name FROM catalog_channel_servers cs
		JOIN catalog_channels c ON c.id = cs.channel_id JOIN catalog_servers sv ON sv.id = cs.server_id
		WHERE sv.name = ? ORDER BY c.name`, name)
	return sv, err
}

const sqliteMessageColumns = `
	SELECT m.name, m.kind, m.title, m.summary, m.description, m.content_type, m.schema_format, m.schema_type,
		m.payload, m.subject, m.key_schema_format, m.key_schema_type, m.key_schema, m.bindings, coalesce(o.name, ''), m.tags
	FROM catalog_messages m LEFT JOIN catalog_owners o ON o.id = m.owner_id`

func (s *sqliteStore) messages(ctx context.Context) ([]Message, error) {
	return sqliteList(ctx, s.db.Read, scanMessage, sqliteMessageColumns+` ORDER BY m.name`)
}

func (s *sqliteStore) message(ctx context.Context, name string) (Message, error) {
	m, err := sqliteOne(ctx, s.db.Read, "message", name, scanMessage, sqliteMessageColumns+` WHERE m.name = ?`, name)
	if err != nil {
		return m, err
	}
	channels, err := s.messageChannelsWhere(ctx, `m.name = ?`, name)
	if err != nil {
		return m, err
	}
	m.Channels = channels[name]
	for action, dst := range map[string]*[]string{ActionSend: &m.Senders, ActionReceive: &m.Readers} {
		if *dst, err = s.names(ctx, `
			SELECT DISTINCT s.name FROM catalog_operation_messages om
			JOIN catalog_operations op ON op.id = om.operation_id JOIN catalog_services s ON s.id = op.service_id
			JOIN catalog_messages m ON m.id = om.message_id
			WHERE m.name = ? AND op.action = ? ORDER BY s.name`, name, action); err != nil {
			return m, err
		}
	}
	return m, nil
}

func (s *sqliteStore) messageChannels(ctx context.Context) (map[string][]MessageChannel, error) {
	return s.messageChannelsWhere(ctx, `1 = 1`)
}

// messageChannelsWhere lists the channels of the messages that match where (on m, the message).
func (s *sqliteStore) messageChannelsWhere(ctx context.Context, where string, args ...any) (map[string][]MessageChannel, error) {
	rows, err := sqliteList(ctx, s.db.Read, scanMessageChannel, `
		SELECT DISTINCT m.name, c.name, cm.subject, `+sqliteKeySubject+` FROM catalog_channel_messages cm
		JOIN catalog_messages m ON m.id = cm.message_id JOIN catalog_channels c ON c.id = cm.channel_id
		WHERE `+where+` ORDER BY m.name, c.name, cm.subject`, args...)
	if err != nil {
		return nil, err
	}
	return byMessage(rows), nil
}

func (s *sqliteStore) owners(ctx context.Context) ([]Owner, error) {
	return sqliteList(ctx, s.db.Read, scanOwnerCounts, `SELECT name, kind, email, url, description,
		(SELECT count(*) FROM catalog_domains WHERE owner_id = o.id), (SELECT count(*) FROM catalog_services WHERE owner_id = o.id),
		(SELECT count(*) FROM catalog_channels WHERE owner_id = o.id), (SELECT count(*) FROM catalog_messages WHERE owner_id = o.id)
		FROM catalog_owners o ORDER BY name`)
}

func (s *sqliteStore) owner(ctx context.Context, name string) (Owner, error) {
	o, err := sqliteOne(ctx, s.db.Read, "owner", name, scanOwner, `SELECT name, kind, email, url, description FROM catalog_owners WHERE name = ?`, name)
	if err != nil {
		return o, err
	}
	for table, dst := range map[string]*[]string{"catalog_services": &o.Services, "catalog_channels": &o.Channels,
		"catalog_messages": &o.Messages, "catalog_domains": &o.Domains} {
		// table comes from the map above, never from input.
		if *dst, err = s.names(ctx, `SELECT t.name FROM `+table+` t JOIN catalog_owners o ON o.id = t.owner_id WHERE o.name = ? ORDER BY t.name`, name); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (s *sqliteStore) documentHistory(ctx context.Context, key string) ([]DocumentVersion, error) {
	return sqliteList(ctx, s.db.Read, func(row scanner) (DocumentVersion, error) {
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
}

func (s *sqliteStore) operations(ctx context.Context) ([]Operation, error) {
	return s.operationsWhere(ctx, `1 = 1`)
}

// operationsWhere lists operations with their messages; where filters on s (service) or c (channel).
func (s *sqliteStore) operationsWhere(ctx context.Context, where string, args ...any) ([]Operation, error) {
	return sqliteList(ctx, s.db.Read, scanOperation, `
		SELECT op.name, s.name, op.action, c.name, op.consumer_group, op.summary, op.description, op.bindings,
			(SELECT json_group_array(name) FROM (SELECT m.name FROM catalog_operation_messages om
				JOIN catalog_messages m ON m.id = om.message_id WHERE om.operation_id = op.id ORDER BY m.name))
		FROM catalog_operations op
		JOIN catalog_services s ON s.id = op.service_id JOIN catalog_channels c ON c.id = op.channel_id
		WHERE `+where+` ORDER BY s.name, op.name`, args...)
}

func (s *sqliteStore) exported(ctx context.Context, service string) (exportedRows, error) {
	var r exportedRows
	var err error
	r.channels, err = s.names(ctx, `
		SELECT c.name FROM catalog_channels c
		WHERE ?1 = ''
			OR c.id IN (SELECT d.channel_id FROM catalog_channel_descriptions d JOIN catalog_services s ON s.document_id = d.document_id WHERE s.name = ?1)
			OR c.id IN (SELECT op.channel_id FROM catalog_operations op JOIN catalog_services s ON s.id = op.service_id WHERE s.name = ?1)
			OR c.id IN (SELECT cm.channel_id FROM catalog_channel_messages cm JOIN catalog_services s ON s.document_id = cm.document_id WHERE s.name = ?1)
		ORDER BY c.name`, service)
	if err != nil {
		return r, err
	}
	r.channelServers, err = sqliteList(ctx, s.db.Read, scanChannelServer, `
		SELECT DISTINCT c.name, sv.name FROM catalog_channel_servers cs
		JOIN catalog_channels c ON c.id = cs.channel_id JOIN catalog_servers sv ON sv.id = cs.server_id
		WHERE ?1 = '' OR cs.document_id = (SELECT document_id FROM catalog_services WHERE name = ?1)
		ORDER BY c.name, sv.name`, service)
	if err != nil {
		return r, err
	}
	r.links, err = sqliteList(ctx, s.db.Read, scanChannelLink, `
		SELECT DISTINCT c.name, m.name, cm.subject FROM catalog_channel_messages cm
		JOIN catalog_channels c ON c.id = cm.channel_id JOIN catalog_messages m ON m.id = cm.message_id
		WHERE ?1 = '' OR cm.document_id = (SELECT document_id FROM catalog_services WHERE name = ?1)
		ORDER BY c.name, m.name, cm.subject`, service)
	return r, err
}

func (s *sqliteStore) documentation(ctx context.Context) (documentationRows, error) {
	var r documentationRows
	tx, err := s.db.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return r, err
	}
	defer tx.Rollback()
	if r.services, err = sqliteList(ctx, tx, scanName, `SELECT name FROM catalog_services`); err != nil {
		return r, err
	}
	if r.channels, err = sqliteList(ctx, tx, scanDocumentedChannel, `SELECT name, address, bindings FROM catalog_channels ORDER BY name`); err != nil {
		return r, err
	}
	if r.subjects, err = sqliteList(ctx, tx, scanChannelSubject, `
		SELECT DISTINCT c.name, cm.subject FROM catalog_channel_messages cm JOIN catalog_channels c ON c.id = cm.channel_id
		ORDER BY c.name, cm.subject`); err != nil {
		return r, err
	}
	r.ops, err = sqliteList(ctx, tx, func(row scanner) (documentedOp, error) {
		var op documentedOp
		var since string
		if err := row.Scan(&op.service, &op.name, &op.action, &op.channel, &op.group, &since); err != nil {
			return op, err
		}
		if since != "" {
			t, err := time.Parse(time.RFC3339Nano, since)
			if err != nil {
				return op, fmt.Errorf("import time %q: %w", since, err)
			}
			op.since = t
		}
		return op, nil
	}, `
		SELECT s.name, op.name, op.action, c.name, op.consumer_group,
			coalesce((SELECT v.imported_at FROM catalog_document_versions v WHERE v.document_id = s.document_id
				ORDER BY v.version LIMIT 1), '')
		FROM catalog_operations op
		JOIN catalog_services s ON s.id = op.service_id JOIN catalog_channels c ON c.id = op.channel_id
		ORDER BY s.name, op.name`)
	return r, err
}

// update runs f on the writer connection, which takes the file's write lock at BEGIN.
func (s *sqliteStore) update(ctx context.Context, f func(tx storeTx) error) error {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(&sqliteTx{tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// sqliteTx is a catalog write transaction on the SQLite file.
type sqliteTx struct {
	tx *sql.Tx
}

// changed tells no one: on SQLite one process holds the file.
func (t *sqliteTx) changed(context.Context, string) error { return nil }

func (t *sqliteTx) exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, query, args...)
	return err
}

func (t *sqliteTx) document(ctx context.Context, key string) (storedDocument, bool, error) {
	var d storedDocument
	err := t.tx.QueryRowContext(ctx, `SELECT id, hash, version FROM catalog_documents WHERE key = ?`, key).Scan(&d.id, &d.hash, &d.version)
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	return d, err == nil, err
}

func (t *sqliteTx) saveDocument(ctx context.Context, d documentImport) (id int64, version int, err error) {
	at := d.importedAt.Format(time.RFC3339Nano)
	if err = t.tx.QueryRowContext(ctx, `
		INSERT INTO catalog_documents (key, asyncapi_version, version, hash, source, imported_at)
		VALUES (?, ?, 1, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET asyncapi_version = excluded.asyncapi_version,
			version = catalog_documents.version + 1, hash = excluded.hash,
			source = excluded.source, imported_at = excluded.imported_at
		RETURNING id, version`,
		d.key, d.asyncAPIVersion, d.hash, d.source, at).Scan(&id, &version); err != nil {
		return 0, 0, err
	}
	if err = t.exec(ctx, `
		INSERT INTO catalog_document_versions (document_id, version, hash, source, content, imported_at)
		VALUES (?, ?, ?, ?, ?, ?)`, id, version, d.hash, d.source, d.content, at); err != nil {
		return 0, 0, fmt.Errorf("history: %w", err)
	}
	return id, version, nil
}

func (t *sqliteTx) payloadLinks(ctx context.Context, docID int64) ([]payloadLink, error) {
	return sqliteList(ctx, t.tx, scanPayloadLink, `
		SELECT c.name, m.name, cm.subject, m.schema_type, m.payload, m.key_schema_type, m.key_schema
		FROM catalog_channel_messages cm
		JOIN catalog_channels c ON c.id = cm.channel_id JOIN catalog_messages m ON m.id = cm.message_id
		WHERE cm.document_id = ? ORDER BY c.name, m.name`, docID)
}

func (t *sqliteTx) owner(ctx context.Context, o Owner) error {
	return t.exec(ctx, `
		INSERT INTO catalog_owners (name, kind, email, url, description) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET
			email = CASE WHEN catalog_owners.email = '' THEN excluded.email ELSE catalog_owners.email END,
			url = CASE WHEN catalog_owners.url = '' THEN excluded.url ELSE catalog_owners.url END,
			description = CASE WHEN catalog_owners.description = '' THEN excluded.description ELSE catalog_owners.description END`,
		o.Name, o.Kind, o.Email, o.URL, o.Description)
}

func (t *sqliteTx) domain(ctx context.Context, d Domain) (id int64, err error) {
	err = t.tx.QueryRowContext(ctx, `
		INSERT INTO catalog_domains (name, description, owner_id) VALUES (?, ?, (SELECT id FROM catalog_owners WHERE name = ?))
		ON CONFLICT (name) DO UPDATE SET
			description = CASE WHEN excluded.description <> '' THEN excluded.description ELSE catalog_domains.description END,
			owner_id = coalesce(excluded.owner_id, catalog_domains.owner_id)
		RETURNING id`, d.Name, d.Description, d.Owner).Scan(&id)
	return id, err
}

func (t *sqliteTx) removeRenamedServices(ctx context.Context, docID int64, keep string) error {
	return t.exec(ctx, `DELETE FROM catalog_services WHERE document_id = ? AND name <> ?`, docID, keep)
}

func (t *sqliteTx) service(ctx context.Context, s Service, domainID, docID int64) (id int64, err error) {
	err = t.tx.QueryRowContext(ctx, `
		INSERT INTO catalog_services (name, version, description, domain_id, owner_id, tags, document_id)
		VALUES (?, ?, ?, nullif(?, 0), (SELECT id FROM catalog_owners WHERE name = ?), ?, ?)
		ON CONFLICT (name) DO UPDATE SET version = excluded.version, description = excluded.description,
			domain_id = coalesce(excluded.domain_id, catalog_services.domain_id),
			owner_id = coalesce(excluded.owner_id, catalog_services.owner_id), tags = excluded.tags,
			document_id = excluded.document_id
		RETURNING id`,
		s.Name, s.Version, s.Description, domainID, s.Owner, tagsJSON(s.Tags), docID).Scan(&id)
	return id, err
}

func (t *sqliteTx) forgetLinks(ctx context.Context, docID, serviceID int64) error {
	for _, q := range []struct {
		query string
		id    int64
	}{
		{`DELETE FROM catalog_operations WHERE service_id = ?`, serviceID},
		{`DELETE FROM catalog_channel_messages WHERE document_id = ?`, docID},
		{`DELETE FROM catalog_service_servers WHERE service_id = ?`, serviceID},
		{`DELETE FROM catalog_channel_servers WHERE document_id = ?`, docID},
	} {
		if err := t.exec(ctx, q.query, q.id); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqliteTx) linkServiceServer(ctx context.Context, serviceID, serverID int64) error {
	return t.exec(ctx, `INSERT INTO catalog_service_servers (service_id, server_id) VALUES (?, ?)`, serviceID, serverID)
}

func (t *sqliteTx) linkChannelMessage(ctx context.Context, channelID, messageID, docID int64, subject string) error {
	return t.exec(ctx, `INSERT INTO catalog_channel_messages (channel_id, message_id, document_id, subject) VALUES (?, ?, ?, ?)`,
		channelID, messageID, docID, subject)
}

func (t *sqliteTx) linkChannelServer(ctx context.Context, channelID, serverID, docID int64) error {
	return t.exec(ctx, `INSERT INTO catalog_channel_servers (channel_id, server_id, document_id) VALUES (?, ?, ?)`,
		channelID, serverID, docID)
}

func (t *sqliteTx) operation(ctx context.Context, serviceID, channelID int64, o Operation, bindings string, messageIDs []int64) error {
	var id int64
	if err := t.tx.QueryRowContext(ctx, `
		INSERT INTO catalog_operations (service_id, name, action, channel_id, summary, description, consumer_group, bindings)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		serviceID, o.Name, o.Action, channelID, o.Summary, o.Description, o.ConsumerGroup, bindings).Scan(&id); err != nil {
		return err
	}
	for _, m := range messageIDs {
		if err := t.exec(ctx, `INSERT INTO catalog_operation_messages (operation_id, message_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, m); err != nil {
			return fmt.Errorf("link a message: %w", err)
		}
	}
	return nil
}

// The shared kinds' table and column names come from sharedKinds, never from input.

func (t *sqliteTx) describedBy(ctx context.Context, k *shared, docID int64) ([]int64, error) {
	return sqliteList(ctx, t.tx, scanID, `SELECT `+k.ref+` FROM `+k.descriptions+` WHERE document_id = ? ORDER BY 1`, docID)
}

func (t *sqliteTx) descriptions(ctx context.Context, k *shared, id int64) (string, []description, error) {
	var name string
	if err := t.tx.QueryRowContext(ctx, `SELECT name FROM `+k.table+` WHERE id = ?`, id).Scan(&name); err != nil {
		return "", nil, fmt.Errorf("read %s %d: %w", k.kind, id, err)
	}
	order := "d.document_id"
	if k.sendsFirst {
		order = "d.sends DESC, d.document_id"
	}
	descs, err := sqliteList(ctx, t.tx, scanDescription, `
		SELECT d.document_id, doc.key, d.facts FROM `+k.descriptions+` d JOIN catalog_documents doc ON doc.id = d.document_id
		WHERE d.`+k.ref+` = ? ORDER BY `+order, id)
	if err != nil {
		return "", nil, fmt.Errorf("read descriptions of %s %q: %w", k.kind, name, err)
	}
	return name, descs, nil
}

func (t *sqliteTx) forgetDescriptions(ctx context.Context, k *shared, docID int64) error {
	return t.exec(ctx, `DELETE FROM `+k.descriptions+` WHERE document_id = ?`, docID)
}

func (t *sqliteTx) describe(ctx context.Context, k *shared, name string, docID int64, sends bool, facts string) (id int64, err error) {
	// A server's host and protocol are filled in when its descriptions are merged.
	insert := `INSERT INTO ` + k.table + ` (name) VALUES (?)`
	if k == sharedServers {
		insert = `INSERT INTO catalog_servers (name, host, protocol) VALUES (?, '', '')`
	}
	if err := t.tx.QueryRowContext(ctx, insert+` ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name).Scan(&id); err != nil {
		return 0, err
	}
	if k.sendsFirst {
		err = t.exec(ctx, `INSERT INTO `+k.descriptions+` (`+k.ref+`, document_id, sends, facts) VALUES (?, ?, ?, ?)`, id, docID, sends, facts)
	} else {
		err = t.exec(ctx, `INSERT INTO `+k.descriptions+` (`+k.ref+`, document_id, facts) VALUES (?, ?, ?)`, id, docID, facts)
	}
	return id, err
}

func (t *sqliteTx) remove(ctx context.Context, k *shared, id int64) error {
	return t.exec(ctx, `DELETE FROM `+k.table+` WHERE id = ?`, id)
}

func (t *sqliteTx) writeServer(ctx context.Context, id int64, s Server, variables, bindings string, docID int64) error {
	return t.exec(ctx, `
		UPDATE catalog_servers SET host = ?, pathname = ?, protocol = ?, protocol_version = ?, description = ?,
			variables = ?, bindings = ?, tags = ?, document_id = ?
		WHERE id = ?`,
		s.Host, s.Pathname, s.Protocol, s.ProtocolVersion, s.Description, variables, bindings, tagsJSON(s.Tags), docID, id)
}

func (t *sqliteTx) writeChannel(ctx context.Context, id int64, c Channel, bindings string, docID int64) error {
	return t.exec(ctx, `
		UPDATE catalog_channels SET address = ?, kafka_topic = ?, bindings = ?, description = ?,
			owner_id = coalesce((SELECT id FROM catalog_owners WHERE name = ?), owner_id), tags = ?, document_id = ?
		WHERE id = ?`,
		c.Address, c.KafkaTopic, bindings, c.Description, c.Owner, tagsJSON(c.Tags), docID, id)
}

func (t *sqliteTx) writeMessage(ctx context.Context, id int64, m messageFacts, bindings string, docID int64) error {
	payload, key := m.Payload, m.Key
	if err := t.exec(ctx, `
		UPDATE catalog_messages SET kind = ?, title = ?, summary = ?, description = ?, content_type = ?,
			schema_format = ?, schema_type = ?, payload = ?, subject = ?,
			key_schema_format = ?, key_schema_type = ?, key_schema = ?, bindings = ?,
			owner_id = coalesce((SELECT id FROM catalog_owners WHERE name = ?), owner_id), tags = ?, document_id = ?
		WHERE id = ?`,
		m.Kind, m.Title, m.Summary, m.Description, m.ContentType, payload.Format, payload.Type, payload.Schema, m.Subject,
		key.Format, key.Type, key.Schema, bindings, m.Owner, tagsJSON(m.Tags), docID, id); err != nil {
		return err
	}
	return t.exec(ctx, `
		UPDATE catalog_channel_messages
		SET subject = CASE WHEN ?1 <> '' THEN ?1 ELSE (SELECT name FROM catalog_channels WHERE id = channel_id) || '-value' END
		WHERE message_id = ?2`, m.Subject, id)
}

// Patches: kind is one of entityTables', whose tables never come from input.

func (t *sqliteTx) entityID(ctx context.Context, kind, name string) (int64, error) {
	v, err := scanID(t.tx.QueryRowContext(ctx, `SELECT id FROM `+entityTables[kind]+` WHERE name = ?`, name))
	return one(v, err, sql.ErrNoRows, kind, name)
}

func (t *sqliteTx) addOwner(ctx context.Context, name string) (int64, error) {
	return scanID(t.tx.QueryRowContext(ctx, `
		INSERT INTO catalog_owners (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name
		RETURNING id`, name))
}

func (t *sqliteTx) setOwner(ctx context.Context, kind string, id, ownerID int64) error {
	return t.exec(ctx, `UPDATE `+entityTables[kind]+` SET owner_id = nullif(?, 0) WHERE id = ?`, ownerID, id)
}

func (t *sqliteTx) setDescription(ctx context.Context, kind string, id int64, description string) error {
	return t.exec(ctx, `UPDATE `+entityTables[kind]+` SET description = ? WHERE id = ?`, description, id)
}

func (t *sqliteTx) setTags(ctx context.Context, kind string, id int64, tags string) error {
	return t.exec(ctx, `UPDATE `+entityTables[kind]+` SET tags = ? WHERE id = ?`, tags, id)
}

func (t *sqliteTx) updateOwner(ctx context.Context, name string, p OwnerPatch) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `
		UPDATE catalog_owners SET kind = coalesce(?, kind), email = coalesce(?, email), url = coalesce(?, url),
			description = coalesce(?, description)
		WHERE name = ?`, p.Kind, p.Email, p.URL, p.Description, name)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Search: search_docs indexed by FTS5 (search_fts, kept in step by triggers).

func (s *sqliteStore) searchStates(ctx context.Context) (map[string]string, error) {
	type state struct{ source, signature string }
	rows, err := sqliteList(ctx, s.db.Read, func(row scanner) (state, error) {
		var st state
		return st, row.Scan(&st.source, &st.signature)
	}, `SELECT source, signature FROM search_state`)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.source] = r.signature
	}
	return out, nil
}

func (s *sqliteStore) catalogSignature(ctx context.Context) (string, error) {
	var sig string
	err := s.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_services) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_channels) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_messages) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_domains) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(version), 0) FROM catalog_document_versions)`).Scan(&sig)
	return sig, err
}

func (s *sqliteStore) searchSources(ctx context.Context) ([]searchSource, error) {
	return sqliteList(ctx, s.db.Read, scanSearchSource, `
		SELECT 'service', name, '', description, tags FROM catalog_services
		UNION ALL SELECT 'channel', name, address, description, tags FROM catalog_channels
		UNION ALL SELECT 'message', name, kind, title || ' ' || summary || ' ' || description, tags FROM catalog_messages
		UNION ALL SELECT 'domain', name, '', description, tags FROM catalog_domains`)
}

func (s *sqliteStore) searchTx(ctx context.Context, f func(tx *sql.Tx, insert *sql.Stmt) error) error {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insert, err := tx.PrepareContext(ctx, `INSERT INTO search_docs (source, owner, kind, name, detail, body) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insert.Close()
	if err := f(tx, insert); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) replaceCatalogSearch(ctx context.Context, sig string, docs []searchDoc) error {
	return s.searchTx(ctx, func(tx *sql.Tx, insert *sql.Stmt) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_docs WHERE source = 'catalog'`); err != nil {
			return err
		}
		for _, d := range docs {
			if _, err := insert.ExecContext(ctx, "catalog", d.owner, d.kind, d.name, d.detail, d.body); err != nil {
				return err
			}
		}
		return sqliteSetSearchState(ctx, tx, "catalog", sig)
	})
}

func (s *sqliteStore) searchedSubjects(ctx context.Context) (map[string]int, error) {
	type indexed struct {
		subject string
		id      int
	}
	rows, err := sqliteList(ctx, s.db.Read, func(row scanner) (indexed, error) {
		var i indexed
		return i, row.Scan(&i.subject, &i.id)
	}, `SELECT subject, schema_id FROM search_subjects`)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.subject] = r.id
	}
	return out, nil
}

func (s *sqliteStore) replaceSubjectSearch(ctx context.Context, sig string, gone []string, changed []subjectSearch) error {
	return s.searchTx(ctx, func(tx *sql.Tx, insert *sql.Stmt) error {
		drop := func(subject string) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM search_docs WHERE source = 'registry' AND owner = ?`, subject); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM search_subjects WHERE subject = ?`, subject)
			return err
		}
		for _, subject := range gone {
			if err := drop(subject); err != nil {
				return err
			}
		}
		for _, c := range changed {
			if err := drop(c.subject); err != nil {
				return err
			}
			for _, d := range c.docs {
				if _, err := insert.ExecContext(ctx, "registry", d.owner, d.kind, d.name, d.detail, d.body); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_subjects (subject, schema_id) VALUES (?, ?)`, c.subject, c.schemaID); err != nil {
				return err
			}
		}
		return sqliteSetSearchState(ctx, tx, "registry", sig)
	})
}

func sqliteSetSearchState(ctx context.Context, tx *sql.Tx, source, sig string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO search_state (source, signature) VALUES (?, ?)
		ON CONFLICT (source) DO UPDATE SET signature = excluded.signature`, source, sig)
	return err
}

// search asks FTS5 for every word as a quoted prefix ("word"*), all required; FTS5's own
// tokenizer (unicode61) folds case and diacritics.
func (s *sqliteStore) search(ctx context.Context, words []string, kind string, offset, limit int) (SearchResult, error) {
	res := SearchResult{Hits: []SearchHit{}}
	match := make([]string, len(words))
	for i, w := range words {
		match[i] = `"` + w + `"*`
	}
	from := ` FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid WHERE search_fts MATCH ?1 AND (?2 = '' OR d.kind = ?2)`
	args := []any{strings.Join(match, " "), kind}
	if err := s.db.Read.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&res.Total); err != nil {
		return res, err
	}
	// Names weigh most; entities rank above fields with the same score.
	hits, err := sqliteList(ctx, s.db.Read, scanSearchHit, `SELECT d.kind, CASE d.kind WHEN 'field' THEN d.owner ELSE d.name END, d.detail`+from+`
		ORDER BY bm25(search_fts, 10.0, 4.0, 1.0) + (CASE d.kind WHEN 'field' THEN 0.5 ELSE 0 END), d.name, d.detail
		LIMIT ?3 OFFSET ?4`, append(args, limit, offset)...)
	if err != nil {
		return res, err
	}
	res.Hits = hits
	return res, nil
}
