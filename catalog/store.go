package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eventlens/eventlens/storage"
)

// store is what the catalog keeps in the database, in the catalog's terms: one implementation
// per backend, sqliteStore (store_sqlite.go) and postgresStore (store_postgres.go), holding all
// of the catalog's SQL. The logic (merging documents, drift, export, ranking words) stays in the
// catalog and is written once. Reads see what is committed; every write goes through update.
type store interface {
	overview(ctx context.Context) (Overview, error)

	// The lists are sorted by name; a get by name fills the entity's related lists (see
	// model.go) and wraps ErrNotFound when nothing has the name.
	domains(ctx context.Context) ([]Domain, error)
	domain(ctx context.Context, name string) (Domain, error)
	services(ctx context.Context) ([]Service, error)
	service(ctx context.Context, name string) (Service, error)
	channels(ctx context.Context) ([]Channel, error)
	channel(ctx context.Context, name string) (Channel, error)
	servers(ctx context.Context) ([]Server, error)
	server(ctx context.Context, name string) (Server, error)
	messages(ctx context.Context) ([]Message, error)
	message(ctx context.Context, name string) (Message, error)
	messageChannels(ctx context.Context) (map[string][]MessageChannel, error)
	owners(ctx context.Context) ([]Owner, error)
	owner(ctx context.Context, name string) (Owner, error)
	documentHistory(ctx context.Context, key string) ([]DocumentVersion, error)

	// operations lists every operation, by service and name.
	operations(ctx context.Context) ([]Operation, error)
	// exported is what an export of service (every service when "") takes beside the
	// entities: which channels, which channels are on which servers, which messages on which
	// channels, as the service's document says.
	exported(ctx context.Context, service string) (exportedRows, error)
	// documentation is what every imported document says, for drift, read in one snapshot.
	documentation(ctx context.Context) (documentationRows, error)

	// update runs f in one write transaction, after every other catalog write on any replica
	// has committed or rolled back, so an import reads the documents as they stand; an error
	// from f rolls it back.
	update(ctx context.Context, f func(tx storeTx) error) error

	searchStore
}

// storeTx is a catalog write transaction.
type storeTx interface {
	// changed records what the transaction changed (a document key, a patched entity); other
	// replicas hear of it when it commits.
	changed(ctx context.Context, what string) error

	// document reads the stored document with key; found is false when there is none.
	document(ctx context.Context, key string) (d storedDocument, found bool, err error)
	// saveDocument writes a changed document and adds its next version to its history.
	saveDocument(ctx context.Context, d documentImport) (id int64, version int, err error)
	// payloadLinks lists the messages on channels that document docID links, with their
	// merged payloads, by channel and message.
	payloadLinks(ctx context.Context, docID int64) ([]payloadLink, error)

	// owner adds an owner or fills in contact details it lacks.
	owner(ctx context.Context, o Owner) error
	// domain adds a domain or fills in its description and owner; it returns its id.
	domain(ctx context.Context, d Domain) (int64, error)
	// removeRenamedServices removes the services document docID describes, but keep.
	removeRenamedServices(ctx context.Context, docID int64, keep string) error
	// service writes the document's service (its Domain unused: domainID, 0 when none) and
	// returns its id.
	service(ctx context.Context, s Service, domainID, docID int64) (int64, error)
	// forgetLinks removes what the document said about operations, channel messages and
	// servers, to be written again.
	forgetLinks(ctx context.Context, docID, serviceID int64) error
	linkServiceServer(ctx context.Context, serviceID, serverID int64) error
	linkChannelMessage(ctx context.Context, channelID, messageID, docID int64, subject string) error
	linkChannelServer(ctx context.Context, channelID, serverID, docID int64) error
	operation(ctx context.Context, serviceID, channelID int64, o Operation, bindings string, messageIDs []int64) error

	// The rows documents share (channels, servers, messages, see merge.go).
	// describedBy lists the ids of the rows of kind k that document docID describes.
	describedBy(ctx context.Context, k *shared, docID int64) ([]int64, error)
	// descriptions returns row id's name and its descriptions, first to last by precedence.
	descriptions(ctx context.Context, k *shared, id int64) (string, []description, error)
	// forgetDescriptions removes document docID's descriptions of rows of kind k.
	forgetDescriptions(ctx context.Context, k *shared, docID int64) error
	// describe adds the row called name if needed and document docID's description of it.
	describe(ctx context.Context, k *shared, name string, docID int64, sends bool, facts string) (int64, error)
	// remove removes row id of kind k.
	remove(ctx context.Context, k *shared, id int64) error
	// writeServer, writeChannel and writeMessage rewrite a row as merged; docID's description
	// came first. A channel's or message's owner set through the API stays when s names none.
	writeServer(ctx context.Context, id int64, s Server, variables, bindings string, docID int64) error
	writeChannel(ctx context.Context, id int64, c Channel, bindings string, docID int64) error
	// writeMessage also gives every link of the message its merged subject.
	writeMessage(ctx context.Context, id int64, m messageFacts, bindings string, docID int64) error

	// Patches (patch.go); kind is one of entityTables'.
	entityID(ctx context.Context, kind, name string) (int64, error)
	// addOwner returns the id of the owner called name, added as a team if new.
	addOwner(ctx context.Context, name string) (int64, error)
	// setOwner sets the entity's owner; 0 removes it.
	setOwner(ctx context.Context, kind string, id, ownerID int64) error
	setDescription(ctx context.Context, kind string, id int64, description string) error
	setTags(ctx context.Context, kind string, id int64, tags string) error
	// updateOwner applies p to the owner called name; found is false when there is none.
	updateOwner(ctx context.Context, name string, p OwnerPatch) (found bool, err error)
}

