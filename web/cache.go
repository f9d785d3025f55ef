package web

import (
	"context"
	"sync"
	"time"

	"github.com/eventlens/eventlens/tracing"
)

// defaultCacheTTL is how long the pages reuse a window's flows, health report and series.
// Aggregates move per minute and the health table refreshes every 10 s, so a few seconds of
// reuse changes nothing people see, while a store with thousands of flows answers every page
// from one aggregate scan instead of one per page view (BenchmarkPages has the figures).
const defaultCacheTTL = 5 * time.Second

// pageCache holds recent answers of the tracing queries every page asks, one entry per key;
// an entry's lock makes concurrent views of a cold key wait for one query, not run many.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	mu    sync.Mutex
	at    time.Time
	value any
}

func (p *Pages) ttl() time.Duration {
	if p.CacheTTL == 0 {
		return defaultCacheTTL
	}
	return p.CacheTTL
}

// remember returns the value cached under key when it is younger than the TTL, else loads it.
func remember[T any](p *Pages, key string, load func() (T, error)) (T, error) {
	if p.ttl() < 0 {
		return load()
	}
	p.cache.mu.Lock()
	if p.cache.entries == nil {
		p.cache.entries = map[string]*cacheEntry{}
	}
	e, ok := p.cache.entries[key]
	if !ok {
		e = &cacheEntry{}
		p.cache.entries[key] = e
	}
	p.cache.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if v, ok := e.value.(T); ok && now.Sub(e.at) < p.ttl() {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	e.value, e.at = v, now
	return v, nil
}

// flows are every flow of the window ending now; pages filter them in Go.
func (p *Pages) flows(ctx context.Context, w window) ([]tracing.Flow, error) {
	return remember(p, "flows "+w.Key, func() ([]tracing.Flow, error) {
		now := p.now()
		return p.Tracing.Flows(ctx, tracing.FlowQuery{Since: now.Add(-w.D), Until: now})
	})
}

func (p *Pages) health(ctx context.Context) (tracing.HealthReport, error) {
	return remember(p, "health", func() (tracing.HealthReport, error) { return p.Tracing.Health(ctx) })
}

// series are every flow's sparkline series over the window, by SeriesKey.
func (p *Pages) series(ctx context.Context, w window) (map[string]tracing.FlowSeries, error) {
	return remember(p, "series "+w.Key, func() (map[string]tracing.FlowSeries, error) {
		now := p.now()
		return p.Tracing.Series(ctx, tracing.FlowQuery{Since: now.Add(-w.D), Until: now}, sparkBuckets)
	})
}

func (p *Pages) observedNames(ctx context.Context) (tracing.Names, error) {
	return remember(p, "names", func() (tracing.Names, error) { return p.Tracing.Names(ctx) })
}
