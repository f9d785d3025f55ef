package schemaregistry

import (
	"sync"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// parseCache keeps the parsed form of schema texts clients send, so a producer that registers
// the same schema on every start, or CI asking the same question again, is not parsed again.
// Only texts without references are kept: a parsed schema then depends on its text alone.
type parseCache struct {
	mu      sync.Mutex
	entries map[parseKey]*parsedText
}

// parseKey is a text and its schema type. A struct rather than one concatenated string: a
// lookup then copies nothing, and a 46 KB text is hashed once, not copied first.
type parseKey struct{ typ, text string }

// parsedText is a schema text parsed, with its canonical and normalized texts and their hashes,
// which a lookup that finds it needs again: re-encoding a large JSON Schema costs more than
// finding it.
type parsedText struct {
	parsed     format.Schema
	canonical  schemaText
	normalized func() schemaText // computed when first asked for
}

// schemaText is a text as stored, with the MD5 state its guid starts from.
type schemaText struct {
	text string
	hash textHash
}

func newParsedText(s format.Schema) *parsedText {
	text := func(t string) schemaText { return schemaText{text: t, hash: hashText(t)} }
	return &parsedText{
		parsed:     s,
		canonical:  text(s.Canonical()),
		normalized: sync.OnceValue(func() schemaText { return text(s.Normalized()) }),
	}
}

// form is the text a version stores: canonical, or normalized when asked.
func (p *parsedText) form(normalize bool) schemaText {
	if normalize {
		return p.normalized()
	}
	return p.canonical
}

// parseCacheSize bounds the memory the cache holds; beyond it an arbitrary entry makes room.
const parseCacheSize = 1024

func (p *parseCache) get(key parseKey) (*parsedText, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.entries[key]
	return s, ok
}

func (p *parseCache) put(key parseKey, s *parsedText) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.entries == nil {
		p.entries = map[parseKey]*parsedText{}
	}
	if len(p.entries) >= parseCacheSize {
		for k := range p.entries {
			delete(p.entries, k)
			break
		}
	}
	p.entries[key] = s
}
