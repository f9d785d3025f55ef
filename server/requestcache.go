package server

import (
	"bytes"
	"hash/maphash"
	"slices"
	"sync"
)

// requestCache keeps decoded schema requests (register, lookup, compatibility) by their body's
// bytes. CI jobs and producers send the same body again and again, and once the registry
// remembers the verdict, decoding a 46 KB body with encoding/json was most of what a check
// cost. A hit compares the whole body, so a hash collision only misses. Only requests without
// metadata or rule set are kept: what is shared between requests is then strings and a slice
// of references, cloned on the way out, that no caller can change for another.
type requestCache struct {
	seed     maphash.Seed
	mu       sync.Mutex
	entries  map[uint64]cachedRequest
	bytes    int
	maxBytes int
}

type cachedRequest struct {
	body []byte
	req  schemaRequest
}

// minCachedBody: smaller bodies decode in microseconds, not worth a place.
const minCachedBody = 2 << 10

func newRequestCache(maxBytes int) *requestCache {
	return &requestCache{seed: maphash.MakeSeed(), entries: map[uint64]cachedRequest{}, maxBytes: maxBytes}
}

// get is the request decoded from body before, if any.
func (rc *requestCache) get(body []byte) (schemaRequest, bool) {
	if len(body) < minCachedBody {
		return schemaRequest{}, false
	}
	h := maphash.Bytes(rc.seed, body)
	rc.mu.Lock()
	e, ok := rc.entries[h]
	rc.mu.Unlock()
	if !ok || !bytes.Equal(e.body, body) {
		return schemaRequest{}, false
	}
	req := e.req
	req.References = slices.Clone(req.References)
	return req, true
}

// put keeps req, decoded from body, and reports whether it did (and so keeps body); full, the
// cache starts afresh.
func (rc *requestCache) put(body []byte, req schemaRequest) bool {
	size := len(body) + len(req.Schema) // the text is a copy, unescaped
	if len(body) < minCachedBody || size > rc.maxBytes || req.Metadata != nil || req.RuleSet != nil {
		return false
	}
	h := maphash.Bytes(rc.seed, body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.bytes+size > rc.maxBytes {
		rc.entries, rc.bytes = map[uint64]cachedRequest{}, 0
	}
	if old, ok := rc.entries[h]; ok {
		rc.bytes -= len(old.body) + len(old.req.Schema)
	}
	rc.entries[h] = cachedRequest{body: body, req: req} // the caller gives body up
	rc.bytes += size
	return true
}
