package alerts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// finding is one thing a rule's condition holds for this round.
type finding struct {
	labels  map[string]string
	summary string
	owner   Owner
}

// maxAlertsPerRule bounds one rule's alerts, so that a rule matching every consumer of a huge
// deployment, or a registry flooded with subjects, cannot flood the store and the receivers.
const maxAlertsPerRule = 1000

// refusalsRead is how many of the newest refusals a round reads.
const refusalsRead = 2000

// round reads each input at most once per evaluation, whichever rules need it.
type round struct {
	ctx context.Context
	in  Inputs
	now time.Time

	health   lazy[tracing.HealthReport]
	drift    lazy[[]catalog.DriftFinding]
	refusals lazy[[]schemaregistry.Refusal]
	subjects lazy[[]string]
	owners   lazy[*ownerIndex]
}

type lazy[T any] struct {
	done bool
	v    T
	err  error
}

func (l *lazy[T]) get(f func() (T, error)) (T, error) {
	if !l.done {
		l.v, l.err = f()
		l.done = true
	}
	return l.v, l.err
}

var errNoInput = errors.New("not available in this process")

func (r *round) healthReport() (tracing.HealthReport, error) {
	return r.health.get(func() (tracing.HealthReport, error) {
		if r.in.Health == nil {
			return tracing.HealthReport{}, fmt.Errorf("consumer health: %w", errNoInput)
		}
		rep, err := r.in.Health.Health(r.ctx)
		if err != nil {
			return rep, fmt.Errorf("consumer health: %w", err)
		}
		return rep, nil
	})
}

// findings evaluates one rule.
func (r *round) findings(rule Rule) ([]finding, error) {
	owners, err := r.owners.get(func() (*ownerIndex, error) { return newOwnerIndex(r.ctx, r.in.Catalog) })
	if err != nil {
		return nil, err
	}
	var out []finding
	switch rule.Kind {
	case KindConsumerFailing, KindConsumerSilent, KindConsumerLagging, KindDeadLetters:
		rep, err := r.healthReport()
		if err != nil {
			return nil, err
		}
		for _, c := range rep.Consumers {
			out = append(out, consumerFindings(rule, c, owners)...)
		}
	case KindDrift:
		findings, err := r.drift.get(func() ([]catalog.DriftFinding, error) {
			if r.in.Catalog == nil {
				return nil, fmt.Errorf("drift: %w", errNoInput)
			}
			return r.in.Catalog.Drift(r.ctx, catalog.DriftQuery{At: r.now})
		})
		if err != nil {
			return nil, err
		}
		for _, f := range findings {
			if len(rule.DriftKinds) > 0 && !slices.Contains(rule.DriftKinds, f.Kind) {
				continue
			}
			labels := compact(map[string]string{"drift": f.Kind, "service": f.Service, "group": f.Group, "channel": f.Channel,
				"subject": f.Subject, "operation": f.Operation})
			if rule.matches(labels) {
				owner := owners.first(owners.service(f.Service), owners.channel(f.Channel), owners.subject(f.Subject))
				out = append(out, finding{labels: labels, summary: f.Detail, owner: owner})
			}
		}
	case KindRefused:
		refusals, err := r.refusals.get(func() ([]schemaregistry.Refusal, error) {
			if r.in.Registry == nil {
				return nil, fmt.Errorf("refused registrations: %w", errNoInput)
			}
			return r.in.Registry.Refusals(r.ctx, "", refusalsRead)
		})
		if err != nil {
			return nil, err
		}
		out = refusalFindings(rule, refusals, r.now, owners)
	case KindUnownedSubject:
		subjects, err := r.subjects.get(func() ([]string, error) {
			if r.in.Registry == nil {
				return nil, fmt.Errorf("subjects: %w", errNoInput)
			}
			return r.in.Registry.Subjects(r.ctx, schemaregistry.SubjectFilter{})
		})
		if err != nil {
			return nil, err
		}
		for _, s := range subjects {
			labels := map[string]string{"subject": s}
			if _, documented := owners.subjects[s]; documented || !rule.matches(labels) {
				continue
			}
			out = append(out, finding{labels: labels, owner: owners.channel(topicOf(s)),
				summary: fmt.Sprintf("Subject %s is registered, but no catalog document links it to a message.", s)})
		}
	}
	return out, nil
}

