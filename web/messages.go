package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

var messageKinds = []string{catalog.KindEvent, catalog.KindCommand, catalog.KindQuery}

// messageRow is one line of the messages list.
type messageRow struct {
	catalog.Message
	Channels             []catalog.MessageChannel
	Producers, Consumers []string // services whose documented operations send or receive it
}

type messagesView struct {
	page
	Kind string // the kind filter, or ""
	Rows []messageRow
	List listState
}

// Messages lists every message of the catalog: /messages?kind=&sort=&order=&page=.
func (p *Pages) Messages(c echo.Context) error {
	ctx := c.Request().Context()
	messages, err := p.Catalog.Messages(ctx)
	if err != nil {
		return err
	}
	channels, err := p.Catalog.MessageChannels(ctx)
	if err != nil {
		return err
	}
	ops, err := p.Catalog.Operations(ctx)
	if err != nil {
		return err
	}
	v := messagesView{page: page{Title: "Messages", Nav: "catalog"}}
	if k := c.QueryParam("kind"); slices.Contains(messageKinds, k) {
		v.Kind = k
	}
	senders, receivers := carriers(ops)
	var rows []messageRow
	for _, m := range messages {
		if v.Kind == "" || m.Kind == v.Kind {
			rows = append(rows, messageRow{Message: m, Channels: channels[m.Name], Producers: senders[m.Name], Consumers: receivers[m.Name]})
		}
	}
	v.List = readList(c, "/messages", 50, false, "name", "kind", "owner")
	slices.SortFunc(rows, func(a, b messageRow) int {
		var c int
		switch v.List.Sort {
		case "name":
			c = strings.Compare(a.Name, b.Name)
		case "kind":
			c = strings.Compare(a.Kind, b.Kind)
		case "owner":
			c = strings.Compare(a.Owner, b.Owner)
		}
		return v.List.order(c, strings.Compare(a.Name, b.Name))
	})
	lo, hi := v.List.bounds(len(rows))
	v.Rows = rows[lo:hi]
	return render(c, http.StatusOK, messagesPage(v))
}

func (v messagesView) kindHref(kind string) string { return v.List.filterHref("kind", kind) }

// kindPlural names the messages of a kind: events, commands, queries.
func kindPlural(kind string) string {
	if kind == catalog.KindQuery {
		return "queries"
	}
	return kind + "s"
}

// carriers lists, for each message, the services whose operations send it and those whose
// operations receive it, by name.
func carriers(ops []catalog.Operation) (senders, receivers map[string][]string) {
	senders, receivers = map[string][]string{}, map[string][]string{}
	for _, op := range ops {
		byMessage := receivers
		if op.Action == catalog.ActionSend {
			byMessage = senders
		}
		for _, m := range op.Messages {
			if !slices.Contains(byMessage[m], op.Service) {
				byMessage[m] = append(byMessage[m], op.Service)
			}
		}
	}
	for _, byMessage := range []map[string][]string{senders, receivers} {
		for _, services := range byMessage {
			slices.Sort(services)
		}
	}
	return senders, receivers
}

// subjects lists the distinct value subjects of a message's channels.
func (r messageRow) subjects() []string {
	var out []string
	for _, ch := range r.Channels {
		if ch.Subject != "" && !slices.Contains(out, ch.Subject) {
			out = append(out, ch.Subject)
		}
	}
	return out
}

// subjectVersion is a registry subject with its latest version, 0 when nothing is registered.
type subjectVersion struct {
	Subject string
	Latest  int
}

// payloadRow is where a message's payload and key schemas live on one of its channels.
type payloadRow struct {
	Channel    string
	Value, Key subjectVersion // Key.Subject is "" when the message has no key schema
}

// messagePeer is a service that sends or receives a message: documented by an operation that
// carries it, or seen in traces on one of its channels (traces name channels, not messages).
type messagePeer struct {
	Service              string
	Channels             []string
	Observed, Documented bool
}

type messageView struct {
	page
	Message    catalog.Message
	Window     window
	Payloads   []payloadRow
	Throughput []channelRow // the message's channels, as traces show them in the window
	Observed   bool         // traces show any of its channels in the window
	Producers  []messagePeer
	Consumers  []messagePeer
}

