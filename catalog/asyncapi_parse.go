package catalog

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"strings"
)

// parsedDocument is what one AsyncAPI document says, in the catalog's terms, before it is stored.
type parsedDocument struct {
	Key             string // the document's id, else its info.title
	AsyncAPIVersion string
	Service         Service
	Domain          *Domain
	Owners          []Owner  // every owner named in the document, with contact details
	Servers         []Server // the servers the document declares, which its service uses
	Channels        []Channel
	Messages        []Message
	Links           []channelLink   // which message travels on which channel, under which subject
	ChannelServers  []channelServer // which channel is available on which server
	Operations      []Operation
}

type channelLink struct {
	Channel, Message, Subject string
}

type channelServer struct {
	Channel, Server string
}

var (
	version2 = regexp.MustCompile(`^2\.[0-6]\.[0-9]+$`)
	version3 = regexp.MustCompile(`^3\.0\.[0-9]+$`)
)

// parse reads the document's root file into a parsedDocument.
func (r *reader) parse(opts ImportOptions) (*parsedDocument, error) {
	root := node{v: r.files.trees[r.files.root], file: r.files.root, path: "$"}
	if _, ok := root.v.(map[string]any); !ok {
		return nil, r.fail(root, "an AsyncAPI document is an object, found %s", describe(root.v))
	}
	version, err := r.str(root, "asyncapi")
	if err != nil {
		return nil, err
	}
	vn, _ := r.child(root, "asyncapi")
	switch {
	case version == "":
		return nil, r.fail(vn, "missing: an AsyncAPI document starts with `asyncapi: 2.6.0` or `asyncapi: 3.0.0`")
	case version2.MatchString(version):
		return r.parseV2(root, version, opts)
	case version3.MatchString(version):
		return r.parseV3(root, version)
	default:
		return nil, r.fail(vn, "unsupported AsyncAPI version %q: eventlens reads 2.0 to 2.6 and 3.0", version)
	}
}

// builder collects a document's parts, merging repeats and refusing contradictions.
type builder struct {
	r        *reader
	doc      *parsedDocument
	owners   map[string]int
	channels map[string]int
	messages map[string]int
	links    map[channelLink]bool
	onServer map[channelServer]bool
}

func newBuilder(r *reader, version string) *builder {
	return &builder{r: r, doc: &parsedDocument{AsyncAPIVersion: version},
		owners: map[string]int{}, channels: map[string]int{}, messages: map[string]int{}, links: map[channelLink]bool{},
		onServer: map[channelServer]bool{}}
}

// info reads the service, its owner and domain from info (and, for 2.x, the root tags).
func (b *builder) info(root node, tagsAt node) error {
	r := b.r
	info, err := r.child(root, "info")
	if err != nil {
		return err
	}
	if info.v == nil {
		return r.fail(info, "missing: info with a title is required")
	}
	title, err := r.str(info, "title")
	if err != nil {
		return err
	}
	if strings.TrimSpace(title) == "" {
		return r.fail(node{file: info.file, path: childPath(info.path, "title")}, "missing: the title names the service")
	}
	s := &b.doc.Service
	s.Name = title
	if name, err := firstString(r, "x-eventlens-service", info, root); err != nil {
		return err
	} else if name != "" {
		s.Name = name
	}
	if s.Version, err = r.str(info, "version"); err != nil {
		return err
	}
	if s.Description, err = r.str(info, "description"); err != nil {
		return err
	}
	if s.Tags, err = b.tags(tagsAt); err != nil {
		return err
	}
	id, err := r.str(root, "id")
	if err != nil {
		return err
	}
	b.doc.Key = title
	if id != "" {
		b.doc.Key = id
	}
	contact, err := r.child(info, "contact")
	if err != nil {
		return err
	}
	if s.Owner, err = b.ownerOf(contact, info, root); err != nil {
		return err
	}
	return b.domain(info, root)
}

