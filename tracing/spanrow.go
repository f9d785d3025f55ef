package tracing

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"
)

// A stored span keeps its ids, times, kind and status in columns of their own and the rest (service,
// name, channel, status message, attributes) in one compact "fields" value, where a text seen
// often is a number into span_text, a dictionary both backends keep: attribute keys with their
// values (`"http.route"` with `"/api/items/{id}"`), bare attribute keys, services, span names,
// channels and status messages. A text enters the dictionary while it is short, the dictionary
// holds fewer than maxTexts entries and its group (one attribute key, one service's span names)
// fewer than maxTextsPerGroup, so a high-cardinality attribute (url.path with ids in it) stops
// taking entries and is written out in place. Entries never change and are never deleted, so
// any reader may cache them forever.
//
// The fields value is a sequence of varints and bytes:
//
//	service, name, channel, message: each a text: 2·id+1 (dictionary) or 2·len, then len bytes
//	attributes, each one of:
//	  2·id+1                 a key and value from the dictionary
//	  2·(id+1), len, value   a key from the dictionary, its JSON value in place
//	  0, len, key, len, value  both in place (key and value as JSON)
//	  2, len, object         the attributes as one JSON object, when they could not be split
//
// Links are 24 bytes each: trace id, span id.

// textField says what a span_text entry is.
type textField uint8

const (
	textService textField = 1 + iota
	textName              // key: the service
	textChannel
	textMessage
	textAttrKey // key: the attribute key as JSON; value empty
	textAttr    // key: the attribute key as JSON; value: its value as JSON
)

const (
	maxTexts         = 100_000
	maxTextsPerGroup = 2_000
	maxTextLen       = 96 // longest key or value the dictionary takes
)

// textKey is one dictionary entry.
type textKey struct {
	field      textField
	key, value string
}

type textGroup struct {
	field textField
	key   string
}

// textDict is the writer's copy of the dictionary; entries added in the open transaction are
// forgotten again if it fails.
type textDict struct {
	ids    map[textKey]int64
	groups map[textGroup]int
	added  []textKey
}

func newTextDict() *textDict {
	return &textDict{ids: map[textKey]int64{}, groups: map[textGroup]int{}}
}

// learn records entries stored with their ids.
func (d *textDict) learn(keys []textKey, ids []int64) {
	for i, k := range keys {
		if _, ok := d.ids[k]; ok {
			continue
		}
		d.ids[k] = ids[i]
		d.groups[textGroup{k.field, k.key}]++
		d.added = append(d.added, k)
	}
}

func (d *textDict) commit() { d.added = d.added[:0] }

func (d *textDict) abort() {
	for _, k := range d.added {
		delete(d.ids, k)
		d.groups[textGroup{k.field, k.key}]--
	}
	d.added = d.added[:0]
}

// eligible reports whether k may enter the dictionary, counting what missing will add.
func (d *textDict) eligible(k textKey, pending map[textGroup]int) bool {
	if len(k.key) > maxTextLen || len(k.value) > maxTextLen || !storableText(k.key) || !storableText(k.value) {
		return false
	}
	g := textGroup{k.field, k.key}
	return len(d.ids)+len(pending) < maxTexts && d.groups[g]+pending[g] < maxTextsPerGroup
}

// storableText is text both backends store as it is: valid UTF-8 without NUL bytes.
func storableText(s string) bool { return utf8.ValidString(s) && !bytes.Contains([]byte(s), []byte{0}) }

// missing lists the entries the spans would use that the dictionary lacks and may take, in a
// stable order, for the store to add before it encodes them.
func (d *textDict) missing(spans []*Span) []textKey {
	var out []textKey
	seen := map[textKey]bool{}
	pending := map[textGroup]int{}
	want := func(k textKey) bool {
		if _, ok := d.ids[k]; ok {
			return true
		}
		if seen[k] {
			return true
		}
		if !d.eligible(k, pending) {
			return false
		}
		seen[k] = true
		pending[textGroup{k.field, k.key}]++
		out = append(out, k)
		return true
	}
	for _, s := range spans {
		for _, k := range spanTexts(s) {
			if k.value != "" {
				want(k)
			}
		}
		splitAttributes(s.Attributes, func(key, value []byte) {
			if !want(textKey{field: textAttr, key: string(key), value: string(value)}) {
				want(textKey{field: textAttrKey, key: string(key)})
			}
		})
	}
	return out
}

// spanTexts are the service, name, channel and status message entries of s, in fields order.
func spanTexts(s *Span) [4]textKey {
	var channel string
	if s.Messaging != nil {
		channel = s.Messaging.Channel.Key()
	}
	return [4]textKey{{field: textService, value: s.Service}, {field: textName, key: s.Service, value: s.Name},
		{field: textChannel, value: channel}, {field: textMessage, value: s.StatusMessage}}
}

