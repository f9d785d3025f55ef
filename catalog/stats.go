package catalog

import (
	"maps"
	"sync"
)

// Stats are the catalog's imports since the process started, for the server's /metrics.
type Stats struct {
	Imports   map[string]int64 // by result: "changed", "unchanged" (imported before), "failed"
	Conflicts int64            // fields that an imported document and another set differently
}

// stats counts imports; the zero value is ready.
type stats struct {
	mu        sync.Mutex
	imports   map[string]int64
	conflicts int64
}

func (s *stats) imported(res ImportResult, err error) {
	result := "unchanged"
	switch {
	case err != nil:
		result = "failed"
	case res.Changed:
		result = "changed"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.imports == nil {
		s.imports = map[string]int64{}
	}
	s.imports[result]++
	s.conflicts += int64(len(res.Conflicts))
}

// Stats returns the catalog's counts since the process started.
func (c *Catalog) Stats() Stats {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	return Stats{Imports: maps.Clone(c.stats.imports), Conflicts: c.stats.conflicts}
}
