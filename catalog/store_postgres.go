package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/text/unicode/norm"

	"github.com/eventlens/eventlens/pgdb"
)

// postgresStore is the catalog in a PostgreSQL database that several replicas share. Catalog
// writes take one advisory lock for their transaction, so they run one at a time across the
// replicas as they do on SQLite's single writer: an import reads the other documents'
// descriptions as committed and merges them without a race, and document versions stay dense.
// Each write notifies ReplicaChannel as it commits. An error that means the database cannot be
// reached is marked with pgdb.ErrUnavailable (pgdb.Unavailable), which the server answers with 503.
type postgresStore struct {
	db *pgdb.DB
}

// Advisory lock keys (pg_advisory_xact_lock): catalog writes, and search index refreshes.
const (
	pgCatalogWriteLock  int64 = 0x6576_6c6e_6361_7401 // "evlncat" 1
	pgSearchRefreshLock int64 = 0x6576_6c6e_6361_7402
)

func pgOne[T any](ctx context.Context, q pgdb.Queryer, kind, name string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.QueryRow(ctx, query, args...))
	return one(v, pgdb.Unavailable(err), pgx.ErrNoRows, kind, name)
}

// pgRow runs a query of one row into dest.
func pgRow(ctx context.Context, q pgdb.Queryer, query string, args []any, dest ...any) error {
	return pgdb.Unavailable(q.QueryRow(ctx, query, args...).Scan(dest...))
}

func pgExec(ctx context.Context, q pgdb.Queryer, query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := q.Exec(ctx, query, args...)
	return tag, pgdb.Unavailable(err)
}

func (s *postgresStore) names(ctx context.Context, query string, args ...any) ([]string, error) {
	return pgdb.List(ctx, s.db.Pool, scanName, query, args...)
}

func (s *postgresStore) overview(ctx context.Context) (Overview, error) {
	var o Overview
	var created string
	err := pgRow(ctx, s.db.Pool, `
		SELECT created_at,
			(SELECT count(*) FROM catalog_domains), (SELECT count(*) FROM catalog_services),
			(SELECT count(*) FROM catalog_channels), (SELECT count(*) FROM catalog_messages),
			(SELECT count(*) FROM catalog_owners)
		FROM instance`, nil, &created, &o.Domains, &o.Services, &o.Channels, &o.Messages, &o.Owners)
	if err != nil {
		return o, err
	}
	if o.CreatedAt, err = time.Parse(time.RFC3339, created); err != nil {
		return o, fmt.Errorf("created_at %q: %w", created, err)
	}
	return o, nil
}

const pgDomainColumns = `
	SELECT d.name, d.description, coalesce(o.name, ''), d.tags
	FROM catalog_domains d LEFT JOIN catalog_owners o ON o.id = d.owner_id`

func (s *postgresStore) domains(ctx context.Context) ([]Domain, error) {
	return pgdb.List(ctx, s.db.Pool, scanDomain, pgDomainColumns+` ORDER BY d.name`)
}

func (s *postgresStore) domain(ctx context.Context, name string) (Domain, error) {
	d, err := pgOne(ctx, s.db.Pool, "domain", name, scanDomain, pgDomainColumns+` WHERE d.name = $1`, name)
	if err != nil {
		return d, err
	}
	d.Services, err = s.names(ctx, `
		SELECT s.name FROM catalog_services s JOIN catalog_domains d ON d.id = s.domain_id
		WHERE d.name = $1 ORDER BY s.name`, name)
	return d, err
}

const pgServiceColumns = `
	SELECT s.name, s.version, s.description, coalesce(d.name, ''), coalesce(o.name, ''), s.tags, coalesce(doc.key, '')
	FROM catalog_services s
	LEFT JOIN catalog_domains d ON d.id = s.domain_id
	LEFT JOIN catalog_owners o ON o.id = s.owner_id
	LEFT JOIN catalog_documents doc ON doc.id = s.document_id`

func (s *postgresStore) services(ctx context.Context) ([]Service, error) {
	return pgdb.List(ctx, s.db.Pool, scanService, pgServiceColumns+` ORDER BY s.name`)
}

func (s *postgresStore) service(ctx context.Context, name string) (Service, error) {
	sv, err := pgOne(ctx, s.db.Pool, "service", name, scanService, pgServiceColumns+` WHERE s.name = $1`, name)
	if err != nil {
		return sv, err
	}
	if sv.Operations, err = s.operationsWhere(ctx, `s.name = $1`, name); err != nil {
		return sv, err
	}
	sv.ServerDetails, err = pgdb.List(ctx, s.db.Pool, scanServer, pgServerColumns+`
		WHERE sv.id IN (SELECT ss.server_id FROM catalog_service_servers ss
			JOIN catalog_services s ON s.id = ss.service_id WHERE s.name = $1)
		ORDER BY sv.name`, name)
	sv.Servers = serverNames(sv.ServerDetails)
	return sv, err
}