// searchStore holds the search index: rows derived from the catalog and the registry (see
// search.go), and what each source looked like when they were built.
type searchStore interface {
	// searchStates returns each source's signature when its rows were last built.
	searchStates(ctx context.Context) (map[string]string, error)
	// catalogSignature is a cheap summary of the catalog that changes when its search rows would.
	catalogSignature(ctx context.Context) (string, error)
	// searchSources lists the services, channels, messages and domains as search reads them.
	searchSources(ctx context.Context) ([]searchSource, error)
	// replaceCatalogSearch replaces the catalog's rows with docs and stores sig, in one transaction.
	replaceCatalogSearch(ctx context.Context, sig string, docs []searchDoc) error
	// searchedSubjects returns the schema id each indexed subject's rows were built from.
	searchedSubjects(ctx context.Context) (map[string]int, error)
	// replaceSubjectSearch drops the rows of the subjects gone, replaces those of the subjects
	// changed, and stores sig, in one transaction.
	replaceSubjectSearch(ctx context.Context, sig string, gone []string, changed []subjectSearch) error
	// search returns the rows that hold every word as a prefix of one of theirs, optionally of
	// one kind, best first: [offset, offset+limit) and how many there are.
	search(ctx context.Context, words []string, kind string, offset, limit int) (SearchResult, error)
}

// newStore picks the store of the backend db has.
func newStore(db *storage.DB) store {
	if db.Postgres != nil {
		return &postgresStore{db: db.Postgres}
	}
	return &sqliteStore{db: db.SQLite}
}

// storedDocument is a document's row: its newest version and that version's hash.
type storedDocument struct {
	id      int64
	hash    string
	version int
}

// documentImport is a changed document as an import writes it.
type documentImport struct {
	key, asyncAPIVersion string
	hash, source         string
	content              string // the root file as imported
	importedAt           time.Time
}

// payloadLink is a message on a channel, with the message's payload and key schemas.
type payloadLink struct {
	channel, message, subject, schemaType, payload, keyType, key string
}

// exportedRows is what exportFacts reads beside the entities.
type exportedRows struct {
	channels       []string // names
	channelServers []channelServer
	links          []channelLink
}

// documentationRows is what documentation reads; documentedBy turns it into a documentation.
type documentationRows struct {
	services []string
	channels []documentedChannelRow
	subjects []channelSubject
	ops      []documentedOp
}

type documentedChannelRow struct {
	name, address, bindings string // bindings: the stored JSON object
}

type channelSubject struct{ channel, subject string }

// searchSource is a service, channel, message or domain as search reads it: detail is a
// channel's address or a message's kind, text its description (a message's title and summary
// too), tags the stored JSON array.
type searchSource struct {
	kind, name, detail, text, tags string
}

// searchDoc is one row of the search index.
type searchDoc struct {
	owner                    string // the subject a registry row belongs to; "" for catalog rows
	kind, name, detail, body string
}

// subjectSearch is a subject's rows, built from its latest schema.
type subjectSearch struct {
	subject  string
	schemaID int
	docs     []searchDoc
}

// Rows as both backends select them: the scan functions below name the columns, in order.

type scanner = interface{ Scan(dest ...any) error }

// scanDomain reads name, description, owner name, tags.
func scanDomain(row scanner) (Domain, error) {
	var d Domain
	var tags string
	if err := row.Scan(&d.Name, &d.Description, &d.Owner, &tags); err != nil {
		return d, err
	}
	return d, json.Unmarshal([]byte(tags), &d.Tags)
}

// scanService reads name, version, description, domain name, owner name, tags, document key.
func scanService(row scanner) (Service, error) {
	var s Service
	var tags string
	if err := row.Scan(&s.Name, &s.Version, &s.Description, &s.Domain, &s.Owner, &tags, &s.Document); err != nil {
		return s, err
	}
	return s, json.Unmarshal([]byte(tags), &s.Tags)
}

// scanChannel reads name, address, kafka topic, bindings, description, owner name, tags.
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

