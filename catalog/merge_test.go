package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/eventlens/eventlens/migrations"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func TestMergeDescriptions(t *testing.T) {
	avro := func(format, schema string) map[string]any {
		return map[string]any{"schemaFormat": format, "schemaType": "AVRO", "schema": schema}
	}
	tests := []struct {
		name      string
		descs     []map[string]any // first to last by precedence, documents "a", "b", "c"
		want      map[string]any
		conflicts []string
		kind      *shared // channels unless set
	}{
		{"an empty field erases nothing",
			[]map[string]any{{"description": "Orders.", "address": ""}, {"description": "", "address": "orders", "tags": nil}},
			map[string]any{"description": "Orders.", "address": "orders"}, nil, nil},
		{"bindings merge key by key",
			[]map[string]any{
				{"bindings": map[string]any{"kafka": map[string]any{"topic": "t", "partitions": int64(12)}}},
				{"bindings": map[string]any{"kafka": map[string]any{"topic": "t", "replicas": int64(3)}, "amqp": map[string]any{"is": "queue"}}},
			},
			map[string]any{"bindings": map[string]any{"kafka": map[string]any{"topic": "t", "partitions": int64(12), "replicas": int64(3)},
				"amqp": map[string]any{"is": "queue"}}}, nil, nil},
		{"an empty binding still says which protocol the channel uses",
			[]map[string]any{{"bindings": map[string]any{"kafka": map[string]any{}}}, {"bindings": map[string]any{}}},
			map[string]any{"bindings": map[string]any{"kafka": map[string]any{}}}, nil, nil},
		{"a long value is cut short in the conflict line",
			[]map[string]any{{"description": strings.Repeat("a", 70)}, {"description": strings.Repeat("b", 70)}},
			map[string]any{"description": strings.Repeat("a", 70)},
			[]string{`channel "orders" description: "a" says "` + strings.Repeat("a", 59) + `… (72 bytes), "b" says "` + strings.Repeat("b", 59) +
				`… (72 bytes); kept "` + strings.Repeat("a", 59) + `… (72 bytes)`}, nil},
		{"tags are the union",
			[]map[string]any{{"tags": []any{"core", "pii"}}, {"tags": []any{"pii", "tracking"}}},
			map[string]any{"tags": []any{"core", "pii", "tracking"}}, nil, nil},
		{"the first value is kept, every other one reported",
			[]map[string]any{
				{"bindings": map[string]any{"kafka": map[string]any{"partitions": int64(12)}}},
				{"bindings": map[string]any{"kafka": map[string]any{"partitions": int64(6)}}, "description": "B."},
				{"bindings": map[string]any{"kafka": map[string]any{"partitions": int64(3)}}, "description": "C."},
			},
			map[string]any{"bindings": map[string]any{"kafka": map[string]any{"partitions": int64(12)}}, "description": "B."},
			[]string{`channel "orders" bindings.kafka.partitions: "a" says 12, "b" says 6; kept 12`,
				`channel "orders" bindings.kafka.partitions: "a" says 12, "c" says 3; kept 12`,
				`channel "orders" description: "b" says "B.", "c" says "C."; kept "B."`}, nil},
		{"an object against a value is a conflict",
			[]map[string]any{{"bindings": map[string]any{"kafka": "yes"}}, {"bindings": map[string]any{"kafka": map[string]any{"topic": "t"}}}},
			map[string]any{"bindings": map[string]any{"kafka": "yes"}},
			[]string{`channel "orders" bindings.kafka: "a" says "yes", "b" says {"topic":"t"}; kept "yes"`}, nil},
		{"a value against an object is a conflict",
			[]map[string]any{{"bindings": map[string]any{"kafka": map[string]any{"topic": "t"}}}, {"bindings": map[string]any{"kafka": "yes"}}},
			map[string]any{"bindings": map[string]any{"kafka": map[string]any{"topic": "t"}}},
			[]string{`channel "orders" bindings.kafka: "a" says {"topic":"t"}, "b" says "yes"; kept {"topic":"t"}`}, nil},
		{"lists inside bindings are values, not unions",
			[]map[string]any{{"bindings": map[string]any{"amqp": map[string]any{"cc": []any{"x"}}}}, {"bindings": map[string]any{"amqp": map[string]any{"cc": []any{"y"}}}}},
			map[string]any{"bindings": map[string]any{"amqp": map[string]any{"cc": []any{"x"}}}},
			[]string{`channel "orders" bindings.amqp.cc: "a" says ["x"], "b" says ["y"]; kept ["x"]`}, nil},
		{"a payload comes whole from the first that has one",
			[]map[string]any{
				{"description": "A."},
				{"payload": map[string]any{"schemaType": "JSON", "schema": "B"}},
				{"payload": avro("application/vnd.apache.avro", "C"), "key": avro("application/vnd.apache.avro", "K")},
			},
			map[string]any{"description": "A.", "payload": map[string]any{"schemaType": "JSON", "schema": "B"},
				"key": avro("application/vnd.apache.avro", "K")},
			[]string{`message "orders" payload.schema: "b" says "B", "c" says "C"; kept "B"`,
				`message "orders" payload.schemaType: "b" says "JSON", "c" says "AVRO"; kept "JSON"`}, sharedMessages},
		{"message bindings merge key by key beside a key taken whole",
			[]map[string]any{
				{"bindings": map[string]any{"kafka": map[string]any{"schemaIdLocation": "payload", "schemaLookupStrategy": "TopicIdStrategy"}},
					"key": avro("application/vnd.apache.avro", "K")},
				{"bindings": map[string]any{"kafka": map[string]any{"schemaLookupStrategy": "RecordNameStrategy", "bindingVersion": "0.5.0"},
					"amqp": map[string]any{"messageType": "order.placed"}}, "key": avro("application/vnd.apache.avro", "L")},
			},
			map[string]any{"bindings": map[string]any{
				"kafka": map[string]any{"schemaIdLocation": "payload", "schemaLookupStrategy": "TopicIdStrategy", "bindingVersion": "0.5.0"},
				"amqp":  map[string]any{"messageType": "order.placed"}}, "key": avro("application/vnd.apache.avro", "K")},
			[]string{`message "orders" bindings.kafka.schemaLookupStrategy: "a" says "TopicIdStrategy", "b" says "RecordNameStrategy"; kept "TopicIdStrategy"`,
				`message "orders" key.schema: "a" says "K", "b" says "L"; kept "K"`}, sharedMessages},
		{"one schema with its format spelled two ways is no conflict",
			[]map[string]any{{"payload": avro("application/vnd.apache.avro;version=1.9.0", "A")}, {"payload": avro("application/vnd.apache.avro+json;version=1.9.0", "A")}},
			map[string]any{"payload": avro("application/vnd.apache.avro;version=1.9.0", "A")}, nil, sharedMessages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var descs []description
			for i, facts := range tt.descs {
				descs = append(descs, description{document: string(rune('a' + i)), facts: facts})
			}
			got, conflicts := cmp.Or(tt.kind, sharedChannels).merge("orders", descs)
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
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		conflicts := []Conflict{
			{Kind: "channel", Name: "shop.orders.v1", Field: "bindings.kafka.partitions", Kept: int64(12), KeptFrom: "urn:shop:orders", Ignored: int64(6), IgnoredFrom: "Warehouse"},
			{Kind: "channel", Name: "shop.orders.v1", Field: "description", Kept: "Every order placed in the shop.", KeptFrom: "urn:shop:orders", Ignored: "Orders to pick.", IgnoredFrom: "Warehouse"},
		}
		for _, order := range [][]string{{"orders", "shipping", "warehouse"}, {"warehouse", "shipping", "orders"}, {"shipping", "warehouse", "orders"}} {
			t.Run(strings.Join(order, ","), func(t *testing.T) {
				c := open(t)
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
	})
}

// TestChannelStaysWhileDescribed removes a shared channel from the documents one by one: it
// stays, with what the remaining documents say, until none describes it.
func TestChannelStaysWhileDescribed(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
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
	})
}