const pgChannelColumns = `
	SELECT c.name, c.address, c.kafka_topic, c.bindings, c.description, coalesce(o.name, ''), c.tags
	FROM catalog_channels c LEFT JOIN catalog_owners o ON o.id = c.owner_id`

// pgKeySubject is the subject of message m's Kafka key on channel c (TopicNameStrategy), empty
// without a key.
const pgKeySubject = `CASE WHEN m.key_schema <> '' THEN c.name || '-key' ELSE '' END`

func (s *postgresStore) channels(ctx context.Context) ([]Channel, error) {
	return pgdb.List(ctx, s.db.Pool, scanChannel, pgChannelColumns+` ORDER BY c.name`)
}

func (s *postgresStore) channel(ctx context.Context, name string) (Channel, error) {
	ch, err := pgOne(ctx, s.db.Pool, "channel", name, scanChannel, pgChannelColumns+` WHERE c.name = $1`, name)
	if err != nil {
		return ch, err
	}
	ch.ServerDetails, err = pgdb.List(ctx, s.db.Pool, scanServer, pgServerColumns+`
		WHERE sv.id IN (SELECT cs.server_id FROM catalog_channel_servers cs
			JOIN catalog_channels c ON c.id = cs.channel_id WHERE c.name = $1)
		ORDER BY sv.name`, name)
	if err != nil {
		return ch, err
	}
	ch.Servers = serverNames(ch.ServerDetails)
	ch.Messages, err = pgdb.List(ctx, s.db.Pool, scanChannelMessage, `
		SELECT DISTINCT m.name, cm.subject, `+pgKeySubject+` FROM catalog_channel_messages cm
		JOIN catalog_messages m ON m.id = cm.message_id JOIN catalog_channels c ON c.id = cm.channel_id
		WHERE c.name = $1 ORDER BY m.name, cm.subject`, name)
	if err != nil {
		return ch, err
	}
	if ch.Operations, err = s.operationsWhere(ctx, `c.name = $1`, name); err != nil {
		return ch, err
	}
	ch.ConsumerGroups, err = s.names(ctx, `
		SELECT DISTINCT op.consumer_group FROM catalog_operations op JOIN catalog_channels c ON c.id = op.channel_id
		WHERE c.name = $1 AND op.consumer_group <> '' ORDER BY 1`, name)
	return ch, err
}

const pgServerColumns = `
	SELECT sv.name, sv.host, sv.pathname, sv.protocol, sv.protocol_version, sv.description, sv.variables,
		sv.bindings, sv.tags, coalesce(doc.key, '')
	FROM catalog_servers sv LEFT JOIN catalog_documents doc ON doc.id = sv.document_id`

func (s *postgresStore) servers(ctx context.Context) ([]Server, error) {
	return pgdb.List(ctx, s.db.Pool, scanServer, pgServerColumns+` ORDER BY sv.name`)
}

func (s *postgresStore) server(ctx context.Context, name string) (Server, error) {
	sv, err := pgOne(ctx, s.db.Pool, "server", name, scanServer, pgServerColumns+` WHERE sv.name = $1`, name)
	if err != nil {
		return sv, err
	}
	sv.Services, err = s.names(ctx, `
		SELECT s.name FROM catalog_service_servers ss
		JOIN catalog_services s ON s.id = ss.service_id JOIN catalog_servers sv ON sv.id = ss.server_id
		WHERE sv.name = $1 ORDER BY s.name`, name)
	if err != nil {
		return sv, err
	}
	sv.Channels, err = s.names(ctx, `
		SELECT DISTINCT c.name FROM catalog_channel_servers cs
		JOIN catalog_channels c ON c.id = cs.channel_id JOIN catalog_servers sv ON sv.id = cs.server_id
		WHERE sv.name = $1 ORDER BY c.name`, name)
	return sv, err
}

const pgMessageColumns = `
	SELECT m.name, m.kind, m.title, m.summary, m.description, m.content_type, m.schema_format, m.schema_type,
		m.payload, m.subject, m.key_schema_format, m.key_schema_type, m.key_schema, m.bindings, coalesce(o.name, ''), m.tags
	FROM catalog_messages m LEFT JOIN catalog_owners o ON o.id = m.owner_id`

func (s *postgresStore) messages(ctx context.Context) ([]Message, error) {
	return pgdb.List(ctx, s.db.Pool, scanMessage, pgMessageColumns+` ORDER BY m.name`)
}

