package rabbitmq

import (
	"slices"
	"strings"
)

// Where dead letters go. RabbitMQ republishes a dead-lettered message to its queue's dead-letter
// exchange, with the dead-letter routing key when one is set and otherwise with the keys the
// message was published with, and that exchange routes it like any other message. The broker's
// settings do not say which keys the messages in a queue carry, only what its bindings let in, so
// a queue counts as a dead-letter queue of a source when some message of the source could be
// routed to it.

// resolveDeadLetter reads a queue's dead-letter setting from its x-arguments and the effective
// policy definition the broker reports for it (which already merges the operator policy, and
// operator policies cannot set these keys anyway). RabbitMQ resolves each key on its own, the
// argument winning over the policy, so the exchange may come from one and the key from the other.
// Without an exchange there is no dead-lettering, whatever the routing key.
func resolveDeadLetter(args, policy map[string]any) *DeadLetter {
	exchange, from := setting(args, "x-dead-letter-exchange", policy, "dead-letter-exchange")
	if from == "" {
		return nil
	}
	dl := &DeadLetter{Exchange: exchange, ExchangeFrom: from}
	if key, from := setting(args, "x-dead-letter-routing-key", policy, "dead-letter-routing-key"); from != "" {
		dl.RoutingKey, dl.RoutingKeySet, dl.RoutingKeyFrom = key, true, from
	}
	return dl
}

func setting(args map[string]any, arg string, policy map[string]any, key string) (value, from string) {
	if v, ok := args[arg].(string); ok {
		return v, "arguments"
	}
	if v, ok := policy[key].(string); ok {
		return v, "policy"
	}
	return "", ""
}

// routingKeys is what is known of the routing keys of some messages: one key, the keys a topic
// pattern matches, or any key.
type routingKeys struct {
	kind keyKind
	key  string // the key, or the topic pattern
}

type keyKind int

const (
	exactKey keyKind = iota
	topicKeys
	anyKey
)

// maxKeyBytes is the longest routing or binding key AMQP 0-9-1 carries (a short string); longer
// ones in an answer cannot be real and match nothing, which also bounds the matching work.
const maxKeyBytes = 255

// router routes keys through one broker's exchanges and bindings.
type router struct {
	exchanges map[objectKey]Exchange
	from      map[objectKey]*bindingIndex // by source exchange
	to        map[objectKey][]Binding     // by destination queue, the default exchange's left out
}

// bindingIndex holds one exchange's bindings by the first word of their keys, so that a key is
// matched only against the bindings that can match it: with one dead-letter exchange for
// thousands of queues, matching each against all would take seconds a poll.
type bindingIndex struct {
	all     []Binding
	byFirst map[string][]Binding
	wild    []Binding // a topic exchange's bindings whose first word is "*" or "#"
}

func newRouter(b *Broker) *router {
	r := &router{exchanges: map[objectKey]Exchange{}, from: map[objectKey]*bindingIndex{}, to: map[objectKey][]Binding{}}
	for _, x := range b.Exchanges {
		r.exchanges[objectKey{x.VHost, x.Name}] = x
	}
	add := func(bd Binding) {
		key := objectKey{bd.VHost, bd.Source}
		ix := r.from[key]
		if ix == nil {
			ix = &bindingIndex{byFirst: map[string][]Binding{}}
			r.from[key] = ix
		}
		ix.all = append(ix.all, bd)
		if first := firstWord(bd.RoutingKey); r.exchanges[key].routesAs == "topic" && (first == "*" || first == "#") {
			ix.wild = append(ix.wild, bd)
		} else {
			ix.byFirst[first] = append(ix.byFirst[first], bd)
		}
	}
	for _, bd := range b.Bindings {
		if bd.Source == "" {
			continue // the default exchange's bindings are implied by the queues, below
		}
		add(bd)
		if bd.DestinationType == "queue" {
			r.to[objectKey{bd.VHost, bd.Destination}] = append(r.to[objectKey{bd.VHost, bd.Destination}], bd)
		}
	}
	for _, q := range b.Queues {
		add(Binding{VHost: q.VHost, Source: "", Destination: q.Name, DestinationType: "queue", RoutingKey: q.Name})
	}
	return r
}

// candidates are the bindings of an exchange of the given kind that keys can pass: all of them
// but for direct and topic exchanges, where a key's first word must meet the binding's.
func (ix *bindingIndex) candidates(kind string, keys routingKeys) [][]Binding {
	first := firstWord(keys.key)
	switch {
	case kind != "direct" && kind != "topic", keys.kind == anyKey, keys.kind == topicKeys && (first == "*" || first == "#"):
		return [][]Binding{ix.all}
	default:
		return [][]Binding{ix.byFirst[first], ix.wild}
	}
}

func firstWord(key string) string {
	first, _, _ := strings.Cut(key, ".")
	return first
}

