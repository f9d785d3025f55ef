package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Export writes the catalog as an AsyncAPI 3.0 document in YAML: what service sends and receives
// (with its channels and messages), or, when service is "", every service, channel and message.
// An unknown service is ErrNotFound.
func (c *Catalog) Export(ctx context.Context, service string) ([]byte, error) {
	doc, err := c.exportDocument(ctx, service)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export %s: %w", exportName(service), err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("export %s: %w", exportName(service), err)
	}
	return buf.Bytes(), nil
}

// ExportJSON is Export in JSON.
func (c *Catalog) ExportJSON(ctx context.Context, service string) ([]byte, error) {
	doc, err := c.exportDocument(ctx, service)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export %s: %w", exportName(service), err)
	}
	return buf.Bytes(), nil
}

func exportName(service string) string {
	if service == "" {
		return "the catalog"
	}
	return fmt.Sprintf("service %q", service)
}

// The AsyncAPI 3.0 document as eventlens writes it. Field order is the order in YAML; maps are
// written with sorted keys, so the same catalog always exports to the same bytes.
type exportDoc struct {
	AsyncAPI   string                      `yaml:"asyncapi" json:"asyncapi"`
	ID         string                      `yaml:"id,omitempty" json:"id,omitempty"`
	Info       exportInfo                  `yaml:"info" json:"info"`
	Servers    map[string]*exportServer    `yaml:"servers,omitempty" json:"servers,omitempty"`
	Channels   map[string]*exportChannel   `yaml:"channels,omitempty" json:"channels,omitempty"`
	Operations map[string]*exportOperation `yaml:"operations,omitempty" json:"operations,omitempty"`
	Components *exportComponents           `yaml:"components,omitempty" json:"components,omitempty"`
}

type exportInfo struct {
	Title       string         `yaml:"title" json:"title"`
	Version     string         `yaml:"version" json:"version"`
	Description string         `yaml:"description,omitempty" json:"description,omitempty"`
	Contact     *exportContact `yaml:"contact,omitempty" json:"contact,omitempty"`
	Tags        []exportTag    `yaml:"tags,omitempty" json:"tags,omitempty"`
	Owner       *exportOwner   `yaml:"x-eventlens-owner,omitempty" json:"x-eventlens-owner,omitempty"`
	Domain      *exportDomain  `yaml:"x-eventlens-domain,omitempty" json:"x-eventlens-domain,omitempty"`
	Observed    bool           `yaml:"x-eventlens-observed,omitempty" json:"x-eventlens-observed,omitempty"` // a service only traces know
}

type exportContact struct {
	Name  string `yaml:"name,omitempty" json:"name,omitempty"`
	URL   string `yaml:"url,omitempty" json:"url,omitempty"`
	Email string `yaml:"email,omitempty" json:"email,omitempty"`
}