// appendFields encodes the fields of s.
func (d *textDict) appendFields(b []byte, s *Span) []byte {
	for _, k := range spanTexts(s) {
		if id, ok := d.ids[k]; ok && k.value != "" {
			b = binary.AppendUvarint(b, uint64(2*id+1))
		} else {
			b = appendBytes(binary.AppendUvarint(b, uint64(2*len(k.value))), k.value)
		}
	}
	if !splitAttributes(s.Attributes, func(key, value []byte) {
		if id, ok := d.ids[textKey{field: textAttr, key: string(key), value: string(value)}]; ok {
			b = binary.AppendUvarint(b, uint64(2*id+1))
			return
		}
		if id, ok := d.ids[textKey{field: textAttrKey, key: string(key)}]; ok {
			b = binary.AppendUvarint(b, uint64(2*(id+1)))
		} else {
			b = appendLen(binary.AppendUvarint(b, 0), key)
		}
		b = appendLen(b, value)
	}) {
		b = appendLen(binary.AppendUvarint(b, 2), s.Attributes)
	}
	return b
}

func appendBytes[T string | []byte](b []byte, v T) []byte { return append(b, v...) }

func appendLen[T string | []byte](b []byte, v T) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

// splitAttributes calls f with each key and value of the JSON object decode wrote, both as JSON,
// and reports whether js was such an object. It does not check the JSON further: decode wrote it.
func splitAttributes(js []byte, f func(key, value []byte)) bool {
	if len(js) < 2 || js[0] != '{' || js[len(js)-1] != '}' {
		return false
	}
	rest := js[1 : len(js)-1]
	var pairs [][2][]byte
	for len(rest) > 0 {
		k := jsonValueEnd(rest)
		if k <= 0 || rest[0] != '"' || k >= len(rest) || rest[k] != ':' {
			return false
		}
		v := jsonValueEnd(rest[k+1:])
		if v <= 0 {
			return false
		}
		pairs = append(pairs, [2][]byte{rest[:k], rest[k+1 : k+1+v]})
		rest = rest[k+1+v:]
		if len(rest) > 0 {
			if rest[0] != ',' {
				return false
			}
			rest = rest[1:]
		}
	}
	for _, p := range pairs {
		f(p[0], p[1])
	}
	return true
}

// jsonValueEnd is the length of the JSON value at the start of b, or -1.
func jsonValueEnd(b []byte) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth < 0 {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		case ',', ':':
			if depth == 0 {
				return i
			}
		}
	}
	if depth != 0 {
		return -1
	}
	return len(b)
}

// appendLinks encodes links as 24 bytes each, or nil for none.
func appendLinks(b []byte, links []SpanRef) []byte {
	for _, l := range links {
		b = append(append(b, l.TraceID[:]...), l.SpanID[:]...)
	}
	return b
}

func decodeLinks(b []byte) []SpanRef {
	var out []SpanRef
	for ; len(b) >= 24; b = b[24:] {
		var r SpanRef
		copy(r.TraceID[:], b[:16])
		copy(r.SpanID[:], b[16:24])
		out = append(out, r)
	}
	return out
}

// spanFields are the decoded fields of a stored span.
type spanFields struct {
	service, name, channel, message string
	attributes                      string // one JSON object
}

var errBadFields = errors.New("malformed span fields")

// fieldRefs adds the dictionary ids fields refers to to ids.
func fieldRefs(fields []byte, ids map[int64]bool) error {
	return walkFields(fields, func(id int64) (textKey, bool) { ids[id] = true; return textKey{}, true }, nil)
}

// decodeFields decodes fields with the dictionary entries lookup gives.
func decodeFields(fields []byte, lookup func(int64) (textKey, bool)) (spanFields, error) {
	var f spanFields
	err := walkFields(fields, lookup, &f)
	return f, err
}

