package mcpserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// tools are the handlers, over the services they read.
type tools struct{ Deps }

// Bounds on arguments, so a hostile call costs little: names are short, hits few.
const (
	maxNameBytes  = 1024
	maxQueryBytes = 1024
	defaultHits   = 20
	maxHits       = 100
)

func (t *tools) addReadTools(s *mcp.Server) {
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: new(false)}
	mcp.AddTool(s, &mcp.Tool{Name: "search_catalog", Annotations: readOnly,
		Description: "Search the catalog: services, channels, messages, domains, registry subjects and the fields inside their latest schemas. Every word must match (as a prefix); best hits first."},
		t.search)
	mcp.AddTool(s, &mcp.Tool{Name: "describe_service", Annotations: readOnly,
		Description: "Describe a service: what its AsyncAPI document says (domain, owner, operations: what it sends and receives), what traces show it producing and consuming, and the health of its consumers."},
		t.describeService)
	mcp.AddTool(s, &mcp.Tool{Name: "describe_channel", Annotations: readOnly,
		Description: "Describe a channel (a Kafka topic, an AMQP exchange or queue): its messages and their schema subjects, owner, documented and observed producers and consumers, and the health of its consumers."},
		t.describeChannel)
	mcp.AddTool(s, &mcp.Tool{Name: "describe_message", Annotations: readOnly,
		Description: "Describe a message (event, command or query): its payload schema, the channels it travels on with their registry subjects and latest versions, its owner, senders and receivers."},
		t.describeMessage)
	mcp.AddTool(s, &mcp.Tool{Name: "describe_subject", Annotations: readOnly,
		Description: "Describe a schema registry subject: its compatibility level, every version, one version's schema (the latest by default), references both ways, its channel and messages, and the consumers seen reading it with the version each read and their health."},
		t.describeSubject)
	mcp.AddTool(s, &mcp.Tool{Name: "schema_impact", Annotations: readOnly,
		Description: "Who is affected if this subject's schema changes: the consumers traces show on its channel (service, group, the schema version each last read, health, owner and contact), documented receivers not seen in traces, and the schemas that reference it."},
		t.schemaImpact)
	mcp.AddTool(s, &mcp.Tool{Name: "check_compatibility", Annotations: readOnly,
		Description: "Check whether a new schema may follow a subject's versions under the subject's compatibility level, without registering it; lists every breaking change."},
		t.checkCompatibility)
	mcp.AddTool(s, &mcp.Tool{Name: "list_unhealthy_consumers", Annotations: readOnly,
		Description: "The consumers that are degraded, failing or silent now, with why (error rate, latency, lag, dead letters), their channel and owner."},
		t.unhealthyConsumers)
	mcp.AddTool(s, &mcp.Tool{Name: "list_drift", Annotations: readOnly,
		Description: "Where the documents and the traces disagree: undocumented producers and consumers, documented flows never observed, channels without a schema, consumers on an older schema version."},
		t.drift)
}

func (t *tools) addWriteTools(s *mcp.Server) {
	mcp.AddTool(s, &mcp.Tool{Name: "register_schema",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: new(false), IdempotentHint: true, OpenWorldHint: new(false)},
		Description: "Register a schema as the next version of a subject, if the subject's compatibility level allows it (else the breaking changes are listed). Registering a schema the subject already holds returns its version. Needs an API key with the write role."},
		t.register)
}

// argError is a bad argument, told to the model so that it can correct the call.
func argError(format string, args ...any) error {
	return fmt.Errorf("invalid arguments: "+format, args...)
}

// name checks a required name argument.
func name(what, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return "", argError("%s is required", what)
	case len(v) > maxNameBytes:
		return "", argError("%s is %d bytes long; names are at most %d", what, len(v), maxNameBytes)
	}
	return v, nil
}

// notFoundHint tells the model where to find names when one does not exist.
func notFoundHint(err error) error {
	if errors.Is(err, catalog.ErrNotFound) || schemaregistry.ErrorCode(err)/100 == 404 {
		return fmt.Errorf("%w (search_catalog finds the names the catalog and the registry know)", err)
	}
	return err
}

// --- search ---

type searchArgs struct {
	Query string `json:"query" jsonschema:"words to find, e.g. 'order created' or a field name"`
	Kind  string `json:"kind,omitempty" jsonschema:"only hits of this kind: service, channel, message, domain, subject or field"`
	Limit int    `json:"limit,omitempty" jsonschema:"how many hits, 1 to 100 (default 20)"`
}

var searchKinds = []string{catalog.HitService, catalog.HitChannel, catalog.HitMessage, catalog.HitDomain, catalog.HitSubject, catalog.HitField}