// exportOwner is the x-eventlens-owner extension, which import reads back with every detail.
type exportOwner struct {
	Name        string `yaml:"name" json:"name"`
	Kind        string `yaml:"kind,omitempty" json:"kind,omitempty"`
	Email       string `yaml:"email,omitempty" json:"email,omitempty"`
	URL         string `yaml:"url,omitempty" json:"url,omitempty"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
}

type exportDomain struct {
	Name        string       `yaml:"name" json:"name"`
	Description string       `yaml:"description,omitempty" json:"description,omitempty"`
	Owner       *exportOwner `yaml:"x-eventlens-owner,omitempty" json:"x-eventlens-owner,omitempty"`
}

type exportTag struct {
	Name string `yaml:"name" json:"name"`
}

type exportRef struct {
	Ref string `yaml:"$ref" json:"$ref"`
}

type exportServer struct {
	Host            string         `yaml:"host" json:"host"`
	Pathname        string         `yaml:"pathname,omitempty" json:"pathname,omitempty"`
	Protocol        string         `yaml:"protocol" json:"protocol"`
	ProtocolVersion string         `yaml:"protocolVersion,omitempty" json:"protocolVersion,omitempty"`
	Description     string         `yaml:"description,omitempty" json:"description,omitempty"`
	Variables       map[string]any `yaml:"variables,omitempty" json:"variables,omitempty"`
	Tags            []exportTag    `yaml:"tags,omitempty" json:"tags,omitempty"`
	Bindings        map[string]any `yaml:"bindings,omitempty" json:"bindings,omitempty"`
}

type exportChannel struct {
	Address     string               `yaml:"address" json:"address"`
	Description string               `yaml:"description,omitempty" json:"description,omitempty"`
	Servers     []exportRef          `yaml:"servers,omitempty" json:"servers,omitempty"` // absent: every server
	Messages    map[string]exportRef `yaml:"messages,omitempty" json:"messages,omitempty"`
	Parameters  map[string]struct{}  `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	Tags        []exportTag          `yaml:"tags,omitempty" json:"tags,omitempty"`
	Bindings    map[string]any       `yaml:"bindings,omitempty" json:"bindings,omitempty"`
	Owner       *exportOwner         `yaml:"x-eventlens-owner,omitempty" json:"x-eventlens-owner,omitempty"`
	Observed    bool                 `yaml:"x-eventlens-observed,omitempty" json:"x-eventlens-observed,omitempty"` // only traces know it
}

type exportOperation struct {
	Action      string         `yaml:"action" json:"action"`
	Channel     exportRef      `yaml:"channel" json:"channel"`
	Summary     string         `yaml:"summary,omitempty" json:"summary,omitempty"`
	Description string         `yaml:"description,omitempty" json:"description,omitempty"`
	Messages    []exportRef    `yaml:"messages" json:"messages"`
	Bindings    map[string]any `yaml:"bindings,omitempty" json:"bindings,omitempty"`
	Name        string         `yaml:"x-eventlens-name,omitempty" json:"x-eventlens-name,omitempty"`         // when the key could not be the name
	Service     string         `yaml:"x-eventlens-service,omitempty" json:"x-eventlens-service,omitempty"`   // whole-catalog export only
	Observed    bool           `yaml:"x-eventlens-observed,omitempty" json:"x-eventlens-observed,omitempty"` // seen in traces, in no document
}

type exportComponents struct {
	Messages map[string]*exportMessage `yaml:"messages,omitempty" json:"messages,omitempty"`
}

type exportMessage struct {
	Name        string         `yaml:"name" json:"name"`
	Title       string         `yaml:"title,omitempty" json:"title,omitempty"`
	Summary     string         `yaml:"summary,omitempty" json:"summary,omitempty"`
	Description string         `yaml:"description,omitempty" json:"description,omitempty"`
	ContentType string         `yaml:"contentType,omitempty" json:"contentType,omitempty"`
	Payload     any            `yaml:"payload,omitempty" json:"payload,omitempty"`
	Tags        []exportTag    `yaml:"tags,omitempty" json:"tags,omitempty"`
	Bindings    map[string]any `yaml:"bindings,omitempty" json:"bindings,omitempty"` // the Kafka key
	Kind        string         `yaml:"x-eventcatalog-message-type" json:"x-eventcatalog-message-type"`
	Subject     string         `yaml:"x-eventlens-subject,omitempty" json:"x-eventlens-subject,omitempty"`
	Owner       *exportOwner   `yaml:"x-eventlens-owner,omitempty" json:"x-eventlens-owner,omitempty"`
}

// exportMultiFormat is a Multi Format Schema Object: a payload that is not an AsyncAPI/JSON Schema.
type exportMultiFormat struct {
	SchemaFormat string `yaml:"schemaFormat" json:"schemaFormat"`
	Schema       any    `yaml:"schema" json:"schema"`
}

// Schema formats written for payloads whose document did not say one.
const (
	defaultAvroFormat     = "application/vnd.apache.avro;version=1.9.0"
	defaultProtobufFormat = "application/vnd.google.protobuf;version=3"
)

