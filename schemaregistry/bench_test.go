package schemaregistry

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// benchBackends are the stores the benchmarks run on: a SQLite file, one PostgreSQL replica,
// and two replicas on one PostgreSQL (each with its listener, as two processes).
var benchBackends = []struct {
	name string
	open func(b *testing.B) []*Registry
}{
	{"sqlite", func(b *testing.B) []*Registry { return []*Registry{New(storagetest.SQLite(b), Formats())} }},
	{"postgres", func(b *testing.B) []*Registry { return []*Registry{New(storagetest.Postgres(b), Formats())} }},
	{"postgres-2-replicas", func(b *testing.B) []*Registry { return replicasAt(b, pgtest.URL(b), 2) }},
}

// benchClients is how many clients register or look up at once.
const benchClients = 16

// BenchmarkConcurrentRegister: 16 clients register new schemas, each under a new subject, spread
// over the replicas. The figure to read is registrations/s.
//
//	go test ./schemaregistry -run '^$' -bench BenchmarkConcurrentRegister -benchtime 5s
func BenchmarkConcurrentRegister(b *testing.B) {
	for _, backend := range benchBackends {
		b.Run(backend.name, func(b *testing.B) {
			rs := backend.open(b)
			var next, client atomic.Int64
			b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := rs[int(client.Add(1))%len(rs)]
				for pb.Next() {
					n := next.Add(1)
					schema := fmt.Sprintf(`{"type":"record","name":"Bench%d","fields":[{"name":"f","type":"int"}]}`, n)
					if _, err := r.Register(ctx, fmt.Sprint("bench-", n, "-value"), NewSchema{Schema: schema}, RegisterOptions{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
		})
	}
}

// BenchmarkSchemaByID: 16 clients look up 1,000 schemas by id, which the cache answers on
// every backend.
//
//	go test ./schemaregistry -run '^$' -bench BenchmarkSchemaByID -benchtime 2s
func BenchmarkSchemaByID(b *testing.B) {
	for _, backend := range benchBackends[:2] {
		b.Run(backend.name, func(b *testing.B) {
			r := backend.open(b)[0]
			const schemas = 1000
			for i := range schemas {
				schema := fmt.Sprintf(`{"type":"record","name":"ByID%d","fields":[{"name":"f","type":"int"}]}`, i)
				if _, err := r.Register(ctx, fmt.Sprint("byid-", i), NewSchema{Schema: schema}, RegisterOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			var client atomic.Int64
			b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				id := int(client.Add(1))
				for pb.Next() {
					id = id%schemas + 1
					if _, err := r.SchemaByID(ctx, id); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