// ownerOf reads an x-owner style extension of the first object that has one (a name, or an object
// with name, kind, email, url, description), taking missing contact details from contact.
func (b *builder) ownerOf(contact node, objects ...node) (string, error) {
	r := b.r
	var o Owner
	for _, n := range objects {
		for _, key := range []string{"x-eventlens-owner", "x-owner"} {
			c, err := r.child(n, key)
			if err != nil {
				return "", err
			}
			if c.v == nil || o.Name != "" {
				continue
			}
			if o, err = b.ownerValue(c); err != nil {
				return "", err
			}
		}
	}
	if contact.v != nil {
		cv, err := r.inline(contact)
		if err != nil {
			return "", err
		}
		cm, ok := cv.(map[string]any)
		if !ok {
			return "", r.fail(contact, "want a contact object, found %s", describe(cv))
		}
		if o.Name == "" {
			o.Name, _ = cm["name"].(string)
		}
		if o.Email == "" {
			o.Email, _ = cm["email"].(string)
		}
		if o.URL == "" {
			o.URL, _ = cm["url"].(string)
		}
	}
	if o.Name == "" {
		return "", nil
	}
	if o.Kind == "" {
		o.Kind = "team"
	}
	if i, ok := b.owners[o.Name]; ok {
		b.doc.Owners[i] = mergeOwner(b.doc.Owners[i], o)
	} else {
		b.owners[o.Name] = len(b.doc.Owners)
		b.doc.Owners = append(b.doc.Owners, o)
	}
	return o.Name, nil
}

func (b *builder) ownerValue(c node) (Owner, error) {
	v, err := b.r.inline(c)
	if err != nil {
		return Owner{}, err
	}
	switch x := v.(type) {
	case string:
		return Owner{Name: x}, nil
	case map[string]any:
		var o Owner
		o.Name, _ = x["name"].(string)
		o.Kind, _ = x["kind"].(string)
		if o.Kind == "" {
			o.Kind, _ = x["type"].(string)
		}
		o.Email, _ = x["email"].(string)
		o.URL, _ = x["url"].(string)
		o.Description, _ = x["description"].(string)
		if o.Name == "" {
			return o, b.r.fail(c, "an owner needs a name")
		}
		if o.Kind != "" && o.Kind != "team" && o.Kind != "person" {
			return o, b.r.fail(c, "owner kind %q: want team or person", o.Kind)
		}
		return o, nil
	default:
		return Owner{}, b.r.fail(c, "want an owner name or object, found %s", describe(v))
	}
}

func mergeOwner(a, b Owner) Owner {
	if a.Email == "" {
		a.Email = b.Email
	}
	if a.URL == "" {
		a.URL = b.URL
	}
	if a.Description == "" {
		a.Description = b.Description
	}
	return a
}

// domain reads x-eventlens-domain (or x-domain): a name, or an object with name, description, owner.
func (b *builder) domain(objects ...node) error {
	r := b.r
	for _, n := range objects {
		for _, key := range []string{"x-eventlens-domain", "x-domain"} {
			c, err := r.child(n, key)
			if err != nil {
				return err
			}
			if c.v == nil {
				continue
			}
			d := &Domain{Tags: []string{}}
			switch x := c.v.(type) {
			case string:
				d.Name = x
			case map[string]any:
				if d.Name, err = r.str(c, "name"); err != nil {
					return err
				}
				if d.Description, err = r.str(c, "description"); err != nil {
					return err
				}
				if d.Owner, err = b.ownerOf(node{}, c); err != nil {
					return err
				}
			default:
				return r.fail(c, "want a domain name or object, found %s", describe(x))
			}
			if d.Name == "" {
				return r.fail(c, "a domain needs a name")
			}
			b.doc.Domain = d
			b.doc.Service.Domain = d.Name
			return nil
		}
	}
	return nil
}

// tags reads a list of tag objects (or names) into their names.
func (b *builder) tags(n node) ([]string, error) {
	names := []string{}
	if n.v == nil {
		return names, nil
	}
	v, err := b.r.inline(n)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, b.r.fail(n, "want a list of tags, found %s", describe(v))
	}
	for i, t := range list {
		switch x := t.(type) {
		case string:
			names = append(names, x)
		case map[string]any:
			name, _ := x["name"].(string)
			if name == "" {
				return nil, b.r.fail(node{file: n.file, path: fmt.Sprintf("%s[%d]", n.path, i)}, "a tag needs a name")
			}
			names = append(names, name)
		default:
			return nil, b.r.fail(node{file: n.file, path: fmt.Sprintf("%s[%d]", n.path, i)}, "want a tag, found %s", describe(t))
		}
	}
	return names, nil
}

// addChannel records a channel, merging one the document names twice (two keys, one topic).
func (b *builder) addChannel(c Channel) {
	if _, ok := b.channels[c.Name]; ok {
		return
	}
	b.channels[c.Name] = len(b.doc.Channels)
	b.doc.Channels = append(b.doc.Channels, c)
}