// exportFacts is what an export reads from the store.
type exportFacts struct {
	service        *Service // nil for the whole catalog
	domain         *Domain
	operations     []Operation
	channels       []Channel
	messages       map[string]Message
	owners         map[string]Owner
	links          []channelLink
	servers        []Server
	channelServers map[string][]string // channel name → the servers it is on, as the exported documents say

	// What traces show and no document says (export_observed.go).
	observedService  bool // the service is known only from traces
	observedOps      []Operation
	observedChannels []*observedChannel
}

func (c *Catalog) exportDocument(ctx context.Context, service string) (*exportDoc, error) {
	f, err := c.exportFacts(ctx, service)
	if errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", exportName(service), err)
	}
	doc, err := f.document()
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", exportName(service), err)
	}
	return doc, nil
}

func (c *Catalog) exportFacts(ctx context.Context, service string) (*exportFacts, error) {
	f := &exportFacts{messages: map[string]Message{}, owners: map[string]Owner{}}
	flows, doc, err := c.undocumentedFlows(ctx)
	if err != nil {
		return nil, err
	}
	if service != "" {
		s, err := c.Service(ctx, service)
		if errors.Is(err, ErrNotFound) && observedOnly(service, flows) {
			s, err = Service{Name: service, Version: "0.0.0",
				Description: "Known only from traces: no imported document describes this service."}, nil
			f.observedService = true
		}
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("export service %q: no such service in the catalog (import its AsyncAPI document first): %w", service, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		f.service = &s
		f.operations = s.Operations
		if s.Domain != "" {
			d, err := c.Domain(ctx, s.Domain)
			if err != nil {
				return nil, err
			}
			f.domain = &d
		}
	} else {
		ops, err := c.Operations(ctx)
		if err != nil {
			return nil, err
		}
		f.operations = ops
	}

	// The service's channels: those its operations use, and those its document describes
	// (a 3.0 document may describe channels that no operation of its own uses).
	rows, err := c.store.exported(ctx, service)
	if err != nil {
		return nil, err
	}
	all, err := c.Channels(ctx)
	if err != nil {
		return nil, err
	}
	for _, ch := range all {
		if slices.Contains(rows.channels, ch.Name) {
			f.channels = append(f.channels, ch)
		}
	}
	f.addObserved(service, flows, doc, all)

	servers, err := c.Servers(ctx)
	if err != nil {
		return nil, err
	}
	for _, sv := range servers {
		if f.service == nil || slices.Contains(f.service.Servers, sv.Name) {
			f.servers = append(f.servers, sv)
		}
	}
	f.channelServers = map[string][]string{}
	for _, cs := range rows.channelServers {
		f.channelServers[cs.Channel] = append(f.channelServers[cs.Channel], cs.Server)
	}

	f.links = rows.links

	messages, err := c.Messages(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range messages {
		f.messages[m.Name] = m
	}
	owners, err := c.Owners(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range owners {
		f.owners[o.Name] = o
	}
	return f, nil
}

// document builds the AsyncAPI document from the facts.
func (f *exportFacts) document() (*exportDoc, error) {
	doc := &exportDoc{AsyncAPI: "3.0.0"}
	if s := f.service; s != nil {
		doc.Info = exportInfo{Title: s.Name, Version: s.Version, Description: s.Description, Tags: exportTags(s.Tags), Observed: f.observedService}
		if isURI(s.Document) {
			doc.ID = s.Document // the document's own id, so a re-import keeps its key
		}
		if o := f.owner(s.Owner); o != nil {
			doc.Info.Owner = o
			doc.Info.Contact = contactOf(o)
		}
		if d := f.domain; d != nil {
			doc.Info.Domain = &exportDomain{Name: d.Name, Description: d.Description, Owner: f.owner(d.Owner)}
		}
	} else {
		doc.Info = exportInfo{Title: "eventlens catalog", Version: "1.0.0",
			Description: "Every service, channel and message in the eventlens catalog. Each operation names its service in `x-eventlens-service`."}
	}

	// Keys: channel, operation and message names may hold characters that AsyncAPI keys may
	// not (spaces, slashes, braces); the names themselves stay in address and name.
	channelKeys := newKeys()
	for _, ch := range f.channels {
		channelKeys.add(ch.Name)
	}
	for _, oc := range f.observedChannels {
		channelKeys.addAs(oc.id, oc.destination)
	}
	messageKeys := newKeys()
	channelMessages := map[string][]string{} // channel name → message names
	addChannelMessage := func(channel, message string) {
		if !slices.Contains(channelMessages[channel], message) {
			channelMessages[channel] = append(channelMessages[channel], message)
		}
	}
	subjects := map[string][]channelLink{}
	for _, l := range f.links {
		addChannelMessage(l.Channel, l.Message)
		subjects[l.Message] = append(subjects[l.Message], l)
	}
	for _, o := range f.operations {
		for _, m := range o.Messages {
			addChannelMessage(o.Channel, m)
		}
	}
	var messageNames []string
	for _, names := range channelMessages {
		messageNames = append(messageNames, names...)
	}
	sort.Strings(messageNames)
	for _, m := range slices.Compact(messageNames) {
		messageKeys.add(m)
	}

	// Server names are keys already (import refuses others).
	if len(f.servers) > 0 {
		doc.Servers = map[string]*exportServer{}
	}
	for _, sv := range f.servers {
		doc.Servers[sv.Name] = &exportServer{Host: sv.Host, Pathname: sv.Pathname, Protocol: sv.Protocol,
			ProtocolVersion: sv.ProtocolVersion, Description: sv.Description, Variables: sv.Variables,
			Tags: exportTags(sv.Tags), Bindings: exportBindings(sv.Bindings, serverBindingForms)}
	}

	if len(f.channels)+len(f.observedChannels) > 0 {
		doc.Channels = map[string]*exportChannel{}
	}
	for _, ch := range f.channels {
		address := ch.Address
		if ch.KafkaTopic != "" {
			address = ch.KafkaTopic
		}
		if address == "" {
			address = ch.Name
		}
		ec := &exportChannel{Address: address, Description: ch.Description, Tags: exportTags(ch.Tags),
			Bindings: exportBindings(ch.Bindings, channelBindingForms), Owner: f.owner(ch.Owner), Parameters: addressParameters(address),
			Servers: f.serverRefs(ch.Name)}
		for _, m := range channelMessages[ch.Name] {
			if ec.Messages == nil {
				ec.Messages = map[string]exportRef{}
			}
			ec.Messages[messageKeys.of(m)] = exportRef{Ref: "#/components/messages/" + escapePointer(messageKeys.of(m))}
		}
		doc.Channels[channelKeys.of(ch.Name)] = ec
	}
	for _, oc := range f.observedChannels {
		doc.Channels[channelKeys.of(oc.id)] = &exportChannel{Address: oc.destination, Parameters: addressParameters(oc.destination), Observed: true,
			Description: fmt.Sprintf("Observed in traces (%s), in no document: first seen %s, last seen %s.",
				strings.Join(slices.Sorted(slices.Values(oc.systems)), ", "), oc.first.UTC().Format(time.RFC3339), oc.last.UTC().Format(time.RFC3339))}
	}

	operationKeys := newKeys()
	opName := func(o Operation) string {
		if f.service != nil {
			return o.Name
		}
		return o.Service + "." + o.Name
	}
	for _, o := range f.operations {
		operationKeys.add(opName(o))
	}
	for _, o := range f.observedOps {
		operationKeys.add(opName(o))
	}
	if len(f.operations)+len(f.observedOps) > 0 {
		doc.Operations = map[string]*exportOperation{}
	}
	ops := slices.Concat(f.operations, f.observedOps)
	for i, o := range ops {
		chKey := channelKeys.of(o.Channel)
		eo := &exportOperation{Action: o.Action, Channel: exportRef{Ref: "#/channels/" + escapePointer(chKey)},
			Summary: o.Summary, Description: o.Description, Messages: []exportRef{}}
		for _, m := range o.Messages {
			eo.Messages = append(eo.Messages, exportRef{Ref: "#/channels/" + escapePointer(chKey) + "/messages/" + escapePointer(messageKeys.of(m))})
		}
		eo.Bindings = exportBindings(o.Bindings, operationBindingForms)
		if kafka, _ := eo.Bindings["kafka"].(map[string]any); o.ConsumerGroup != "" && kafka["groupId"] == nil {
			// An observed operation, or one imported before its bindings were kept.
			eo.Bindings = withBinding(eo.Bindings, "kafka", "groupId", map[string]any{"type": "string", "enum": []any{o.ConsumerGroup}})
		}
		eo.Observed = i >= len(f.operations)
		key := operationKeys.of(opName(o))
		if f.service == nil {
			eo.Service = o.Service
			eo.Name = o.Name
		} else if key != o.Name {
			eo.Name = o.Name
		}
		doc.Operations[key] = eo
	}

	if len(messageKeys.byName) > 0 {
		doc.Components = &exportComponents{Messages: map[string]*exportMessage{}}
	}
	for name, key := range messageKeys.byName {
		m, ok := f.messages[name]
		if !ok {
			return nil, fmt.Errorf("message %q is linked but not in the catalog", name)
		}
		em := &exportMessage{Name: m.Name, Title: m.Title, Summary: m.Summary, Description: m.Description,
			ContentType: m.ContentType, Tags: exportTags(m.Tags), Kind: m.Kind, Owner: f.owner(m.Owner)}
		if m.Subject != "" {
			// Only when it says something TopicNameStrategy would not.
			differs := len(subjects[name]) == 0
			for _, l := range subjects[name] {
				differs = differs || l.Subject != l.Channel+"-value"
			}
			if differs {
				em.Subject = m.Subject
			}
		}
		payload, err := exportPayload(m)
		if err != nil {
			return nil, fmt.Errorf("message %q: %w", m.Name, err)
		}
		em.Payload = payload
		if em.Bindings, err = exportMessageBindings(m); err != nil {
			return nil, fmt.Errorf("message %q: %w", m.Name, err)
		}
		doc.Components.Messages[key] = em
	}
	return doc, nil
}

// serverRefs lists the servers channel is on, or nil when it is on every exported server
// (which is what a channel without servers means).
func (f *exportFacts) serverRefs(channel string) []exportRef {
	names := f.channelServers[channel]
	if len(names) == len(f.servers) {
		return nil
	}
	refs := make([]exportRef, 0, len(names))
	for _, name := range names {
		refs = append(refs, exportRef{Ref: "#/servers/" + escapePointer(name)})
	}
	return refs
}

// exportMessageBindings writes message m's bindings with its Kafka key schema back in the kafka
// binding, the way payloads are written: a JSON Schema inline, other formats as a Multi Format
// Schema Object. (A $ref to components.schemas would be neater, but the AsyncAPI 3.0 schema's
// oneOf for the key matches a Reference as a Schema Object too, and so refuses it.)
func exportMessageBindings(m Message) (map[string]any, error) {
	bindings := exportBindings(m.Bindings, messageBindingForms)
	if m.Key == "" {
		return bindings, nil
	}
	key, err := exportPayload(Message{SchemaType: m.KeySchemaType, SchemaFormat: m.KeySchemaFormat, Payload: m.Key})
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return withBinding(bindings, "kafka", "key", key), nil
}

// withBinding returns bindings with field of protocol's binding set to v, copying what it
// changes: the catalog's maps stay as read.
func withBinding(bindings map[string]any, protocol, field string, v any) map[string]any {
	out := maps.Clone(bindings)
	if out == nil {
		out = map[string]any{}
	}
	b, _ := out[protocol].(map[string]any)
	b = maps.Clone(b)
	if b == nil {
		b = map[string]any{}
	}
	b[field] = v
	out[protocol] = b
	return out
}

// owner returns the x-eventlens-owner extension for the owner called name, or nil.
func (f *exportFacts) owner(name string) *exportOwner {
	if name == "" {
		return nil
	}
	o, ok := f.owners[name]
	if !ok {
		return &exportOwner{Name: name}
	}
	return &exportOwner{Name: o.Name, Kind: o.Kind, Email: o.Email, URL: o.URL, Description: o.Description}
}

// contactOf writes an owner as info.contact; an email or URL the AsyncAPI schema would refuse
// (set by hand through the API, say) stays in x-eventlens-owner only.
func contactOf(o *exportOwner) *exportContact {
	c := &exportContact{Name: o.Name}
	if a, err := mail.ParseAddress(o.Email); err == nil && a.Address == o.Email {
		c.Email = o.Email
	}
	if isURI(o.URL) {
		c.URL = o.URL
	}
	return c
}

func isURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\n")
}

// exportTags writes tag names as tag objects, without repeats (the schema wants unique items).
func exportTags(names []string) []exportTag {
	var tags []exportTag
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			tags = append(tags, exportTag{Name: n})
		}
	}
	return tags
}

