package catalog

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/eventlens/eventlens/migrations"
)

func TestMergeDescriptions(t *testing.T) {
	tests := []struct {
		name      string
		descs     []map[string]any // first to last by precedence, documents "a", "b", "c"
		want      map[string]any
		conflicts []string
	}{
		{"an empty field erases nothing",
			[]map[string]any{{"description": "Orders.", "address": ""}, {"description": "", "address": "orders", "tags": nil}},
			map[string]any{"description": "Orders.", "address": "orders"}, nil},
		{"bindings merge key by key",
			[]map[string]any{
				{"bindings": map[string]any{"kafka": map[string]any{"topic": "t", "partitions": int64(12)}}},
				{"bindings": map[string]any{"kafka": map[string]any{"topic": "t", "replicas": int64(3)}, "amqp": map[string]any{"is": "queue"}}},
			},
			map[string]any{"bindings": map[string]any{"kafka": map[string]any{"topic": "t", "partitions": int64(12), "replicas": int64(3)},
				"amqp": map[string]any{"is": "queue"}}}, nil},
		{"tags are the union",
			[]map[string]any{{"tags": []any{"core", "pii"}}, {"tags": []any{"pii", "tracking"}}},
			map[string]any{"tags": []any{"core", "pii", "tracking"}}, nil},
		{"the first value is kept, every other one reported",
			[]map[string]any{
				{"bindings": map[string]any{"kafka": map[string]any{"partitions": int64(12)}}},
				{"bindings": map[string]any{"kafka": map[string]any{"partitions": int64(6)}}, "description": "B."},
				{"bindings": map[string]any{"kafka": map[string]any{"partitions": int64(3)}}, "description": "C."},
			},
			map[string]any{"bindings": map[string]any{"kafka": map[string]any{"partitions": int64(12)}}, "description": "B."},
			[]string{`channel "orders" bindings.kafka.partitions: "a" says 12, "b" says 6; kept 12`,
				`channel "orders" bindings.kafka.partitions: "a" says 12, "c" says 3; kept 12`,
				`channel "orders" description: "b" says "B.", "c" says "C."; kept "B."`}},
		{"an object against a value is a conflict",
			[]map[string]any{{"bindings": map[string]any{"kafka": "yes"}}, {"bindings": map[string]any{"kafka": map[string]any{"topic": "t"}}}},
			map[string]any{"bindings": map[string]any{"kafka": "yes"}},
			[]string{`channel "orders" bindings.kafka: "a" says "yes", "b" says {"topic":"t"}; kept "yes"`}},
		{"a value against an object is a conflict",
			[]map[string]any{{"bindings": map[string]any{"kafka": map[string]any{"topic": "t"}}}, {"bindings": map[string]any{"kafka": "yes"}}},
			map[string]any{"bindings": map[string]any{"kafka": map[string]any{"topic": "t"}}},
			[]string{`channel "orders" bindings.kafka: "a" says {"topic":"t"}, "b" says "yes"; kept {"topic":"t"}`}},
		{"lists inside bindings are values, not unions",
			[]map[string]any{{"bindings": map[string]any{"amqp": map[string]any{"cc": []any{"x"}}}}, {"bindings": map[string]any{"amqp": map[string]any{"cc": []any{"y"}}}}},
			map[string]any{"bindings": map[string]any{"amqp": map[string]any{"cc": []any{"x"}}}},
			[]string{`channel "orders" bindings.amqp.cc: "a" says ["x"], "b" says ["y"]; kept ["x"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var descs []description
			for i, facts := range tt.descs {
				descs = append(descs, description{document: string(rune('a' + i)), facts: facts})
			}
			got, conflicts := sharedChannels.merge("orders", descs)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("merged = %v, want %v", got, tt.want)
			}
			var lines []string
			for _, c := range conflicts {
				lines = append(lines, c.String())
			}
			if !reflect.DeepEqual(lines, tt.conflicts) {
				t.Errorf("conflicts:\n got %q\nwant %q", lines, tt.conflicts)
			}
		})
	}
}

// warehouse receives shop.orders.v1 and says other things about it than the Orders Service.
const warehouse = `asyncapi: 3.0.0
info:
  title: Warehouse
  version: 1.0.0
channels:
  orders:
    address: orders
    description: Orders to pick.
    tags: [{name: warehouse}]
    bindings:
      kafka:
        topic: shop.orders.v1
        partitions: 6
        replicas: 3
operations:
  pickOrders:
    action: receive
    channel: {$ref: '#/channels/orders'}
`

// TestImportMergesSharedChannels imports documents that describe one channel, in several
// orders: the channel holds what each says, the sending service's document wins where they
// disagree, and the disagreement is reported by the import that meets it and by every later
// import of the two documents.
func TestImportMergesSharedChannels(t *testing.T) {
	ctx := context.Background()
	conflicts := []Conflict{
		{Kind: "channel", Name: "shop.orders.v1", Field: "bindings.kafka.partitions", Kept: int64(12), KeptFrom: "urn:shop:orders", Ignored: int64(6), IgnoredFrom: "Warehouse"},
		{Kind: "channel", Name: "shop.orders.v1", Field: "description", Kept: "Every order placed in the shop.", KeptFrom: "urn:shop:orders", Ignored: "Orders to pick.", IgnoredFrom: "Warehouse"},
	}
	for _, order := range [][]string{{"orders", "shipping", "warehouse"}, {"warehouse", "shipping", "orders"}, {"shipping", "warehouse", "orders"}} {
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			c := openCatalog(t)
			imp := func(name string) ImportResult {
				t.Helper()
				if name == "warehouse" {
					res, err := c.ImportDocument(ctx, []byte(warehouse), ImportOptions{})
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				return mustImport(t, c, "testdata/shop/"+name+".yaml", ImportOptions{})
			}
			results := map[string]ImportResult{}
			for _, name := range order {
				results[name] = imp(name)
			}
			ch, err := c.Channel(ctx, "shop.orders.v1")
			if err != nil {
				t.Fatal(err)
			}
			wantBindings := map[string]any{"kafka": map[string]any{"topic": "shop.orders.v1", "partitions": int64(12), "replicas": int64(3)}}
			if !reflect.DeepEqual(ch.Bindings, wantBindings) || ch.Description != "Every order placed in the shop." ||
				!reflect.DeepEqual(ch.Tags, []string{"warehouse"}) || ch.Address != "orders" {
				t.Errorf("shop.orders.v1 = %+v\nwant bindings %v, the Orders Service's description and address, the Warehouse's tag", ch, wantBindings)
			}
			later := "warehouse"
			if slices.Index(order, "orders") > slices.Index(order, "warehouse") {
				later = "orders"
			}
			if got := results[later].Conflicts; !reflect.DeepEqual(got, conflicts) {
				t.Errorf("%s conflicts:\n got %+v\nwant %+v", later, got, conflicts)
			}
			if got := results["shipping"].Conflicts; len(got) != 0 {
				t.Errorf("shipping conflicts = %+v, want none: it agrees with both", got)
			}

			// Importing any of them again changes nothing and reports the conflicts it is part of.
			before := dump(t, c)
			for name, want := range map[string][]Conflict{"orders": conflicts, "warehouse": conflicts, "shipping": {}} {
				res := imp(name)
				if res.Changed || !reflect.DeepEqual(res.Conflicts, want) {
					t.Errorf("%s again: changed=%t conflicts %+v, want unchanged with %+v", name, res.Changed, res.Conflicts, want)
				}
			}
			if after := dump(t, c); after != before {
				t.Errorf("re-import changed the catalog:\n%s", lineDiff(before, after))
			}
		})
	}
}

// TestChannelStaysWhileDescribed removes a shared channel from the documents one by one: it
// stays, with what the remaining documents say, until none describes it.
func TestChannelStaysWhileDescribed(t *testing.T) {
	ctx := context.Background()
	c := openCatalog(t)
	// A 3.0 channel that no operation uses is described all the same.
	unused := strings.Replace(warehouse, "operations:\n  pickOrders:\n    action: receive\n    channel: {$ref: '#/channels/orders'}\n", "", 1)
	if _, err := c.ImportDocument(ctx, []byte(unused), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	mustImport(t, c, "testdata/shop/shipping.yaml", ImportOptions{})

	withoutOrders := strings.Replace(unused, "channels:", "channels: {}\nx-gone:", 1)
	if _, err := c.ImportDocument(ctx, []byte(withoutOrders), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ch, err := c.Channel(ctx, "shop.orders.v1")
	if err != nil {
		t.Fatalf("the Shipping Service still describes shop.orders.v1: %v", err)
	}
	if want := map[string]any{"kafka": map[string]any{"topic": "shop.orders.v1"}}; !reflect.DeepEqual(ch.Bindings, want) ||
		ch.Description != "" || len(ch.Tags) != 0 {
		t.Errorf("shop.orders.v1 = %+v, want only what the Shipping Service says", ch)
	}

	shipping := `asyncapi: 3.0.0
info:
  title: Shipping Service
  version: 2.0.0
`
	if _, err := c.ImportDocument(ctx, []byte(shipping), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Channel(ctx, "shop.orders.v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("shop.orders.v1: %v, want it removed once no document describes it", err)
	}
	if _, err := c.Server(ctx, "kafka"); !errors.Is(err, ErrNotFound) {
		t.Errorf("server kafka: %v, want it removed once no document declares it", err)
	}
}

// TestImportMergesSharedServers imports the social media example, whose services each declare
// mosquitto with their own MQTT clientId, and describe each channel in their own words: the
// first imported server is kept, the sender's channel description, the others reported.
func TestImportMergesSharedServers(t *testing.T) {
	ctx := context.Background()
	c := openCatalog(t)
	base := "testdata/asyncapi-3.0/social-media"
	var got []string
	for _, f := range socialMedia(base) {
		res := mustImport(t, c, f, ImportOptions{BaseDir: base})
		for _, cf := range res.Conflicts {
			if cf.Kind == "server" || cf.Name == "like/comment" {
				got = append(got, cf.String())
			}
		}
	}
	want := []string{
		`server "mosquitto" bindings.mqtt.clientId: "Website Backend" says "websocketServer", "Comments Service" says "comment-service"; kept "websocketServer"`,
		// The frontend sends likeComment, so its description wins over the earlier backend's.
		`channel "like/comment" description: "Website WebSocket Client" says "Notify the backend that a comment has been liked.", "Website Backend" says "When a comment like is received from the frontend."; kept "Notify the backend that a comment has been liked."`,
		`server "mosquitto" bindings.mqtt.clientId: "Website Backend" says "websocketServer", "Notifications Service" says "notification-service"; kept "websocketServer"`,
		`server "mosquitto" bindings.mqtt.clientId: "Website Backend" says "websocketServer", "Public API" says "public-api"; kept "websocketServer"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("conflicts:\n got %q\nwant %q", got, want)
	}
	s, err := c.Server(ctx, "mosquitto")
	if err != nil {
		t.Fatal(err)
	}
	if s.Document != "Website Backend" || s.Bindings["mqtt"].(map[string]any)["clientId"] != "websocketServer" {
		t.Errorf("mosquitto = %+v, want the first document's clientId", s)
	}
}

// TestMigrationDescribesExistingRows runs the migration that added descriptions on a catalog
// that had none: every document that uses a channel or declares a server describes it as it
// stood, so the rows stay as they are and re-imports change nothing.
func TestMigrationDescribesExistingRows(t *testing.T) {
	ctx := context.Background()
	c := openCatalog(t)
	importCorpus(t, c, "", []string{"testdata/shop/orders.yaml", "testdata/shop/shipping.yaml"})
	p, err := goose.NewProvider(goose.DialectSQLite3, c.db.Write, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := queryList(ctx, c.db.Read, func(row scanner) (string, error) {
		var kind, name, doc string
		var sends bool
		err := row.Scan(&kind, &name, &doc, &sends)
		return fmt.Sprintf("%s %s %s sends=%t", kind, name, doc, sends), err
	}, `
		SELECT 'channel', c.name, doc.key, d.sends FROM catalog_channel_descriptions d
		JOIN catalog_channels c ON c.id = d.channel_id JOIN catalog_documents doc ON doc.id = d.document_id
		UNION ALL
		SELECT 'server', sv.name, doc.key, 0 FROM catalog_server_descriptions d
		JOIN catalog_servers sv ON sv.id = d.server_id JOIN catalog_documents doc ON doc.id = d.document_id
		ORDER BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"channel order-commands urn:shop:orders sends=false",
		"channel parcel-scanned Shipping Service sends=true",
		"channel shop.orders.v1 Shipping Service sends=false",
		"channel shop.orders.v1 urn:shop:orders sends=true",
		"channel shop.payments.v1 urn:shop:orders sends=false",
		"server kafka Shipping Service sends=false",
		"server kafka urn:shop:orders sends=false",
		"server rabbitmq urn:shop:orders sends=false",
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("descriptions after the migration:\n got %q\nwant %q", rows, want)
	}
	before := dump(t, c)
	importCorpus(t, c, "", []string{"testdata/shop/orders.yaml", "testdata/shop/shipping.yaml"})
	if after := dump(t, c); after != before {
		t.Errorf("re-import after the migration changed the catalog:\n%s", lineDiff(before, after))
	}
}