// addMessage records a message; one name described two different ways is an error.
func (b *builder) addMessage(at node, m Message) error {
	if i, ok := b.messages[m.Name]; ok {
		if !reflect.DeepEqual(b.doc.Messages[i], m) {
			return b.r.fail(at, "message %q is described twice, differently; give one of them another name", m.Name)
		}
		return nil
	}
	b.messages[m.Name] = len(b.doc.Messages)
	b.doc.Messages = append(b.doc.Messages, m)
	return nil
}

// link records that message m travels on channel c, under the subject TopicNameStrategy gives
// unless the message names one.
func (b *builder) link(c Channel, m Message) {
	subject := m.Subject
	if subject == "" {
		subject = c.Name + "-value"
	}
	l := channelLink{Channel: c.Name, Message: m.Name, Subject: subject}
	if !b.links[l] {
		b.links[l] = true
		b.doc.Links = append(b.doc.Links, l)
	}
}

// channel reads what 2.x and 3.0 channels share: bindings (Kafka topic preferred), description, tags, owner.
func (b *builder) channel(n node, address string) (Channel, error) {
	r := b.r
	c := Channel{Address: address}
	var err error
	if c.Bindings, err = b.bindings(n); err != nil {
		return c, err
	}
	if kafka, ok := c.Bindings["kafka"].(map[string]any); ok {
		c.KafkaTopic, _ = kafka["topic"].(string)
	}
	c.Name = address
	if c.KafkaTopic != "" {
		c.Name = c.KafkaTopic
	}
	if c.Description, err = r.str(n, "description"); err != nil {
		return c, err
	}
	tn, err := r.child(n, "tags")
	if err != nil {
		return c, err
	}
	if c.Tags, err = b.tags(tn); err != nil {
		return c, err
	}
	c.Owner, err = b.ownerOf(node{}, n)
	return c, err
}

// objectAt returns the object at key of n with its references resolved (bindings, server
// variables), and where it was found; nil when absent.
func (b *builder) objectAt(n node, key, what string) (map[string]any, node, error) {
	c, err := b.r.child(n, key)
	if err != nil || c.v == nil {
		return nil, c, err
	}
	v, err := b.r.inline(c)
	if err != nil {
		return nil, c, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, c, b.r.fail(c, "want an object of %s, found %s", what, describe(v))
	}
	return m, c, nil
}

// bindings reads the bindings of a server, channel, operation or message: an object of
// protocol bindings, each an object, and x- extensions. Protocol names are keys of the export
// and are shown on pages, so they may hold what a key may.
func (b *builder) bindings(n node) (map[string]any, error) {
	m, at, err := b.objectAt(n, "bindings", "bindings")
	if err != nil {
		return nil, err
	}
	m = maps.Clone(m) // a protocol given no fields is filled in below, not in the document
	for _, protocol := range sortedKeys(m) {
		p := node{v: m[protocol], file: at.file, path: childPath(at.path, protocol)}
		switch {
		case !keyName.MatchString(protocol):
			return nil, b.r.fail(p, "binding %q: a protocol is named with letters, digits, '.', '-' and '_' only", protocol)
		case strings.HasPrefix(protocol, "x-"):
		case p.v == nil: // YAML's "kafka:" with nothing under it: the protocol, with no fields
			m[protocol] = map[string]any{}
		case !isObject(p.v):
			return nil, b.r.fail(p, "want an object of %s bindings, found %s", protocol, describe(p.v))
		}
	}
	return m, nil
}

// keyName is what a server name or a binding's protocol may hold (AsyncAPI 2.x's rule for
// server names, and '.'): it is a key in the export and a path segment in the API.
var keyName = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)