// bindingForms is what the AsyncAPI 3.0 schema accepts in one kind of bindings object (server,
// channel, operation, message): the binding versions it knows, newest first, for the protocols
// whose bindings it checks by version, and the fields of older versions that none of those has.
type bindingForms struct {
	versions map[string][]string
	dropped  map[string][]string
}

var (
	serverBindingForms = bindingForms{versions: map[string][]string{
		"mqtt": {"0.2.0"}, "kafka": {"0.5.0", "0.4.0", "0.3.0"}, "jms": {"0.0.1"}, "ibmmq": {"0.1.0"},
		"solace": {"0.4.0", "0.3.0", "0.2.0"}, "pulsar": {"0.1.0"},
	}}
	channelBindingForms = bindingForms{versions: map[string][]string{
		"ws": {"0.1.0"}, "amqp": {"0.3.0"}, "kafka": {"0.5.0", "0.4.0", "0.3.0"}, "anypointmq": {"0.0.1"},
		"jms": {"0.0.1"}, "sns": {"0.1.0"}, "sqs": {"0.2.0"}, "ibmmq": {"0.1.0"}, "googlepubsub": {"0.2.0"},
		"pulsar": {"0.1.0"},
	}}
	operationBindingForms = bindingForms{versions: map[string][]string{
		"http": {"0.3.0", "0.2.0"}, "amqp": {"0.3.0"}, "mqtt": {"0.2.0"}, "kafka": {"0.5.0", "0.4.0", "0.3.0"},
		"nats": {"0.1.0"}, "sns": {"0.1.0"}, "sqs": {"0.2.0"}, "solace": {"0.4.0", "0.3.0", "0.2.0"},
	}, dropped: map[string][]string{
		"amqp": {"replyTo"}, // AMQP 0.2.0
		"http": {"type"},    // HTTP 0.1.0: request or response
	}}
	messageBindingForms = bindingForms{versions: map[string][]string{
		"http": {"0.3.0", "0.2.0"}, "amqp": {"0.3.0"}, "mqtt": {"0.2.0"}, "kafka": {"0.5.0", "0.4.0", "0.3.0"},
		"anypointmq": {"0.0.1"}, "jms": {"0.0.1"}, "ibmmq": {"0.1.0"}, "googlepubsub": {"0.2.0"},
	}}
)

