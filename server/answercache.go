package server

import (
	"sync"
	"sync/atomic"
)

// answerCache keeps the JSON of GET /schemas/ids/{id}, the registry's hottest answer (every
// consumer's deserializer asks it on a cache miss): what an id names never changes, so encoding
// it again each time was a tenth of the request. An entry is used only while the registry still
// answers the id with the same schema (guid), so a hard delete is never hidden. It holds at most
// maxBytes of answers and starts afresh when full.
type answerCache struct {
	mu       sync.RWMutex
	entries  map[int]cachedAnswer
	bytes    atomic.Int64
	maxBytes int64
}

type cachedAnswer struct {
	guid string
	body []byte
}

func newAnswerCache(maxBytes int64) *answerCache {
	return &answerCache{entries: map[int]cachedAnswer{}, maxBytes: maxBytes}
}

// get returns the answer for id if it was encoded for the schema guid.
func (a *answerCache) get(id int, guid string) ([]byte, bool) {
	a.mu.RLock()
	e, ok := a.entries[id]
	a.mu.RUnlock()
	if !ok || e.guid != guid {
		return nil, false
	}
	return e.body, true
}

func (a *answerCache) put(id int, guid string, body []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bytes.Load()+int64(len(body)) > a.maxBytes {
		a.entries = map[int]cachedAnswer{}
		a.bytes.Store(0)
	}
	if int64(len(body)) > a.maxBytes {
		return
	}
	a.entries[id] = cachedAnswer{guid: guid, body: body}
	a.bytes.Add(int64(len(body)))
}