// TestImportMergesSharedServers imports the social media example, whose services each declare
// mosquitto with their own MQTT clientId, and describe each channel in their own words: the
// first imported server is kept, the sender's channel description, the others reported.
func TestImportMergesSharedServers(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
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
	})
}

// TestMigrationDescribesExistingRows runs the migration that added descriptions on a catalog
// that had none: every document that uses a channel or declares a server describes it as it
// stood, so the rows stay as they are and re-imports change nothing.
func TestMigrationDescribesExistingRows(t *testing.T) {
	ctx := context.Background()
	c := openCatalog(t, storagetest.SQLite(t))
	importCorpus(t, c, "", []string{"testdata/shop/orders.yaml", "testdata/shop/shipping.yaml"})
	p, err := goose.NewProvider(goose.DialectSQLite3, sqliteDB(t, c).Write, migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := sqliteList(ctx, sqliteDB(t, c).Read, func(row scanner) (string, error) {
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

// orderPlacedBy writes a document whose service sends or receives OrderPlaced on channel orders,
// saying what extra (YAML lines under the message) says about it.
func orderPlacedBy(service, action, extra string) string {
	return `asyncapi: 3.0.0
info: {title: ` + service + `, version: 1.0.0}
channels:
  orders:
    address: orders
    messages:
      OrderPlaced: {$ref: '#/components/messages/OrderPlaced'}
operations:
  ` + action + `Orders:
    action: ` + action + `
    channel: {$ref: '#/channels/orders'}
components:
  messages:
    OrderPlaced:
      name: OrderPlaced
` + extra
}

var (
	// The producer's OrderPlaced has a total that Billing's older copy of the schema lacks.
	ordersProducer = orderPlacedBy("Orders", "send", `      description: An order was placed.
      x-eventlens-owner: {name: Ada Lovelace, kind: person}
      tags: [{name: pii}]
      payload:
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        schema: {type: record, name: OrderPlaced, fields: [{name: id, type: string}, {name: total, type: long, default: 0}]}
`)
	billingConsumer = orderPlacedBy("Billing", "receive", `      description: Orders to bill.
      summary: Bill every order.
      tags: [{name: billing}]
      payload:
        schemaFormat: application/vnd.apache.avro+json;version=1.9.0
        schema: {type: record, name: OrderPlaced, fields: [{name: id, type: string}]}
`)
)

// TestImportMergesSharedMessages imports a producer's and a consumer's description of one
// message, in both orders: the message holds what each says, the producer's wins where they
// disagree (its payload too: the consumer's older copy of the schema is reported, and registers
// no version of its own), and importing either again changes nothing, in the catalog or the
// registry.
func TestImportMergesSharedMessages(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		for _, tt := range []struct {
			order    []string
			versions int // of orders-value: the consumer's registers only while it is the only one
		}{
			{[]string{"Orders", "Billing"}, 1},
			{[]string{"Billing", "Orders"}, 2},
		} {
			t.Run(strings.Join(tt.order, ","), func(t *testing.T) {
				c := open(t)
				docs := map[string]string{"Orders": ordersProducer, "Billing": billingConsumer}
				results := map[string]ImportResult{}
				for _, name := range tt.order {
					res, err := c.ImportDocument(ctx, []byte(docs[name]), ImportOptions{})
					if err != nil {
						t.Fatal(err)
					}
					results[name] = res
				}
				m, err := c.Message(ctx, "OrderPlaced")
				if err != nil {
					t.Fatal(err)
				}
				if m.Description != "An order was placed." || m.Summary != "Bill every order." || m.Owner != "Ada Lovelace" ||
					!reflect.DeepEqual(m.Tags, []string{"pii", "billing"}) || m.Kind != KindEvent ||
					m.SchemaFormat != "application/vnd.apache.avro;version=1.9.0" || !strings.Contains(m.Payload, `"total"`) {
					t.Errorf("OrderPlaced = %+v\nwant the producer's description, owner, format and payload, the consumer's summary, both tags", m)
				}
				wantLinks := []MessageChannel{{Channel: "orders", Subject: "orders-value"}}
				if !reflect.DeepEqual(m.Channels, wantLinks) || !reflect.DeepEqual(m.Senders, []string{"Orders"}) || !reflect.DeepEqual(m.Readers, []string{"Billing"}) {
					t.Errorf("OrderPlaced channels %+v senders %q receivers %q, want %+v, Orders, Billing", m.Channels, m.Senders, m.Readers, wantLinks)
				}

				later := results[tt.order[1]]
				var got []string
				for _, cf := range later.Conflicts {
					got = append(got, fmt.Sprintf("%s %s %s: kept %s over %s", cf.Kind, cf.Name, cf.Field, cf.KeptFrom, cf.IgnoredFrom))
					if cf.Field == "payload.schema" && (cf.Kept != m.Payload || strings.Contains(cf.Ignored.(string), `"total"`)) {
						t.Errorf("payload conflict %+v, want the producer's payload kept over the consumer's", cf)
					}
				}
				// The formats differ in spelling only: both are Avro, so that is no conflict.
				want := []string{"message OrderPlaced description: kept Orders over Billing", "message OrderPlaced payload.schema: kept Orders over Billing"}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("conflicts of the later import:\n got %q\nwant %q", got, want)
				}

				history, err := c.registry.History(ctx, "orders-value")
				if err != nil {
					t.Fatal(err)
				}
				winner, err := c.registry.Lookup(ctx, "orders-value", schemaregistry.NewSchema{Schema: m.Payload, SchemaType: SchemaAvro}, false, false)
				if len(history) != tt.versions || err != nil || winner.Version != tt.versions {
					t.Errorf("orders-value holds %d versions, the producer's payload as %+v (%v); want %d, the latest the producer's",
						len(history), winner, err, tt.versions)
				}
				if s := later.Schemas; tt.order[1] == "Billing" && (len(s) != 1 || s[0].Status != Unchanged) {
					t.Errorf("Billing registered %+v, want the producer's payload unchanged", s)
				}

				// Importing either again changes nothing and reports the conflicts again.
				before := dump(t, c)
				counts, err := c.registry.Counts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"Orders", "Billing"} {
					res, err := c.ImportDocument(ctx, []byte(docs[name]), ImportOptions{})
					if err != nil {
						t.Fatal(err)
					}
					if res.Changed || len(res.Conflicts) != 2 || len(res.Schemas) != 1 || res.Schemas[0].Status != Unchanged {
						t.Errorf("%s again: changed=%t conflicts %+v schemas %+v, want unchanged with 2 conflicts", name, res.Changed, res.Conflicts, res.Schemas)
					}
				}
				if after := dump(t, c); after != before {
					t.Errorf("re-import changed the catalog:\n%s", lineDiff(before, after))
				}
				if after, err := c.registry.Counts(ctx); err != nil || after != counts {
					t.Errorf("re-import changed the registry: %+v, then %+v (%v)", counts, after, err)
				}
			})
		}
	})
}