func consumerFindings(rule Rule, c tracing.ConsumerHealth, owners *ownerIndex) []finding {
	labels := compact(map[string]string{"service": c.Service, "group": c.ConsumerGroup, "channel": c.ChannelKey})
	if !rule.matchesWith(labels, c.Channel.Destination) {
		return nil
	}
	owner := owners.first(owners.service(c.Service), owners.channel(c.Channel.Destination))
	who := c.Service
	if c.ConsumerGroup != "" && c.ConsumerGroup != c.Service {
		who += " (group " + c.ConsumerGroup + ")"
	}
	one := func(summary string) []finding { return []finding{{labels: labels, summary: summary, owner: owner}} }
	switch rule.Kind {
	case KindConsumerFailing, KindConsumerSilent:
		want := tracing.StatusFailing
		if rule.Kind == KindConsumerSilent {
			want = tracing.StatusSilent
		}
		if c.Status != want {
			return nil
		}
		summary := fmt.Sprintf("%s is %s on %s.", who, c.Status, c.ChannelKey)
		if len(c.Reasons) > 0 {
			summary += " " + strings.Join(c.Reasons, "; ")
		}
		return one(summary)
	case KindConsumerLagging:
		var behind []string
		if rule.Lag > 0 && c.Lag != nil && *c.Lag >= rule.Lag {
			behind = append(behind, fmt.Sprintf("%d messages (threshold %d)", *c.Lag, rule.Lag))
		}
		if rule.TimeLag > 0 && c.TimeLagSeconds != nil && *c.TimeLagSeconds >= rule.TimeLag.Seconds() {
			behind = append(behind, fmt.Sprintf("%s (threshold %s)", (time.Duration(*c.TimeLagSeconds)*time.Second).String(), rule.TimeLag))
		}
		if len(behind) == 0 {
			return nil
		}
		return one(fmt.Sprintf("%s is %s behind on %s.", who, strings.Join(behind, " and "), c.ChannelKey))
	case KindDeadLetters:
		var out []finding
		for _, d := range c.DeadLetters {
			if d.Kind != tracing.SatelliteDeadLetter || d.PerMinute <= rule.MinPerMinute {
				continue
			}
			l := compact(map[string]string{"service": c.Service, "group": c.ConsumerGroup, "channel": c.ChannelKey, "dlq": d.ChannelKey})
			summary := fmt.Sprintf("Dead letters of %s on %s reach %s at %s/min", who, c.ChannelKey, d.ChannelKey, strconv.FormatFloat(d.PerMinute, 'f', 1, 64))
			if d.Depth != nil {
				summary += fmt.Sprintf(" (%d waiting)", *d.Depth)
			}
			out = append(out, finding{labels: l, summary: summary + ".", owner: owner})
		}
		return out
	}
	return nil
}

// refusalFindings gives one finding per subject with a refusal within the rule's window.
func refusalFindings(rule Rule, refusals []schemaregistry.Refusal, now time.Time, owners *ownerIndex) []finding {
	since := now.Add(-rule.Within).UnixMilli()
	count := map[string]int{}
	newest := map[string]schemaregistry.Refusal{}
	var order []string
	for _, f := range refusals { // newest first
		if f.Timestamp < since {
			continue
		}
		if count[f.Subject] == 0 {
			newest[f.Subject] = f
			order = append(order, f.Subject)
		}
		count[f.Subject]++
	}
	var out []finding
	for _, s := range order {
		labels := map[string]string{"subject": s}
		if !rule.matches(labels) {
			continue
		}
		f := newest[s]
		summary := fmt.Sprintf("A %s schema for subject %s was refused: incompatible with version %d under %s", f.SchemaType, s, f.Against, f.Level)
		if len(f.Reasons) > 0 {
			summary += " (" + f.Reasons[0].Message
			if f.ReasonCount > 1 {
				summary += fmt.Sprintf(", and %d more", f.ReasonCount-1)
			}
			summary += ")"
		}
		summary += "."
		if n := count[s]; n > 1 {
			summary += fmt.Sprintf(" %d refusals in the last %s.", n, rule.Within)
		}
		out = append(out, finding{labels: labels, summary: summary, owner: owners.first(owners.subject(s), owners.channel(topicOf(s)))})
	}
	return out
}

