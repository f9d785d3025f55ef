package catalog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// Kinds of drift between what documents say and what traces show.
const (
	// An observed producer (service → channel) that no document mentions.
	DriftUndocumentedProducer = "undocumented_producer"
	// An observed consumer (channel → service and group) that no document mentions.
	DriftUndocumentedConsumer = "undocumented_consumer"
	// A documented send or receive not observed within DriftQuery.NotObservedFor.
	DriftNotObserved = "not_observed"
	// A channel seen in traces with no schema subject in the registry.
	DriftChannelWithoutSchema = "channel_without_schema"
	// A consumer last seen on a schema older than its subject's latest version.
	DriftStaleConsumerSchema = "stale_consumer_schema"
)

// DriftKinds lists every kind of drift, in the order findings are reported.
var DriftKinds = []string{DriftUndocumentedProducer, DriftUndocumentedConsumer, DriftNotObserved, DriftChannelWithoutSchema, DriftStaleConsumerSchema}

// DefaultNotObservedFor is how long a documented flow may go unobserved before it is drift.
const DefaultNotObservedFor = 7 * 24 * time.Hour

// Span attributes through which producers and consumers say which schema a message was written
// with: eventlens' convention (docs/catalog.md). The id is the registry's global schema id, the
// version a version number of the channel's subject.
const (
	SchemaIDAttribute      = "messaging.message.schema.id"
	SchemaVersionAttribute = "messaging.message.schema.version"
)

// DriftQuery asks where documents and traces disagree. Zero values take the defaults noted.
type DriftQuery struct {
	// Since: edges last seen at or after Since are "observed" (default: At − NotObservedFor).
	Since time.Time
	// NotObservedFor: a documented flow not seen for this long is not_observed (7 days). Flows of
	// a document first imported less than this long ago are not judged yet.
	NotObservedFor time.Duration
	// At is the time drift is computed at (default: now).
	At time.Time
	// Kinds keeps findings of these kinds only (default: every kind).
	Kinds []string
}

// DriftFinding is one disagreement between the documents and the traces.
type DriftFinding struct {
	Kind      string     `json:"kind"`
	Service   string     `json:"service,omitempty"`
	Channel   string     `json:"channel"`             // the observed destination, or the documented channel's name
	Systems   []string   `json:"systems,omitempty"`   // messaging systems it was observed on (kafka, rabbitmq, ...)
	Group     string     `json:"group,omitempty"`     // consumer group
	Operation string     `json:"operation,omitempty"` // the documented operation (not_observed)
	Subject   string     `json:"subject,omitempty"`   // registry subject (channel_without_schema, stale_consumer_schema)
	Detail    string     `json:"detail"`
	FirstSeen *time.Time `json:"firstSeen,omitempty"` // when observed at all
	LastSeen  *time.Time `json:"lastSeen,omitempty"`
}

