package catalog

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
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

// searchFixture is a catalog with the shop's documents (their payloads registered as subjects
// with fields) and a document whose words have diacritics and mixed case.
func searchFixture(t *testing.T, db *storage.DB) *Catalog {
	t.Helper()
	c := openCatalog(t, db)
	mustImport(t, c, "testdata/shop/orders.yaml", ImportOptions{})
	mustImport(t, c, "testdata/shop/shipping.yaml", ImportOptions{})
	doc := `asyncapi: 3.0.0
info:
  title: Café Zürich
  version: 1.0.0
  description: Brews coffee for the ÉCOLE next door; order_id 42 v1.2
  tags: [{name: Kaffee}]
channels:
  brews:
    address: cafe.brews
    description: Every cup brewed.
    messages:
      CupBrewed:
        payload:
          type: object
          properties:
            customer: {type: object, properties: {email: {type: string}}}
            strength: {type: integer}
operations:
  brew:
    action: send
    channel: {$ref: '#/channels/brews'}
`
	if _, err := c.ImportDocument(context.Background(), []byte(doc), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSearch is the search suite both backends pass: the same words find the same hits, FTS5
// on SQLite and a tsvector on PostgreSQL. Words match as prefixes of words, all of them
// required, without case or diacritics; punctuation separates words; first is the best hit
// where the ranking must agree.
func TestSearch(t *testing.T) {
	tests := []struct {
		query, kind string
		want        []string // every hit, as "kind name detail", in any order
		first       string
	}{
		{query: "order", want: []string{"channel order-commands order-commands", "message OrderPlaced event", "subject order-commands-value ",
			"channel shop.orders.v1 orders", "subject shop.orders.v1-value ", "service Orders Service ", "service Shipping Service ",
			"subject shop.payments.v1-PaymentReceived ", "field order-commands-value orderId", "field shop.orders.v1-value orderId",
			"service Café Zürich ", "field shop.payments.v1-PaymentReceived order_id"},
			first: "channel order-commands order-commands"},
		{query: "orders", want: []string{"channel shop.orders.v1 orders", "subject shop.orders.v1-value ", "service Orders Service "}},
		{query: "ORDER plac", want: []string{"message OrderPlaced event", "channel shop.orders.v1 orders"}},
		{query: "order", kind: HitField, want: []string{"field order-commands-value orderId", "field shop.orders.v1-value orderId",
			"field shop.payments.v1-PaymentReceived order_id"}},
		// Diacritics and case fold away, on either side.
		{query: "café", want: []string{"channel cafe.brews cafe.brews", "subject cafe.brews-value ", "service Café Zürich "},
			first: "channel cafe.brews cafe.brews"},
		{query: "CAFE", want: []string{"channel cafe.brews cafe.brews", "subject cafe.brews-value ", "service Café Zürich "}},
		{query: "zurich", want: []string{"service Café Zürich "}},
		{query: "école", want: []string{"service Café Zürich "}},
		{query: "kaffee", want: []string{"service Café Zürich "}}, // a tag
		// A name weighs more than a field's path.
		{query: "parcel", want: []string{"subject parcel-scanned-value ", "message ParcelScanned event", "channel parcel-scanned parcel-scanned",
			"field parcel-scanned-value parcelId"}, first: "subject parcel-scanned-value "},
		{query: "parcelid", want: []string{"field parcel-scanned-value parcelId", "subject parcel-scanned-value "},
			first: "field parcel-scanned-value parcelId"},
		{query: "customer email", want: []string{"field cafe.brews-value customer.email", "subject cafe.brews-value "},
			first: "field cafe.brews-value customer.email"},
		// Punctuation separates words, in the query as in the rows.
		{query: "shop.orders", want: []string{"subject shop.orders.v1-value ", "channel shop.orders.v1 orders"}, first: "subject shop.orders.v1-value "},
		{query: "orders-value", want: []string{"subject shop.orders.v1-value "}},
		{query: "order_id", want: []string{"field shop.payments.v1-PaymentReceived order_id", "subject shop.payments.v1-PaymentReceived ",
			"service Café Zürich "}, first: "field shop.payments.v1-PaymentReceived order_id"},
		{query: "v1", want: []string{"channel shop.payments.v1 payments", "subject shop.orders.v1-value ", "subject shop.payments.v1-PaymentReceived ",
			"channel shop.orders.v1 orders", "service Café Zürich "}},
		{query: "payment amount", want: []string{"subject shop.payments.v1-PaymentReceived "}},
		{query: "core", want: []string{"service Shipping Service ", "service Orders Service "}},
		{query: "tracking", want: []string{"channel parcel-scanned parcel-scanned"}},
		{query: "sales", want: []string{"domain sales "}},
		{query: "sales", kind: HitService},
		{query: "summary", want: []string{"message ParcelScanned event"}},
		// Words no row has, and query syntax of either engine, find nothing (and fail nothing).
		{query: "orders.placed-value"},
		{query: "nothing"},
		{query: `"order" OR NEAR(x) name:* & !|`},
		{query: "   "},
	}
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		c := searchFixture(t, db)
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s %s", tt.query, tt.kind), func(t *testing.T) {
				res, err := c.Search(ctx, tt.query, tt.kind, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range res.Hits {
					got = append(got, h.Kind+" "+h.Name+" "+h.Detail)
				}
				want := slices.Clone(tt.want)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) || res.Total != len(want) {
					t.Errorf("hits %q (total %d), want %q", got, res.Total, want)
				}
				if tt.first != "" && len(res.Hits) > 0 {
					if h := res.Hits[0]; h.Kind+" "+h.Name+" "+h.Detail != tt.first {
						t.Errorf("best hit %+v, want %q", h, tt.first)
					}
				}
				// A page is a slice of the whole, with the whole's total.
				if len(tt.want) > 1 {
					page, err := c.Search(ctx, tt.query, tt.kind, 1, 1)
					if err != nil || len(page.Hits) != 1 || page.Hits[0] != res.Hits[1] || page.Total != res.Total {
						t.Errorf("second page of one: %+v, %v; want %+v of %d", page, err, res.Hits[1], res.Total)
					}
				}
			})
		}
	})
}