// bindingProtocols are the protocols every AsyncAPI 3.0 bindings object names; a kind's
// bindingForms may add more (pulsar on servers and channels).
var bindingProtocols = []string{"amqp", "amqp1", "anypointmq", "googlepubsub", "http", "ibmmq", "jms", "kafka",
	"mqtt", "nats", "redis", "sns", "solace", "sqs", "stomp", "ws"}

// exportBindings returns bindings as imported, in the form AsyncAPI 3.0 knows: a bindingVersion
// older than it knows (a 2.x document's kafka 0.1.0, amqp 0.2.0) becomes the newest one, fields
// that no version it knows has are left out, and a protocol it does not know becomes an x-
// extension (x-mqtt5), which its schema allows.
func exportBindings(bindings map[string]any, forms bindingForms) map[string]any {
	if len(bindings) == 0 {
		return nil
	}
	out := make(map[string]any, len(bindings))
	for protocol, b := range bindings {
		if !slices.Contains(bindingProtocols, protocol) && forms.versions[protocol] == nil && !strings.HasPrefix(protocol, "x-") {
			out["x-"+protocol] = b // one AsyncAPI 3.0 dropped (2.x's mqtt5): kept, as an extension
			continue
		}
		out[protocol] = b
		bm, ok := b.(map[string]any)
		versions := forms.versions[protocol]
		if !ok || versions == nil {
			continue
		}
		copied := maps.Clone(bm)
		if v, ok := bm["bindingVersion"]; ok && !slices.Contains(versions, fmt.Sprint(v)) {
			copied["bindingVersion"] = versions[0]
		}
		for _, f := range forms.dropped[protocol] {
			delete(copied, f)
		}
		out[protocol] = copied
	}
	return out
}

