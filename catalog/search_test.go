package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
)

// The index is built in the background, so the first search after a start reads it instead of
// building it.
func TestKeepSearchFreshIndexesBeforeTheFirstSearch(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		c := open(t)
		ctx := context.Background()
		schema := `{"type":"record","name":"Placed","fields":[{"name":"orderNumber","type":"string"}]}`
		if _, err := c.registry.Register(ctx, "orders.placed-value", schemaregistry.NewSchema{Schema: schema}, schemaregistry.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}

		bg, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.KeepSearchFresh(bg, func(err error) { t.Errorf("refresh: %v", err) })
		}()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if testInt(t, c, `SELECT count(*) FROM search_subjects WHERE subject = 'orders.placed-value'`) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the subject was not indexed in the background within 10 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		<-done

		res, err := c.Search(ctx, "ordernum", HitField, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 1 || res.Hits[0].Name != "orders.placed-value" {
			t.Errorf("search for a field of the indexed subject: %+v", res.Hits)
		}
	})
}