func (s *postgresStore) message(ctx context.Context, name string) (Message, error) {
	m, err := pgOne(ctx, s.db.Pool, "message", name, scanMessage, pgMessageColumns+` WHERE m.name = $1`, name)
	if err != nil {
		return m, err
	}
	channels, err := s.messageChannelsWhere(ctx, `m.name = $1`, name)
	if err != nil {
		return m, err
	}
	m.Channels = channels[name]
	for action, dst := range map[string]*[]string{ActionSend: &m.Senders, ActionReceive: &m.Readers} {
		if *dst, err = s.names(ctx, `
			SELECT DISTINCT s.name FROM catalog_operation_messages om
			JOIN catalog_operations op ON op.id = om.operation_id JOIN catalog_services s ON s.id = op.service_id
			JOIN catalog_messages m ON m.id = om.message_id
			WHERE m.name = $1 AND op.action = $2 ORDER BY s.name`, name, action); err != nil {
			return m, err
		}
	}
	return m, nil
}

func (s *postgresStore) messageChannels(ctx context.Context) (map[string][]MessageChannel, error) {
	return s.messageChannelsWhere(ctx, `true`)
}

// messageChannelsWhere lists the channels of the messages that match where (on m, the message).
func (s *postgresStore) messageChannelsWhere(ctx context.Context, where string, args ...any) (map[string][]MessageChannel, error) {
	rows, err := pgdb.List(ctx, s.db.Pool, scanMessageChannel, `
		SELECT DISTINCT m.name, c.name, cm.subject, `+pgKeySubject+` FROM catalog_channel_messages cm
		JOIN catalog_messages m ON m.id = cm.message_id JOIN catalog_channels c ON c.id = cm.channel_id
		WHERE `+where+` ORDER BY m.name, c.name, cm.subject`, args...)
	if err != nil {
		return nil, err
	}
	return byMessage(rows), nil
}

func (s *postgresStore) owners(ctx context.Context) ([]Owner, error) {
	return pgdb.List(ctx, s.db.Pool, scanOwnerCounts, `SELECT name, kind, email, url, description,
		(SELECT count(*) FROM catalog_domains WHERE owner_id = o.id), (SELECT count(*) FROM catalog_services WHERE owner_id = o.id),
		(SELECT count(*) FROM catalog_channels WHERE owner_id = o.id), (SELECT count(*) FROM catalog_messages WHERE owner_id = o.id)
		FROM catalog_owners o ORDER BY name`)
}

