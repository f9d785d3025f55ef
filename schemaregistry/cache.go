package schemaregistry

import (
	"slices"
	"sync"

	"github.com/eventlens/eventlens/schemaregistry/format"
)

// storedSchema is one row of sr_schemas. It never changes once stored (ids are immutable), so
// it is cached by id and parsed at most once.
type storedSchema struct {
	id       int
	guid     string
	typ      string
	text     string
	refs     []Reference
	metadata *Metadata
	ruleSet  *RuleSet

	parseMu   sync.Mutex
	parseDone bool
	parsed    format.Schema
	parseErr  error
}

// versionRow is one row of sr_versions for a known subject.
type versionRow struct {
	version  int
	schemaID int
	deleted  bool
	created  int64
}

// cache holds what the registry read from the store. A reader that misses reads the store and fills
// the cache only if no write invalidated anything meanwhile (the generation is unchanged), so a
// stale read can never overwrite a newer invalidation.
type cache struct {
	mu       sync.RWMutex
	gen      uint64
	schemas  map[int]*storedSchema
	subjects map[string][]versionRow // ascending versions; nil slice = no versions
	configs  map[string]*Config      // nil = no config at this level
	modes    map[string]string       // "" = no mode at this level
	// contexts lists the contexts besides the default one (when contextsKnown); a write to a
	// subject in a context forgets it, since it may have added the context.
	contexts      []string
	contextsKnown bool

	// changes names the subjects whose versions or config each recent generation changed, so
	// the subject listing can update what changed instead of reading everything again.
	changes     []change
	changesFrom uint64 // changes holds every generation after this one
}

// change is the subjects one generation changed.
type change struct {
	gen      uint64
	subjects []string
}

// maxChanges bounds the change log; a reader further behind reads everything again.
const maxChanges = 1024

func newCache() *cache {
	return &cache{
		schemas:  map[int]*storedSchema{},
		subjects: map[string][]versionRow{},
		configs:  map[string]*Config{},
		modes:    map[string]string{},
	}
}

func (c *cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *cache) schema(id int) (*storedSchema, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.schemas[id]
	return s, ok
}

func (c *cache) putSchema(s *storedSchema, gen uint64) *storedSchema {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.schemas[s.id]; ok {
		return old // keep the one that may already be parsed
	}
	if c.gen == gen {
		c.schemas[s.id] = s
	}
	return s
}

func (c *cache) subject(name string) ([]versionRow, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.subjects[name]
	return v, ok
}

func (c *cache) putSubject(name string, rows []versionRow, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.subjects[name] = rows
	}
}

func (c *cache) config(key string) (*Config, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.configs[key]
	return v, ok
}

func (c *cache) putConfig(key string, cfg *Config, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.configs[key] = cfg
	}
}

func (c *cache) mode(key string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.modes[key]
	return v, ok
}

func (c *cache) putMode(key, mode string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.modes[key] = mode
	}
}

// known reports whether the versions, config and mode of subject are all cached.
func (c *cache) known(subject string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, versions := c.subjects[subject]
	_, config := c.configs[subject]
	_, mode := c.modes[subject]
	return versions && config && mode
}

func (c *cache) putSubjectRows(subject string, s subjectRows, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.subjects[subject], c.configs[subject], c.modes[subject] = s.versions, s.config, s.mode
	}
}

// invalidation names what a committed write changed.
type invalidation struct {
	subjects []string
	schemas  []int // hard-deleted schema ids
	configs  []string
	modes    []string
}

func (inv invalidation) empty() bool {
	return len(inv.subjects)+len(inv.schemas)+len(inv.configs)+len(inv.modes) == 0
}

func (c *cache) invalidate(inv invalidation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidateLocked(inv)
}

// wrote invalidates what a write this process made changed, then keeps what the write knows
// is there now: the subject's versions and the schema. It keeps them only when nothing
// invalidated the subject since gen, read before the write started: a notice of a later write
// on another replica may have come in between, and what this write knows would hide it. (The
// schema can have been hard-deleted only after a write to the subject deleted its version.)
func (c *cache) wrote(inv invalidation, gen uint64, subject string, rows []versionRow, s *storedSchema) *storedSchema {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed, known := c.changedSinceLocked(gen)
	c.invalidateLocked(inv)
	if old, ok := c.schemas[s.id]; ok {
		s = old // keep the one that may already be parsed
	}
	if known && !slices.Contains(changed, subject) {
		c.subjects[subject] = rows
		c.schemas[s.id] = s
	}
	return s
}

// reset drops everything: after the listening connection was lost, another replica's writes
// may have gone unheard. A listing older than this reads everything again.
func (c *cache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.schemas = map[int]*storedSchema{}
	c.subjects = map[string][]versionRow{}
	c.configs = map[string]*Config{}
	c.modes = map[string]string{}
	c.contexts, c.contextsKnown = nil, false
	c.changes, c.changesFrom = nil, c.gen
}

func (c *cache) contextList() ([]string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.contexts, c.contextsKnown
}

func (c *cache) putContexts(names []string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.contexts, c.contextsKnown = names, true
	}
}

func (c *cache) invalidateLocked(inv invalidation) {
	c.gen++
	changed := append(slices.Clone(inv.subjects), inv.configs...)
	if len(c.changes) == maxChanges {
		c.changesFrom = c.changes[0].gen
		c.changes = slices.Delete(c.changes, 0, 1)
	}
	c.changes = append(c.changes, change{gen: c.gen, subjects: changed})
	for _, s := range inv.subjects {
		delete(c.subjects, s)
		if contextOf(s) != DefaultContext {
			c.contexts, c.contextsKnown = nil, false
		}
	}
	for _, id := range inv.schemas {
		delete(c.schemas, id)
	}
	for _, k := range inv.configs {
		delete(c.configs, k)
	}
	for _, k := range inv.modes {
		delete(c.modes, k)
	}
}

// changedSince lists the subjects (and globalKey, for the global config) changed after
// generation gen, or says it no longer knows.
func (c *cache) changedSince(gen uint64) ([]string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.changedSinceLocked(gen)
}

func (c *cache) changedSinceLocked(gen uint64) ([]string, bool) {
	if gen < c.changesFrom {
		return nil, false
	}
	var out []string
	for _, ch := range c.changes {
		if ch.gen > gen {
			out = append(out, ch.subjects...)
		}
	}
	return out, true
}