// scanServer reads name, host, pathname, protocol, protocol version, description, variables,
// bindings, tags, document key.
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

// scanMessage reads name, kind, title, summary, description, content type, schema format,
// schema type, payload, subject, key schema format, key schema type, key schema, bindings,
// owner name, tags.
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

// scanChannelMessage reads message name, subject, key subject.
func scanChannelMessage(row scanner) (ChannelMessage, error) {
	var cm ChannelMessage
	return cm, row.Scan(&cm.Message, &cm.Subject, &cm.KeySubject)
}

// messageChannelRow is a MessageChannel with its message's name.
type messageChannelRow struct {
	message string
	MessageChannel
}

// scanMessageChannel reads message name, channel name, subject, key subject.
func scanMessageChannel(row scanner) (messageChannelRow, error) {
	var r messageChannelRow
	return r, row.Scan(&r.message, &r.Channel, &r.Subject, &r.KeySubject)
}

// byMessage groups channel rows by their message.
func byMessage(rows []messageChannelRow) map[string][]MessageChannel {
	out := map[string][]MessageChannel{}
	for _, r := range rows {
		out[r.message] = append(out[r.message], r.MessageChannel)
	}
	return out
}

// scanOwner reads name, kind, email, url, description.
func scanOwner(row scanner) (Owner, error) {
	var o Owner
	return o, row.Scan(&o.Name, &o.Kind, &o.Email, &o.URL, &o.Description)
}

// scanOwnerCounts reads what scanOwner does, then how many domains, services, channels and
// messages the owner owns.
func scanOwnerCounts(row scanner) (Owner, error) {
	o := Owner{Owns: &OwnerCounts{}}
	n := o.Owns
	return o, row.Scan(&o.Name, &o.Kind, &o.Email, &o.URL, &o.Description, &n.Domains, &n.Services, &n.Channels, &n.Messages)
}

// scanOperation reads name, service name, action, channel name, consumer group, summary,
// description, bindings, and its message names as a JSON array.
func scanOperation(row scanner) (Operation, error) {
	var o Operation
	var bindings, messages string
	if err := row.Scan(&o.Name, &o.Service, &o.Action, &o.Channel, &o.ConsumerGroup, &o.Summary, &o.Description, &bindings, &messages); err != nil {
		return o, err
	}
	if err := unmarshalObject(bindings, &o.Bindings); err != nil {
		return o, err
	}
	return o, json.Unmarshal([]byte(messages), &o.Messages)
}

// scanName reads one text column.
func scanName(row scanner) (string, error) {
	var s string
	return s, row.Scan(&s)
}

func scanID(row scanner) (int64, error) {
	var id int64
	return id, row.Scan(&id)
}

// scanDescription reads document id, document key, facts.
func scanDescription(row scanner) (description, error) {
	var d description
	var facts string
	if err := row.Scan(&d.docID, &d.document, &facts); err != nil {
		return d, err
	}
	v, err := decodeSchema(facts)
	if err != nil {
		return d, err
	}
	d.facts, _ = v.(map[string]any)
	return d, nil
}

func scanPayloadLink(row scanner) (payloadLink, error) {
	var l payloadLink
	return l, row.Scan(&l.channel, &l.message, &l.subject, &l.schemaType, &l.payload, &l.keyType, &l.key)
}

func scanChannelServer(row scanner) (channelServer, error) {
	var cs channelServer
	return cs, row.Scan(&cs.Channel, &cs.Server)
}

func scanChannelLink(row scanner) (channelLink, error) {
	var l channelLink
	return l, row.Scan(&l.Channel, &l.Message, &l.Subject)
}

func scanDocumentedChannel(row scanner) (documentedChannelRow, error) {
	var ch documentedChannelRow
	return ch, row.Scan(&ch.name, &ch.address, &ch.bindings)
}

func scanChannelSubject(row scanner) (channelSubject, error) {
	var cs channelSubject
	return cs, row.Scan(&cs.channel, &cs.subject)
}

func scanSearchSource(row scanner) (searchSource, error) {
	var s searchSource
	return s, row.Scan(&s.kind, &s.name, &s.detail, &s.text, &s.tags)
}

func scanSearchHit(row scanner) (SearchHit, error) {
	var h SearchHit
	return h, row.Scan(&h.Kind, &h.Name, &h.Detail)
}

// names fills the names of servers, for Service and Channel.
func serverNames(servers []Server) []string {
	var names []string
	for _, s := range servers {
		names = append(names, s.Name)
	}
	return names
}

// one turns "no row" (errNoRow, the backend's own) into ErrNotFound for kind and name.
func one[T any](v T, err, errNoRow error, kind, name string) (T, error) {
	if errors.Is(err, errNoRow) {
		return v, notFound(kind, name)
	}
	if err != nil {
		return v, fmt.Errorf("read %s %q: %w", kind, name, err)
	}
	return v, nil
}
