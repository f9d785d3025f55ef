package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// An export adds what traces show and no document says: the observed producers and consumers of
// the exported service(s), seen within DefaultNotObservedFor (drift's window), as operations
// marked x-eventlens-observed, on channels that only traces know marked the same way.

// observedChannel is a channel that only traces know: an observed destination no document
// describes.
type observedChannel struct {
	id, destination string
	systems         []string
	first, last     time.Time
}

// observedChannelID is how an operation names a channel only traces know: not a catalog channel
// name, so it never collides with a documented channel on another system with the same name.
func observedChannelID(destination string) string { return "\x00observed\x00" + destination }

// undocumentedFlows lists the flows seen within DefaultNotObservedFor before now that no document
// mentions, with the documentation they were compared with; none when the catalog has no ingester.
func (c *Catalog) undocumentedFlows(ctx context.Context) ([]*observedFlow, *documentation, error) {
	if c.flows == nil {
		return nil, nil, nil
	}
	since := c.now().Add(-DefaultNotObservedFor)
	edges, err := c.flows.FlowEdges(ctx, since)
	if err != nil || len(edges) == 0 {
		return nil, nil, err
	}
	doc, err := c.documented(ctx)
	if err != nil {
		return nil, nil, err
	}
	d := &drift{q: DriftQuery{Since: since}, doc: doc}
	var out []*observedFlow
	for _, f := range d.observed(edges) {
		if mentioned, _ := doc.mentions(f); !mentioned {
			out = append(out, f)
		}
	}
	return out, doc, nil
}

// addObserved adds the undocumented flows of the exported service (every service when service is
// "") to the facts: an operation each, and the channels they use that the export lacks.
func (f *exportFacts) addObserved(service string, flows []*observedFlow, doc *documentation, all []Channel) {
	used := map[string]map[string]bool{} // service → operation names
	use := func(service, name string) {
		if used[service] == nil {
			used[service] = map[string]bool{}
		}
		used[service][name] = true
	}
	if doc != nil {
		for _, op := range doc.ops {
			use(op.service, op.name)
		}
	}
	observedChannels := map[string]*observedChannel{}
	for _, fl := range flows {
		if service != "" && fl.service != service {
			continue
		}
		op := Operation{Service: fl.service, Action: ActionSend, ConsumerGroup: fl.group}
		if fl.direction == "consume" {
			op.Action = ActionReceive
		}
		if fl.channel != nil {
			op.Channel = fl.channel.name
			if !slices.ContainsFunc(f.channels, func(ch Channel) bool { return ch.Name == fl.channel.name }) {
				if i := slices.IndexFunc(all, func(ch Channel) bool { return ch.Name == fl.channel.name }); i >= 0 {
					f.channels = append(f.channels, all[i])
				}
			}
		} else {
			op.Channel = observedChannelID(fl.destination)
			oc := observedChannels[op.Channel]
			if oc == nil {
				oc = &observedChannel{id: op.Channel, destination: fl.destination, first: fl.firstSeen, last: fl.lastSeen}
				observedChannels[op.Channel] = oc
				f.observedChannels = append(f.observedChannels, oc)
			}
			oc.first, oc.last = minTime(oc.first, fl.firstSeen), maxTime(oc.last, fl.lastSeen)
			for _, s := range fl.systems {
				if !slices.Contains(oc.systems, s) {
					oc.systems = append(oc.systems, s)
				}
			}
		}
		base := "observed." + op.Action + "." + fl.destination
		if fl.group != "" {
			base += "." + fl.group
		}
		op.Name = base
		for i := 2; used[fl.service][op.Name]; i++ {
			op.Name = fmt.Sprintf("%s.%d", base, i)
		}
		use(fl.service, op.Name)
		verb := "sending to"
		if op.Action == ActionReceive {
			verb = "receiving from"
		}
		op.Description = fmt.Sprintf("Observed in traces, not in any document: %q %s %q (%s), first seen %s, last seen %s.",
			fl.service, verb, fl.destination, strings.Join(slices.Sorted(slices.Values(fl.systems)), ", "),
			fl.firstSeen.UTC().Format(time.RFC3339), fl.lastSeen.UTC().Format(time.RFC3339))
		f.observedOps = append(f.observedOps, op)
	}
}

// observedOnly reports whether a service no document describes has undocumented flows.
func observedOnly(service string, flows []*observedFlow) bool {
	return slices.ContainsFunc(flows, func(f *observedFlow) bool { return f.service == service })
}