// TestMessageStaysWhileDescribed: a document that stops describing a message takes only its own
// description away; the message goes when no document describes it, and its operations and
// channel links go with the documents.
func TestMessageStaysWhileDescribed(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		ctx := context.Background()
		c := open(t)
		for _, doc := range []string{ordersProducer, billingConsumer} {
			if _, err := c.ImportDocument(ctx, []byte(doc), ImportOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		counts, err := c.registry.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		gone := func(service string) string {
			return "asyncapi: 3.0.0\ninfo: {title: " + service + ", version: 2.0.0}\n"
		}
		steps := []struct {
			doc     string
			message func(Message) bool // nil: removed
		}{
			{gone("Billing"), func(m Message) bool {
				return m.Summary == "" && reflect.DeepEqual(m.Tags, []string{"pii"}) && m.Description == "An order was placed." &&
					len(m.Readers) == 0 && reflect.DeepEqual(m.Senders, []string{"Orders"}) && len(m.Channels) == 1
			}},
			{billingConsumer, func(m Message) bool {
				return m.Summary == "Bill every order." && reflect.DeepEqual(m.Tags, []string{"pii", "billing"}) && m.Description == "An order was placed."
			}},
			{gone("Orders"), func(m Message) bool {
				return m.Description == "Orders to bill." && reflect.DeepEqual(m.Tags, []string{"billing"}) &&
					m.SchemaFormat == "application/vnd.apache.avro+json;version=1.9.0" && len(m.Senders) == 0 &&
					reflect.DeepEqual(m.Readers, []string{"Billing"}) && len(m.Channels) == 1
			}},
			{gone("Billing"), nil},
		}
		for i, s := range steps {
			if _, err := c.ImportDocument(ctx, []byte(s.doc), ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			m, err := c.Message(ctx, "OrderPlaced")
			switch {
			case s.message == nil && !errors.Is(err, ErrNotFound):
				t.Errorf("step %d: OrderPlaced: %+v, %v; want it removed once no document describes it", i, m, err)
			case s.message != nil && err != nil:
				t.Errorf("step %d: OrderPlaced: %v, want it while a document describes it", i, err)
			case s.message != nil && !s.message(m):
				t.Errorf("step %d: OrderPlaced = %+v", i, m)
			}
		}
		// Billing's imports registered the producer's payload, never its own older copy, and dropping
		// descriptions takes nothing from the registry.
		if after, err := c.registry.Counts(ctx); err != nil || after != counts {
			t.Errorf("registry counts %+v, then %+v (%v), want them unchanged", counts, after, err)
		}
	})
}

// TestMigrationDescribesExistingMessages runs the migration that added message descriptions on
// a catalog where the last import won (shipping.yaml, imported last, dropped OrderPlaced's pii
// tag): every document that uses a message describes it as it stood, so a changed import of one
// document changes nothing it did not say, and each document's own description comes back with
// its next changed import.
func TestMigrationDescribesExistingMessages(t *testing.T) {
	ctx := context.Background()
	c := openCatalog(t, storagetest.SQLite(t))
	files := map[string]string{}
	for _, f := range []string{"orders.yaml", "shipping.yaml", "schemas/order-placed.avsc", "schemas/payment.proto"} {
		b, err := os.ReadFile("testdata/shop/" + f)
		if err != nil {
			t.Fatal(err)
		}
		files[f] = string(b)
	}
	dir := writeFiles(t, files)
	importCorpus(t, c, "", []string{filepath.Join(dir, "orders.yaml"), filepath.Join(dir, "shipping.yaml")})
	p, err := goose.NewProvider(goose.DialectSQLite3, sqliteDB(t, c).Write, migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := sqliteDB(t, c).Write.ExecContext(ctx, `UPDATE catalog_messages SET tags = '[]' WHERE name = 'OrderPlaced'`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := sqliteList(ctx, sqliteDB(t, c).Read, func(row scanner) (string, error) {
		var name, doc string
		var sends bool
		err := row.Scan(&name, &doc, &sends)
		return fmt.Sprintf("%s %s sends=%t", name, doc, sends), err
	}, `
		SELECT m.name, doc.key, d.sends FROM catalog_message_descriptions d
		JOIN catalog_messages m ON m.id = d.message_id JOIN catalog_documents doc ON doc.id = d.document_id
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CancelOrder urn:shop:orders sends=false",
		"GetOrder urn:shop:orders sends=false",
		"OrderPlaced Shipping Service sends=false",
		"OrderPlaced urn:shop:orders sends=true",
		"ParcelScanned Shipping Service sends=true",
		"PaymentReceived urn:shop:orders sends=false",
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("message descriptions after the migration:\n got %q\nwant %q", rows, want)
	}

	before, err := c.Message(ctx, "OrderPlaced")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file string
		tags []string
	}{
		{"shipping.yaml", []string{}},    // the Orders Service's description is still the row as it stood
		{"orders.yaml", []string{"pii"}}, // now it is its own
	} {
		changed := strings.Replace(files[tt.file], "version: ", "version: 9", 1)
		if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		if res := mustImport(t, c, filepath.Join(dir, tt.file), ImportOptions{}); !res.Changed || len(res.Conflicts) != 0 {
			t.Errorf("%s changed: %+v, want a new version without conflicts", tt.file, res)
		}
		m, err := c.Message(ctx, "OrderPlaced")
		if err != nil {
			t.Fatal(err)
		}
		want := before
		want.Tags = tt.tags
		if !reflect.DeepEqual(m, want) {
			t.Errorf("after %s changed, OrderPlaced = %+v\nwant %+v", tt.file, m, want)
		}
	}
}