// matches reports whether the rule's match patterns accept labels.
func (r Rule) matches(labels map[string]string) bool { return r.matchesWith(labels, "") }

// matchesWith is matches, with the channel pattern also tried on destination (a pattern
// "orders*" should find the channel key "kafka/orders").
func (r Rule) matchesWith(labels map[string]string, destination string) bool {
	for k, pattern := range r.Match {
		v := labels[k]
		ok, _ := path.Match(pattern, v)
		if !ok && k == "channel" && destination != "" {
			ok, _ = path.Match(pattern, destination)
		}
		if !ok {
			return false
		}
	}
	return true
}

// compact drops empty labels.
func compact(labels map[string]string) map[string]string {
	for k, v := range labels {
		if v == "" {
			delete(labels, k)
		}
	}
	return labels
}

// topicOf is the channel a subject names under TopicNameStrategy: orders-value → orders.
func topicOf(subject string) string {
	for _, suffix := range []string{"-value", "-key"} {
		if t, ok := strings.CutSuffix(subject, suffix); ok {
			return t
		}
	}
	return ""
}

// ownerIndex says who owns what, from the catalog.
type ownerIndex struct {
	owners   map[string]catalog.Owner
	services map[string]string
	channels map[string]string
	subjects map[string]string // every subject a document links to a message, with the message's owner
}

func newOwnerIndex(ctx context.Context, cat Catalog) (*ownerIndex, error) {
	ix := &ownerIndex{owners: map[string]catalog.Owner{}, services: map[string]string{}, channels: map[string]string{}, subjects: map[string]string{}}
	if cat == nil {
		return ix, nil
	}
	owners, err := cat.Owners(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog owners: %w", err)
	}
	for _, o := range owners {
		ix.owners[o.Name] = o
	}
	services, err := cat.Services(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog services: %w", err)
	}
	for _, s := range services {
		ix.services[s.Name] = s.Owner
	}
	channels, err := cat.Channels(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog channels: %w", err)
	}
	for _, c := range channels {
		ix.channels[c.Name] = c.Owner
	}
	messages, err := cat.Messages(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog messages: %w", err)
	}
	messageOwner := map[string]string{}
	for _, m := range messages {
		messageOwner[m.Name] = m.Owner
	}
	links, err := cat.MessageChannels(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog message channels: %w", err)
	}
	ops, err := cat.Operations(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog operations: %w", err)
	}
	// A message's contract belongs to who sends it: its own owner, its channel's, or its sender's.
	sender := map[[2]string]string{} // message, channel → owner of a service that sends it there
	for _, op := range ops {
		if op.Action != catalog.ActionSend || ix.services[op.Service] == "" {
			continue
		}
		for _, m := range op.Messages {
			if k := [2]string{m, op.Channel}; sender[k] == "" {
				sender[k] = ix.services[op.Service]
			}
		}
	}
	for message, chans := range links {
		for _, mc := range chans {
			owner := cmp.Or(messageOwner[message], ix.channels[mc.Channel], sender[[2]string{message, mc.Channel}])
			for _, s := range []string{mc.Subject, mc.KeySubject} {
				if s != "" && ix.subjects[s] == "" {
					ix.subjects[s] = owner
				}
			}
		}
	}
	return ix, nil
}

func (ix *ownerIndex) service(name string) Owner { return ix.owner(ix.services[name]) }
func (ix *ownerIndex) channel(name string) Owner { return ix.owner(ix.channels[name]) }
func (ix *ownerIndex) subject(name string) Owner { return ix.owner(ix.subjects[name]) }

func (ix *ownerIndex) owner(name string) Owner {
	if name == "" {
		return Owner{}
	}
	o := ix.owners[name]
	return Owner{Name: name, Email: o.Email, URL: o.URL}
}

// first is the first of owners that names someone.
func (ix *ownerIndex) first(owners ...Owner) Owner {
	for _, o := range owners {
		if o.Name != "" {
			return o
		}
	}
	return Owner{}
}