func (t *tools) search(ctx context.Context, _ *mcp.CallToolRequest, in searchArgs) (*mcp.CallToolResult, catalog.SearchResult, error) {
	var none catalog.SearchResult
	q := strings.TrimSpace(in.Query)
	switch {
	case q == "":
		return nil, none, argError("query is required")
	case len(q) > maxQueryBytes:
		return nil, none, argError("query is %d bytes long; at most %d", len(q), maxQueryBytes)
	case in.Kind != "" && !slices.Contains(searchKinds, in.Kind):
		return nil, none, argError("kind %q: want one of %s", in.Kind, strings.Join(searchKinds, ", "))
	case in.Limit < 0 || in.Limit > maxHits:
		return nil, none, argError("limit %d: want 1 to %d", in.Limit, maxHits)
	}
	if in.Limit == 0 {
		in.Limit = defaultHits
	}
	res, err := t.Catalog.Search(ctx, q, in.Kind, 0, in.Limit)
	return nil, res, err
}

// --- shared pieces of the descriptions ---

// ownerRef is an owner and how to reach it.
type ownerRef struct {
	Name  string `json:"name"`
	Kind  string `json:"kind,omitempty"` // team or person
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// owners looks up owners by name once each.
type owners struct {
	cat  *catalog.Catalog
	seen map[string]*ownerRef
}

func (t *tools) owners() *owners { return &owners{cat: t.Catalog, seen: map[string]*ownerRef{}} }

// of returns the owner named, nil for no name; an owner the catalog does not describe is
// returned by name alone.
func (o *owners) of(ctx context.Context, name string) (*ownerRef, error) {
	if name == "" {
		return nil, nil
	}
	if r, ok := o.seen[name]; ok {
		return r, nil
	}
	r := &ownerRef{Name: name}
	own, err := o.cat.Owner(ctx, name)
	switch {
	case err == nil:
		r.Kind, r.Email, r.URL = own.Kind, own.Email, own.URL
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, err
	}
	o.seen[name] = r
	return r, nil
}

// ofService returns the owner of a catalog service, nil when the service is undocumented or
// has none.
func (o *owners) ofService(ctx context.Context, service string) (*ownerRef, error) {
	s, err := o.cat.Service(ctx, service)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return o.of(ctx, s.Owner)
}

// observedFlow is one flow edge traces showed.
type observedFlow struct {
	Direction     string    `json:"direction" jsonschema:"produce or consume"`
	Service       string    `json:"service"`
	Channel       string    `json:"channel"`
	System        string    `json:"system,omitempty"`
	Cluster       string    `json:"cluster,omitempty"`
	Group         string    `json:"group,omitempty"`
	FirstSeen     time.Time `json:"firstSeen"`
	LastSeen      time.Time `json:"lastSeen"`
	SchemaID      string    `json:"schemaId,omitempty"`
	SchemaVersion string    `json:"schemaVersion,omitempty"`
}

// edges returns the flow edges keep accepts.
func (t *tools) edges(ctx context.Context, keep func(tracing.FlowEdge) bool) ([]tracing.FlowEdge, []observedFlow, error) {
	all, err := t.Flows.FlowEdges(ctx, time.Time{})
	if err != nil {
		return nil, nil, err
	}
	var kept []tracing.FlowEdge
	out := []observedFlow{}
	for _, e := range all {
		if keep(e) {
			kept = append(kept, e)
			out = append(out, observedFlow{Direction: e.Direction, Service: e.Service, Channel: e.Channel.Destination, System: e.Channel.System,
				Cluster: e.Channel.Cluster, Group: e.ConsumerGroup, FirstSeen: e.FirstSeen, LastSeen: e.LastSeen,
				SchemaID: e.SchemaID, SchemaVersion: e.SchemaVersion})
		}
	}
	return kept, out, nil
}

// consumerStatus is one consumer's health, in short.
type consumerStatus struct {
	Service             string    `json:"service"`
	Group               string    `json:"group,omitempty"`
	Channel             string    `json:"channel"`
	System              string    `json:"system,omitempty"`
	Status              string    `json:"status" jsonschema:"healthy, degraded, failing or silent"`
	Reasons             []string  `json:"reasons,omitempty"`
	ThroughputPerSecond float64   `json:"throughputPerSecond"`
	ErrorRate           float64   `json:"errorRate"`
	ProcessingP95Ms     float64   `json:"processingP95Ms"`
	DelayP95Ms          *float64  `json:"delayP95Ms,omitempty"`
	Lag                 *int64    `json:"lag,omitempty" jsonschema:"messages behind, from the broker"`
	QueueDepth          *int64    `json:"queueDepth,omitempty"`
	LastSeen            time.Time `json:"lastSeen"`
	Owner               *ownerRef `json:"owner,omitempty"`
}

func toStatus(h tracing.ConsumerHealth) consumerStatus {
	return consumerStatus{Service: h.Service, Group: h.ConsumerGroup, Channel: h.Channel.Destination, System: h.Channel.System,
		Status: h.Status, Reasons: h.Reasons, ThroughputPerSecond: h.ThroughputPerSecond, ErrorRate: h.ErrorRate,
		ProcessingP95Ms: h.ProcessingMs.P95, DelayP95Ms: h.DelayP95Ms, Lag: h.Lag, QueueDepth: h.QueueDepth, LastSeen: h.LastSeen}
}

// health returns the consumers keep accepts, with their owners.
func (t *tools) health(ctx context.Context, o *owners, keep func(tracing.ConsumerHealth) bool) ([]consumerStatus, tracing.HealthReport, error) {
	report, err := t.Health(ctx)
	if err != nil {
		return nil, report, err
	}
	out := []consumerStatus{}
	for _, h := range report.Consumers {
		if !keep(h) {
			continue
		}
		c := toStatus(h)
		if c.Owner, err = o.ofService(ctx, h.Service); err != nil {
			return nil, report, err
		}
		out = append(out, c)
	}
	return out, report, nil
}

// subjectRef is a subject with its latest live version.
type subjectRef struct {
	Subject       string `json:"subject"`
	LatestVersion int    `json:"latestVersion,omitempty" jsonschema:"0 when the registry holds no live version"`
	ID            int    `json:"id,omitempty"`
	SchemaType    string `json:"schemaType,omitempty"`
	Resource      string `json:"resource,omitempty" jsonschema:"the resource URI of the latest version's schema"`
}

func (t *tools) subjectRef(ctx context.Context, subject string) (subjectRef, error) {
	r := subjectRef{Subject: subject}
	s, err := t.Registry.Version(ctx, subject, schemaregistry.Latest, false)
	if schemaregistry.ErrorCode(err)/100 == 404 {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.LatestVersion, r.ID, r.SchemaType, r.Resource = s.Version, s.ID, schemaType(s.SchemaType), schemaURI(subject, s.Version)
	return r, nil
}

// schemaType names AVRO when the registry leaves the type empty, as Confluent does.
func schemaType(t string) string {
	if t == "" {
		return "AVRO"
	}
	return t
}

// --- describe_service ---

type serviceArgs struct {
	Name string `json:"name" jsonschema:"the service's name, as search_catalog or describe_channel give it"`
}

type serviceDescription struct {
	Name        string              `json:"name"`
	Documented  bool                `json:"documented" jsonschema:"whether an AsyncAPI document describes it (else it is known from traces only)"`
	Version     string              `json:"version,omitempty"`
	Description string              `json:"description,omitempty"`
	Domain      string              `json:"domain,omitempty"`
	Owner       *ownerRef           `json:"owner,omitempty"`
	Operations  []catalog.Operation `json:"operations,omitempty" jsonschema:"what its document says it sends and receives"`
	Observed    []observedFlow      `json:"observed" jsonschema:"what traces show it producing and consuming"`
	Health      []consumerStatus    `json:"health" jsonschema:"how it is doing as a consumer of each channel"`
}

func (t *tools) describeService(ctx context.Context, _ *mcp.CallToolRequest, in serviceArgs) (*mcp.CallToolResult, serviceDescription, error) {
	var out serviceDescription
	n, err := name("name", in.Name)
	if err != nil {
		return nil, out, err
	}
	out.Name = n
	o := t.owners()
	svc, err := t.Catalog.Service(ctx, n)
	switch {
	case err == nil:
		out.Documented, out.Version, out.Description, out.Domain, out.Operations = true, svc.Version, svc.Description, svc.Domain, svc.Operations
		if out.Owner, err = o.of(ctx, svc.Owner); err != nil {
			return nil, out, err
		}
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, out, err
	}
	if _, out.Observed, err = t.edges(ctx, func(e tracing.FlowEdge) bool { return e.Service == n }); err != nil {
		return nil, out, err
	}
	if !out.Documented && len(out.Observed) == 0 {
		return nil, out, notFoundHint(fmt.Errorf("service %q: neither documented nor seen in traces: %w", n, catalog.ErrNotFound))
	}
	out.Health, _, err = t.health(ctx, o, func(h tracing.ConsumerHealth) bool { return h.Service == n })
	return nil, out, err
}

// --- describe_channel ---

type channelArgs struct {
	Name string `json:"name" jsonschema:"the channel's name (a Kafka topic, an exchange or queue), as search_catalog gives it"`
}

type channelMessage struct {
	Message    string      `json:"message"`
	Subject    subjectRef  `json:"subject"`
	KeySubject *subjectRef `json:"keySubject,omitempty"`
}

type channelDescription struct {
	Name                string              `json:"name"`
	Documented          bool                `json:"documented"`
	Address             string              `json:"address,omitempty"`
	Description         string              `json:"description,omitempty"`
	Owner               *ownerRef           `json:"owner,omitempty"`
	Servers             []string            `json:"servers,omitempty"`
	Messages            []channelMessage    `json:"messages,omitempty"`
	DocumentedProducers []string            `json:"documentedProducers,omitempty"`
	DocumentedConsumers []string            `json:"documentedConsumers,omitempty"`
	Operations          []catalog.Operation `json:"operations,omitempty"`
	Observed            []observedFlow      `json:"observed" jsonschema:"producers and consumers traces show on it"`
	Health              []consumerStatus    `json:"health"`
}

func (t *tools) describeChannel(ctx context.Context, _ *mcp.CallToolRequest, in channelArgs) (*mcp.CallToolResult, channelDescription, error) {
	var out channelDescription
	n, err := name("name", in.Name)
	if err != nil {
		return nil, out, err
	}
	out.Name = n
	o := t.owners()
	names := []string{n} // what traces may call it
	ch, err := t.Catalog.Channel(ctx, n)
	switch {
	case err == nil:
		out.Documented, out.Address, out.Description, out.Servers, out.Operations = true, ch.Address, ch.Description, ch.Servers, ch.Operations
		names = append(names, ch.Address, ch.KafkaTopic)
		if out.Owner, err = o.of(ctx, ch.Owner); err != nil {
			return nil, out, err
		}
		for _, m := range ch.Messages {
			cm := channelMessage{Message: m.Message}
			if cm.Subject, err = t.subjectRef(ctx, m.Subject); err != nil {
				return nil, out, err
			}
			if m.KeySubject != "" {
				k, err := t.subjectRef(ctx, m.KeySubject)
				if err != nil {
					return nil, out, err
				}
				cm.KeySubject = &k
			}
			out.Messages = append(out.Messages, cm)
		}
		for _, op := range ch.Operations {
			who := &out.DocumentedProducers
			if op.Action == catalog.ActionReceive {
				who = &out.DocumentedConsumers
			}
			if !slices.Contains(*who, op.Service) {
				*who = append(*who, op.Service)
			}
		}
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, out, err
	}
	on := func(c tracing.Channel) bool { return c.Destination != "" && slices.Contains(names, c.Destination) }
	if _, out.Observed, err = t.edges(ctx, func(e tracing.FlowEdge) bool { return on(e.Channel) }); err != nil {
		return nil, out, err
	}
	if !out.Documented && len(out.Observed) == 0 {
		return nil, out, notFoundHint(fmt.Errorf("channel %q: neither documented nor seen in traces: %w", n, catalog.ErrNotFound))
	}
	out.Health, _, err = t.health(ctx, o, func(h tracing.ConsumerHealth) bool { return on(h.Channel) })
	return nil, out, err
}

// --- describe_message ---

type messageArgs struct {
	Name string `json:"name" jsonschema:"the message's name, as search_catalog or describe_channel give it"`
}

type messageChannel struct {
	Channel    string      `json:"channel"`
	Subject    subjectRef  `json:"subject"`
	KeySubject *subjectRef `json:"keySubject,omitempty"`
}

type messageDescription struct {
	Name        string           `json:"name"`
	Kind        string           `json:"kind" jsonschema:"event, command or query"`
	Title       string           `json:"title,omitempty"`
	Summary     string           `json:"summary,omitempty"`
	Description string           `json:"description,omitempty"`
	ContentType string           `json:"contentType,omitempty"`
	SchemaType  string           `json:"schemaType,omitempty"`
	Payload     string           `json:"payload,omitempty" jsonschema:"the payload schema as the document gives it, references resolved"`
	Key         string           `json:"key,omitempty" jsonschema:"the Kafka key schema, if any"`
	Owner       *ownerRef        `json:"owner,omitempty"`
	Channels    []messageChannel `json:"channels"`
	Senders     []string         `json:"senders"`
	Receivers   []string         `json:"receivers"`
}

func (t *tools) describeMessage(ctx context.Context, _ *mcp.CallToolRequest, in messageArgs) (*mcp.CallToolResult, messageDescription, error) {
	var out messageDescription
	n, err := name("name", in.Name)
	if err != nil {
		return nil, out, err
	}
	m, err := t.Catalog.Message(ctx, n)
	if err != nil {
		return nil, out, notFoundHint(err)
	}
	out = messageDescription{Name: m.Name, Kind: m.Kind, Title: m.Title, Summary: m.Summary, Description: m.Description,
		ContentType: m.ContentType, SchemaType: m.SchemaType, Payload: m.Payload, Key: m.Key,
		Channels: []messageChannel{}, Senders: nonNil(m.Senders), Receivers: nonNil(m.Readers)}
	if out.Owner, err = t.owners().of(ctx, m.Owner); err != nil {
		return nil, out, err
	}
	for _, c := range m.Channels {
		mc := messageChannel{Channel: c.Channel}
		if mc.Subject, err = t.subjectRef(ctx, c.Subject); err != nil {
			return nil, out, err
		}
		if c.KeySubject != "" {
			k, err := t.subjectRef(ctx, c.KeySubject)
			if err != nil {
				return nil, out, err
			}
			mc.KeySubject = &k
		}
		out.Channels = append(out.Channels, mc)
	}
	return nil, out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// --- describe_subject ---

type subjectArgs struct {
	Subject string `json:"subject" jsonschema:"the registry subject, e.g. orders-value"`
	Version int    `json:"version,omitempty" jsonschema:"the version whose schema to show (default: the latest)"`
}

type subjectVersion struct {
	Version      int       `json:"version"`
	ID           int       `json:"id"`
	SchemaType   string    `json:"schemaType"`
	Deleted      bool      `json:"deleted,omitempty"`
	RegisteredAt time.Time `json:"registeredAt"`
}

type subjectDescription struct {
	Subject       string                          `json:"subject"`
	Compatibility string                          `json:"compatibility" jsonschema:"the level new versions are checked at"`
	Versions      []subjectVersion                `json:"versions" jsonschema:"oldest first, soft-deleted ones included"`
	Shown         int                             `json:"shownVersion"`
	Schema        string                          `json:"schema"`
	Resource      string                          `json:"resource"`
	References    []schemaregistry.Reference      `json:"references,omitempty"`
	ReferencedBy  []schemaregistry.SubjectVersion `json:"referencedBy,omitempty"`
	Channel       string                          `json:"channel,omitempty" jsonschema:"its channel by the TopicNameStrategy (orders-value: orders)"`
	Messages      []string                        `json:"messages,omitempty" jsonschema:"catalog messages whose payload or key it is"`
	Owners        []ownerRef                      `json:"owners,omitempty" jsonschema:"owners of the channel, of those messages and of the services that send them"`
	Consumers     []affectedConsumer              `json:"consumers" jsonschema:"consumers traces show on its channel, with the version each last read (0: their spans name none) and their health"`
}

func (t *tools) describeSubject(ctx context.Context, _ *mcp.CallToolRequest, in subjectArgs) (*mcp.CallToolResult, subjectDescription, error) {
	var out subjectDescription
	subject, err := name("subject", in.Subject)
	if err != nil {
		return nil, out, err
	}
	if in.Version < 0 {
		return nil, out, argError("version %d: versions start at 1", in.Version)
	}
	history, err := t.Registry.History(ctx, subject)
	if err != nil {
		return nil, out, notFoundHint(err)
	}
	if len(history) == 0 {
		return nil, out, notFoundHint(fmt.Errorf("subject %q has no versions", subject))
	}
	cfg, err := t.Registry.SubjectConfig(ctx, subject, true)
	if err != nil {
		return nil, out, err
	}
	out = subjectDescription{Subject: subject, Compatibility: cfg.CompatibilityLevel, Channel: catalog.SubjectChannel(subject)}
	var shown *schemaregistry.Schema
	for i, s := range history {
		out.Versions = append(out.Versions, subjectVersion{Version: s.Version, ID: s.ID, SchemaType: schemaType(s.SchemaType), Deleted: s.Deleted,
			RegisteredAt: time.UnixMilli(s.Timestamp).UTC()})
		if (in.Version == 0 && !s.Deleted) || s.Version == in.Version {
			shown = &history[i]
		}
	}
	if shown == nil && in.Version == 0 {
		return nil, out, fmt.Errorf("subject %q has no live version; its versions: %s", subject, versionList(history))
	}
	if shown == nil {
		return nil, out, fmt.Errorf("subject %q has no version %d; its versions: %s", subject, in.Version, versionList(history))
	}
	out.Shown, out.Schema, out.References, out.Resource = shown.Version, shown.Schema, shown.References, schemaURI(subject, shown.Version)
	referrers, err := t.Registry.Referrers(ctx, subject, shown.Version)
	if err != nil {
		return nil, out, err
	}
	for _, r := range referrers {
		out.ReferencedBy = append(out.ReferencedBy, r.SubjectVersion)
	}
	o := t.owners()
	if out.Messages, out.Owners, err = t.subjectMessages(ctx, o, subject, out.Channel); err != nil {
		return nil, out, err
	}
	consumers, err := t.subjectConsumers(ctx, subject, history)
	out.Consumers = nonNil(consumers)
	return nil, out, err
}

func versionList(history []schemaregistry.Schema) string {
	var vs []string
	for _, s := range history {
		v := strconv.Itoa(s.Version)
		if s.Deleted {
			v += " (deleted)"
		}
		vs = append(vs, v)
	}
	return strings.Join(vs, ", ")
}

// subjectMessages finds the catalog messages whose payload or key subject is subject on its
// channel, and the owners of the channel, of those messages and of the services that send them.
func (t *tools) subjectMessages(ctx context.Context, o *owners, subject, channel string) (messages []string, ownerList []ownerRef, err error) {
	if channel == "" {
		return nil, nil, nil
	}
	ch, err := t.Catalog.Channel(ctx, channel)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	names := []string{ch.Owner}
	for _, m := range ch.Messages {
		if m.Subject != subject && m.KeySubject != subject {
			continue
		}
		messages = append(messages, m.Message)
		msg, err := t.Catalog.Message(ctx, m.Message)
		if err != nil {
			return nil, nil, err
		}
		names = append(names, msg.Owner)
		for _, sender := range msg.Senders {
			if svc, err := t.Catalog.Service(ctx, sender); err == nil {
				names = append(names, svc.Owner)
			} else if !errors.Is(err, catalog.ErrNotFound) {
				return nil, nil, err
			}
		}
	}
	for _, n := range names {
		if r, err := o.of(ctx, n); err != nil {
			return nil, nil, err
		} else if r != nil && !slices.ContainsFunc(ownerList, func(x ownerRef) bool { return x.Name == r.Name }) {
			ownerList = append(ownerList, *r)
		}
	}
	return messages, ownerList, nil
}

// affectedConsumer is a consumer of a subject's channel: the version it last read and its health.
type affectedConsumer struct {
	catalog.SubjectConsumer
	Status string    `json:"status,omitempty" jsonschema:"its health now: healthy, degraded, failing or silent"`
	Owner  *ownerRef `json:"owner,omitempty"`
}

// subjectConsumers lists every consumer traces show on the subject's channel: with the version
// its spans last named (catalog.SubjectConsumers), or version 0 when they name none.
func (t *tools) subjectConsumers(ctx context.Context, subject string, history []schemaregistry.Schema) ([]affectedConsumer, error) {
	channel := catalog.SubjectChannel(subject)
	if channel == "" {
		return nil, nil
	}
	edges, _, err := t.edges(ctx, func(e tracing.FlowEdge) bool {
		return e.Direction == tracing.RoleConsumer.String() && e.Channel.Destination == channel
	})
	if err != nil {
		return nil, err
	}
	versioned := catalog.SubjectConsumers(edges, subject, history)
	report, err := t.Health(ctx)
	if err != nil {
		return nil, err
	}
	var out []affectedConsumer
	for _, e := range edges {
		c := affectedConsumer{SubjectConsumer: catalog.SubjectConsumer{Service: e.Service, Group: e.ConsumerGroup, Channel: channel,
			System: e.Channel.System, LastSeen: e.LastSeen}}
		for _, v := range versioned {
			if v.Service == e.Service && v.Group == e.ConsumerGroup && v.System == e.Channel.System {
				c.SubjectConsumer = v
			}
		}
		for _, h := range report.Consumers {
			if h.Service == e.Service && h.ConsumerGroup == e.ConsumerGroup && h.Channel == e.Channel {
				c.Status = h.Status
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// --- schema_impact ---

type impactArgs struct {
	Subject string `json:"subject" jsonschema:"the registry subject about to change, e.g. orders-value"`
}

type documentedReader struct {
	Service  string    `json:"service"`
	Group    string    `json:"group,omitempty"`
	Owner    *ownerRef `json:"owner,omitempty"`
	Observed bool      `json:"observed" jsonschema:"whether traces show it consuming"`
}

type schemaImpact struct {
	Subject       string                          `json:"subject"`
	Compatibility string                          `json:"compatibility"`
	LatestVersion int                             `json:"latestVersion"`
	Channel       string                          `json:"channel,omitempty"`
	Summary       string                          `json:"summary"`
	Consumers     []affectedConsumer              `json:"consumers" jsonschema:"consumers traces show on the channel, with the version each last read (0: their spans name none)"`
	Documented    []documentedReader              `json:"documentedReceivers" jsonschema:"receivers the AsyncAPI documents list"`
	ReferencedBy  []schemaregistry.SubjectVersion `json:"referencedBy" jsonschema:"schemas that reference the latest version and change with it"`
}

func (t *tools) schemaImpact(ctx context.Context, _ *mcp.CallToolRequest, in impactArgs) (*mcp.CallToolResult, schemaImpact, error) {
	var out schemaImpact
	subject, err := name("subject", in.Subject)
	if err != nil {
		return nil, out, err
	}
	history, err := t.Registry.History(ctx, subject)
	if err != nil {
		return nil, out, notFoundHint(err)
	}
	cfg, err := t.Registry.SubjectConfig(ctx, subject, true)
	if err != nil {
		return nil, out, err
	}
	out = schemaImpact{Subject: subject, Compatibility: cfg.CompatibilityLevel, Channel: catalog.SubjectChannel(subject),
		Consumers: []affectedConsumer{}, Documented: []documentedReader{}, ReferencedBy: []schemaregistry.SubjectVersion{}}
	for _, s := range history {
		if !s.Deleted {
			out.LatestVersion = max(out.LatestVersion, s.Version)
		}
	}
	o := t.owners()
	consumers, err := t.subjectConsumers(ctx, subject, history)
	if err != nil {
		return nil, out, err
	}
	for _, c := range consumers {
		if c.Owner, err = o.ofService(ctx, c.Service); err != nil {
			return nil, out, err
		}
		out.Consumers = append(out.Consumers, c)
	}
	if out.Channel != "" {
		ch, err := t.Catalog.Channel(ctx, out.Channel)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return nil, out, err
		}
		for _, op := range ch.Operations {
			if op.Action != catalog.ActionReceive || slices.ContainsFunc(out.Documented, func(d documentedReader) bool { return d.Service == op.Service && d.Group == op.ConsumerGroup }) {
				continue
			}
			d := documentedReader{Service: op.Service, Group: op.ConsumerGroup}
			d.Observed = slices.ContainsFunc(consumers, func(c affectedConsumer) bool { return c.Service == op.Service })
			if d.Owner, err = o.ofService(ctx, op.Service); err != nil {
				return nil, out, err
			}
			out.Documented = append(out.Documented, d)
		}
	}
	if out.LatestVersion > 0 {
		referrers, err := t.Registry.Referrers(ctx, subject, out.LatestVersion)
		if err != nil {
			return nil, out, err
		}
		for _, r := range referrers {
			out.ReferencedBy = append(out.ReferencedBy, r.SubjectVersion)
		}
	}
	out.Summary = impactSummary(out)
	return nil, out, nil
}

func impactSummary(im schemaImpact) string {
	older, unknown, unseen := 0, 0, 0
	for _, c := range im.Consumers {
		switch {
		case c.Version == 0:
			unknown++
		case !c.Latest:
			older++
		}
	}
	for _, d := range im.Documented {
		if !d.Observed {
			unseen++
		}
	}
	return fmt.Sprintf("%d consumers seen on %s (%d on an older version, %d whose spans name no version); %d documented receivers not seen in traces; %d schemas reference it. New versions are checked at %s.",
		len(im.Consumers), cmp.Or(im.Channel, "its channel"), older, unknown, unseen, len(im.ReferencedBy), im.Compatibility)
}

// --- check_compatibility and register_schema ---

type schemaArgs struct {
	Subject    string                     `json:"subject" jsonschema:"the registry subject, e.g. orders-value"`
	Schema     string                     `json:"schema" jsonschema:"the schema text: Avro JSON, a JSON Schema or a .proto file"`
	SchemaType string                     `json:"schemaType,omitempty" jsonschema:"AVRO (default), JSON or PROTOBUF"`
	References []schemaregistry.Reference `json:"references,omitempty" jsonschema:"schemas it references, by name, subject and version"`
}

func (a schemaArgs) newSchema() (string, schemaregistry.NewSchema, error) {
	subject, err := name("subject", a.Subject)
	if err != nil {
		return "", schemaregistry.NewSchema{}, err
	}
	if strings.TrimSpace(a.Schema) == "" {
		return "", schemaregistry.NewSchema{}, argError("schema is required")
	}
	typ := strings.ToUpper(strings.TrimSpace(a.SchemaType))
	if typ == "AVRO" {
		typ = ""
	}
	return subject, schemaregistry.NewSchema{Schema: a.Schema, SchemaType: typ, References: a.References}, nil
}

type compatArgs struct {
	schemaArgs
	Against string `json:"against,omitempty" jsonschema:"latest (default), all (every live version, as registering would), or a version number"`
}

type compatibility struct {
	Subject       string   `json:"subject"`
	Compatible    bool     `json:"compatible"`
	Compatibility string   `json:"compatibility" jsonschema:"the subject's level the check applied"`
	Against       string   `json:"against"`
	Breaks        []string `json:"breaks" jsonschema:"every breaking change, empty when compatible"`
}

func (t *tools) checkCompatibility(ctx context.Context, _ *mcp.CallToolRequest, in compatArgs) (*mcp.CallToolResult, compatibility, error) {
	var out compatibility
	subject, schema, err := in.newSchema()
	if err != nil {
		return nil, out, err
	}
	version, all := schemaregistry.Latest, false
	switch a := strings.TrimSpace(in.Against); a {
	case "", "latest":
		in.Against = "latest"
	case "all":
		all = true
	default:
		if version, err = strconv.Atoi(a); err != nil || version < 1 {
			return nil, out, argError("against %q: want latest, all or a version number", a)
		}
	}
	breaks, err := t.Registry.CheckCompatibility(ctx, subject, version, all, schema, schemaregistry.CheckOptions{})
	if err != nil {
		return nil, out, notFoundHint(err)
	}
	cfg, err := t.Registry.SubjectConfig(ctx, subject, true)
	if err != nil {
		return nil, out, err
	}
	return nil, compatibility{Subject: subject, Compatible: len(breaks) == 0, Compatibility: cfg.CompatibilityLevel,
		Against: strings.TrimSpace(in.Against), Breaks: nonNil(breaks)}, nil
}

type registered struct {
	Subject  string `json:"subject"`
	Version  int    `json:"version"`
	ID       int    `json:"id"`
	Resource string `json:"resource"`
}

func (t *tools) register(ctx context.Context, _ *mcp.CallToolRequest, in schemaArgs) (*mcp.CallToolResult, registered, error) {
	var out registered
	subject, schema, err := in.newSchema()
	if err != nil {
		return nil, out, err
	}
	s, err := t.Registry.Register(ctx, subject, schema, schemaregistry.RegisterOptions{})
	if err != nil {
		return nil, out, err
	}
	return nil, registered{Subject: subject, Version: s.Version, ID: s.ID, Resource: schemaURI(subject, s.Version)}, nil
}

// --- health and drift ---

type unhealthyArgs struct {
	Service string `json:"service,omitempty" jsonschema:"only this consuming service"`
}

type unhealthy struct {
	At          time.Time        `json:"at"`
	Window      string           `json:"window" jsonschema:"throughput, errors and latency are measured over this window"`
	Consumers   []consumerStatus `json:"consumers" jsonschema:"degraded, failing and silent consumers, worst first"`
	Healthy     int              `json:"healthy" jsonschema:"how many other consumers are healthy"`
	BrokerError string           `json:"brokerError,omitempty" jsonschema:"why the brokers' signals are missing, if they are"`
}

func (t *tools) unhealthyConsumers(ctx context.Context, _ *mcp.CallToolRequest, in unhealthyArgs) (*mcp.CallToolResult, unhealthy, error) {
	var out unhealthy
	if len(in.Service) > maxNameBytes {
		return nil, out, argError("service is %d bytes long; names are at most %d", len(in.Service), maxNameBytes)
	}
	service := strings.TrimSpace(in.Service)
	healthy := 0
	consumers, report, err := t.health(ctx, t.owners(), func(h tracing.ConsumerHealth) bool {
		if service != "" && h.Service != service {
			return false
		}
		if h.Status == tracing.StatusHealthy {
			healthy++
			return false
		}
		return true
	})
	if err != nil {
		return nil, out, err
	}
	return nil, unhealthy{At: report.At, Window: report.Window, Consumers: consumers, Healthy: healthy, BrokerError: report.BrokerError}, nil
}

type driftArgs struct {
	Kinds []string `json:"kinds,omitempty" jsonschema:"only these kinds: undocumented_producer, undocumented_consumer, not_observed, channel_without_schema, stale_consumer_schema"`
}

type driftAnswer struct {
	Findings []catalog.DriftFinding `json:"findings"`
}

func (t *tools) drift(ctx context.Context, _ *mcp.CallToolRequest, in driftArgs) (*mcp.CallToolResult, driftAnswer, error) {
	if len(in.Kinds) > len(catalog.DriftKinds) {
		return nil, driftAnswer{}, argError("%d kinds: there are %d (%s)", len(in.Kinds), len(catalog.DriftKinds), strings.Join(catalog.DriftKinds, ", "))
	}
	findings, err := t.Catalog.Drift(ctx, catalog.DriftQuery{Kinds: in.Kinds})
	if errors.Is(err, catalog.ErrInvalidQuery) {
		err = argError("%v", err)
	}
	return nil, driftAnswer{Findings: nonNil(findings)}, err
}