// walkFields reads fields, looking up each dictionary id; with out nil it only looks up.
func walkFields(b []byte, lookup func(int64) (textKey, bool), out *spanFields) error {
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	take := func() ([]byte, bool) {
		n, ok := next()
		if !ok || n > uint64(len(b)) {
			return nil, false
		}
		v := b[:n]
		b = b[n:]
		return v, true
	}
	ref := func(id uint64) (textKey, error) {
		k, ok := lookup(int64(id))
		if !ok {
			return k, fmt.Errorf("%w: unknown text %d", errBadFields, id)
		}
		return k, nil
	}
	var texts [4]string
	for i := range texts {
		v, ok := next()
		if !ok {
			return errBadFields
		}
		if v&1 == 1 {
			k, err := ref(v >> 1)
			if err != nil {
				return err
			}
			texts[i] = k.value
			continue
		}
		if v/2 > uint64(len(b)) {
			return errBadFields
		}
		texts[i] = string(b[:v/2])
		b = b[v/2:]
	}
	var attrs []byte
	first := true
	pair := func(key, value []byte) {
		if !first {
			attrs = append(attrs, ',')
		}
		first = false
		attrs = append(append(append(attrs, key...), ':'), value...)
	}
	for len(b) > 0 {
		v, ok := next()
		if !ok {
			return errBadFields
		}
		switch {
		case v&1 == 1:
			k, err := ref(v >> 1)
			if err != nil {
				return err
			}
			pair([]byte(k.key), []byte(k.value))
		case v == 2:
			raw, ok := take()
			if !ok {
				return errBadFields
			}
			attrs, first = append(attrs[:0], raw[1:max(len(raw)-1, 1)]...), false
		default:
			var key []byte
			if v == 0 {
				if key, ok = take(); !ok {
					return errBadFields
				}
			} else {
				k, err := ref(v/2 - 1)
				if err != nil {
					return err
				}
				key = []byte(k.key)
			}
			value, ok := take()
			if !ok {
				return errBadFields
			}
			pair(key, value)
		}
	}
	if out != nil {
		*out = spanFields{service: texts[0], name: texts[1], channel: texts[2], message: texts[3], attributes: "{" + string(attrs) + "}"}
	}
	return nil
}

// textCache is the readers' copy of the dictionary: entries never change, so it only grows, up
// to the dictionary's size.
type textCache struct {
	mu sync.Mutex
	m  map[int64]textKey
}

func newTextCache() *textCache { return &textCache{m: map[int64]textKey{}} }

// lookupFor makes sure the entries that rows refer to are cached, reading the missing ones with
// load, and returns the lookup to decode them with.
func (c *textCache) lookupFor(ctx context.Context, rows [][]byte, load func(ctx context.Context, ids []int64) (map[int64]textKey, error)) (func(int64) (textKey, bool), error) {
	ids := map[int64]bool{}
	for _, r := range rows {
		if err := fieldRefs(r, ids); err != nil {
			return nil, err
		}
	}
	var missing []int64
	c.mu.Lock()
	for id := range ids {
		if _, ok := c.m[id]; !ok {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) > 0 {
		got, err := load(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("read span texts: %w", err)
		}
		c.mu.Lock()
		for id, k := range got {
			c.m[id] = k
		}
		c.mu.Unlock()
	}
	return func(id int64) (textKey, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		k, ok := c.m[id]
		return k, ok
	}, nil
}

// storedRow is a stored span as both backends read it, before its fields are decoded.
type storedRow struct {
	trace, span, parent []byte
	kind, status        int64
	startNs, durationNs int64
	fields, links       []byte
}

// decodeRows turns rows into spans, reading the dictionary entries they need with load.
func (c *textCache) decodeRows(ctx context.Context, rows []storedRow, load func(ctx context.Context, ids []int64) (map[int64]textKey, error)) ([]StoredSpan, error) {
	blobs := make([][]byte, len(rows))
	for i, r := range rows {
		blobs[i] = r.fields
	}
	lookup, err := c.lookupFor(ctx, blobs, load)
	if err != nil {
		return nil, err
	}
	out := make([]StoredSpan, 0, len(rows))
	for _, r := range rows {
		f, err := decodeFields(r.fields, lookup)
		if err != nil {
			return nil, err
		}
		sp := StoredSpan{Service: f.service, Name: f.name, Kind: SpanKind(r.kind), StatusCode: StatusCode(r.status),
			StatusMessage: f.message, Channel: f.channel, Attributes: attributeText(f.attributes), Links: decodeLinks(r.links),
			Start: time.Unix(0, r.startNs).UTC(), End: time.Unix(0, r.startNs+r.durationNs).UTC()}
		copy(sp.TraceID[:], r.trace)
		copy(sp.SpanID[:], r.span)
		copy(sp.ParentSpanID[:], r.parent)
		out = append(out, sp)
	}
	return out, nil
}

// failuresOf picks the failed messaging spans among spans, as examples.
func failuresOf(spans []StoredSpan) []ErrorExample {
	out := []ErrorExample{}
	for _, s := range spans {
		if s.StatusCode == StatusError && s.Channel != "" {
			out = append(out, ErrorExample{TraceID: s.TraceID, SpanID: s.SpanID, Service: s.Service, Name: s.Name,
				ChannelKey: s.Channel, Start: s.Start, Duration: s.Duration(), Message: s.StatusMessage})
		}
	}
	return out
}