func (s *postgresStore) owner(ctx context.Context, name string) (Owner, error) {
	o, err := pgOne(ctx, s.db.Pool, "owner", name, scanOwner, `SELECT name, kind, email, url, description FROM catalog_owners WHERE name = $1`, name)
	if err != nil {
		return o, err
	}
	for table, dst := range map[string]*[]string{"catalog_services": &o.Services, "catalog_channels": &o.Channels,
		"catalog_messages": &o.Messages, "catalog_domains": &o.Domains} {
		// table comes from the map above, never from input.
		if *dst, err = s.names(ctx, `SELECT t.name FROM `+table+` t JOIN catalog_owners o ON o.id = t.owner_id WHERE o.name = $1 ORDER BY t.name`, name); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (s *postgresStore) documentHistory(ctx context.Context, key string) ([]DocumentVersion, error) {
	return pgdb.List(ctx, s.db.Pool, func(row scanner) (DocumentVersion, error) {
		var v DocumentVersion
		err := row.Scan(&v.Document, &v.Version, &v.Hash, &v.Source, &v.ImportedAt)
		v.ImportedAt = v.ImportedAt.UTC()
		return v, err
	}, `
		SELECT d.key, v.version, v.hash, v.source, v.imported_at FROM catalog_document_versions v
		JOIN catalog_documents d ON d.id = v.document_id WHERE d.key = $1 ORDER BY v.version`, key)
}

func (s *postgresStore) operations(ctx context.Context) ([]Operation, error) {
	return s.operationsWhere(ctx, `true`)
}

// operationsWhere lists operations with their messages; where filters on s (service) or c (channel).
func (s *postgresStore) operationsWhere(ctx context.Context, where string, args ...any) ([]Operation, error) {
	return pgdb.List(ctx, s.db.Pool, scanOperation, `
		SELECT op.name, s.name, op.action, c.name, op.consumer_group, op.summary, op.description, op.bindings,
			(SELECT coalesce(json_agg(m.name ORDER BY m.name), '[]')::text FROM catalog_operation_messages om
				JOIN catalog_messages m ON m.id = om.message_id WHERE om.operation_id = op.id)
		FROM catalog_operations op
		JOIN catalog_services s ON s.id = op.service_id JOIN catalog_channels c ON c.id = op.channel_id
		WHERE `+where+` ORDER BY s.name, op.name`, args...)
}

func (s *postgresStore) exported(ctx context.Context, service string) (exportedRows, error) {
	var r exportedRows
	var err error
	r.channels, err = s.names(ctx, `
		SELECT c.name FROM catalog_channels c
		WHERE $1 = ''
			OR c.id IN (SELECT d.channel_id FROM catalog_channel_descriptions d JOIN catalog_services s ON s.document_id = d.document_id WHERE s.name = $1)
			OR c.id IN (SELECT op.channel_id FROM catalog_operations op JOIN catalog_services s ON s.id = op.service_id WHERE s.name = $1)
			OR c.id IN (SELECT cm.channel_id FROM catalog_channel_messages cm JOIN catalog_services s ON s.document_id = cm.document_id WHERE s.name = $1)
		ORDER BY c.name`, service)
	if err != nil {
		return r, err
	}
	r.channelServers, err = pgdb.List(ctx, s.db.Pool, scanChannelServer, `
		SELECT DISTINCT c.name, sv.name FROM catalog_channel_servers cs
		JOIN catalog_channels c ON c.id = cs.channel_id JOIN catalog_servers sv ON sv.id = cs.server_id
		WHERE $1 = '' OR cs.document_id = (SELECT document_id FROM catalog_services WHERE name = $1)
		ORDER BY c.name, sv.name`, service)
	if err != nil {
		return r, err
	}
	r.links, err = pgdb.List(ctx, s.db.Pool, scanChannelLink, `
		SELECT DISTINCT c.name, m.name, cm.subject FROM catalog_channel_messages cm
		JOIN catalog_channels c ON c.id = cm.channel_id JOIN catalog_messages m ON m.id = cm.message_id
		WHERE $1 = '' OR cm.document_id = (SELECT document_id FROM catalog_services WHERE name = $1)
		ORDER BY c.name, m.name, cm.subject`, service)
	return r, err
}

func (s *postgresStore) documentation(ctx context.Context) (documentationRows, error) {
	var r documentationRows
	// One snapshot for every query, as SQLite's read transaction gives.
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return r, pgdb.Unavailable(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if r.services, err = pgdb.List(ctx, tx, scanName, `SELECT name FROM catalog_services`); err != nil {
		return r, err
	}
	if r.channels, err = pgdb.List(ctx, tx, scanDocumentedChannel, `SELECT name, address, bindings FROM catalog_channels ORDER BY name`); err != nil {
		return r, err
	}
	if r.subjects, err = pgdb.List(ctx, tx, scanChannelSubject, `
		SELECT DISTINCT c.name, cm.subject FROM catalog_channel_messages cm JOIN catalog_channels c ON c.id = cm.channel_id
		ORDER BY c.name, cm.subject`); err != nil {
		return r, err
	}
	r.ops, err = pgdb.List(ctx, tx, func(row scanner) (documentedOp, error) {
		var op documentedOp
		var since *time.Time
		if err := row.Scan(&op.service, &op.name, &op.action, &op.channel, &op.group, &since); err != nil {
			return op, err
		}
		if since != nil {
			op.since = since.UTC()
		}
		return op, nil
	}, `
		SELECT s.name, op.name, op.action, c.name, op.consumer_group,
			(SELECT v.imported_at FROM catalog_document_versions v WHERE v.document_id = s.document_id
				ORDER BY v.version LIMIT 1)
		FROM catalog_operations op
		JOIN catalog_services s ON s.id = op.service_id JOIN catalog_channels c ON c.id = op.channel_id
		ORDER BY s.name, op.name`)
	return r, err
}

// update runs f in a transaction that holds pgCatalogWriteLock, and sends what it changed on
// ReplicaChannel as it commits.
func (s *postgresStore) update(ctx context.Context, f func(tx storeTx) error) error {
	return s.inTx(ctx, pgCatalogWriteLock, func(tx pgx.Tx) error { return f(&postgresTx{tx: tx}) })
}

// inTx runs f in a transaction holding the advisory lock key.
func (s *postgresStore) inTx(ctx context.Context, key int64, f func(tx pgx.Tx) error) error {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return pgdb.Unavailable(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := pgExec(ctx, tx, `SELECT pg_advisory_xact_lock($1)`, key); err != nil {
		return fmt.Errorf("wait for other writers: %w", err)
	}
	if err := f(tx); err != nil {
		return err
	}
	return pgdb.Unavailable(tx.Commit(ctx))
}

// postgresTx is a catalog write transaction on PostgreSQL.
type postgresTx struct {
	tx pgx.Tx
}

func (t *postgresTx) changed(ctx context.Context, what string) error {
	// A payload names the change for logs; at most 8000 bytes, so a long key is cut.
	if len(what) > 1000 {
		what = strings.ToValidUTF8(what[:1000], "")
	}
	return pgdb.Unavailable(pgdb.Notify(ctx, t.tx, ReplicaChannel, what))
}

func (t *postgresTx) exec(ctx context.Context, query string, args ...any) error {
	_, err := pgExec(ctx, t.tx, query, args...)
	return err
}

func (t *postgresTx) id(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	return id, pgRow(ctx, t.tx, query, args, &id)
}

func (t *postgresTx) document(ctx context.Context, key string) (storedDocument, bool, error) {
	var d storedDocument
	err := pgRow(ctx, t.tx, `SELECT id, hash, version FROM catalog_documents WHERE key = $1`, []any{key}, &d.id, &d.hash, &d.version)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, false, nil
	}
	return d, err == nil, err
}

func (t *postgresTx) saveDocument(ctx context.Context, d documentImport) (id int64, version int, err error) {
	if err = pgRow(ctx, t.tx, `
		INSERT INTO catalog_documents (key, asyncapi_version, version, hash, source, imported_at)
		VALUES ($1, $2, 1, $3, $4, $5)
		ON CONFLICT (key) DO UPDATE SET asyncapi_version = excluded.asyncapi_version,
			version = catalog_documents.version + 1, hash = excluded.hash,
			source = excluded.source, imported_at = excluded.imported_at
		RETURNING id, version`,
		[]any{d.key, d.asyncAPIVersion, d.hash, d.source, d.importedAt}, &id, &version); err != nil {
		return 0, 0, err
	}
	if err = t.exec(ctx, `
		INSERT INTO catalog_document_versions (document_id, version, hash, source, content, imported_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, version, d.hash, d.source, d.content, d.importedAt); err != nil {
		return 0, 0, fmt.Errorf("history: %w", err)
	}
	return id, version, nil
}

func (t *postgresTx) payloadLinks(ctx context.Context, docID int64) ([]payloadLink, error) {
	return pgdb.List(ctx, t.tx, scanPayloadLink, `
		SELECT c.name, m.name, cm.subject, m.schema_type, m.payload, m.key_schema_type, m.key_schema
		FROM catalog_channel_messages cm
		JOIN catalog_channels c ON c.id = cm.channel_id JOIN catalog_messages m ON m.id = cm.message_id
		WHERE cm.document_id = $1 ORDER BY c.name, m.name`, docID)
}

func (t *postgresTx) owner(ctx context.Context, o Owner) error {
	return t.exec(ctx, `
		INSERT INTO catalog_owners (name, kind, email, url, description) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET
			email = CASE WHEN catalog_owners.email = '' THEN excluded.email ELSE catalog_owners.email END,
			url = CASE WHEN catalog_owners.url = '' THEN excluded.url ELSE catalog_owners.url END,
			description = CASE WHEN catalog_owners.description = '' THEN excluded.description ELSE catalog_owners.description END`,
		o.Name, o.Kind, o.Email, o.URL, o.Description)
}

func (t *postgresTx) domain(ctx context.Context, d Domain) (int64, error) {
	return t.id(ctx, `
		INSERT INTO catalog_domains (name, description, owner_id) VALUES ($1, $2, (SELECT id FROM catalog_owners WHERE name = $3))
		ON CONFLICT (name) DO UPDATE SET
			description = CASE WHEN excluded.description <> '' THEN excluded.description ELSE catalog_domains.description END,
			owner_id = coalesce(excluded.owner_id, catalog_domains.owner_id)
		RETURNING id`, d.Name, d.Description, d.Owner)
}

func (t *postgresTx) removeRenamedServices(ctx context.Context, docID int64, keep string) error {
	return t.exec(ctx, `DELETE FROM catalog_services WHERE document_id = $1 AND name <> $2`, docID, keep)
}

func (t *postgresTx) service(ctx context.Context, s Service, domainID, docID int64) (int64, error) {
	return t.id(ctx, `
		INSERT INTO catalog_services (name, version, description, domain_id, owner_id, tags, document_id)
		VALUES ($1, $2, $3, nullif($4, 0), (SELECT id FROM catalog_owners WHERE name = $5), $6, $7)
		ON CONFLICT (name) DO UPDATE SET version = excluded.version, description = excluded.description,
			domain_id = coalesce(excluded.domain_id, catalog_services.domain_id),
			owner_id = coalesce(excluded.owner_id, catalog_services.owner_id), tags = excluded.tags,
			document_id = excluded.document_id
		RETURNING id`,
		s.Name, s.Version, s.Description, domainID, s.Owner, tagsJSON(s.Tags), docID)
}

func (t *postgresTx) forgetLinks(ctx context.Context, docID, serviceID int64) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM catalog_operations WHERE service_id = $1`, serviceID)
	b.Queue(`DELETE FROM catalog_channel_messages WHERE document_id = $1`, docID)
	b.Queue(`DELETE FROM catalog_service_servers WHERE service_id = $1`, serviceID)
	b.Queue(`DELETE FROM catalog_channel_servers WHERE document_id = $1`, docID)
	return pgdb.Unavailable(t.tx.SendBatch(ctx, b).Close())
}

func (t *postgresTx) linkServiceServer(ctx context.Context, serviceID, serverID int64) error {
	return t.exec(ctx, `INSERT INTO catalog_service_servers (service_id, server_id) VALUES ($1, $2)`, serviceID, serverID)
}

func (t *postgresTx) linkChannelMessage(ctx context.Context, channelID, messageID, docID int64, subject string) error {
	return t.exec(ctx, `INSERT INTO catalog_channel_messages (channel_id, message_id, document_id, subject) VALUES ($1, $2, $3, $4)`,
		channelID, messageID, docID, subject)
}

func (t *postgresTx) linkChannelServer(ctx context.Context, channelID, serverID, docID int64) error {
	return t.exec(ctx, `INSERT INTO catalog_channel_servers (channel_id, server_id, document_id) VALUES ($1, $2, $3)`,
		channelID, serverID, docID)
}

func (t *postgresTx) operation(ctx context.Context, serviceID, channelID int64, o Operation, bindings string, messageIDs []int64) error {
	id, err := t.id(ctx, `
		INSERT INTO catalog_operations (service_id, name, action, channel_id, summary, description, consumer_group, bindings)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		serviceID, o.Name, o.Action, channelID, o.Summary, o.Description, o.ConsumerGroup, bindings)
	if err != nil {
		return err
	}
	if err := t.exec(ctx, `
		INSERT INTO catalog_operation_messages (operation_id, message_id) SELECT $1::bigint, unnest($2::bigint[])
		ON CONFLICT DO NOTHING`, id, messageIDs); err != nil {
		return fmt.Errorf("link its messages: %w", err)
	}
	return nil
}

// The shared kinds' table and column names come from sharedKinds, never from input.

func (t *postgresTx) describedBy(ctx context.Context, k *shared, docID int64) ([]int64, error) {
	return pgdb.List(ctx, t.tx, scanID, `SELECT `+k.ref+` FROM `+k.descriptions+` WHERE document_id = $1 ORDER BY 1`, docID)
}

func (t *postgresTx) descriptions(ctx context.Context, k *shared, id int64) (string, []description, error) {
	var name string
	if err := pgRow(ctx, t.tx, `SELECT name FROM `+k.table+` WHERE id = $1`, []any{id}, &name); err != nil {
		return "", nil, fmt.Errorf("read %s %d: %w", k.kind, id, err)
	}
	order := "d.document_id"
	if k.sendsFirst {
		order = "d.sends DESC, d.document_id"
	}
	descs, err := pgdb.List(ctx, t.tx, scanDescription, `
		SELECT d.document_id, doc.key, d.facts FROM `+k.descriptions+` d JOIN catalog_documents doc ON doc.id = d.document_id
		WHERE d.`+k.ref+` = $1 ORDER BY `+order, id)
	if err != nil {
		return "", nil, fmt.Errorf("read descriptions of %s %q: %w", k.kind, name, err)
	}
	return name, descs, nil
}

func (t *postgresTx) forgetDescriptions(ctx context.Context, k *shared, docID int64) error {
	return t.exec(ctx, `DELETE FROM `+k.descriptions+` WHERE document_id = $1`, docID)
}

func (t *postgresTx) describe(ctx context.Context, k *shared, name string, docID int64, sends bool, facts string) (int64, error) {
	// A server's host and protocol are filled in when its descriptions are merged.
	insert := `INSERT INTO ` + k.table + ` (name) VALUES ($1)`
	if k == sharedServers {
		insert = `INSERT INTO catalog_servers (name, host, protocol) VALUES ($1, '', '')`
	}
	id, err := t.id(ctx, insert+` ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name)
	if err != nil {
		return 0, err
	}
	if k.sendsFirst {
		err = t.exec(ctx, `INSERT INTO `+k.descriptions+` (`+k.ref+`, document_id, sends, facts) VALUES ($1, $2, $3, $4)`, id, docID, sends, facts)
	} else {
		err = t.exec(ctx, `INSERT INTO `+k.descriptions+` (`+k.ref+`, document_id, facts) VALUES ($1, $2, $3)`, id, docID, facts)
	}
	return id, err
}

func (t *postgresTx) remove(ctx context.Context, k *shared, id int64) error {
	return t.exec(ctx, `DELETE FROM `+k.table+` WHERE id = $1`, id)
}

func (t *postgresTx) writeServer(ctx context.Context, id int64, s Server, variables, bindings string, docID int64) error {
	return t.exec(ctx, `
		UPDATE catalog_servers SET host = $1, pathname = $2, protocol = $3, protocol_version = $4, description = $5,
			variables = $6, bindings = $7, tags = $8, document_id = $9
		WHERE id = $10`,
		s.Host, s.Pathname, s.Protocol, s.ProtocolVersion, s.Description, variables, bindings, tagsJSON(s.Tags), docID, id)
}

func (t *postgresTx) writeChannel(ctx context.Context, id int64, c Channel, bindings string, docID int64) error {
	return t.exec(ctx, `
		UPDATE catalog_channels SET address = $1, kafka_topic = $2, bindings = $3, description = $4,
			owner_id = coalesce((SELECT id FROM catalog_owners WHERE name = $5), owner_id), tags = $6, document_id = $7
		WHERE id = $8`,
		c.Address, c.KafkaTopic, bindings, c.Description, c.Owner, tagsJSON(c.Tags), docID, id)
}

func (t *postgresTx) writeMessage(ctx context.Context, id int64, m messageFacts, bindings string, docID int64) error {
	payload, key := m.Payload, m.Key
	b := &pgx.Batch{}
	b.Queue(`
		UPDATE catalog_messages SET kind = $1, title = $2, summary = $3, description = $4, content_type = $5,
			schema_format = $6, schema_type = $7, payload = $8, subject = $9,
			key_schema_format = $10, key_schema_type = $11, key_schema = $12, bindings = $13,
			owner_id = coalesce((SELECT id FROM catalog_owners WHERE name = $14), owner_id), tags = $15, document_id = $16
		WHERE id = $17`,
		m.Kind, m.Title, m.Summary, m.Description, m.ContentType, payload.Format, payload.Type, payload.Schema, m.Subject,
		key.Format, key.Type, key.Schema, bindings, m.Owner, tagsJSON(m.Tags), docID, id)
	b.Queue(`
		UPDATE catalog_channel_messages
		SET subject = CASE WHEN $1 <> '' THEN $1 ELSE (SELECT name FROM catalog_channels WHERE id = channel_id) || '-value' END
		WHERE message_id = $2`, m.Subject, id)
	return pgdb.Unavailable(t.tx.SendBatch(ctx, b).Close())
}

// Patches: kind is one of entityTables', whose tables never come from input.

func (t *postgresTx) entityID(ctx context.Context, kind, name string) (int64, error) {
	v, err := t.id(ctx, `SELECT id FROM `+entityTables[kind]+` WHERE name = $1`, name)
	return one(v, err, pgx.ErrNoRows, kind, name)
}

func (t *postgresTx) addOwner(ctx context.Context, name string) (int64, error) {
	return t.id(ctx, `
		INSERT INTO catalog_owners (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name
		RETURNING id`, name)
}

func (t *postgresTx) setOwner(ctx context.Context, kind string, id, ownerID int64) error {
	return t.exec(ctx, `UPDATE `+entityTables[kind]+` SET owner_id = nullif($1, 0) WHERE id = $2`, ownerID, id)
}

func (t *postgresTx) setDescription(ctx context.Context, kind string, id int64, description string) error {
	return t.exec(ctx, `UPDATE `+entityTables[kind]+` SET description = $1 WHERE id = $2`, description, id)
}

func (t *postgresTx) setTags(ctx context.Context, kind string, id int64, tags string) error {
	return t.exec(ctx, `UPDATE `+entityTables[kind]+` SET tags = $1 WHERE id = $2`, tags, id)
}

func (t *postgresTx) updateOwner(ctx context.Context, name string, p OwnerPatch) (bool, error) {
	tag, err := pgExec(ctx, t.tx, `
		UPDATE catalog_owners SET kind = coalesce($1, kind), email = coalesce($2, email), url = coalesce($3, url),
			description = coalesce($4, description)
		WHERE name = $5`, p.Kind, p.Email, p.URL, p.Description, name)
	return tag.RowsAffected() > 0, err
}

// Search: search_docs.words is a tsvector built here from the row's words (pgSearchVector),
// matched with a tsquery of prefixes and ranked by ts_rank with weights in FTS5's proportions.

func (s *postgresStore) searchStates(ctx context.Context) (map[string]string, error) {
	type state struct{ source, signature string }
	rows, err := pgdb.List(ctx, s.db.Pool, func(row scanner) (state, error) {
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

func (s *postgresStore) catalogSignature(ctx context.Context) (string, error) {
	var sig string
	err := pgRow(ctx, s.db.Pool, `SELECT
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_services) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_channels) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_messages) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_domains) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(version), 0) FROM catalog_document_versions)`, nil, &sig)
	return sig, err
}

func (s *postgresStore) searchSources(ctx context.Context) ([]searchSource, error) {
	return pgdb.List(ctx, s.db.Pool, scanSearchSource, `
		SELECT 'service', name, '', description, tags FROM catalog_services
		UNION ALL SELECT 'channel', name, address, description, tags FROM catalog_channels
		UNION ALL SELECT 'message', name, kind, title || ' ' || summary || ' ' || description, tags FROM catalog_messages
		UNION ALL SELECT 'domain', name, '', description, tags FROM catalog_domains`)
}

// queueSearchDoc queues the insert of one row of source.
func queueSearchDoc(b *pgx.Batch, source string, d searchDoc) {
	b.Queue(`INSERT INTO search_docs (source, owner, kind, name, detail, body, words) VALUES ($1, $2, $3, $4, $5, $6, $7::text::tsvector)`,
		source, d.owner, d.kind, d.name, d.detail, d.body, pgSearchVector(d))
}

func queueSearchState(b *pgx.Batch, source, sig string) {
	b.Queue(`INSERT INTO search_state (source, signature) VALUES ($1, $2)
		ON CONFLICT (source) DO UPDATE SET signature = excluded.signature`, source, sig)
}

// replaceCatalogSearch and replaceSubjectSearch hold pgSearchRefreshLock: replicas refreshing
// at once then rebuild one after the other instead of each adding its rows beside the other's.
// A replica that read its rows before a write committed may store them last; it is notified of
// that write too, so it refreshes once more and puts the newer rows back.
func (s *postgresStore) replaceCatalogSearch(ctx context.Context, sig string, docs []searchDoc) error {
	return s.inTx(ctx, pgSearchRefreshLock, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM search_docs WHERE source = 'catalog'`)
		for _, d := range docs {
			queueSearchDoc(b, "catalog", d)
		}
		queueSearchState(b, "catalog", sig)
		return pgdb.Unavailable(tx.SendBatch(ctx, b).Close())
	})
}

func (s *postgresStore) searchedSubjects(ctx context.Context) (map[string]int, error) {
	type indexed struct {
		subject string
		id      int
	}
	rows, err := pgdb.List(ctx, s.db.Pool, func(row scanner) (indexed, error) {
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

func (s *postgresStore) replaceSubjectSearch(ctx context.Context, sig string, gone []string, changed []subjectSearch) error {
	return s.inTx(ctx, pgSearchRefreshLock, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		drop := append([]string{}, gone...)
		for _, c := range changed {
			drop = append(drop, c.subject)
		}
		b.Queue(`DELETE FROM search_docs WHERE source = 'registry' AND owner = ANY($1)`, drop)
		b.Queue(`DELETE FROM search_subjects WHERE subject = ANY($1)`, drop)
		for _, c := range changed {
			for _, d := range c.docs {
				queueSearchDoc(b, "registry", d)
			}
			b.Queue(`INSERT INTO search_subjects (subject, schema_id) VALUES ($1, $2)`, c.subject, c.schemaID)
		}
		queueSearchState(b, "registry", sig)
		return pgdb.Unavailable(tx.SendBatch(ctx, b).Close())
	})
}

func (s *postgresStore) search(ctx context.Context, words []string, kind string, offset, limit int) (SearchResult, error) {
	res := SearchResult{Hits: []SearchHit{}}
	query, ok := pgSearchQuery(words)
	if !ok {
		return res, nil // a word longer than any indexed one matches nothing
	}
	const match = ` FROM search_docs WHERE words @@ $1::text::tsquery AND ($2 = '' OR kind = $2)`
	if err := pgRow(ctx, s.db.Pool, `SELECT count(*)`+match, []any{query, kind}, &res.Total); err != nil {
		return res, err
	}
	// ts_rank's weights are {D, C, B, A}: body 1, detail 4, name 10, as the FTS5 bm25 weights;
	// a field ranks a little below an entity that matches as well.
	hits, err := pgdb.List(ctx, s.db.Pool, scanSearchHit, `SELECT kind, CASE kind WHEN 'field' THEN owner ELSE name END, detail`+match+`
		ORDER BY ts_rank('{0.1, 0, 0.4, 1}', words, $1::text::tsquery, 1) * CASE kind WHEN 'field' THEN 0.8 ELSE 1 END DESC, name, detail
		LIMIT $3 OFFSET $4`, query, kind, limit, offset)
	if err != nil {
		return res, err
	}
	res.Hits = hits
	return res, nil
}

// Words in a tsvector are at most this long (PostgreSQL refuses longer ones); longer words are
// left out of the index, and a query with one finds nothing.
const pgMaxWord = 2046

// pgMaxPosition is the largest position a tsvector keeps.
const pgMaxPosition = 16383

// pgFold folds a word as FTS5's unicode61 tokenizer does: lower case, diacritics removed.
func pgFold(word string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(word) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// pgSearchVector writes a row's words as a tsvector literal, each with its position and its
// column's weight: name A, detail B, body D. Words are letters and digits only (searchWords),
// so none needs quoting inside '…'.
func pgSearchVector(d searchDoc) string {
	var b strings.Builder
	pos := 0
	for _, col := range []struct {
		text   string
		weight byte
	}{{d.name, 'A'}, {d.detail, 'B'}, {d.body, 'D'}} {
		for _, w := range searchWords(col.text) {
			w = pgFold(w)
			if len(w) > pgMaxWord {
				continue
			}
			pos = min(pos+1, pgMaxPosition)
			b.WriteString("'" + w + "':" + strconv.Itoa(pos) + string(col.weight) + " ")
		}
	}
	return b.String()
}

// pgSearchQuery writes the words as a tsquery literal: every word a prefix, all required; ok is
// false when a word can match nothing.
func pgSearchQuery(words []string) (query string, ok bool) {
	parts := make([]string, len(words))
	for i, w := range words {
		w = pgFold(w)
		if len(w) > pgMaxWord {
			return "", false
		}
		parts[i] = "'" + w + "':*"
	}
	return strings.Join(parts, " & "), true
}
