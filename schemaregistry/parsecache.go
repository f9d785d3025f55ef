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
	entries map[string]format.Schema // schemaType + "\x00" + text
}

// parseCacheSize bounds the memory the cache holds; beyond it an arbitrary entry makes room.
const parseCacheSize = 1024

func (p *parseCache) get(key string) (format.Schema, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.entries[key]
	return s, ok
}

func (p *parseCache) put(key string, s format.Schema) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.entries == nil {
		p.entries = map[string]format.Schema{}
	}
	if len(p.entries) >= parseCacheSize {
		for k := range p.entries {
			delete(p.entries, k)
			break
		}
	}
	p.entries[key] = s
}