// servers reads the document's servers: 3.0 gives host and pathname, 2.x a url that is split
// into them (its scheme goes; protocol says it). Security requirements are not kept.
func (b *builder) servers(root node, v3 bool) error {
	r := b.r
	sn, err := r.child(root, "servers")
	if err != nil {
		return err
	}
	sm, err := r.object(sn)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(sm) {
		if !keyName.MatchString(name) {
			return r.fail(node{file: sn.file, path: childPath(sn.path, name)}, "server name %q: use letters, digits, '.', '-' and '_' only", name)
		}
		n, err := r.child(sn, name)
		if err != nil {
			return err
		}
		if _, ok := n.v.(map[string]any); !ok {
			return r.fail(n, "want a server object, found %s", describe(n.v))
		}
		s := Server{Name: name}
		if v3 {
			if s.Host, err = r.str(n, "host"); err != nil {
				return err
			}
			if s.Pathname, err = r.str(n, "pathname"); err != nil {
				return err
			}
		} else {
			u, err := r.str(n, "url")
			if err != nil {
				return err
			}
			s.Host, s.Pathname = splitURL(u)
		}
		if s.Host == "" {
			field := "host"
			if !v3 {
				field = "url"
			}
			return r.fail(node{file: n.file, path: childPath(n.path, field)}, "missing: a server needs a %s", field)
		}
		for key, dst := range map[string]*string{"protocol": &s.Protocol, "protocolVersion": &s.ProtocolVersion, "description": &s.Description} {
			if *dst, err = r.str(n, key); err != nil {
				return err
			}
		}
		if s.Protocol == "" {
			return r.fail(node{file: n.file, path: childPath(n.path, "protocol")}, "missing: a server needs a protocol (kafka, amqp, mqtt, ...)")
		}
		if s.Variables, _, err = b.objectAt(n, "variables", "server variables"); err != nil {
			return err
		}
		if s.Bindings, err = b.bindings(n); err != nil {
			return err
		}
		tn, err := r.child(n, "tags")
		if err != nil {
			return err
		}
		if s.Tags, err = b.tags(tn); err != nil {
			return err
		}
		b.doc.Servers = append(b.doc.Servers, s)
	}
	return nil
}

// splitURL splits a 2.x server url into 3.0's host and pathname.
func splitURL(u string) (host, pathname string) {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		u = rest
	}
	if i := strings.Index(u, "/"); i >= 0 {
		return u[:i], u[i:]
	}
	return u, ""
}

// channelServers records the servers channel ch (at n) is available on: those it lists (2.x by
// name, 3.0 by reference to #/servers/<name>), or, as the spec says, every server of the
// document when it lists none.
func (b *builder) channelServers(n node, ch Channel, v3 bool) error {
	r := b.r
	sn, err := r.child(n, "servers")
	if err != nil {
		return err
	}
	declared := map[string]bool{}
	for _, s := range b.doc.Servers {
		declared[s.Name] = true
	}
	var names []string
	switch list := sn.v.(type) {
	case nil:
	case []any:
		for i, item := range list {
			at := node{v: item, file: sn.file, path: fmt.Sprintf("%s[%d]", sn.path, i)}
			var name string
			if v3 {
				if name, err = r.localRef(at, "servers"); err != nil {
					return err
				}
			} else if name, _ = item.(string); name == "" {
				return r.fail(at, "want a server name, found %s", describe(item))
			}
			if !declared[name] {
				return r.fail(at, "server %q is not in this document's servers", name)
			}
			names = append(names, name)
		}
	default:
		return r.fail(sn, "want a list of servers, found %s", describe(list))
	}
	if len(names) == 0 {
		for _, s := range b.doc.Servers {
			names = append(names, s.Name)
		}
	}
	for _, name := range names {
		cs := channelServer{Channel: ch.Name, Server: name}
		if !b.onServer[cs] {
			b.onServer[cs] = true
			b.doc.ChannelServers = append(b.doc.ChannelServers, cs)
		}
	}
	return nil
}

// message reads a message object (already with traits applied and inlined) into a Message.
func (b *builder) message(at node, m map[string]any, fallbackName string, v3 bool) (Message, error) {
	r := b.r
	n := node{v: m, file: at.file, path: at.path}
	// Kind stays "" unless the document says it, so that it overrides no other document's
	// (the catalog's message is an event when none says).
	msg := Message{Tags: []string{}}
	msg.Name, _ = m["name"].(string)
	if msg.Name == "" && !v3 {
		msg.Name, _ = m["messageId"].(string)
	}
	if msg.Name == "" {
		msg.Name = fallbackName
	}
	if msg.Name == "" {
		return msg, r.fail(at, "the message has no name: give it `name`")
	}
	for key, dst := range map[string]*string{"title": &msg.Title, "summary": &msg.Summary, "description": &msg.Description,
		"contentType": &msg.ContentType, "x-eventlens-subject": &msg.Subject} {
		s, err := r.str(n, key)
		if err != nil {
			return msg, err
		}
		*dst = s
	}
	kind, err := r.str(n, "x-eventcatalog-message-type")
	if err != nil {
		return msg, err
	}
	switch kind {
	case "":
	case KindEvent, KindCommand, KindQuery:
		msg.Kind = kind
	default:
		return msg, r.fail(node{file: at.file, path: childPath(at.path, "x-eventcatalog-message-type")}, "%q: want event, command or query", kind)
	}
	tn, _ := r.child(n, "tags")
	if msg.Tags, err = b.tags(tn); err != nil {
		return msg, err
	}
	if msg.Owner, err = b.ownerOf(node{}, n); err != nil {
		return msg, err
	}
	if err := b.payload(n, &msg, v3); err != nil {
		return msg, err
	}
	bindings, err := b.bindings(n)
	if err != nil {
		return msg, err
	}
	if err := b.key(n, &msg, v3); err != nil {
		return msg, err
	}
	msg.Bindings = withoutKey(bindings)
	return msg, nil
}