// addressParameters declares the parameters a channel address uses ({streetlightId}), as
// AsyncAPI 3.0 asks.
var addressParameter = regexp.MustCompile(`\{([\w.\-]+)\}`)

func addressParameters(address string) map[string]struct{} {
	var params map[string]struct{}
	for _, m := range addressParameter.FindAllStringSubmatch(address, -1) {
		if params == nil {
			params = map[string]struct{}{}
		}
		params[m[1]] = struct{}{}
	}
	return params
}

// exportPayload writes a message payload: a JSON Schema inline, as the Schema Object; Avro,
// Protobuf and other formats in a Multi Format Schema Object with their schemaFormat.
func exportPayload(m Message) (any, error) {
	if m.Payload == "" {
		return nil, nil
	}
	if m.SchemaType == SchemaProtobuf {
		return exportMultiFormat{SchemaFormat: formatOr(m.SchemaFormat, defaultProtobufFormat), Schema: m.Payload}, nil
	}
	v, err := decodeSchema(m.Payload)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	switch m.SchemaType {
	case SchemaJSON:
		switch v.(type) {
		case map[string]any, bool:
			return v, nil
		}
		return exportMultiFormat{SchemaFormat: formatOr(m.SchemaFormat, "application/schema+json;version=draft-07"), Schema: v}, nil
	case SchemaAvro:
		return exportMultiFormat{SchemaFormat: formatOr(m.SchemaFormat, defaultAvroFormat), Schema: v}, nil
	default:
		return exportMultiFormat{SchemaFormat: m.SchemaFormat, Schema: v}, nil
	}
}