// Message is one message's page: /messages/{name}; names may hold '/' and '.'.
func (p *Pages) Message(c echo.Context) error {
	ctx := c.Request().Context()
	name, err := nameParam(c)
	if err != nil {
		return err
	}
	m, err := p.Catalog.Message(ctx, name)
	if errors.Is(err, catalog.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "No message is called "+name+" in the catalog.")
	}
	if err != nil {
		return err
	}
	w := parseWindow(c.QueryParam("window"))
	v := messageView{page: page{Title: name, Nav: "catalog"}, Message: m, Window: w}
	if v.Payloads, err = p.payloads(ctx, m); err != nil {
		return err
	}
	ops, err := p.Catalog.Operations(ctx)
	if err != nil {
		return err
	}
	var carrying []catalog.Operation
	channels := map[string]bool{}
	for _, ch := range m.Channels {
		channels[ch.Channel] = true
	}
	for _, op := range ops {
		if slices.Contains(op.Messages, name) {
			carrying = append(carrying, op)
			channels[op.Channel] = true
		}
	}
	// One read of every flow in the window, kept to the message's channels here.
	flows, err := p.Tracing.Flows(ctx, tracing.FlowQuery{Last: w.D})
	if err != nil {
		return err
	}
	var mine []tracing.Flow
	for _, f := range flows {
		if channels[f.Channel.Destination] {
			mine = append(mine, f)
		}
	}
	for _, ch := range slices.Sorted(maps.Keys(channels)) {
		r := channelRow{Name: ch}
		for _, f := range mine {
			if f.Channel.Destination == ch {
				r.add(f)
				r.System = f.Channel.System
				v.Observed = true
			}
		}
		v.Throughput = append(v.Throughput, r)
		producers, consumers := peers(ch, mine, carrying)
		v.Producers = addPeers(v.Producers, ch, producers)
		v.Consumers = addPeers(v.Consumers, ch, consumers)
	}
	byService := func(a, b messagePeer) int { return strings.Compare(a.Service, b.Service) }
	slices.SortFunc(v.Producers, byService)
	slices.SortFunc(v.Consumers, byService)
	return render(c, http.StatusOK, messagePage(v))
}

// addPeers folds one channel's producers or consumers into a message's, one row per service.
func addPeers(list []messagePeer, channel string, ps []peer) []messagePeer {
	for _, pr := range ps {
		i := slices.IndexFunc(list, func(m messagePeer) bool { return m.Service == pr.Service })
		if i < 0 {
			list = append(list, messagePeer{Service: pr.Service})
			i = len(list) - 1
		}
		mp := &list[i]
		if !slices.Contains(mp.Channels, channel) {
			mp.Channels = append(mp.Channels, channel)
		}
		mp.Observed = mp.Observed || pr.Observed
		mp.Documented = mp.Documented || pr.Documented
	}
	return list
}

// payloads finds the latest version of each subject the message's payload and key have on its
// channels; a message on no channel has only its own x-eventlens-subject, if any.
func (p *Pages) payloads(ctx context.Context, m catalog.Message) ([]payloadRow, error) {
	latest := map[string]int{}
	version := func(subject string) (subjectVersion, error) {
		if n, ok := latest[subject]; ok || subject == "" {
			return subjectVersion{Subject: subject, Latest: n}, nil
		}
		versions, err := p.Registry.Versions(ctx, subject, schemaregistry.SubjectFilter{})
		if err != nil && !errors.Is(err, &schemaregistry.Error{Code: schemaregistry.CodeSubjectNotFound}) {
			return subjectVersion{}, fmt.Errorf("versions of %q: %w", subject, err)
		}
		if len(versions) > 0 {
			latest[subject] = versions[len(versions)-1]
		}
		return subjectVersion{Subject: subject, Latest: latest[subject]}, nil
	}
	channels := m.Channels
	if len(channels) == 0 && m.Subject != "" {
		channels = []catalog.MessageChannel{{Subject: m.Subject}}
	}
	var rows []payloadRow
	for _, ch := range channels {
		r := payloadRow{Channel: ch.Channel}
		var err error
		if r.Value, err = version(ch.Subject); err != nil {
			return nil, err
		}
		if r.Key, err = version(ch.KeySubject); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}