// withoutKey returns message bindings without the Kafka key, which the message keeps as its
// Key: it is registered, and merged whole rather than key by key. The kafka binding stays,
// emptied, to say the message is a Kafka one.
func withoutKey(bindings map[string]any) map[string]any {
	kafka, _ := bindings["kafka"].(map[string]any)
	if _, ok := kafka["key"]; !ok {
		return bindings
	}
	out, rest := maps.Clone(bindings), maps.Clone(kafka)
	delete(rest, "key")
	out["kafka"] = rest
	return out
}

// payload reads the message's payload schema and its format: 2.x gives the format beside the
// payload (schemaFormat), 3.0 may wrap the payload in a Multi Format Schema Object.
func (b *builder) payload(n node, msg *Message, v3 bool) error {
	m := n.v.(map[string]any)
	payload, ok := m["payload"]
	if !ok || payload == nil {
		return nil
	}
	format := ""
	if !v3 {
		format, _ = m["schemaFormat"].(string)
	}
	at, format := multiFormat(node{v: payload, file: n.file, path: childPath(n.path, "payload")}, format, v3)
	msg.SchemaFormat, msg.SchemaType = format, schemaType(format)
	text, err := schemaText(msg.SchemaType, at.v)
	if err != nil {
		return b.r.fail(at, "payload: %v", err)
	}
	msg.Payload = text
	return nil
}

// key reads the message's Kafka key schema (bindings.kafka.key). The Kafka binding takes a
// Schema Object or an Avro schema there: without a schemaFormat (a 3.0 Multi Format Schema
// Object), a key written in Avro is Avro and any other a JSON Schema.
func (b *builder) key(n node, msg *Message, v3 bool) error {
	bindings, _ := n.v.(map[string]any)["bindings"].(map[string]any)
	kafka, _ := bindings["kafka"].(map[string]any)
	key, ok := kafka["key"]
	if !ok || key == nil {
		return nil
	}
	at, format := multiFormat(node{v: key, file: n.file, path: childPath(n.path, "bindings") + ".kafka.key"}, "", v3)
	msg.KeySchemaFormat, msg.KeySchemaType = format, schemaType(format)
	if format == "" && avroShaped(at.v) {
		msg.KeySchemaType = SchemaAvro
	}
	text, err := schemaText(msg.KeySchemaType, at.v)
	if err != nil {
		return b.r.fail(at, "key: %v", err)
	}
	msg.Key = text
	return nil
}

// multiFormat unwraps a 3.0 Multi Format Schema Object ({schemaFormat, schema}) into the schema
// and its format; anything else is returned as it is, with format.
func multiFormat(at node, format string, v3 bool) (node, string) {
	pm, ok := at.v.(map[string]any)
	if !v3 || !ok {
		return at, format
	}
	f, ok := pm["schemaFormat"].(string)
	schema, has := pm["schema"]
	if !ok || !has {
		return at, format
	}
	return node{v: schema, file: at.file, path: childPath(at.path, "schema")}, f
}

// avroShaped says whether a schema can only be Avro: a type name, a union, or a type JSON
// Schema does not have.
func avroShaped(v any) bool {
	switch x := v.(type) {
	case string, []any:
		return true
	case map[string]any:
		switch x["type"] {
		case "record", "enum", "fixed", "map":
			return true
		}
	}
	return false
}

// schemaType maps an AsyncAPI schemaFormat to the registry's schema type; "" if it has none.
func schemaType(format string) string {
	f := strings.ToLower(strings.TrimSpace(format))
	switch {
	case f == "", strings.HasPrefix(f, "application/vnd.aai.asyncapi"),
		strings.HasPrefix(f, "application/schema+json"), strings.HasPrefix(f, "application/schema+yaml"):
		return SchemaJSON
	case strings.HasPrefix(f, "application/vnd.apache.avro"):
		return SchemaAvro
	case strings.HasPrefix(f, "application/vnd.google.protobuf"):
		return SchemaProtobuf
	default:
		return ""
	}
}