// linkDeadLetters fills in every queue's DeadLetterQueues and DeadLetterOf and marks dead-letter
// exchanges that do not exist.
func linkDeadLetters(b *Broker) {
	r := newRouter(b)
	of := map[objectKey][]string{}
	for i := range b.Queues {
		q := &b.Queues[i]
		dl := q.DeadLetter
		if dl == nil {
			continue
		}
		if _, ok := r.exchanges[objectKey{q.VHost, dl.Exchange}]; !ok && dl.Exchange != "" {
			dl.ExchangeMissing = true
			continue
		}
		keys := []routingKeys{{exactKey, dl.RoutingKey}}
		if !dl.RoutingKeySet {
			keys = r.keysInto(q.VHost, q.Name)
		}
		found, seen := map[string]bool{}, map[visit]bool{}
		for _, k := range keys {
			r.route(q.VHost, dl.Exchange, k, seen, found)
		}
		delete(found, q.Name) // a queue that dead-letters into itself requeues; it is not its own DLQ
		for name := range found {
			q.DeadLetterQueues = append(q.DeadLetterQueues, name)
			of[objectKey{q.VHost, name}] = append(of[objectKey{q.VHost, name}], q.Name)
		}
		slices.Sort(q.DeadLetterQueues)
	}
	for i := range b.Queues {
		q := &b.Queues[i]
		q.DeadLetterOf = of[objectKey{q.VHost, q.Name}]
		slices.Sort(q.DeadLetterOf)
	}
}

// keysInto says which routing keys the messages in a queue may carry, from its bindings.
func (r *router) keysInto(vhost, queue string) []routingKeys {
	keys := []routingKeys{{exactKey, queue}} // the default exchange routes a queue's name to it
	for _, bd := range r.to[objectKey{vhost, queue}] {
		switch r.exchanges[objectKey{vhost, bd.Source}].routesAs {
		case "direct":
			keys = append(keys, routingKeys{exactKey, bd.RoutingKey})
		case "topic":
			keys = append(keys, routingKeys{topicKeys, bd.RoutingKey})
		default:
			return []routingKeys{{kind: anyKey}}
		}
	}
	return keys
}

// visit is an exchange reached with some keys: reaching it again with the same keys routes
// nowhere new, which ends cycles of exchange-to-exchange bindings.
type visit struct {
	exchange string
	keys     routingKeys
}

// route adds to found the queues that exchange routes messages with keys to, following
// exchange-to-exchange bindings.
func (r *router) route(vhost, exchange string, keys routingKeys, seen map[visit]bool, found map[string]bool) {
	if seen[visit{exchange, keys}] {
		return
	}
	seen[visit{exchange, keys}] = true
	ix := r.from[objectKey{vhost, exchange}]
	if ix == nil {
		return
	}
	kind := r.exchanges[objectKey{vhost, exchange}].routesAs
	for _, bindings := range ix.candidates(kind, keys) {
		for _, bd := range bindings {
			next, ok := passes(kind, bd.RoutingKey, keys)
			switch {
			case !ok:
			case bd.DestinationType == "queue":
				found[bd.Destination] = true
			case bd.DestinationType == "exchange":
				r.route(vhost, bd.Destination, next, seen, found)
			}
		}
	}
}

// passes says whether an exchange of the given kind routes some message with keys through a
// binding with bindingKey, and what is then known of the keys that passed.
func passes(kind, bindingKey string, keys routingKeys) (routingKeys, bool) {
	switch kind {
	case "direct":
		bound := routingKeys{exactKey, bindingKey}
		switch keys.kind {
		case exactKey:
			return bound, keys.key == bindingKey
		case topicKeys:
			return bound, topicMatch(keys.key, bindingKey)
		default:
			return bound, true
		}
	case "topic":
		switch keys.kind {
		case exactKey:
			return keys, topicMatch(bindingKey, keys.key)
		case topicKeys:
			return keys, topicOverlap(bindingKey, keys.key)
		default:
			return routingKeys{topicKeys, bindingKey}, true
		}
	default:
		// fanout routes every message; headers route on headers, which no setting tells; a
		// plugin's type is assumed able to route anything.
		return keys, true
	}
}

// topicMatch says whether a topic pattern matches a routing key: words separated by dots, "*"
// standing for exactly one word and "#" for zero or more, as RabbitMQ's topic exchange matches.
// The empty key has no words.
func topicMatch(pattern, key string) bool { return wordsMeet(pattern, key, false) }

// topicOverlap says whether some routing key matches both topic patterns.
func topicOverlap(a, b string) bool { return wordsMeet(a, b, true) }

// wordsMeet runs the matching as dynamic programming over word positions: meet[i][j] says
// whether a's words from i on and b's words from j on can match the same words. b's "*" and "#"
// are wildcards when bWild, literal words otherwise.
func wordsMeet(a, b string, bWild bool) bool {
	if len(a) > maxKeyBytes || len(b) > maxKeyBytes {
		return false
	}
	aw, bw := words(a), words(b)
	n, m := len(aw), len(bw)
	meet := make([][]bool, n+1)
	for i := range meet {
		meet[i] = make([]bool, m+1)
	}
	meet[n][m] = true
	for i := n; i >= 0; i-- {
		for j := m; j >= 0; j-- {
			if i == n && j == m {
				continue
			}
			aHash := i < n && aw[i] == "#"
			bHash := bWild && j < m && bw[j] == "#"
			switch {
			case aHash && (meet[i+1][j] || (j < m && meet[i][j+1])):
				meet[i][j] = true
			case bHash && (meet[i][j+1] || (i < n && meet[i+1][j])):
				meet[i][j] = true
			case i < n && j < m && !aHash && !bHash:
				one := aw[i] == "*" || (bWild && bw[j] == "*") || aw[i] == bw[j]
				meet[i][j] = one && meet[i+1][j+1]
			}
		}
	}
	return meet[0][0]
}

func words(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ".")
}