func formatOr(format, fallback string) string {
	if format == "" {
		return fallback
	}
	return format
}

// decodeSchema decodes a stored JSON schema text, keeping integers integers (YAML would
// otherwise write every number as a float, or json.Number as a string).
func decodeSchema(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return plainNumbers(v), nil
}

func plainNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plainNumbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	return v
}

// keys gives each name a unique key that AsyncAPI accepts (^[\w\d.\-_]+$).
type keys struct {
	byName map[string]string
	used   map[string]bool
}

func newKeys() *keys { return &keys{byName: map[string]string{}, used: map[string]bool{}} }

var notKeyChars = regexp.MustCompile(`[^A-Za-z0-9._\-]+`)

// add gives name its key; names must be added in a stable order for stable keys.
func (k *keys) add(name string) { k.addAs(name, name) }

// addAs gives name a key made from base rather than from name itself.
func (k *keys) addAs(name, base string) {
	if _, ok := k.byName[name]; ok {
		return
	}
	base = notKeyChars.ReplaceAllString(base, "_")
	if base == "" {
		base = "_"
	}
	key := base
	for i := 2; k.used[key]; i++ {
		key = fmt.Sprintf("%s_%d", base, i)
	}
	k.used[key] = true
	k.byName[name] = key
}

func (k *keys) of(name string) string { return k.byName[name] }

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