// schemaText writes a payload schema as the registry takes it: JSON for JSON Schema and Avro
// (keys sorted, so the same schema always reads the same), the text itself for Protobuf. An Avro
// schema given as a string of YAML (a block scalar) is converted to JSON too; any other string is
// an Avro type name.
func schemaText(typ string, payload any) (string, error) {
	if s, ok := payload.(string); ok {
		if typ == SchemaProtobuf || json.Valid([]byte(s)) {
			return strings.TrimSpace(s), nil
		}
		if typ == SchemaJSON {
			return "", fmt.Errorf("a JSON Schema is an object, found a string")
		}
		if typ == SchemaAvro {
			if v, err := decode([]byte(s)); err == nil {
				switch v.(type) {
				case map[string]any, []any:
					payload = v
				}
			}
		}
	}
	if typ == SchemaAvro {
		payload = avroNamesOnce(payload)
	}
	out, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// avroNamesOnce keeps the first definition of each Avro named type (record, enum, fixed) and
// makes every identical later one a reference by its full name: a payload that $refs one type
// twice (two fields of type Address) has it inlined twice, and Avro refuses a name defined
// twice. Definitions that differ are left for the registry to refuse. Types are visited in the
// order Avro reads them, fields in order.
func avroNamesOnce(schema any) any {
	defined := map[string]any{}
	var walk func(v any, namespace string) any
	walk = func(v any, namespace string) any {
		switch x := v.(type) {
		case []any: // a union
			out := make([]any, len(x))
			for i, t := range x {
				out[i] = walk(t, namespace)
			}
			return out
		case map[string]any:
			switch x["type"] {
			case "record", "error", "enum", "fixed":
				full := avroFullName(x, namespace)
				if def, ok := defined[full]; ok && reflect.DeepEqual(def, x) {
					return full
				} else if !ok {
					defined[full] = x
				}
				if i := strings.LastIndex(full, "."); i >= 0 {
					namespace = full[:i]
				}
			}
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[k] = e
			}
			switch t := x["type"].(type) {
			case map[string]any, []any: // {"type": {"type": "array", ...}}
				out["type"] = walk(t, namespace)
			}
			if fields, ok := x["fields"].([]any); ok {
				outFields := make([]any, len(fields))
				for i, f := range fields {
					outFields[i] = f
					if fm, ok := f.(map[string]any); ok {
						copied := make(map[string]any, len(fm))
						for k, e := range fm {
							copied[k] = e
						}
						copied["type"] = walk(fm["type"], namespace)
						outFields[i] = copied
					}
				}
				out["fields"] = outFields
			}
			for _, k := range []string{"items", "values"} {
				if t, ok := x[k]; ok {
					out[k] = walk(t, namespace)
				}
			}
			return out
		}
		return v
	}
	return walk(schema, "")
}

// avroFullName is a named type's full name: its name if dotted, else namespace.name, where the
// namespace is its own or the enclosing one.
func avroFullName(t map[string]any, enclosing string) string {
	name, _ := t["name"].(string)
	if strings.Contains(name, ".") {
		return name
	}
	if ns, ok := t["namespace"].(string); ok {
		enclosing = ns
	}
	if enclosing == "" {
		return name
	}
	return enclosing + "." + name
}

// groupID reads a Kafka operation binding's groupId: a string, or a schema whose const, first
// enum value or default names the group.
func groupID(bindings map[string]any) string {
	kafka, _ := bindings["kafka"].(map[string]any)
	switch g := kafka["groupId"].(type) {
	case string:
		return g
	case map[string]any:
		if s, ok := g["const"].(string); ok {
			return s
		}
		if e, ok := g["enum"].([]any); ok && len(e) > 0 {
			if s, ok := e[0].(string); ok {
				return s
			}
		}
		if s, ok := g["default"].(string); ok {
			return s
		}
	}
	return ""
}

// firstString returns the string at key of the first object that has it.
func firstString(r *reader, key string, objects ...node) (string, error) {
	for _, n := range objects {
		s, err := r.str(n, key)
		if err != nil || s != "" {
			return s, err
		}
	}
	return "", nil
}

// lastToken returns the last token of the pointer in a resolved reference (file#/a/b → b).
func lastToken(ref string) string {
	_, pointer, _ := strings.Cut(ref, "#")
	if i := strings.LastIndex(pointer, "/"); i >= 0 {
		return unescapePointer(pointer[i+1:])
	}
	return ""
}