// Drift compares the imported documents with the flows traces show and the subjects the registry
// holds. docs/catalog.md explains each kind and how channels and services are matched.
func (c *Catalog) Drift(ctx context.Context, q DriftQuery) ([]DriftFinding, error) {
	if c.flows == nil {
		return nil, errors.New("drift: the catalog has no trace ingester")
	}
	q, err := q.withDefaults(c.now())
	if err != nil {
		return nil, err
	}
	doc, err := c.documented(ctx)
	if err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	edges, err := c.flows.FlowEdges(ctx, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	d := &drift{q: q, doc: doc, reg: newRegistryView(c.registry), findings: []DriftFinding{}}
	observed := d.observed(edges)
	d.undocumented(observed)
	d.notObserved(edges)
	if err := d.schemas(ctx, observed); err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	return d.result(), nil
}

func (q DriftQuery) withDefaults(now time.Time) (DriftQuery, error) {
	if q.NotObservedFor < 0 {
		return q, fmt.Errorf("not observed for %s: %w: must not be negative", q.NotObservedFor, ErrInvalidQuery)
	}
	for _, k := range q.Kinds {
		if !slices.Contains(DriftKinds, k) {
			return q, fmt.Errorf("drift kind %q: %w: want one of %s", k, ErrInvalidQuery, strings.Join(DriftKinds, ", "))
		}
	}
	if q.NotObservedFor == 0 {
		q.NotObservedFor = DefaultNotObservedFor
	}
	if q.At.IsZero() {
		q.At = now
	}
	if q.Since.IsZero() {
		q.Since = q.At.Add(-q.NotObservedFor)
	}
	if q.Since.After(q.At) {
		return q, fmt.Errorf("since %s: %w: after %s", q.Since.Format(time.RFC3339), ErrInvalidQuery, q.At.Format(time.RFC3339))
	}
	return q, nil
}

// documentedChannel is a catalog channel as drift needs it.
type documentedChannel struct {
	name, address string
	bindings      []string // the protocols of its bindings: kafka, amqp, ...
	subjects      []string // the subjects of its messages
}

// documentedOp is one operation: a service sending to or receiving from a channel.
type documentedOp struct {
	service, name, action, channel, group string
	since                                 time.Time // when the catalog first imported its document
}

// documentation is what every imported document says, read in one snapshot.
type documentation struct {
	services  map[string]bool
	byName    map[string]*documentedChannel
	byAddress map[string]*documentedChannel
	ops       []documentedOp
}

func (c *Catalog) documented(ctx context.Context) (*documentation, error) {
	rows, err := c.store.documentation(ctx)
	if err != nil {
		return nil, err
	}
	d := &documentation{services: map[string]bool{}, byName: map[string]*documentedChannel{}, byAddress: map[string]*documentedChannel{},
		ops: rows.ops}
	for _, s := range rows.services {
		d.services[s] = true
	}
	for _, row := range rows.channels {
		ch := &documentedChannel{name: row.name, address: row.address}
		var b map[string]any
		if err := json.Unmarshal([]byte(row.bindings), &b); err != nil {
			return nil, fmt.Errorf("bindings of channel %q: %w", ch.name, err)
		}
		for k := range b {
			ch.bindings = append(ch.bindings, strings.ToLower(k))
		}
		d.byName[ch.name] = ch
		if ch.address != "" && ch.address != ch.name {
			d.byAddress[ch.address] = ch
		}
	}
	for _, cs := range rows.subjects {
		d.byName[cs.channel].subjects = append(d.byName[cs.channel].subjects, cs.subject)
	}
	return d, nil
}

// bindingsOf maps messaging.system values (OpenTelemetry's names) to the AsyncAPI bindings
// that describe the same protocol.
var bindingsOf = map[string][]string{
	"kafka":      {"kafka"},
	"rabbitmq":   {"amqp"},
	"activemq":   {"amqp", "amqp1", "jms", "stomp", "mqtt", "mqtt5"},
	"aws_sqs":    {"sqs"},
	"aws.sqs":    {"sqs"},
	"aws_sns":    {"sns"},
	"aws.sns":    {"sns"},
	"gcp_pubsub": {"googlepubsub"},
	"jms":        {"jms"},
	"pulsar":     {"pulsar"},
	"mqtt":       {"mqtt", "mqtt5"},
	"nats":       {"nats"},
	"redis":      {"redis"},
	"solace":     {"solace"},
	"ibmmq":      {"ibmmq"},
	"servicebus": {"amqp1"},
	"eventhubs":  {"amqp1", "kafka"},
}

// speaks reports whether an observed messaging system can be this channel's: when both the
// system and some of the channel's bindings are protocols eventlens knows, one binding must be the
// system's; otherwise nothing contradicts it.
func (ch *documentedChannel) speaks(system string) bool {
	want, known := bindingsOf[strings.ToLower(system)]
	if !known {
		return true
	}
	anyKnown := false
	for _, b := range ch.bindings {
		if slices.Contains(want, b) {
			return true
		}
		for _, bs := range bindingsOf {
			if slices.Contains(bs, b) {
				anyKnown = true
			}
		}
	}
	return !anyKnown
}

// channelFor is the documented channel an observed one is: the destination equal to a channel's
// name (its Kafka topic, else its address), else to its address, on a system its bindings allow.
func (d *documentation) channelFor(ch tracing.Channel) *documentedChannel {
	c := d.byName[ch.Destination]
	if c == nil {
		c = d.byAddress[ch.Destination]
	}
	if c == nil || !c.speaks(ch.System) {
		return nil
	}
	return c
}

// groupsAgree: a documented group and an observed one agree unless both are known and differ.
func groupsAgree(documented, observed string) bool {
	return documented == "" || observed == "" || documented == observed
}

// observedFlow is the edges of one service on one destination (and group), merged over the
// systems and clusters they were seen on.
type observedFlow struct {
	direction, service, destination, group string
	channel                                *documentedChannel // nil when no document describes it
	systems                                []string
	firstSeen, lastSeen                    time.Time
	schemaID, schemaVersion                string // from the edge seen last that carried any
	schemaSeen                             time.Time
}

type drift struct {
	q        DriftQuery
	doc      *documentation
	reg      *registryView
	findings []DriftFinding
}

// observed merges the edges seen since q.Since into flows.
func (d *drift) observed(edges []tracing.FlowEdge) []*observedFlow {
	type key struct {
		direction, service, destination, group, channel string
	}
	byKey := map[key]*observedFlow{}
	var flows []*observedFlow
	for _, e := range edges {
		if e.LastSeen.Before(d.q.Since) {
			continue
		}
		ch := d.doc.channelFor(e.Channel)
		k := key{e.Direction, e.Service, e.Channel.Destination, e.ConsumerGroup, ""}
		if ch != nil {
			k.channel = ch.name
		}
		f := byKey[k]
		if f == nil {
			f = &observedFlow{direction: e.Direction, service: e.Service, destination: e.Channel.Destination, group: e.ConsumerGroup,
				channel: ch, firstSeen: e.FirstSeen, lastSeen: e.LastSeen}
			byKey[k] = f
			flows = append(flows, f)
		}
		if !slices.Contains(f.systems, e.Channel.System) {
			f.systems = append(f.systems, e.Channel.System)
		}
		f.firstSeen = minTime(f.firstSeen, e.FirstSeen)
		f.lastSeen = maxTime(f.lastSeen, e.LastSeen)
		if (e.SchemaID != "" || e.SchemaVersion != "") && !e.LastSeen.Before(f.schemaSeen) {
			f.schemaID, f.schemaVersion, f.schemaSeen = e.SchemaID, e.SchemaVersion, e.LastSeen
		}
	}
	return flows
}

func (d *drift) add(f DriftFinding, seen *observedFlow) {
	if seen != nil {
		first, last := seen.firstSeen, seen.lastSeen
		f.FirstSeen, f.LastSeen = &first, &last
		f.Systems = slices.Sorted(slices.Values(seen.systems))
	}
	d.findings = append(d.findings, f)
}

// undocumented reports observed producers and consumers that no document mentions.
func (d *drift) undocumented(flows []*observedFlow) {
	for _, f := range flows {
		kind, verb := DriftUndocumentedProducer, "sends to"
		if f.direction == "consume" {
			kind, verb = DriftUndocumentedConsumer, "receives from"
		}
		mentioned, otherGroups := d.doc.mentions(f)
		if mentioned {
			continue
		}
		who := fmt.Sprintf("%q", f.service)
		if f.group != "" {
			who = fmt.Sprintf("%q (group %q)", f.service, f.group)
		}
		var detail string
		switch {
		case f.channel == nil:
			detail = fmt.Sprintf("%s %s %q (%s), a channel no document describes", who, verb, f.destination, strings.Join(f.systems, ", "))
		case !d.doc.services[f.service]:
			detail = fmt.Sprintf("%s %s %q, but no document describes service %q", who, verb, f.destination, f.service)
		case len(otherGroups) > 0:
			detail = fmt.Sprintf("%s %s %q, but its document names consumer group %s there", who, verb, f.destination, quoteAll(otherGroups))
		default:
			detail = fmt.Sprintf("%s %s %q, but its document does not say so", who, verb, f.destination)
		}
		d.add(DriftFinding{Kind: kind, Service: f.service, Channel: f.destination, Group: f.group, Detail: detail}, f)
	}
}

// mentions reports whether a document mentions an observed flow: an operation of its service,
// with its action, on its documented channel, in a group that agrees; otherwise the groups the
// documents name for that service, action and channel.
func (d *documentation) mentions(f *observedFlow) (bool, []string) {
	if f.channel == nil {
		return false, nil
	}
	action := ActionSend
	if f.direction == "consume" {
		action = ActionReceive
	}
	var otherGroups []string
	for _, op := range d.ops {
		if op.service != f.service || op.action != action || op.channel != f.channel.name {
			continue
		}
		if groupsAgree(op.group, f.group) {
			return true, nil
		}
		otherGroups = append(otherGroups, op.group)
	}
	return false, otherGroups
}

// notObserved reports documented sends and receives that no edge showed within
// q.NotObservedFor, once their document has been in the catalog that long.
func (d *drift) notObserved(edges []tracing.FlowEdge) {
	cutoff := d.q.At.Add(-d.q.NotObservedFor)
	type key struct{ service, action, channel, group string }
	done := map[key]bool{}
	for _, op := range d.doc.ops {
		k := key{op.service, op.action, op.channel, op.group}
		if done[k] || op.since.After(cutoff) {
			continue
		}
		done[k] = true
		direction := "produce"
		if op.action == ActionReceive {
			direction = "consume"
		}
		var seen *observedFlow
		for _, e := range edges {
			if e.Service != op.service || e.Direction != direction || !groupsAgree(op.group, e.ConsumerGroup) {
				continue
			}
			if ch := d.doc.channelFor(e.Channel); ch == nil || ch.name != op.channel {
				continue
			}
			if seen == nil {
				seen = &observedFlow{firstSeen: e.FirstSeen, lastSeen: e.LastSeen}
			}
			seen.firstSeen, seen.lastSeen = minTime(seen.firstSeen, e.FirstSeen), maxTime(seen.lastSeen, e.LastSeen)
			if !slices.Contains(seen.systems, e.Channel.System) {
				seen.systems = append(seen.systems, e.Channel.System)
			}
		}
		if seen != nil && !seen.lastSeen.Before(cutoff) {
			continue
		}
		verb := "sending to"
		if op.action == ActionReceive {
			verb = "receiving from"
		}
		what := fmt.Sprintf("%q documents %s %q (operation %q)", op.service, verb, op.channel, op.name)
		if op.group != "" {
			what += fmt.Sprintf(" in consumer group %q", op.group)
		}
		detail := fmt.Sprintf("%s, but no span has shown it in the last %s; never observed", what, days(d.q.NotObservedFor))
		if seen != nil {
			detail = fmt.Sprintf("%s, but no span has shown it in the last %s; last seen %s (%s ago)", what, days(d.q.NotObservedFor),
				seen.lastSeen.Format(time.RFC3339), days(d.q.At.Sub(seen.lastSeen)))
		}
		d.add(DriftFinding{Kind: DriftNotObserved, Service: op.service, Channel: op.channel, Group: op.group, Operation: op.name, Detail: detail}, seen)
	}
}

// schemas reports observed channels without a subject and consumers on an old schema.
func (d *drift) schemas(ctx context.Context, flows []*observedFlow) error {
	// Channels: one finding per destination, whatever the systems and clusters.
	type channelUse struct {
		seen    *observedFlow
		users   []string
		subject []string
	}
	uses := map[string]*channelUse{}
	var order []string
	for _, f := range flows {
		u := uses[f.destination]
		if u == nil {
			u = &channelUse{seen: &observedFlow{firstSeen: f.firstSeen, lastSeen: f.lastSeen}}
			uses[f.destination] = u
			order = append(order, f.destination)
		}
		u.seen.firstSeen, u.seen.lastSeen = minTime(u.seen.firstSeen, f.firstSeen), maxTime(u.seen.lastSeen, f.lastSeen)
		for _, s := range f.systems {
			if !slices.Contains(u.seen.systems, s) {
				u.seen.systems = append(u.seen.systems, s)
			}
		}
		role := "producer"
		if f.direction == "consume" {
			role = "consumer"
		}
		if user := fmt.Sprintf("%s (%s)", f.service, role); !slices.Contains(u.users, user) {
			u.users = append(u.users, user)
		}
		for _, s := range candidateSubjects(f) {
			if !slices.Contains(u.subject, s) {
				u.subject = append(u.subject, s)
			}
		}
	}
	for _, dest := range order {
		u := uses[dest]
		found := false
		for _, s := range u.subject {
			latest, err := d.reg.latest(ctx, s)
			if err != nil {
				return err
			}
			if latest != nil {
				found = true
				break
			}
		}
		if found {
			continue
		}
		d.add(DriftFinding{Kind: DriftChannelWithoutSchema, Channel: dest, Subject: u.subject[0],
			Detail: fmt.Sprintf("channel %q is used by %s, but the registry has no subject %s", dest, strings.Join(u.users, ", "), orAll(u.subject)),
		}, u.seen)
	}

	for _, f := range flows {
		if f.direction != "consume" || (f.schemaID == "" && f.schemaVersion == "") {
			continue
		}
		if err := d.staleConsumer(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// candidateSubjects are the subjects a flow's messages may be registered under: those of the
// documented channel's messages, then <destination>-value (TopicNameStrategy).
func candidateSubjects(f *observedFlow) []string {
	var out []string
	if f.channel != nil {
		out = append(out, f.channel.subjects...)
	}
	if s := f.destination + "-value"; !slices.Contains(out, s) {
		out = append(out, s)
	}
	return out
}

// staleConsumer reports a consumer whose last schema (by id, else by version) is an older
// version of its subject than the latest.
func (d *drift) staleConsumer(ctx context.Context, f *observedFlow) error {
	candidates := candidateSubjects(f)
	var subject string
	var version int
	var seenAs string
	if id, err := strconv.Atoi(f.schemaID); err == nil && f.schemaID != "" {
		svs, err := d.reg.versionsForID(ctx, id)
		if err != nil {
			return err
		}
		// The id's newest version in the first of the channel's subjects that holds it; else
		// its only subject.
		for _, c := range candidates {
			for _, sv := range svs {
				if sv.Subject == c && sv.Version > version {
					subject, version = sv.Subject, sv.Version
				}
			}
			if subject != "" {
				break
			}
		}
		if subject == "" && len(svs) == 1 {
			subject, version = svs[0].Subject, svs[0].Version
		}
		seenAs = fmt.Sprintf("schema id %d (%s version %d)", id, subject, version)
	} else if v, err := strconv.Atoi(f.schemaVersion); err == nil && v > 0 {
		// A version number means a version of the channel's subject: the only one of the
		// candidates that exists, else <destination>-value.
		var existing []string
		for _, s := range candidates {
			latest, err := d.reg.latest(ctx, s)
			if err != nil {
				return err
			}
			if latest != nil {
				existing = append(existing, s)
			}
		}
		switch {
		case len(existing) == 1:
			subject = existing[0]
		case slices.Contains(existing, f.destination+"-value"):
			subject = f.destination + "-value"
		}
		version = v
		seenAs = fmt.Sprintf("schema version %d of %s", v, subject)
	}
	if subject == "" {
		return nil
	}
	latest, err := d.reg.latest(ctx, subject)
	if err != nil || latest == nil || version >= latest.Version {
		return err
	}
	who := fmt.Sprintf("%q", f.service)
	if f.group != "" {
		who = fmt.Sprintf("%q (group %q)", f.service, f.group)
	}
	d.add(DriftFinding{Kind: DriftStaleConsumerSchema, Service: f.service, Channel: f.destination, Group: f.group, Subject: subject,
		Detail: fmt.Sprintf("%s last received %q messages with %s; the latest is version %d (id %d)",
			who, f.destination, seenAs, latest.Version, latest.ID)}, f)
	return nil
}

// result keeps the kinds asked for, sorted by kind, channel, service and group.
func (d *drift) result() []DriftFinding {
	out := d.findings
	if len(d.q.Kinds) > 0 {
		out = slices.DeleteFunc(out, func(f DriftFinding) bool { return !slices.Contains(d.q.Kinds, f.Kind) })
	}
	slices.SortStableFunc(out, func(a, b DriftFinding) int {
		return cmp.Or(cmp.Compare(slices.Index(DriftKinds, a.Kind), slices.Index(DriftKinds, b.Kind)),
			strings.Compare(a.Channel, b.Channel), strings.Compare(a.Service, b.Service), strings.Compare(a.Group, b.Group))
	})
	return out
}

// registryView answers drift's questions of the registry, each subject and id asked once.
type registryView struct {
	reg       *schemaregistry.Registry
	bySubject map[string]*schemaregistry.Schema
	ids       map[int][]schemaregistry.SubjectVersion
}

func newRegistryView(reg *schemaregistry.Registry) *registryView {
	return &registryView{reg: reg, bySubject: map[string]*schemaregistry.Schema{}, ids: map[int][]schemaregistry.SubjectVersion{}}
}

// latest is subject's newest live version, or nil when it has none.
func (r *registryView) latest(ctx context.Context, subject string) (*schemaregistry.Schema, error) {
	if s, ok := r.bySubject[subject]; ok {
		return s, nil
	}
	s, err := r.reg.Version(ctx, subject, schemaregistry.Latest, false)
	switch code := schemaregistry.ErrorCode(err); {
	case err == nil:
		r.bySubject[subject] = &s
		return &s, nil
	case code == schemaregistry.CodeSubjectNotFound || code == schemaregistry.CodeVersionNotFound:
		r.bySubject[subject] = nil
		return nil, nil
	default:
		return nil, fmt.Errorf("latest version of %q: %w", subject, err)
	}
}

// versionsForID lists the live subject versions of schema id; none when the id is unknown.
func (r *registryView) versionsForID(ctx context.Context, id int) ([]schemaregistry.SubjectVersion, error) {
	if svs, ok := r.ids[id]; ok {
		return svs, nil
	}
	svs, err := r.reg.VersionsForID(ctx, id, "", false)
	if schemaregistry.ErrorCode(err) == schemaregistry.CodeSchemaNotFound {
		svs, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("versions of schema %d: %w", id, err)
	}
	r.ids[id] = svs
	return svs, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// days writes a duration in days when it is at least two days, else as Go does.
func days(d time.Duration) string {
	if d >= 48*time.Hour {
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d days", n)
	}
	if d == 24*time.Hour {
		return "1 day"
	}
	return d.Round(time.Second).String()
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, " or ")
}

func orAll(names []string) string { return strings.Join(names, " or ") }
