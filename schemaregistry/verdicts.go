package schemaregistry

import (
	"strconv"
	"strings"
	"sync"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// verdictCache remembers what checks found, so a CI job or a producer asking the same question
// again (this schema, against these stored versions, at this level and policy) is not diffed
// again: diffing a 500-property JSON Schema or a 1,000-field Protobuf file takes milliseconds.
// The answer depends only on the key: a stored id never names another schema (ids are never
// given twice), and only candidates without references are kept, whose parsed form depends on
// their text alone (as in parseCache).
type verdictCache struct {
	mu      sync.Mutex
	entries map[string]verdict
}

type verdict struct {
	diffs   []format.Difference
	against int
}

// verdictCacheSize bounds the memory the cache holds; beyond it an arbitrary entry makes room.
const verdictCacheSize = 4096

// verdictKey names one question: the candidate (type and guid), the level and policy, and the
// stored schemas it is judged against, in order.
func verdictKey(next *prepared, level, policy string, previous []previousVersion) (string, bool) {
	if len(next.refs) > 0 {
		return "", false
	}
	var b strings.Builder
	b.WriteString(next.typ)
	b.WriteByte(0)
	b.WriteString(next.guid)
	b.WriteByte(0)
	b.WriteString(level)
	b.WriteByte(0)
	b.WriteString(policy)
	for _, p := range previous {
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(p.stored.id))
	}
	return b.String(), true
}

func (v *verdictCache) get(key string) (verdict, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[key]
	return e, ok
}

func (v *verdictCache) put(key string, e verdict) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.entries == nil {
		v.entries = map[string]verdict{}
	}
	if len(v.entries) >= verdictCacheSize {
		for k := range v.entries {
			delete(v.entries, k)
			break
		}
	}
	v.entries[key] = e
}
